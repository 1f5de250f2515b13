//go:build conformance

package conformance

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/docuflow/docuflow-operator/internal/ack"
	"github.com/docuflow/docuflow-operator/internal/ack/acktest"
	"github.com/docuflow/docuflow-operator/internal/controlplane"
	"github.com/docuflow/docuflow-operator/internal/render"
	"github.com/docuflow/docuflow-operator/internal/validate"
	"github.com/docuflow/docuflow-operator/internal/writecheck"
)

// TestTheRenderedSampleConformsToUpstream renders the production sample, as
// `docuflow-dev render` does, and has the API server serving the upstream ACK CRDs
// accept every object with strict field validation.
func TestTheRenderedSampleConformsToUpstream(t *testing.T) {
	root, err := controlplane.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join(root, "config", "samples", "platform_v1alpha1_docuflowstack.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	stack, err := validate.DocuFlowStack(data)
	if err != nil {
		t.Fatal(err)
	}
	stack.Namespace = "default"
	objs, err := render.Stack(context.Background(), stack)
	if err != nil {
		t.Fatal(err)
	}
	crds, err := acktest.LoadCRDs(upstreamDir)
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[string]bool{}
	for _, o := range objs {
		gvks, _, err := ack.Scheme().ObjectKinds(o)
		if err != nil {
			t.Fatal(err)
		}
		gvk := gvks[0]
		kinds[gvk.Kind] = true
		crd := crds[gvk.GroupKind()]
		if crd == nil {
			t.Fatalf("no upstream CRD for %s", gvk.GroupKind())
		}
		u, err := writecheck.ToUnstructured(o)
		if err != nil {
			t.Fatal(err)
		}
		u.SetGroupVersionKind(gvk)
		res := schema.GroupVersionResource{Group: gvk.Group, Version: gvk.Version, Resource: crd.Spec.Names.Plural}
		if err := applyDryRun(context.Background(), res, u); err != nil {
			t.Errorf("upstream %s rejects rendered %s: %v", gvk.Kind, o.GetName(), err)
		}
	}
	t.Logf("%d rendered objects of %d kinds accepted by the upstream CRDs", len(objs), len(kinds))
	if len(kinds) < 20 {
		t.Errorf("the production sample rendered only %d kinds", len(kinds))
	}
}
