package validate

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	structuralschema "k8s.io/apiextensions-apiserver/pkg/apiserver/schema"
	structuraldefaulting "k8s.io/apiextensions-apiserver/pkg/apiserver/schema/defaulting"
	structurallisttype "k8s.io/apiextensions-apiserver/pkg/apiserver/schema/listtype"
	schemaobjectmeta "k8s.io/apiextensions-apiserver/pkg/apiserver/schema/objectmeta"
	structuralpruning "k8s.io/apiextensions-apiserver/pkg/apiserver/schema/pruning"
	apiservervalidation "k8s.io/apiextensions-apiserver/pkg/apiserver/validation"
	apivalidation "k8s.io/apimachinery/pkg/api/validation"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	utilerrors "k8s.io/apimachinery/pkg/util/errors"
	utiljson "k8s.io/apimachinery/pkg/util/json"
	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/apimachinery/pkg/util/validation/field"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	celconfig "k8s.io/apiserver/pkg/apis/cel"
	"sigs.k8s.io/yaml"

	platformv1alpha1 "github.com/docuflow/docuflow-operator/api/v1alpha1"
)

// InvalidError reports every reason a manifest is not a valid DocuFlowStack,
// each naming the offending field the way the API server names it.
type InvalidError struct {
	// UnknownFields are the paths of fields the schema does not declare, such
	// as spec.database.multiAz; the API server refuses them under strict field
	// validation and drops them otherwise.
	UnknownFields []string
	// Fields are the values the type metadata checks, the object metadata
	// checks, the OpenAPI schema, the list types or the CEL rules reject.
	Fields field.ErrorList
}

// Errors returns one error per problem, unknown fields first, without
// duplicates, for callers that print them one per line.
func (e *InvalidError) Errors() []error {
	errs := make([]error, 0, len(e.UnknownFields)+len(e.Fields))
	seen := sets.New[string]()
	add := func(err error) {
		if msg := err.Error(); !seen.Has(msg) {
			seen.Insert(msg)
			errs = append(errs, err)
		}
	}
	for _, p := range e.UnknownFields {
		add(fmt.Errorf("%s: unknown field", p))
	}
	for _, fe := range e.Fields {
		add(fe)
	}
	return errs
}

// Error formats the problems as field.ErrorList.ToAggregate does: the single
// message, or all of them in brackets separated by commas.
func (e *InvalidError) Error() string {
	agg := utilerrors.NewAggregate(e.Errors())
	if agg == nil {
		return "invalid DocuFlowStack"
	}
	return agg.Error()
}

// Explain words an error of DocuFlowStack for a command line: an
// *InvalidError as "SOURCE is not a valid DocuFlowStack:" and one indented
// line per problem, anything else as "SOURCE: err".
func Explain(source string, err error) error {
	var invalid *InvalidError
	if errors.As(err, &invalid) {
		errs := invalid.Errors()
		lines := make([]string, 0, len(errs))
		for _, e := range errs {
			lines = append(lines, "  "+e.Error())
		}
		return fmt.Errorf("%s is not a valid DocuFlowStack:\n%s", source, strings.Join(lines, "\n"))
	}
	return fmt.Errorf("%s: %w", source, err)
}

// DocuFlowStack parses one YAML or JSON DocuFlowStack manifest and checks it
// as the API server checks a create: apiVersion and kind, metadata (a name is
// required), unknown fields, then, after the CRD's defaults are applied, the
// OpenAPI schema, list-set and list-map uniqueness and the CEL rules. It
// returns the defaulted stack, or an *InvalidError listing every problem.
// Status is dropped, as the status subresource makes the server do.
func DocuFlowStack(data []byte) (*platformv1alpha1.DocuFlowStack, error) {
	s, err := docuFlowStackSchema()
	if err != nil {
		return nil, err
	}
	obj, err := decodeOne(data)
	if err != nil {
		return nil, err
	}

	// Type metadata first, and alone, as customResourceValidator.Validate does:
	// nothing else means anything for another kind.
	if errs := s.validateTypeMeta(obj); len(errs) > 0 {
		return nil, &InvalidError{Fields: errs}
	}

	invalid := &InvalidError{}

	// Decoding: the schema coercer reads metadata strictly, prunes everything
	// else the schema does not declare and drops nulls the schema cannot hold.
	objectMeta, foundMeta, metaUnknown, err := schemaobjectmeta.GetObjectMetaWithOptions(obj, schemaobjectmeta.ObjectMetaOptions{ReturnUnknownFieldPaths: true})
	if err != nil {
		invalid.Fields = append(invalid.Fields, field.Invalid(field.NewPath("metadata"), obj["metadata"], err.Error()))
		return nil, invalid
	}
	invalid.UnknownFields = append(invalid.UnknownFields, metaUnknown...)
	invalid.UnknownFields = append(invalid.UnknownFields,
		structuralpruning.PruneWithOptions(obj, s.structural, true, structuralschema.UnknownFieldPathOptions{TrackUnknownFieldPaths: true})...)
	structuraldefaulting.PruneNonNullableNullsWithoutDefaults(obj, s.structural)
	if ferr, paths := schemaobjectmeta.CoerceWithOptions(nil, obj, s.structural, false, schemaobjectmeta.CoerceOptions{ReturnUnknownFieldPaths: true}); ferr != nil {
		invalid.Fields = append(invalid.Fields, ferr)
	} else {
		invalid.UnknownFields = append(invalid.UnknownFields, paths...)
	}
	if foundMeta {
		if err := schemaobjectmeta.SetObjectMeta(obj, objectMeta); err != nil {
			return nil, fmt.Errorf("normalising metadata: %w", err)
		}
	}

	// Decoding again: the unstructured defaulter applies the schema defaults.
	structuraldefaulting.Default(obj, s.structural)

	// PrepareForCreate: with a status subresource, create cannot set status.
	if s.hasStatus {
		delete(obj, "status")
	}

	// customResourceStrategy.Validate, in its order.
	if objectMeta == nil {
		invalid.Fields = append(invalid.Fields, field.Required(field.NewPath("metadata", "name"), "name or generateName is required"))
	} else {
		invalid.Fields = append(invalid.Fields, validateObjectMeta(objectMeta)...)
	}
	var errs field.ErrorList
	errs = append(errs, apiservervalidation.ValidateCustomResource(nil, obj, s.openAPI)...)
	errs = append(errs, schemaobjectmeta.Validate(context.Background(), nil, obj, s.structural, false)...)
	errs = append(errs, structurallisttype.ValidateListSetsAndMaps(nil, s.structural, obj)...)
	if s.cel != nil {
		if blocked, note := hasBlockingErr(append(invalid.Fields, errs...)); blocked {
			errs = append(errs, note)
		} else {
			celErrs, _ := s.cel.Validate(context.Background(), nil, s.structural, obj, nil, celconfig.RuntimeCELCostBudget)
			errs = append(errs, celErrs...)
		}
	}
	invalid.Fields = append(invalid.Fields, errs...)

	if len(invalid.UnknownFields) > 0 || len(invalid.Fields) > 0 {
		return nil, invalid
	}

	stack := &platformv1alpha1.DocuFlowStack{}
	if err := runtime.DefaultUnstructuredConverter.FromUnstructuredWithValidation(obj, stack, true); err != nil {
		return nil, fmt.Errorf("converting DocuFlowStack %s to its Go type: %w", stack.Name, err)
	}
	return stack, nil
}

// decodeOne reads exactly one YAML or JSON object; empty documents (a
// leading "---", comments only) do not count.
func decodeOne(data []byte) (map[string]any, error) {
	reader := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(data)))
	var objs []map[string]any
	for n := 1; ; n++ {
		doc, err := reader.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("reading document %d: %w", n, err)
		}
		// Strict like the API server under strict field validation: a key
		// written twice is an error, not a silent last-one-wins.
		j, err := yaml.YAMLToJSONStrict(doc)
		if err != nil {
			return nil, fmt.Errorf("parsing document %d: %w", n, err)
		}
		if t := bytes.TrimSpace(j); len(t) == 0 || string(t) == "null" {
			continue
		}
		if bytes.TrimSpace(j)[0] != '{' {
			return nil, fmt.Errorf("document %d is not an object: a DocuFlowStack manifest is a YAML or JSON object", n)
		}
		obj := map[string]any{}
		// utiljson keeps integers as int64, as the API server's decoder does.
		if err := utiljson.Unmarshal(j, &obj); err != nil {
			return nil, fmt.Errorf("parsing document %d: %w", n, err)
		}
		objs = append(objs, obj)
	}
	switch len(objs) {
	case 0:
		return nil, errors.New("no DocuFlowStack found: the input holds no YAML or JSON document")
	case 1:
		return objs[0], nil
	default:
		return nil, fmt.Errorf("found %d documents: want exactly one DocuFlowStack per file", len(objs))
	}
}

// validateTypeMeta mirrors customResourceValidator.ValidateTypeMeta, with a
// Required error when a field is missing rather than an empty Invalid value.
func (s *crdSchema) validateTypeMeta(obj map[string]any) field.ErrorList {
	var errs field.ErrorList
	wantAPIVersion := s.group + "/" + s.version
	check := func(name, want string) {
		got, found := obj[name]
		switch str, isString := got.(string); {
		case !found || got == nil || (isString && str == ""):
			errs = append(errs, field.Required(field.NewPath(name), "must be "+want))
		case !isString:
			errs = append(errs, field.Invalid(field.NewPath(name), got, "must be the string "+want))
		case str != want:
			errs = append(errs, field.Invalid(field.NewPath(name), str, "must be "+want))
		}
	}
	check("apiVersion", wantAPIVersion)
	check("kind", s.kind)
	return errs
}

// validateObjectMeta requires a name (a manifest to render cannot rely on
// generateName) and runs the API server's generic object metadata checks.
// The namespace usually comes from the request, so it is only checked when the
// manifest names one.
func validateObjectMeta(meta *metav1.ObjectMeta) field.ErrorList {
	errs := apivalidation.ValidateObjectMeta(meta, meta.Namespace != "", apivalidation.NameIsDNSSubdomain, field.NewPath("metadata"))
	if meta.Name == "" && meta.GenerateName != "" {
		errs = append(errs, field.Required(field.NewPath("metadata", "name"), "name is required: a manifest to render cannot rely on generateName"))
	}
	return errs
}

// hasBlockingErr mirrors the strategy's hasBlockingErr: after a type, enum,
// required, length or size violation the server skips the CEL rules, which
// could not evaluate sensibly, and says so.
func hasBlockingErr(errs field.ErrorList) (bool, *field.Error) {
	for _, err := range errs {
		switch err.Type {
		case field.ErrorTypeNotSupported, field.ErrorTypeRequired, field.ErrorTypeTooLong, field.ErrorTypeTooMany, field.ErrorTypeTypeInvalid:
			return true, field.Invalid(nil, nil, "some validation rules were not checked because the object was invalid; correct the existing errors to complete validation")
		}
	}
	return false, nil
}
