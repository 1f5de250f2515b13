package desired

import (
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"k8s.io/apiextensions-apiserver/pkg/apis/apiextensions"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apiextensions-apiserver/pkg/apiserver/validation"

	"github.com/docuflow/docuflow-operator/internal/ack/acktest"
	"github.com/docuflow/docuflow-operator/internal/writecheck"
)

// crdDir is the upstream ACK CRDs, copied unmodified from the controllers'
// releases: ACK_CRDS_DIR when set, else ../shared/ack/crds next to the
// repository, as the end-to-end suite finds them. (test/crds/ack is generated
// from the mirrors themselves, so validating against it would prove nothing.)
func crdDir(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("ACK_CRDS_DIR")
	if dir == "" {
		_, file, _, ok := runtime.Caller(0)
		if !ok {
			t.Fatal("cannot locate the test file")
		}
		dir = filepath.Join(filepath.Dir(file), "..", "..", "..", "shared", "ack", "crds")
	}
	if _, err := os.Stat(filepath.Join(dir, "VERSIONS")); err != nil {
		t.Fatalf("the upstream ACK CRDs are not at %s: set ACK_CRDS_DIR to the directory of the upstream controllers' CRDs (../shared/ack/crds next to the repository; its VERSIONS file lists the releases)", dir)
	}
	return dir
}

func TestRenderedObjectsPassTheUpstreamCRDSchemas(t *testing.T) {
	crds, err := acktest.LoadCRDs(crdDir(t))
	if err != nil {
		t.Fatalf("loading the ACK CRDs: %v", err)
	}
	validators := map[string]validation.SchemaValidator{}
	validatorFor := func(t *testing.T, group, kind string) validation.SchemaValidator {
		key := group + "/" + kind
		if v, ok := validators[key]; ok {
			return v
		}
		var crd *apiextensionsv1.CustomResourceDefinition
		for gk, c := range crds {
			if gk.Group == group && gk.Kind == kind {
				crd = c
			}
		}
		if crd == nil {
			t.Fatalf("no CRD for %s", key)
		}
		var schema *apiextensionsv1.JSONSchemaProps
		for _, v := range crd.Spec.Versions {
			if v.Name == "v1alpha1" && v.Schema != nil {
				schema = v.Schema.OpenAPIV3Schema
			}
		}
		if schema == nil {
			t.Fatalf("CRD %s has no v1alpha1 schema", key)
		}
		internal := &apiextensions.JSONSchemaProps{}
		if err := apiextensionsv1.Convert_v1_JSONSchemaProps_To_apiextensions_JSONSchemaProps(schema, internal, nil); err != nil {
			t.Fatalf("converting the schema of %s: %v", key, err)
		}
		v, _, err := validation.NewSchemaValidator(internal)
		if err != nil {
			t.Fatalf("building the validator of %s: %v", key, err)
		}
		validators[key] = v
		return v
	}

	for _, c := range stacksUnderTest() {
		t.Run("every object of "+c.name+" is valid under its CRD's OpenAPI schema", func(t *testing.T) {
			for _, o := range mustBuild(t, c.stack, observedAll()).Objects {
				u, err := writecheck.ToUnstructured(o)
				if err != nil {
					t.Fatal(err)
				}
				gvk := o.GetObjectKind().GroupVersionKind()
				v := validatorFor(t, gvk.Group, gvk.Kind)
				for _, e := range validation.ValidateCustomResource(nil, u.Object, v) {
					t.Errorf("%s %s: %v", gvk.Kind, o.GetName(), e)
				}
			}
		})
	}
}
