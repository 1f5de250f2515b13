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
// kills the suite's kube-apiserver (etcd keeps running) while a stack is half
// created - the first pass has written what it could, the database is being
// provisioned and the children that wait on it (task definition, service,
// autoscaling) are still to come - starts it again on the same port and
// certificates, and checks that the same operator process carries on: its
// watches come back, every child it had created is the same object (same
// UID, nothing deleted and recreated), none is duplicated, and the waiting
// children are created once the database is ready.
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
	pid := killAPIServer(t, apiServer.CertDir)
	// envtest reaps the process in its own goroutine; Stop signals its
	// process group unless it has seen the exit, so it runs once the
	// process is gone, and again until that goroutine has recorded the exit
	// (between the two, Stop finds no process to signal).
	eventually(t, 10*time.Second, "kube-apiserver reaped", func() error {
		if _, err := os.Stat(filepath.Join("/proc", strconv.Itoa(pid))); err == nil {
			return fmt.Errorf("pid %d still exists", pid)
		}
		return nil
	})
	eventually(t, 10*time.Second, "envtest to record kube-apiserver's exit", apiServer.Stop)
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
// found by its --cert-dir flag (envtest does not expose the process), and
// returns its pid.
func killAPIServer(t *testing.T, certDir string) int {
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
		return pid
	}
	t.Fatalf("no kube-apiserver process with --cert-dir=%s", certDir)
	return 0
}
