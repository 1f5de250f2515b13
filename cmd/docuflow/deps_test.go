package main

import (
	"os/exec"
	"strings"
	"testing"
)

// simulationPackages are what only tests and cmd/docuflow-dev may link: the
// simulated ACK, the real controllers' harness, the embedded control plane
// and controller-runtime's test kits.
var simulationPackages = []string{
	"github.com/docuflow/docuflow-operator/internal/acksim",
	"github.com/docuflow/docuflow-operator/internal/realack",
	"github.com/docuflow/docuflow-operator/internal/controlplane",
	"github.com/docuflow/docuflow-operator/internal/envtestutil",
	"sigs.k8s.io/controller-runtime/pkg/envtest",
	"sigs.k8s.io/controller-runtime/pkg/client/fake",
}

// TestTheShippedBinaryLinksOnlyTheOperator lists what the image's binary
// links (the packages go build compiles into it, tests aside) and refuses
// every simulation package; cmd/docuflow-dev, which does link them, shows
// the check can fail.
func TestTheShippedBinaryLinksOnlyTheOperator(t *testing.T) {
	deps := func(pkg string) []string {
		out, err := exec.Command("go", "list", "-deps", pkg).Output()
		if err != nil {
			t.Fatalf("go list -deps %s: %v", pkg, err)
		}
		return strings.Fields(string(out))
	}
	linked := func(all []string) []string {
		var found []string
		for _, d := range all {
			for _, p := range simulationPackages {
				if d == p {
					found = append(found, d)
				}
			}
		}
		return found
	}
	if got := linked(deps("github.com/docuflow/docuflow-operator/cmd/docuflow")); len(got) > 0 {
		t.Errorf("cmd/docuflow links %v", got)
	}
	if got := linked(deps("github.com/docuflow/docuflow-operator/cmd/docuflow-dev")); len(got) < 3 {
		t.Errorf("cmd/docuflow-dev links only %v of the simulation packages: the check would not see them", got)
	}
}
