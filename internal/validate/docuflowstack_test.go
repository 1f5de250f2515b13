package validate

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/docuflow/docuflow-operator/internal/validate/validatetest"
)

// sampleFile is the production sample that envtest's validation test creates.
var sampleFile = filepath.Join("..", "..", "config", "samples", "platform_v1alpha1_docuflowstack.yaml")

// sample returns the production sample as a generic object, so cases can set
// values the Go types could not hold.
func sample(t *testing.T) map[string]any {
	t.Helper()
	return validatetest.Sample(t)
}

// development is the smallest stack a developer would write.
var development = validatetest.Development

// set writes value at a dotted path below obj, creating maps on the way.
var set = validatetest.Set

// unset removes the field at a dotted path below obj.
var unset = validatetest.Unset

// manifest renders obj as YAML, as a user would write it.
func manifest(t *testing.T, obj map[string]any) []byte {
	t.Helper()
	b, err := yaml.Marshal(obj)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestTheProductionSampleIsAcceptedAsWritten(t *testing.T) {
	b, err := os.ReadFile(sampleFile)
	if err != nil {
		t.Fatal(err)
	}
	stack, err := DocuFlowStack(b)
	if err != nil {
		t.Fatalf("rejected: %v", err)
	}
	if stack.Name != "docuflow-prod" || stack.Spec.Region != "us-east-1" || len(stack.Spec.Network.AvailabilityZones) != 3 {
		t.Errorf("the sample did not come back as written: %+v", stack.Spec)
	}
	if stack.APIVersion != "platform.docuflow.io/v1alpha1" || stack.Kind != "DocuFlowStack" {
		t.Errorf("type metadata = %s %s", stack.APIVersion, stack.Kind)
	}
}

func TestValidStacksAreAccepted(t *testing.T) {
	tests := []struct {
		name string
		obj  func() map[string]any
	}{
		{"the production sample without containerPort is accepted", func() map[string]any {
			o := sample(t)
			unset(o, "spec.service.containerPort")
			return o
		}},
		{"a minimal development stack is accepted", development},
		{"a development stack may use a single task and a small database", func() map[string]any {
			o := development()
			set(o, "spec.autoscaling.maxTasks", 1)
			set(o, "spec.database.instanceClass", "db.t4g.micro")
			return o
		}},
		{"a stack may delete its database when it says so explicitly", func() map[string]any {
			o := sample(t)
			set(o, "spec.database.deletionPolicy", "Delete")
			return o
		}},
		{"a stack may set a namespace", func() map[string]any {
			o := development()
			set(o, "metadata.namespace", "team-docs")
			return o
		}},
		{"status in the manifest is dropped, as on create", func() map[string]any {
			o := development()
			set(o, "status.url", "https://example.com")
			return o
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := DocuFlowStack(manifest(t, tt.obj())); err != nil {
				t.Fatalf("rejected: %v", err)
			}
		})
	}
}

// TestEdgeCasesOfEachRuleAreAccepted runs the valid variants that
// api/v1alpha1/validation_test.go creates on the real API server.
func TestEdgeCasesOfEachRuleAreAccepted(t *testing.T) {
	for _, v := range validatetest.GoodInputs() {
		t.Run(v.Name, func(t *testing.T) {
			obj := sample(t)
			v.Mutate(obj)
			if _, err := DocuFlowStack(manifest(t, obj)); err != nil {
				t.Fatalf("rejected: %v", err)
			}
		})
	}
}

func TestJSONIsAcceptedToo(t *testing.T) {
	b, err := json.Marshal(development())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := DocuFlowStack(b); err != nil {
		t.Fatalf("rejected: %v", err)
	}
}

func TestTheSampleWithoutContainerPortGetsTheDefault(t *testing.T) {
	o := sample(t)
	unset(o, "spec.service.containerPort")
	stack, err := DocuFlowStack(manifest(t, o))
	if err != nil {
		t.Fatal(err)
	}
	if stack.Spec.Service.ContainerPort != 8080 {
		t.Errorf("spec.service.containerPort = %d, want 8080", stack.Spec.Service.ContainerPort)
	}
}

// TestSchemaDefaultsFillAMinimalStack mirrors the envtest test of the same
// name: the same minimal stack, the same defaults.
func TestSchemaDefaultsFillAMinimalStack(t *testing.T) {
	stack, err := DocuFlowStack(manifest(t, development()))
	if err != nil {
		t.Fatal(err)
	}
	s := stack.Spec
	got := validatetest.DefaultsOf(s)
	want := validatetest.ExpectedDefaults()
	for k, w := range want {
		if got[k] != w {
			t.Errorf("default of spec.%s = %v, want %v", k, got[k], w)
		}
	}
	// Profile-dependent fields stay unset: the operator resolves them.
	if s.Database.MultiAZ != nil || s.Autoscaling.MinTasks != nil || s.Network.NATGateways != nil {
		t.Errorf("profile-dependent fields were defaulted by the schema: %v %v %v", s.Database.MultiAZ, s.Autoscaling.MinTasks, s.Network.NATGateways)
	}
}

// TestBadInputIsRejectedNamingTheField runs the create cases that
// api/v1alpha1/validation_test.go runs against the real API server: the same
// mutations of the production sample, the same field paths and message
// fragments. The type-metadata cases are checked here only: the API server
// never sees them, the client fails to map the kind first.
func TestBadInputIsRejectedNamingTheField(t *testing.T) {
	tests := append(validatetest.BadInputs(), []validatetest.Case{
		{Name: "a wrong kind", Mutate: func(o map[string]any) {
			o["kind"] = "DocuFlowStak"
		}, Field: "kind", Says: "must be DocuFlowStack"},
		{Name: "no kind", Mutate: func(o map[string]any) {
			delete(o, "kind")
		}, Field: "kind", Says: "Required value"},
		{Name: "a wrong apiVersion", Mutate: func(o map[string]any) {
			o["apiVersion"] = "platform.docuflow.io/v1beta1"
		}, Field: "apiVersion", Says: "must be platform.docuflow.io/v1alpha1"},
	}...)
	for _, tt := range tests {
		t.Run(tt.Name, func(t *testing.T) {
			obj := sample(t)
			tt.Mutate(obj)
			stack, err := DocuFlowStack(manifest(t, obj))
			expectRejection(t, stack, err, tt.Field, tt.Says)
		})
	}
}

func TestEveryProblemIsReported(t *testing.T) {
	obj := sample(t)
	set(obj, "spec.database.multiAz", true)
	set(obj, "spec.database.backupRetentionDays", 0)
	set(obj, "spec.service.containerPort", 65536)
	set(obj, "spec.autoscaling.minTasks", 30)
	_, err := DocuFlowStack(manifest(t, obj))
	var invalid *InvalidError
	if !errors.As(err, &invalid) {
		t.Fatalf("want an *InvalidError, got %v", err)
	}
	if got := len(invalid.Errors()); got != 4 {
		t.Errorf("got %d problems, want 4:\n%v", got, err)
	}
	for _, want := range []string{
		"spec.database.multiAz: unknown field",
		"spec.database.backupRetentionDays: Invalid value: 0: spec.database.backupRetentionDays in body should be greater than or equal to 1",
		"spec.service.containerPort: Invalid value: 65536:",
		"spec.autoscaling.minTasks: Invalid value: minTasks (2 by default in production, 1 in development) must not exceed maxTasks",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("the error does not contain %q:\n%v", want, err)
		}
	}
}

func TestMalformedInputIsRejectedBeforeValidation(t *testing.T) {
	valid, err := os.ReadFile(sampleFile)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		input string
		says  string
	}{
		{"two documents", string(valid) + "\n---\n" + string(valid), "found 2 documents"},
		{"an empty file", "", "no DocuFlowStack found"},
		{"only comments and separators", "# nothing\n---\n---\n", "no DocuFlowStack found"},
		{"a list instead of an object", "- a\n- b\n", "not an object"},
		{"a key written twice", "apiVersion: platform.docuflow.io/v1alpha1\nkind: DocuFlowStack\nkind: DocuFlowStack\n", "already set"},
		{"text that is not YAML", "spec: [unclosed\n", "parsing document 1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stack, err := DocuFlowStack([]byte(tt.input))
			if err == nil {
				t.Fatalf("accepted: %+v", stack)
			}
			if !strings.Contains(err.Error(), tt.says) {
				t.Errorf("the error does not say %q:\n%v", tt.says, err)
			}
		})
	}
}

func TestALeadingSeparatorIsOneDocument(t *testing.T) {
	if _, err := DocuFlowStack(append([]byte("---\n"), manifest(t, development())...)); err != nil {
		t.Fatalf("rejected: %v", err)
	}
}

func expectRejection(t *testing.T, stack any, err error, field, says string) {
	t.Helper()
	if err == nil {
		t.Fatalf("accepted; want a rejection naming %s: %+v", field, stack)
	}
	var invalid *InvalidError
	if !errors.As(err, &invalid) {
		t.Fatalf("want an *InvalidError naming %s, got %T: %v", field, err, err)
	}
	msg := err.Error()
	if !strings.Contains(msg, field+":") && !strings.Contains(msg, field+"[") {
		t.Errorf("the error does not name %s:\n%s", field, msg)
	}
	if !strings.Contains(msg, says) {
		t.Errorf("the error does not say %q:\n%s", says, msg)
	}
}

func TestExplainListsOneProblemPerLine(t *testing.T) {
	obj := sample(t)
	set(obj, "spec.database.backupRetentionDays", 0)
	set(obj, "spec.service.containerPort", 65536)
	_, err := DocuFlowStack(manifest(t, obj))
	lines := strings.Split(Explain("stack.yaml", err).Error(), "\n")
	if len(lines) != 3 || lines[0] != "stack.yaml is not a valid DocuFlowStack:" {
		t.Fatalf("want a heading and two problems, got:\n%s", strings.Join(lines, "\n"))
	}
	for _, l := range lines[1:] {
		if !strings.HasPrefix(l, "  spec.") {
			t.Errorf("problem line %q is not indented under the heading", l)
		}
	}
	_, err = DocuFlowStack([]byte("spec: [unclosed\n"))
	if got := Explain("stack.yaml", err); !strings.HasPrefix(got.Error(), "stack.yaml: ") || !errors.Is(got, err) {
		t.Errorf("a parse error is not wrapped with its source: %v", got)
	}
}
