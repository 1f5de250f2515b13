package acktest

import (
	"fmt"
	"reflect"
	"slices"
	"strings"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/docuflow/docuflow-operator/internal/ack"
	"github.com/docuflow/docuflow-operator/internal/ack/core"
)

var (
	microTimeType = reflect.TypeFor[metav1.MicroTime]()
	intOrString   = reflect.TypeFor[intstr.IntOrString]()
)

// CheckAgainstCRD compares a mirror kind with an upstream CRD and returns the
// problems, sorted; none means the mirror conforms. It checks that the CRD's
// group and kind are the mirror's (from obj's TypeMeta, else from the ack
// scheme), that the CRD serves the mirror's version and that its plural,
// scope and status subresource are those of the mirror's kubebuilder markers.
// It then walks the JSON field tree of the mirror's spec and status (json
// tags, inline embedding, pointers, slices, maps, metav1.Time as a date-time
// string) and reports every field the served schema lacks, every type
// mismatch and every field the schema requires that the mirror lacks.
func CheckAgainstCRD(obj core.Object, crd *apiextensionsv1.CustomResourceDefinition) []string {
	c := &checker{}
	t := reflect.TypeOf(obj)
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	gvk, err := mirrorGVK(obj)
	if err != nil {
		return []string{err.Error()}
	}
	if crd.Spec.Group != gvk.Group {
		c.addf("group: CRD has %q, mirror has %q", crd.Spec.Group, gvk.Group)
	}
	if crd.Spec.Names.Kind != gvk.Kind {
		c.addf("names.kind: CRD has %q, mirror has %q", crd.Spec.Names.Kind, gvk.Kind)
	}
	c.checkMarkers(t, gvk, crd)

	var version *apiextensionsv1.CustomResourceDefinitionVersion
	for i := range crd.Spec.Versions {
		if v := &crd.Spec.Versions[i]; v.Name == gvk.Version && v.Served {
			version = v
		}
	}
	if version == nil {
		c.addf("versions: CRD serves no version %q", gvk.Version)
		return c.sorted()
	}
	if version.Schema == nil || version.Schema.OpenAPIV3Schema == nil {
		c.addf("versions[%s]: CRD has no openAPIV3Schema", version.Name)
		return c.sorted()
	}
	root := version.Schema.OpenAPIV3Schema
	for _, f := range jsonFields(t) {
		switch f.name {
		case "apiVersion", "kind", "metadata":
			continue
		case "status":
			if version.Subresources == nil || version.Subresources.Status == nil {
				c.addf("subresources.status: CRD version %s has no status subresource", version.Name)
			}
		}
		prop, ok := root.Properties[f.name]
		if !ok {
			c.addf("%s: not in upstream schema", f.name)
			continue
		}
		c.compare(f.name, f.typ, &prop)
	}
	return c.sorted()
}

// mirrorGVK returns obj's GroupVersionKind from its TypeMeta or, when that is
// empty, from the scheme of all mirrors.
func mirrorGVK(obj core.Object) (schema.GroupVersionKind, error) {
	if gvk := obj.GetObjectKind().GroupVersionKind(); !gvk.Empty() {
		return gvk, nil
	}
	s := runtime.NewScheme()
	if err := ack.AddToScheme(s); err != nil {
		return schema.GroupVersionKind{}, fmt.Errorf("building the ack scheme: %w", err)
	}
	gvks, _, err := s.ObjectKinds(obj)
	if err != nil || len(gvks) == 0 {
		return schema.GroupVersionKind{}, fmt.Errorf("gvk: %T has no TypeMeta and is not in the ack scheme", obj)
	}
	return gvks[0], nil
}

type checker struct {
	problems []string
}

func (c *checker) addf(format string, args ...any) {
	c.problems = append(c.problems, fmt.Sprintf(format, args...))
}

func (c *checker) sorted() []string {
	slices.Sort(c.problems)
	return slices.Compact(c.problems)
}

// checkMarkers compares the kubebuilder markers of the mirror's Go type, read
// from its source, with the CRD's names, scope and group.
func (c *checker) checkMarkers(t reflect.Type, gvk schema.GroupVersionKind, crd *apiextensionsv1.CustomResourceDefinition) {
	m, err := markersOf(t)
	if err != nil {
		c.addf("markers: %v", err)
		return
	}
	switch {
	case m.plural == "":
		c.addf("names.plural: %s has no +kubebuilder:resource:path marker", t.Name())
	case m.plural != crd.Spec.Names.Plural:
		c.addf("names.plural: CRD has %q, +kubebuilder:resource:path has %q", crd.Spec.Names.Plural, m.plural)
	}
	if m.scope != "" && m.scope != string(crd.Spec.Scope) {
		c.addf("scope: CRD has %q, +kubebuilder:resource:scope has %q", crd.Spec.Scope, m.scope)
	}
	if m.groupName != "" && m.groupName != gvk.Group {
		c.addf("group: +groupName marker has %q, scheme has %q", m.groupName, gvk.Group)
	}
	if !m.statusSubresource {
		if _, ok := t.FieldByName("Status"); ok {
			c.addf("subresources.status: %s has a Status but no +kubebuilder:subresource:status marker", t.Name())
		}
	}
}

// compare checks the Go type t at JSON path p against the schema s.
func (c *checker) compare(p string, t reflect.Type, s *apiextensionsv1.JSONSchemaProps) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if s.XPreserveUnknownFields != nil && *s.XPreserveUnknownFields && len(s.Properties) == 0 && s.Type == "" {
		return
	}
	switch t {
	case timeType, microTimeType:
		if s.Type != "string" || s.Format != "date-time" {
			c.addf("%s: type mismatch: Go %s is string/date-time, upstream %s", p, t, describe(s))
		}
		return
	case intOrString:
		if !s.XIntOrString {
			c.addf("%s: type mismatch: Go %s is int-or-string, upstream %s", p, t, describe(s))
		}
		return
	}
	want := jsonType(t)
	if want == "" {
		return // interfaces and the like: anything goes
	}
	if want != s.Type {
		c.addf("%s: type mismatch: Go %s is %s, upstream %s", p, t, want, describe(s))
		return
	}
	switch t.Kind() {
	case reflect.Slice, reflect.Array:
		if t.Elem().Kind() == reflect.Uint8 {
			return
		}
		if s.Items == nil || s.Items.Schema == nil {
			c.addf("%s: upstream array has no items schema", p)
			return
		}
		c.compare(p+"[]", t.Elem(), s.Items.Schema)
	case reflect.Map:
		if s.AdditionalProperties == nil || s.AdditionalProperties.Schema == nil {
			if len(s.Properties) > 0 {
				c.addf("%s: type mismatch: Go %s is a map, upstream an object with fixed properties", p, t)
			} else if s.AdditionalProperties == nil || !s.AdditionalProperties.Allows {
				c.addf("%s: type mismatch: Go %s is a map, upstream an object without additionalProperties", p, t)
			}
			return
		}
		c.compare(p+"{}", t.Elem(), s.AdditionalProperties.Schema)
	case reflect.Struct:
		if len(s.Properties) == 0 && s.AdditionalProperties != nil {
			c.addf("%s: type mismatch: Go %s is a struct, upstream a map", p, t)
			return
		}
		declared := map[string]bool{}
		for _, f := range jsonFields(t) {
			declared[f.name] = true
			prop, ok := s.Properties[f.name]
			if !ok {
				if s.XPreserveUnknownFields == nil || !*s.XPreserveUnknownFields {
					c.addf("%s.%s: not in upstream schema", p, f.name)
				}
				continue
			}
			c.compare(p+"."+f.name, f.typ, &prop)
		}
		for _, r := range s.Required {
			if !declared[r] {
				c.addf("%s.%s: required by upstream schema but not declared", p, r)
			}
		}
	}
}

// jsonType is the OpenAPI type of a dereferenced Go type, "" when any.
func jsonType(t reflect.Type) string {
	switch t.Kind() {
	case reflect.String:
		return "string"
	case reflect.Bool:
		return "boolean"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "integer"
	case reflect.Float32, reflect.Float64:
		return "number"
	case reflect.Slice, reflect.Array:
		if t.Elem().Kind() == reflect.Uint8 {
			return "string" // base64
		}
		return "array"
	case reflect.Map, reflect.Struct:
		return "object"
	}
	return ""
}

func describe(s *apiextensionsv1.JSONSchemaProps) string {
	d := s.Type
	if d == "" {
		d = "(untyped)"
	}
	if s.Format != "" {
		d += "/" + s.Format
	}
	if s.Type == "object" && s.AdditionalProperties != nil && len(s.Properties) == 0 {
		d = "map"
	}
	return d
}

type jsonField struct {
	name string
	typ  reflect.Type
}

// jsonFields lists the JSON fields of a struct type the way encoding/json
// sees them: json:"-" skipped, unnamed embedded structs inlined.
func jsonFields(t reflect.Type) []jsonField {
	var out []jsonField
	for i := range t.NumField() {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, _, _ := strings.Cut(tag, ",")
		ft := f.Type
		for ft.Kind() == reflect.Pointer {
			ft = ft.Elem()
		}
		if f.Anonymous && name == "" && ft.Kind() == reflect.Struct {
			out = append(out, jsonFields(ft)...)
			continue
		}
		if !f.IsExported() {
			continue
		}
		out = append(out, jsonField{name: fieldName(f), typ: f.Type})
	}
	return out
}

// fieldName is the JSON name of a struct field.
func fieldName(f reflect.StructField) string {
	name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
	if name == "" {
		return f.Name
	}
	return name
}
