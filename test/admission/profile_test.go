package admission

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/docuflow/docuflow-operator/internal/desired"
)

// TestTheGuardRailPolicyKnowsTheProfileDefaults holds the instance classes
// the guard-rail policy assumes for a stack that leaves
// spec.database.instanceClass unset to the ones the operator applies.
func TestTheGuardRailPolicyKnowsTheProfileDefaults(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(root, "config", "policy", "guard_rails_policy.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range desired.ProfileTable() {
		if r.Field != "database.instanceClass" {
			continue
		}
		want := fmt.Sprintf("'production' ? '%s' : '%s'", r.Production, r.Development)
		if n := strings.Count(string(b), want); n != 2 {
			t.Errorf("the policy states the default instance classes (%s) %d times, want 2 (new and old object)", want, n)
		}
		return
	}
	t.Fatal("desired.ProfileTable has no database.instanceClass row")
}
