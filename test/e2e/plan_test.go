package e2e

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"sigs.k8s.io/yaml"

	platformv1alpha1 "github.com/docuflow/docuflow-operator/api/v1alpha1"
	"github.com/docuflow/docuflow-operator/internal/plan"
)

// planOf runs the operator's binary, `docuflow plan -f`, against the suite's
// cluster (the real ACK CRDs, the children as the real controllers wrote
// them) on the live stack changed by change, as a manifest a user would
// write. It returns the text, the JSON plan and the exit code, which the two
// runs must agree on.
func planOf(t *testing.T, stack *platformv1alpha1.DocuFlowStack, change func(*platformv1alpha1.DocuFlowStack)) (string, plan.Plan, int) {
	t.Helper()
	live := getStack(t, stack)
	manifest := &platformv1alpha1.DocuFlowStack{}
	manifest.APIVersion, manifest.Kind = platformv1alpha1.GroupVersion.String(), "DocuFlowStack"
	manifest.Name, manifest.Namespace = live.Name, live.Namespace
	manifest.Spec = *live.Spec.DeepCopy()
	if change != nil {
		change(manifest)
	}
	raw, err := yaml.Marshal(manifest)
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "stack.yaml")
	if err := os.WriteFile(file, raw, 0o600); err != nil {
		t.Fatal(err)
	}
	run := func(args ...string) (string, int) {
		cmd := exec.Command(suite.operator.bin, append([]string{"plan", "-f", file, "--kubeconfig", suite.operator.kubeconfig}, args...)...)
		var out, errOut bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errOut
		err := cmd.Run()
		var exit *exec.ExitError
		switch {
		case err == nil:
			return out.String(), 0
		case errors.As(err, &exit):
			if exit.ExitCode() == plan.ExitRefused {
				t.Logf("docuflow plan: %s", errOut.String())
			}
			return out.String(), exit.ExitCode()
		}
		t.Fatalf("running docuflow plan: %v\n%s", err, errOut.String())
		return "", 0
	}
	text, code := run()
	out, jsonCode := run("-o", "json")
	var p plan.Plan
	if err := json.Unmarshal([]byte(out), &p); err != nil {
		t.Fatalf("decoding the plan: %v\n%s", err, out)
	}
	if code != jsonCode {
		t.Errorf("the text plan exits %d, the JSON one %d", code, jsonCode)
	}
	t.Logf("docuflow plan, exit %d:\n%s", code, text)
	return text, p, code
}

// changeOf finds the change of a kind in a plan.
func changeOf(p plan.Plan, kind string) *plan.Change {
	for i := range p.Changes {
		if p.Changes[i].Kind == kind {
			return &p.Changes[i]
		}
	}
	return nil
}
