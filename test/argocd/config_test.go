package argocd

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/yaml"

	platformv1alpha1 "github.com/docuflow/docuflow-operator/api/v1alpha1"
)

func readConfig(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(configDir, name))
	if err != nil {
		t.Fatalf("reading %s: %v", name, err)
	}
	return b
}

func TestArgoCDConfigMapInlinesHealthScriptVerbatim(t *testing.T) {
	var cm corev1.ConfigMap
	// Strict, so a misspelt field in the patch fails here rather than being
	// dropped silently when it is applied.
	if err := yaml.UnmarshalStrict(readConfig(t, "argocd-cm-patch.yaml"), &cm); err != nil {
		t.Fatalf("parsing argocd-cm-patch.yaml: %v", err)
	}
	if cm.Kind != "ConfigMap" || cm.Name != "argocd-cm" {
		t.Fatalf("patch targets %s %q, want ConfigMap \"argocd-cm\"", cm.Kind, cm.Name)
	}

	// Argo CD's documented key: resource.customizations.health.<group>_<kind>.
	key := "resource.customizations.health." + platformv1alpha1.GroupVersion.Group + "_DocuFlowStack"
	if len(cm.Data) != 1 {
		t.Errorf("patch sets %d keys, want only %s so it touches no other Argo CD setting", len(cm.Data), key)
	}
	inlined, ok := cm.Data[key]
	if !ok {
		t.Fatalf("patch has no key %s", key)
	}
	want := readHealthScript(t)
	if inlined == want {
		return
	}
	gotLines, wantLines := strings.Split(inlined, "\n"), strings.Split(want, "\n")
	for i := range max(len(gotLines), len(wantLines)) {
		var g, w string
		if i < len(gotLines) {
			g = gotLines[i]
		}
		if i < len(wantLines) {
			w = wantLines[i]
		}
		if g != w {
			t.Fatalf("argocd-cm-patch.yaml drifted from health.lua at line %d:\n inlined: %q\n  health: %q\nre-inline health.lua, indented four spaces", i+1, g, w)
		}
	}
	t.Fatalf("argocd-cm-patch.yaml drifted from health.lua (%d vs %d bytes)", len(inlined), len(want))
}

// application is the part of an Argo CD Application this repository's example
// has an opinion about.
type application struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Metadata   struct {
		Name        string            `json:"name"`
		Finalizers  []string          `json:"finalizers"`
		Annotations map[string]string `json:"annotations"`
	} `json:"metadata"`
	Spec struct {
		Source struct {
			RepoURL string `json:"repoURL"`
			Path    string `json:"path"`
		} `json:"source"`
		Destination struct {
			Namespace string `json:"namespace"`
		} `json:"destination"`
		SyncPolicy struct {
			Automated *struct {
				Prune    bool `json:"prune"`
				SelfHeal bool `json:"selfHeal"`
			} `json:"automated"`
			SyncOptions []string `json:"syncOptions"`
		} `json:"syncPolicy"`
	} `json:"spec"`
}

func TestExampleApplicationSyncsTheProdStack(t *testing.T) {
	var app application
	if err := yaml.Unmarshal(readConfig(t, "application.yaml"), &app); err != nil {
		t.Fatalf("parsing application.yaml: %v", err)
	}
	gv, err := schema.ParseGroupVersion(app.APIVersion)
	if err != nil {
		t.Fatalf("parsing apiVersion %q: %v", app.APIVersion, err)
	}
	automated := app.Spec.SyncPolicy.Automated != nil
	opts := app.Spec.SyncPolicy.SyncOptions

	tests := []struct {
		name string
		ok   bool
		got  any
	}{
		{"it is an argoproj.io/v1alpha1 Application", gv.Group == "argoproj.io" && gv.Version == "v1alpha1" && app.Kind == "Application", app.APIVersion + " " + app.Kind},
		{"it reads the placeholder platform repository", app.Spec.Source.RepoURL == "https://git.example.com/platform/docuflow-stacks.git", app.Spec.Source.RepoURL},
		{"it reads stacks/prod", app.Spec.Source.Path == "stacks/prod", app.Spec.Source.Path},
		{"it deploys into docuflow-prod", app.Spec.Destination.Namespace == "docuflow-prod", app.Spec.Destination.Namespace},
		{"it syncs automatically with prune and self-heal", automated && app.Spec.SyncPolicy.Automated.Prune && app.Spec.SyncPolicy.Automated.SelfHeal, app.Spec.SyncPolicy.Automated},
		{"it applies server-side", slices.Contains(opts, "ServerSideApply=true"), opts},
		// Argo CD 3.6 diffs server-side because of ServerSideApply=true, so the
		// CRD's defaults never show as drift; only this annotation turns it off.
		{"it keeps the server-side diff", !strings.Contains(app.Metadata.Annotations["argocd.argoproj.io/compare-options"], "ServerSideDiff=false"), app.Metadata.Annotations},
		{"it creates the namespace", slices.Contains(opts, "CreateNamespace=true"), opts},
		{"it never replaces, which would drop the operator's finalizer", !slices.Contains(opts, "Replace=true"), opts},
		{"deleting the Application does not cascade to the AWS environment", !slices.Contains(app.Metadata.Finalizers, "resources-finalizer.argocd.argoproj.io"), app.Metadata.Finalizers},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !tt.ok {
				t.Errorf("got %v", tt.got)
			}
		})
	}
}
