package main

import (
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// kubernetesModules returns the module paths that belong to Kubernetes
// (k8s.io) or its SIGs (sigs.k8s.io).
func kubernetesModules(paths []string) []string {
	var found []string
	for _, p := range paths {
		if strings.HasPrefix(p, "k8s.io/") || strings.HasPrefix(p, "sigs.k8s.io/") {
			found = append(found, p)
		}
	}
	return found
}

// TestTheAppModuleNeedsNoKubernetesModule lists the app module's whole module
// graph, which is what a bill of materials made from go.mod and go.sum shows,
// and refuses every Kubernetes module: the app is a module of its own so that
// the operator's dependencies stay out of it (security review, L7). The
// listing must be the app module's, with its database driver in it, so that a
// wrong working directory or an empty answer cannot pass.
func TestTheAppModuleNeedsNoKubernetesModule(t *testing.T) {
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Path}}", "all").Output()
	if err != nil {
		t.Fatalf("go list -m all: %v", err)
	}
	mods := strings.Fields(string(out))
	if len(mods) == 0 || mods[0] != "github.com/docuflow/docuflow-operator/app" || !slices.Contains(mods, "github.com/jackc/pgx/v5") {
		t.Fatalf("go list -m all is not the app module's graph:\n%s", out)
	}
	if got := kubernetesModules(mods); len(got) > 0 {
		t.Errorf("the app module needs Kubernetes modules %v: find the import that brings them (go mod why -m %s) and remove it", got, got[0])
	}
	if got := kubernetesModules([]string{"k8s.io/api", "github.com/example/k8s.io-tools", "sigs.k8s.io/yaml"}); !slices.Equal(got, []string{"k8s.io/api", "sigs.k8s.io/yaml"}) {
		t.Errorf("kubernetesModules finds %v in a listing with k8s.io/api and sigs.k8s.io/yaml", got)
	}
}
