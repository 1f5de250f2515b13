package desired

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"reflect"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"

	"k8s.io/apimachinery/pkg/runtime"

	"github.com/docuflow/docuflow-operator/internal/ack"
	"github.com/docuflow/docuflow-operator/internal/ack/core"
	"github.com/docuflow/docuflow-operator/internal/writecheck"
)

// Annotations the operator writes on children to remember what it applied;
// package apply reads them to decide whether to write.
const (
	// AnnotationAppliedHash is the hash of the child's render (RenderHash).
	AnnotationAppliedHash = writecheck.AnnotationAppliedHash
	// AnnotationAppliedAt is when the operator last applied the child.
	AnnotationAppliedAt = writecheck.AnnotationAppliedAt
	// AnnotationReadOnly is ACK's read-only switch: ACK reads the resource
	// from AWS into the status but never updates it. The operator holds
	// the ECS Service read-only between its own deliberate changes, so that
	// neither a resync nor a restart of the ECS controller resets the task
	// count Application Auto Scaling chose or undoes a circuit-breaker
	// rollback (ecs-controller 1.2.1 has no ignore-field-drift).
	AnnotationReadOnly = writecheck.AnnotationReadOnly
)

// unhashed are the annotations that are not part of a render: the hash itself,
// the time of the write, and ACK's read-only switch, which the operator sets
// and lifts around a deliberate change without the change being one.
var unhashed = []string{AnnotationAppliedHash, AnnotationAppliedAt, AnnotationReadOnly}

// volatile are the spec fields of a kind that the operator writes but does not
// hash: values it carries from AWS (the ECS service's desired count, which
// Application Auto Scaling moves) rather than decides.
var volatile = map[string][]string{
	"Service": {"desiredCount"},
}

// RenderHash returns the hash of a child's render: its labels, its
// annotations but the unhashed ones, and its spec without the volatile
// fields. Two renders hash equally exactly when applying one over the other
// would change nothing the operator decides.
//
// The hashed bytes are those of encoding/json marshalling the render's
// unstructured form (keys sorted); hashJSON writes the same bytes straight
// from the typed spec, which a pass does for every child, at a tenth of the
// cost. TestRenderHashMatchesTheUnstructuredEncoding holds the two equal:
// a different byte would make every child of every stack look changed, and
// be written again, after an upgrade.
func RenderHash(obj core.Object) string {
	ann := make(map[string]string, len(obj.GetAnnotations()))
	for k, v := range obj.GetAnnotations() {
		ann[k] = v
	}
	for _, k := range unhashed {
		delete(ann, k)
	}
	spec := reflect.ValueOf(obj).Elem().FieldByName("Spec")
	if !spec.IsValid() || !fastEncodable(spec.Type()) {
		return renderHashUnstructured(obj, ann)
	}
	e := &hashEncoder{buf: make([]byte, 0, 2048), skip: volatile[ack.KindOf(obj)]}
	e.buf = append(e.buf, `{"annotations":`...)
	e.value(reflect.ValueOf(ann), false)
	e.buf = append(e.buf, `,"labels":`...)
	e.value(reflect.ValueOf(obj.GetLabels()), false)
	e.buf = append(e.buf, `,"spec":`...)
	e.value(spec, true)
	e.buf = append(e.buf, '}')
	sum := sha256.Sum256(e.buf)
	return hex.EncodeToString(sum[:16])
}

// renderHashUnstructured is RenderHash through the unstructured form, for a
// spec of a type hashEncoder does not cover.
func renderHashUnstructured(obj core.Object, ann map[string]string) string {
	u, err := runtime.DefaultUnstructuredConverter.ToUnstructured(obj)
	if err != nil {
		panic("converting a rendered " + ack.KindOf(obj) + " to unstructured: " + err.Error())
	}
	spec, _ := u["spec"].(map[string]any)
	if fields := volatile[ack.KindOf(obj)]; len(fields) > 0 && spec != nil {
		trimmed := make(map[string]any, len(spec))
		for k, v := range spec {
			trimmed[k] = v
		}
		for _, f := range fields {
			delete(trimmed, f)
		}
		spec = trimmed
	}
	raw, err := json.Marshal(map[string]any{"labels": obj.GetLabels(), "annotations": ann, "spec": spec})
	if err != nil {
		panic("encoding a rendered " + ack.KindOf(obj) + ": " + err.Error())
	}
	sum := sha256.Sum256(raw)
	return hex.EncodeToString(sum[:16])
}

// hashEncoder writes a typed value as encoding/json writes the value
// runtime.DefaultUnstructuredConverter makes of it: struct fields by their
// JSON names in sorted order, omitempty as the converter reads it, nil
// pointers, slices and maps as null.
type hashEncoder struct {
	buf []byte
	// skip are top-level spec fields left out (the volatile ones).
	skip []string
}

// jsonField is one struct field as the converter sees it.
type jsonField struct {
	name      string
	index     []int
	omitempty bool
}

var jsonFields sync.Map // reflect.Type -> []jsonField, sorted by name

// fieldsOf returns a struct type's fields by JSON name, inlined fields
// flattened, sorted as encoding/json sorts map keys.
func fieldsOf(t reflect.Type) []jsonField {
	if f, ok := jsonFields.Load(t); ok {
		return f.([]jsonField)
	}
	var out []jsonField
	var walk func(t reflect.Type, prefix []int)
	walk = func(t reflect.Type, prefix []int) {
		for i := range t.NumField() {
			f := t.Field(i)
			tag, ok := f.Tag.Lookup("json")
			name, opts, _ := strings.Cut(tag, ",")
			idx := append(append([]int(nil), prefix...), i)
			switch {
			case name == "-":
				continue
			case (!ok || tag == "") && f.Anonymous:
				walk(f.Type, idx)
				continue
			case ok && name == "" && (f.Anonymous || strings.Contains(","+opts+",", ",inline,")):
				walk(f.Type, idx)
				continue
			case name == "":
				name = f.Name
			}
			out = append(out, jsonField{name: name, index: idx, omitempty: strings.Contains(","+opts+",", ",omitempty,")})
		}
	}
	walk(t, nil)
	sort.Slice(out, func(i, j int) bool { return out[i].name < out[j].name })
	jsonFields.Store(t, out)
	return out
}

var fastTypes sync.Map // reflect.Type -> bool

// fastEncodable reports whether hashEncoder covers every type a value of t
// can hold: strings, bools, integers, floats, pointers, slices, string-keyed
// maps and structs without a custom conversion (no json.Marshaler, no
// omitzero, no anonymous struct pointer).
func fastEncodable(t reflect.Type) bool {
	if v, ok := fastTypes.Load(t); ok {
		return v.(bool)
	}
	out := encodable(t, map[reflect.Type]bool{})
	fastTypes.Store(t, out)
	return out
}

var (
	marshalerType = reflect.TypeFor[json.Marshaler]()
	converterType = reflect.TypeFor[interface{ ToUnstructured() any }]()
)

// custom reports whether the converter hands a value of type t to the
// type's own conversion.
func custom(t reflect.Type) bool {
	for _, c := range []reflect.Type{t, reflect.PointerTo(t)} {
		if c.Implements(marshalerType) || c.Implements(converterType) {
			return true
		}
	}
	return false
}

func encodable(t reflect.Type, seen map[reflect.Type]bool) bool {
	if seen[t] {
		return true
	}
	seen[t] = true
	if custom(t) {
		return false
	}
	switch t.Kind() {
	case reflect.String, reflect.Bool, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64, reflect.Float32, reflect.Float64:
		return true
	case reflect.Pointer:
		return encodable(t.Elem(), seen)
	case reflect.Slice:
		return t.Elem().Kind() != reflect.Uint8 && encodable(t.Elem(), seen)
	case reflect.Map:
		return t.Key().Kind() == reflect.String && encodable(t.Elem(), seen)
	case reflect.Struct:
		for i := range t.NumField() {
			f := t.Field(i)
			name, opts, _ := strings.Cut(f.Tag.Get("json"), ",")
			opts = "," + opts + ","
			// Left to the converter: omitzero, embedding by pointer or of a
			// non-struct, and inlining by tag, whose reading differs
			// between apimachinery's Go-version builds.
			if strings.Contains(opts, ",omitzero,") || strings.Contains(opts, ",inline,") || strings.Contains(opts, ",embed,") ||
				(f.Anonymous && (f.Type.Kind() != reflect.Struct || name != "")) || !f.IsExported() {
				return false
			}
			if !encodable(f.Type, seen) {
				return false
			}
		}
		names := fieldsOf(t)
		for i := 1; i < len(names); i++ {
			if names[i].name == names[i-1].name {
				return false // two fields under one JSON name
			}
		}
		return true
	}
	return false
}

// value writes v; top is set for the spec itself, whose volatile fields are
// skipped.
func (e *hashEncoder) value(v reflect.Value, top bool) {
	switch v.Kind() {
	case reflect.String:
		e.string(v.String())
	case reflect.Bool:
		e.buf = strconv.AppendBool(e.buf, v.Bool())
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		e.buf = strconv.AppendInt(e.buf, v.Int(), 10)
	case reflect.Float32, reflect.Float64:
		raw, err := json.Marshal(v.Float())
		if err != nil {
			panic("encoding a float of a render: " + err.Error())
		}
		e.buf = append(e.buf, raw...)
	case reflect.Pointer:
		if v.IsNil() {
			e.buf = append(e.buf, "null"...)
			return
		}
		e.value(v.Elem(), top)
	case reflect.Slice:
		if v.IsNil() {
			e.buf = append(e.buf, "null"...)
			return
		}
		e.buf = append(e.buf, '[')
		for i := range v.Len() {
			if i > 0 {
				e.buf = append(e.buf, ',')
			}
			e.value(v.Index(i), false)
		}
		e.buf = append(e.buf, ']')
	case reflect.Map:
		if v.IsNil() {
			e.buf = append(e.buf, "null"...)
			return
		}
		keys := make([]string, 0, v.Len())
		for _, k := range v.MapKeys() {
			keys = append(keys, k.String())
		}
		sort.Strings(keys)
		e.buf = append(e.buf, '{')
		for i, k := range keys {
			if i > 0 {
				e.buf = append(e.buf, ',')
			}
			e.string(k)
			e.buf = append(e.buf, ':')
			e.value(v.MapIndex(reflect.ValueOf(k).Convert(v.Type().Key())), false)
		}
		e.buf = append(e.buf, '}')
	case reflect.Struct:
		e.buf = append(e.buf, '{')
		first := true
		for _, f := range fieldsOf(v.Type()) {
			if top && slices.Contains(e.skip, f.name) {
				continue
			}
			fv := v.FieldByIndex(f.index)
			if f.omitempty && emptyValue(fv) {
				continue
			}
			if fv.Kind() == reflect.Pointer && fv.IsNil() && !f.omitempty {
				// The converter stores a nil pointer's key with no value:
				// encoded as null, like the others.
				fv = reflect.Value{}
			}
			if !first {
				e.buf = append(e.buf, ',')
			}
			first = false
			e.string(f.name)
			e.buf = append(e.buf, ':')
			if !fv.IsValid() {
				e.buf = append(e.buf, "null"...)
				continue
			}
			e.value(fv, false)
		}
		e.buf = append(e.buf, '}')
	default:
		panic("encoding a render: unexpected kind " + v.Kind().String())
	}
}

// emptyValue is the converter's omitempty test.
func emptyValue(v reflect.Value) bool {
	switch v.Kind() {
	case reflect.Array, reflect.String:
		return v.Len() == 0
	case reflect.Bool:
		return !v.Bool()
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return v.Int() == 0
	case reflect.Float32, reflect.Float64:
		return v.Float() == 0
	case reflect.Map, reflect.Slice:
		return v.IsNil() || v.Len() == 0
	case reflect.Pointer, reflect.Interface:
		return v.IsNil()
	}
	return false
}

// string writes a JSON string as encoding/json does: a string with nothing
// to escape is copied, any other goes through encoding/json itself.
func (e *hashEncoder) string(s string) {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' || c >= 0x80 {
			raw, err := json.Marshal(s)
			if err != nil {
				panic("encoding a string of a render: " + err.Error())
			}
			e.buf = append(e.buf, raw...)
			return
		}
	}
	e.buf = append(e.buf, '"')
	e.buf = append(e.buf, s...)
	e.buf = append(e.buf, '"')
}

// markHashes writes AnnotationAppliedHash on every rendered object. It runs
// last, once every other annotation is in place.
func markHashes(objs []core.Object) {
	for _, o := range objs {
		setAnnotation(o, AnnotationAppliedHash, RenderHash(o))
	}
}
