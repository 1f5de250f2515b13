package engine

import (
	"encoding/json"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/argoproj/argo-cd/gitops-engine/v3/pkg/health"
	"github.com/argoproj/argo-cd/v3/util/lua"
	"github.com/argoproj/argo-cd/v3/util/settings"
	log "github.com/sirupsen/logrus"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/kubernetes/fake"
	"sigs.k8s.io/yaml"
)

var (
	// configDir is config/argocd, relative to this package.
	configDir = filepath.Join("..", "..", "..", "config", "argocd")
	// fixtureDir holds the stack states, shared with the gopher-lua test in
	// test/argocd; its README describes the format.
	fixtureDir = filepath.Join("..", "testdata", "health")
)

// stackGVK is the DocuFlowStack's kind; Argo CD files its overrides under
// group/kind.
var stackGVK = schema.GroupVersionKind{Group: "platform.docuflow.io", Version: "v1alpha1", Kind: "DocuFlowStack"}

// fixture is one file in fixtureDir.
type fixture struct {
	Name   string         `json:"name"`
	Health want           `json:"health"`
	ArgoCD *want          `json:"argoCD,omitempty"`
	Object map[string]any `json:"object"`
}

// want is an expected health: the exact status and substrings of the
// messages. An empty DeletionMessage means the script must set none.
type want struct {
	Status          string `json:"status"`
	Message         string `json:"message"`
	DeletionMessage string `json:"deletionMessage,omitempty"`
}

// readFixtures returns every fixture in file order; test/argocd checks that
// each object is a valid DocuFlowStack.
func readFixtures(t *testing.T) []fixture {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(fixtureDir, "*.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("listing %s: %d files, %v", fixtureDir, len(files), err)
	}
	var fixtures []fixture
	for _, file := range files {
		var f fixture
		if err := yaml.UnmarshalStrict(readFile(t, file), &f); err != nil {
			t.Fatalf("parsing %s: %v", file, err)
		}
		fixtures = append(fixtures, f)
	}
	return fixtures
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("reading %s: %v", path, err)
	}
	return b
}

// live returns the fixture's object as Argo CD's cluster cache holds it:
// unstructured, decoded from JSON, so integers are int64 as from the API
// server.
func (f fixture) live(t *testing.T) *unstructured.Unstructured {
	t.Helper()
	raw, err := json.Marshal(f.Object)
	if err != nil {
		t.Fatalf("encoding the object: %v", err)
	}
	obj := &unstructured.Unstructured{}
	if err := obj.UnmarshalJSON(raw); err != nil {
		t.Fatalf("decoding the object: %v", err)
	}
	return obj
}

func TestMain(m *testing.M) {
	// Argo CD's settings manager logs each informer start and stop at info,
	// which would bury a failure's own output.
	log.SetLevel(log.WarnLevel)
	os.Exit(m.Run())
}

// Argo CD's Lua VM with the standard libraries off, as for every check from
// argocd-cm unless resource.customizations.useOpenLibs says otherwise.
func TestArgoCDLuaVMReadsEveryStackState(t *testing.T) {
	script := string(readFile(t, filepath.Join(configDir, "health.lua")))
	for _, f := range readFixtures(t) {
		t.Run(f.Name, func(t *testing.T) {
			got, err := lua.VM{}.ExecuteHealthLua(f.live(t), script)
			if err != nil {
				t.Fatalf("running the health check: %v", err)
			}
			if got == nil {
				t.Fatal("the health check returned nothing")
			}
			if string(got.Status) != f.Health.Status {
				t.Errorf("status = %q (message %q), want %q", got.Status, got.Message, f.Health.Status)
			}
			if !strings.Contains(got.Message, f.Health.Message) {
				t.Errorf("message = %q, want it to contain %q", got.Message, f.Health.Message)
			}
			switch want := f.Health.DeletionMessage; {
			case want == "" && got.DeletionMessage != "":
				t.Errorf("deletionMessage = %q, want none", got.DeletionMessage)
			case !strings.Contains(got.DeletionMessage, want):
				t.Errorf("deletionMessage = %q, want it to contain %q", got.DeletionMessage, want)
			}
		})
	}
}

// overridesFromPatch reads argocd-cm-patch.yaml the way the Argo CD
// application controller reads argocd-cm: through its settings manager, over
// a fake API server holding the patch as the whole ConfigMap.
func overridesFromPatch(t *testing.T) lua.ResourceHealthOverrides {
	t.Helper()
	var cm corev1.ConfigMap
	if err := yaml.UnmarshalStrict(readFile(t, filepath.Join(configDir, "argocd-cm-patch.yaml")), &cm); err != nil {
		t.Fatalf("parsing argocd-cm-patch.yaml: %v", err)
	}
	// The settings manager finds only ConfigMaps labelled part-of argocd in
	// its own namespace; the patch must carry both to be read.
	mgr := settings.NewSettingsManager(t.Context(), fake.NewClientset(&cm), cm.Namespace)
	overrides, err := mgr.GetResourceOverrides()
	if err != nil {
		t.Fatalf("reading the resource overrides from argocd-cm: %v", err)
	}
	return overrides
}

func TestArgoCDLoadsTheHealthCheckFromArgoCDCM(t *testing.T) {
	overrides := overridesFromPatch(t)
	key := lua.GetConfigMapKey(stackGVK)
	override, ok := overrides[key]
	if !ok {
		t.Fatalf("argocd-cm has no override for %s; keys: %v", key, slices.Sorted(maps.Keys(overrides)))
	}
	if want := string(readFile(t, filepath.Join(configDir, "health.lua"))); override.HealthLua != want {
		t.Errorf("the health check Argo CD reads from argocd-cm differs from health.lua")
	}
	// Argo CD keeps the standard libraries closed as a security measure; the
	// check needs none of them and the other tests run it that way.
	if override.UseOpenLibs {
		t.Errorf("argocd-cm enables the Lua standard libraries for %s, want them off", key)
	}
	script, useOpenLibs, err := lua.VM{ResourceOverrides: overrides}.GetHealthScript(&unstructured.Unstructured{Object: map[string]any{
		"apiVersion": stackGVK.GroupVersion().String(), "kind": stackGVK.Kind,
	}})
	if err != nil || script != override.HealthLua || useOpenLibs {
		t.Errorf("GetHealthScript = (%d bytes, useOpenLibs %v, %v), want the argocd-cm script without open libraries", len(script), useOpenLibs, err)
	}
}

// The whole path of the application controller: the override from argocd-cm,
// then gitops-engine's handling of objects being deleted.
func TestArgoCDShowsEveryStackStateFromArgoCDCM(t *testing.T) {
	overrides := overridesFromPatch(t)
	for _, f := range readFixtures(t) {
		t.Run(f.Name, func(t *testing.T) {
			want := f.Health
			if f.ArgoCD != nil {
				want = *f.ArgoCD
			}
			got, err := health.GetResourceHealth(f.live(t), overrides)
			if err != nil {
				t.Fatalf("assessing health: %v", err)
			}
			if got == nil {
				t.Fatal("Argo CD found no health check for DocuFlowStack")
			}
			if string(got.Status) != want.Status {
				t.Errorf("status = %q (message %q), want %q", got.Status, got.Message, want.Status)
			}
			if !strings.Contains(got.Message, want.Message) {
				t.Errorf("message = %q, want it to contain %q", got.Message, want.Message)
			}
		})
	}
}
