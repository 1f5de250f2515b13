package validate

import (
	"fmt"
	"sync"

	"k8s.io/apiextensions-apiserver/pkg/apihelpers"
	apiextensionsinternal "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	structuralschema "k8s.io/apiextensions-apiserver/pkg/apiserver/schema"
	"k8s.io/apiextensions-apiserver/pkg/apiserver/schema/cel"
	structuraldefaulting "k8s.io/apiextensions-apiserver/pkg/apiserver/schema/defaulting"
	apiservervalidation "k8s.io/apiextensions-apiserver/pkg/apiserver/validation"
	celconfig "k8s.io/apiserver/pkg/apis/cel"
	"sigs.k8s.io/yaml"

	platformv1alpha1 "github.com/docuflow/docuflow-operator/api/v1alpha1"
	"github.com/docuflow/docuflow-operator/config/crd"
)

// crdSchema is what the API server derives from one version of a CRD to
// serve it: the structural schema (for pruning, defaulting, list types and
// CEL), the OpenAPI validator and the compiled CEL rules.
type crdSchema struct {
	group, version, kind string
	hasStatus            bool
	structural           *structuralschema.Structural
	openAPI              apiservervalidation.SchemaValidator
	cel                  *cel.Validator
}

// docuFlowStackSchema compiles the embedded CRD once; CEL compilation is the
// expensive part and the result never changes within a process.
var docuFlowStackSchema = sync.OnceValues(func() (*crdSchema, error) {
	return compile(crd.DocuFlowStack(), platformv1alpha1.GroupVersion.Version)
})

// compile mirrors the apiextensions-apiserver's crdHandler.getOrCreateServingInfoFor:
// v1 schema to internal, NewStructural, PruneDefaults, NewSchemaValidator, and
// the strategy's cel.NewValidator with the per-call cost limit.
func compile(crdYAML []byte, version string) (*crdSchema, error) {
	def := &apiextensionsv1.CustomResourceDefinition{}
	if err := yaml.UnmarshalStrict(crdYAML, def); err != nil {
		return nil, fmt.Errorf("reading the embedded CustomResourceDefinition: %w", err)
	}
	if def.Spec.PreserveUnknownFields {
		return nil, fmt.Errorf("CustomResourceDefinition %s preserves unknown fields; offline validation needs a structural schema", def.Name)
	}
	v1Validation, err := apihelpers.GetSchemaForVersion(def, version)
	if err != nil {
		return nil, fmt.Errorf("reading version %s of CustomResourceDefinition %s: %w", version, def.Name, err)
	}
	if v1Validation == nil || v1Validation.OpenAPIV3Schema == nil {
		return nil, fmt.Errorf("CustomResourceDefinition %s has no schema for version %s", def.Name, version)
	}
	internal := &apiextensionsinternal.CustomResourceValidation{}
	if err := apiextensionsv1.Convert_v1_CustomResourceValidation_To_apiextensions_CustomResourceValidation(v1Validation, internal, nil); err != nil {
		return nil, fmt.Errorf("converting the schema of CustomResourceDefinition %s to the internal version: %w", def.Name, err)
	}
	structural, err := structuralschema.NewStructural(internal.OpenAPIV3Schema)
	if err != nil {
		return nil, fmt.Errorf("building the structural schema of CustomResourceDefinition %s: %w", def.Name, err)
	}
	// The server copies before pruning defaults because NewStructural shares
	// default values with the internal schema.
	structural = structural.DeepCopy()
	if err := structuraldefaulting.PruneDefaults(structural); err != nil {
		return nil, fmt.Errorf("pruning the defaults of CustomResourceDefinition %s: %w", def.Name, err)
	}
	openAPI, _, err := apiservervalidation.NewSchemaValidator(internal.OpenAPIV3Schema)
	if err != nil {
		return nil, fmt.Errorf("building the OpenAPI validator of CustomResourceDefinition %s: %w", def.Name, err)
	}
	subresources, err := apihelpers.GetSubresourcesForVersion(def, version)
	if err != nil {
		return nil, fmt.Errorf("reading the subresources of CustomResourceDefinition %s: %w", def.Name, err)
	}
	return &crdSchema{
		group:      def.Spec.Group,
		version:    version,
		kind:       def.Spec.Names.Kind,
		hasStatus:  subresources != nil && subresources.Status != nil,
		structural: structural,
		openAPI:    openAPI,
		cel:        cel.NewValidator(structural, true, celconfig.PerCallLimit),
	}, nil
}
