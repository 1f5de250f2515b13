package e2e

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestTheRealDemoRunsToTheEnd runs `docuflow-dev demo --ack=real`, the
// newcomer's walkthrough on the real controllers, as `make demo ACK=real`
// does: its own control plane, local AWS and controllers, on their default
// resync, from creation through a scale change to a Retain deletion. The
// demo runs the operator's manager as the image's binary builds it
// (internal/operator).
func TestTheRealDemoRunsToTheEnd(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	bin := filepath.Join(suite.logDir, "docuflow-dev")
	// Built like go test builds (no -trimpath), so the build cache serves it.
	build := exec.CommandContext(ctx, "go", "build", "-o", bin, "./cmd/docuflow-dev")
	build.Dir = suite.root
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building cmd/docuflow-dev: %v\n%s", err, out)
	}
	cmd := exec.CommandContext(ctx, bin, "demo", "--ack=real", "--ack-crds", suite.crds)
	cmd.Dir = suite.root
	out, err := cmd.CombinedOutput()
	log := filepath.Join(suite.logDir, "demo-real.log")
	_ = os.WriteFile(log, out, 0o600)
	text := string(out)
	if err != nil {
		t.Fatalf("docuflow-dev demo --ack=real: %v (output in %s):\n%s", err, log, tail(text, 40))
	}
	if !everySynced(text) {
		t.Errorf("the demo never showed every ACK resource synced (output in %s):\n%s", log, tail(text, 40))
	}
	for _, want := range []string{"THE REAL ACK CONTROLLERS over a LOCAL AWS", "The stack and its finalizer are gone.", "no AWS account was used"} {
		if !strings.Contains(text, want) {
			t.Errorf("the demo's output lacks %q (output in %s):\n%s", want, log, tail(text, 40))
		}
	}
	for _, line := range strings.Split(text, "\n") {
		if strings.HasPrefix(line, "== Done in") {
			t.Log(strings.Trim(line, "= "))
		}
	}
}

// syncedLine is the demo's progress line: synced children of all children.
var syncedLine = regexp.MustCompile(`ACK resources synced: (\d+)/(\d+)`)

// everySynced reports whether the demo once showed every child synced.
func everySynced(text string) bool {
	for _, m := range syncedLine.FindAllStringSubmatch(text, -1) {
		if m[1] == m[2] && m[1] != "0" {
			return true
		}
	}
	return false
}

// tail returns the last n lines of s.
func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}
