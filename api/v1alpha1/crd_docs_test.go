package v1alpha1_test

import (
	"os"
	"path/filepath"
	"sort"
	"testing"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"sigs.k8s.io/yaml"

	"github.com/docuflow/docuflow-operator/internal/controlplane"
)

// TestEveryFieldIsDocumented walks the generated CRD so that `kubectl explain`
// has a description for every field of spec and status.
func TestEveryFieldIsDocumented(t *testing.T) {
	root, err := controlplane.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(root, "config", "crd", "bases", "platform.docuflow.io_docuflowstacks.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	crd := &apiextensionsv1.CustomResourceDefinition{}
	if err := yaml.UnmarshalStrict(b, crd); err != nil {
		t.Fatal(err)
	}
	var undocumented []string
	var walk func(path string, s apiextensionsv1.JSONSchemaProps)
	walk = func(path string, s apiextensionsv1.JSONSchemaProps) {
		for name, p := range s.Properties {
			child := path + "." + name
			if p.Description == "" {
				undocumented = append(undocumented, child)
			}
			walk(child, p)
		}
		if s.Items != nil && s.Items.Schema != nil {
			walk(path+"[]", *s.Items.Schema)
		}
	}
	schema := crd.Spec.Versions[0].Schema.OpenAPIV3Schema
	walk("", schema.Properties["spec"])
	walk("", schema.Properties["status"])
	// Condition is Kubernetes' own type and documented upstream.
	sort.Strings(undocumented)
	if len(undocumented) > 0 {
		t.Errorf("fields without a description (kubectl explain shows nothing): %v", undocumented)
	}
	if len(schema.Properties["spec"].Properties) < 8 {
		t.Fatalf("the CRD spec has only %d top-level fields; is the file the generated one?", len(schema.Properties["spec"].Properties))
	}
}
