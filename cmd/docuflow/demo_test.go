package main

import (
	"bytes"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestTheDemoRunsToTheEnd runs `docuflow demo` non-interactively, as `make
// demo` does, and checks what a newcomer must see: the stack Ready with its
// URL, the fault and its recovery, the scale change touching one child, and
// the retained database and network listed after deletion.
func TestTheDemoRunsToTheEnd(t *testing.T) {
	var out bytes.Buffer
	start := time.Now()
	if err := runDemo([]string{"-f", "../../config/samples/platform_v1alpha1_docuflowstack.yaml"}, &out); err != nil {
		t.Fatalf("the demo failed: %v\n%s", err, out.String())
	}
	t.Logf("the demo took %s", time.Since(start).Round(time.Second))
	got := out.String()
	for _, want := range []string{
		"AWS IS SIMULATED",
		"is Ready ==",
		"URL:               https://",
		"Stalled=True: DBInstance docuflow-prod-db: InvalidParameterCombination",
		"Ready=True again",
		"Children whose spec changed: ScalableTarget docuflow-prod-api (of ",
		"children left in ",
		"Retained in (simulated) AWS, not deleted (from the stack's last event):",
		"  DBInstance docuflow-prod-db\n",
		"  VPC docuflow-prod-vpc\n",
		"AWS was simulated throughout",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("the demo did not print %q:\n%s", want, got)
		}
	}
	if n := len(regexp.MustCompile(`(?m)^\S+\s+\S+\s+True\s+\S+`).FindAllString(got, -1)); n < 50 {
		t.Errorf("the resource table lists %d synced resources, want every child of the sample", n)
	}
}
