package render

import (
	"bytes"
	"context"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/docuflow/docuflow-operator/internal/controlplane"
	"github.com/docuflow/docuflow-operator/internal/validate"
)

var update = flag.Bool("update", false, "rewrite testdata/production.yaml from the current builders")

// TestTheProductionSampleMatchesTheGoldenFile renders the production sample
// and compares it with testdata/production.yaml, which reviewers read to see
// everything a production stack creates. Run with -update to accept changes.
func TestTheProductionSampleMatchesTheGoldenFile(t *testing.T) {
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
	stack.Namespace = "docuflow"
	objs, err := Stack(context.Background(), stack)
	if err != nil {
		t.Fatal(err)
	}
	got, err := YAML(objs)
	if err != nil {
		t.Fatal(err)
	}
	for _, forbidden := range []string{"\nstatus:", "creationTimestamp"} {
		if strings.Contains(string(got), forbidden) {
			t.Errorf("the rendered objects contain %q", strings.TrimSpace(forbidden))
		}
	}
	golden := filepath.Join("testdata", "production.yaml")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run 'go test ./internal/render -update' to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("the rendered production sample differs from %s; if the change is intended, run 'go test ./internal/render -update' and review the diff", golden)
	}
}

func TestRenderingIsDeterministic(t *testing.T) {
	root, _ := controlplane.RepoRoot()
	data, err := os.ReadFile(filepath.Join(root, "config", "samples", "platform_v1alpha1_docuflowstack.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var outs [2][]byte
	for i := range outs {
		stack, err := validate.DocuFlowStack(data)
		if err != nil {
			t.Fatal(err)
		}
		stack.Namespace = "docuflow"
		objs, err := Stack(context.Background(), stack)
		if err != nil {
			t.Fatal(err)
		}
		if outs[i], err = YAML(objs); err != nil {
			t.Fatal(err)
		}
	}
	if !bytes.Equal(outs[0], outs[1]) {
		t.Fatal("two renders of the same stack differ")
	}
}
