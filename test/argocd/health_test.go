package argocd

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"

	platformv1alpha1 "github.com/docuflow/docuflow-operator/api/v1alpha1"
)

// fixtureDir holds one file per stack state, shared with the test on Argo
// CD's own engine in ./engine; its README describes the format.
var fixtureDir = filepath.Join("testdata", "health")

// healthFixture is one file in fixtureDir.
type healthFixture struct {
	// Name is the test case's name, a sentence.
	Name string `json:"name"`
	// Health is what health.lua returns for Object.
	Health wantHealth `json:"health"`
	// ArgoCD is what Argo CD shows when it differs from Health; only the
	// engine test reads it.
	ArgoCD *wantHealth `json:"argoCD,omitempty"`
	// Object is the DocuFlowStack, kept as decoded YAML so a missing status
	// stays missing.
	Object map[string]any `json:"object"`
}

// wantHealth is an expected health: the exact status and substrings of the
// messages. An empty DeletionMessage means the script must set none.
type wantHealth struct {
	Status          string `json:"status"`
	Message         string `json:"message"`
	DeletionMessage string `json:"deletionMessage,omitempty"`
}

// readFixtures returns every fixture in fixtureDir in file order, checking
// that each object is a DocuFlowStack the API would accept field for field.
func readFixtures(t *testing.T) []healthFixture {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(fixtureDir, "*.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("listing %s: %d files, %v", fixtureDir, len(files), err)
	}
	fixtures := make([]healthFixture, 0, len(files))
	names := map[string]bool{}
	for _, file := range files {
		b, err := os.ReadFile(file)
		if err != nil {
			t.Fatalf("reading %s: %v", file, err)
		}
		var f healthFixture
		if err := yaml.UnmarshalStrict(b, &f); err != nil {
			t.Fatalf("parsing %s: %v", file, err)
		}
		if f.Name == "" || f.Health.Status == "" || f.Object == nil {
			t.Fatalf("%s: name, health.status and object are required", file)
		}
		// Strict into the Go type: a misspelt field (observedGenration) would
		// otherwise drop out and the case would test something else.
		raw, err := json.Marshal(f.Object)
		if err != nil {
			t.Fatalf("%s: encoding the object: %v", file, err)
		}
		var stack platformv1alpha1.DocuFlowStack
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&stack); err != nil {
			t.Fatalf("%s: the object is no DocuFlowStack: %v", file, err)
		}
		if stack.APIVersion != platformv1alpha1.GroupVersion.String() || stack.Kind != "DocuFlowStack" {
			t.Fatalf("%s: the object is %s %s, want %s DocuFlowStack", file, stack.APIVersion, stack.Kind, platformv1alpha1.GroupVersion)
		}
		if names[f.Name] {
			t.Fatalf("%s: another fixture is also named %q", file, f.Name)
		}
		names[f.Name] = true
		fixtures = append(fixtures, f)
	}
	return fixtures
}

func TestHealthCheckReadsEveryStackState(t *testing.T) {
	script := readHealthScript(t)
	for _, f := range readFixtures(t) {
		t.Run(f.Name, func(t *testing.T) {
			got := runHealth(t, script, f.Object)
			if got.Status != f.Health.Status {
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

// Every state of the status contract keeps a fixture, so a file deleted by
// mistake cannot shrink what both health-check tests cover.
func TestHealthFixturesCoverEveryStackState(t *testing.T) {
	for _, state := range []string{
		"new", "converging", "ready", "stale-generation", "stalled",
		"suspended", "suspended-by-spec", "deleting",
	} {
		if _, err := os.Stat(filepath.Join(fixtureDir, state+".yaml")); err != nil {
			t.Errorf("no fixture for the %s state: %v", state, err)
		}
	}
}
