package main

import (
	"bytes"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestTheDemoRunsToTheEnd runs `docuflow-dev demo` non-interactively, as `make
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
		"$ docuflow trace -n docuflow-demo docuflow-prod\nNAME ",
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
	// The trace at Ready lists every child synced; the one during the fault
	// shows the database Terminal with AWS's message.
	if n := len(regexp.MustCompile(`(?m)^[│ ]+[├└]─ \S+ \S+ +True +Ready +\S+ +\S+`).FindAllString(got, -1)); n < 100 {
		t.Errorf("the two traces list %d synced, ready children, want every child of the sample twice", n)
	}
	if !regexp.MustCompile(`(?m)^[│ ]+└─ DBInstance docuflow-prod-db +False +Terminal +\S+ +db:docuflow-prod-[0-9a-f]{8}-db +InvalidParameterCombination: simulated fault`).MatchString(got) {
		t.Errorf("the trace during the fault does not show the database Terminal:\n%s", got)
	}
}
