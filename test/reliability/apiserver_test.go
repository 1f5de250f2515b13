package reliability

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/types"
)

// TestAnAPIServerRestartedMidCreationLeavesTheOperatorToConvergeWithoutDuplicates
// stops the suite's kube-apiserver (etcd keeps running) while a stack is half
// created, starts it again on the same port and certificates, and checks that
// the same operator process carries on: every child it had created is the
// same object (same UID, nothing deleted and recreated), none is duplicated,
// and the stack converges.
func TestAnAPIServerRestartedMidCreationLeavesTheOperatorToConvergeWithoutDuplicates(t *testing.T) {
	ns := newNamespace(t)
	var failed atomic.Int64
	op, key := halfCreatedStack(t, "survivor", ns, withFailedRequestCount(&failed))
	before := map[string]types.UID{}
	for k, o := range children(t, key) {
		before[k] = o.GetUID()
	}

	// The API server crashes (SIGKILL: connections reset, no graceful
	// goodbye to watches), as when its node dies.
	apiServer := env.ControlPlane.GetAPIServer()
	killAPIServer(t, apiServer.CertDir)
	if err := apiServer.Stop(); err != nil {
		t.Fatalf("reaping kube-apiserver: %v", err)
	}
	// Down until the operator has felt it: at least one of its requests
	// (a watch re-established, a write, a read) found nobody listening.
	seen := failed.Load()
	eventually(t, 30*time.Second, "a failed request from the operator", func() error {
		if failed.Load() == seen {
			return fmt.Errorf("no failed request yet")
		}
		return nil
	})
	if err := apiServer.Start(); err != nil {
		t.Fatalf("starting kube-apiserver again: %v", err)
	}
	t.Logf("kube-apiserver restarted with %d children created; %d requests of the operator failed meanwhile", len(before), failed.Load()-seen)

	waitReady(t, key, 90*time.Second)
	select {
	case <-op.done:
		t.Fatal("the operator's manager exited during the outage")
	default:
	}
	assertExactlyTheDesiredChildren(t, key)
	after := children(t, key)
	for k, uid := range before {
		o, ok := after[k]
		switch {
		case !ok:
			t.Errorf("%s existed before the restart and is gone", k)
		case o.GetUID() != uid:
			t.Errorf("%s was recreated across the restart: UID %s, was %s", k, o.GetUID(), uid)
		}
	}
}

// killAPIServer sends SIGKILL to the kube-apiserver serving from certDir,
// found by its --cert-dir flag (envtest does not expose the process).
func killAPIServer(t *testing.T, certDir string) {
	t.Helper()
	flag := []byte("--cert-dir=" + certDir + "\x00")
	entries, err := os.ReadDir("/proc")
	if err != nil {
		t.Fatalf("finding kube-apiserver: %v", err)
	}
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		cmdline, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err != nil || !bytes.Contains(cmdline, flag) || !bytes.Contains(cmdline, []byte("kube-apiserver")) {
			continue
		}
		if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
			t.Fatalf("killing kube-apiserver (pid %d): %v", pid, err)
		}
		return
	}
	t.Fatalf("no kube-apiserver process with --cert-dir=%s", certDir)
}
