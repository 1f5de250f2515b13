package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/docuflow/docuflow-operator/internal/cost"
	"github.com/docuflow/docuflow-operator/internal/validate"
)

func writeManifest(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "stack.yaml")
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

const minimal = `apiVersion: platform.docuflow.io/v1alpha1
kind: DocuFlowStack
metadata: {name: dev}
spec:
  region: eu-west-1
  profile: development
  network: {availabilityZones: [eu-west-1a, eu-west-1b]}
  service: {image: "public.ecr.aws/docuflow/api:1.4.2"}
  loadBalancer: {insecureHTTPOnly: true}
`

func TestRenderRejectsBadInputNamingTheField(t *testing.T) {
	tests := []struct {
		name     string
		manifest string
		says     string
	}{
		{"an unknown field", strings.Replace(minimal, "profile: development", "profile: development\n  colour: blue", 1), "spec.colour: unknown field"},
		{"the wrong kind", strings.Replace(minimal, "kind: DocuFlowStack", "kind: ConfigMap", 1), "kind"},
		{"a value the CRD rejects", strings.Replace(minimal, "region: eu-west-1", "region: EU", 1), "spec.region"},
		{"a CEL rule the CRD enforces", strings.Replace(minimal, "profile: development", "profile: production", 1), "spec.loadBalancer.insecureHTTPOnly"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			err := runRender([]string{"-f", writeManifest(t, tt.manifest)}, &out, &errOut)
			if err == nil {
				t.Fatalf("rendered bad input:\n%s", out.String())
			}
			if !strings.Contains(err.Error(), tt.says) {
				t.Fatalf("error does not name %q: %v", tt.says, err)
			}
			if out.Len() != 0 {
				t.Errorf("printed objects for bad input")
			}
		})
	}
}

func TestRenderPrintsEveryObjectOfADevelopmentStack(t *testing.T) {
	var out, errOut bytes.Buffer
	if err := runRender([]string{"-f", writeManifest(t, minimal)}, &out, &errOut); err != nil {
		t.Fatal(err)
	}
	docs := strings.Split(out.String(), "\n---\n")
	if len(docs) < 20 {
		t.Fatalf("%d objects rendered, want the whole stack", len(docs))
	}
	for _, kind := range []string{"VPC", "DBInstance", "LoadBalancer", "Listener", "TaskDefinition", "Service", "ScalableTarget", "ScalingPolicy"} {
		if !strings.Contains(out.String(), "kind: "+kind+"\n") {
			t.Errorf("no %s rendered", kind)
		}
	}
	if strings.Contains(out.String(), "\nstatus:") {
		t.Error("rendered objects carry status")
	}
}

// TestRenderCostPrintsOnlyTheEstimate runs render --cost on the development
// stack: the table of the estimate, its total that of internal/cost (whose
// tests compute it by hand), and no objects.
func TestRenderCostPrintsOnlyTheEstimate(t *testing.T) {
	var out, errOut bytes.Buffer
	if err := runRender([]string{"--cost", "-f", writeManifest(t, minimal)}, &out, &errOut); err != nil {
		t.Fatal(err)
	}
	stack, err := validate.DocuFlowStack([]byte(minimal))
	if err != nil {
		t.Fatal(err)
	}
	want, err := cost.Of(stack)
	if err != nil {
		t.Fatal(err)
	}
	if out.String() != want.Table() {
		t.Errorf("render --cost printed:\n%s\nwant the estimate's table:\n%s", out.String(), want.Table())
	}
	for _, says := range []string{"USD/MONTH", "eu-west-1", "total", cost.USD(want.TotalUSD), "Assumptions:", "minTasks (1)", "NAT gateway, Single"} {
		if !strings.Contains(out.String(), says) {
			t.Errorf("render --cost does not say %q:\n%s", says, out.String())
		}
	}
	if strings.Contains(out.String(), "kind:") {
		t.Error("render --cost printed objects too")
	}
}

func TestRenderCostOfARegionWithoutPricesFailsNamingIt(t *testing.T) {
	manifest := strings.NewReplacer("eu-west-1", "ap-south-2").Replace(minimal)
	var out, errOut bytes.Buffer
	err := runRender([]string{"--cost", "-f", writeManifest(t, manifest)}, &out, &errOut)
	if err == nil {
		t.Fatalf("estimated a region without prices:\n%s", out.String())
	}
	if !strings.Contains(err.Error(), `"ap-south-2"`) || !strings.Contains(err.Error(), "us-east-1") {
		t.Errorf("the error names neither the region nor those with prices: %v", err)
	}
	if out.Len() != 0 {
		t.Errorf("printed something for a region without prices:\n%s", out.String())
	}
}
