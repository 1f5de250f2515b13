package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"

	"github.com/docuflow/docuflow-operator/controllers"
	"github.com/docuflow/docuflow-operator/internal/controlplane"
	"github.com/docuflow/docuflow-operator/internal/operator"
)

// TestWatchNamespacesLimitsTheOperatorToThem runs the shipped binary's
// manager with --watch-namespaces: stacks in team-a get the operator's
// finalizer, one in team-b is left alone. The same manager without the flag
// then takes team-b's stack, so the check can fail.
func TestWatchNamespacesLimitsTheOperatorToThem(t *testing.T) {
	env, cfg, err := controlplane.Start()
	if err != nil {
		t.Fatalf("%v (run `make envtest` to build the control plane)", err)
	}
	t.Cleanup(func() { _ = env.Stop() })
	scheme, err := operator.NewScheme()
	if err != nil {
		t.Fatal(err)
	}
	c, err := client.New(cfg, client.Options{Scheme: scheme})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	stackIn := func(ns, name string) client.Object {
		t.Helper()
		s, err := sampleStack()
		if err != nil {
			t.Fatal(err)
		}
		s.Namespace, s.Name = ns, name
		if err := c.Create(ctx, s); err != nil {
			t.Fatal(err)
		}
		return s
	}
	finalized := func(obj client.Object) bool {
		t.Helper()
		if err := c.Get(ctx, client.ObjectKeyFromObject(obj), obj); err != nil {
			t.Fatal(err)
		}
		return controllerutil.ContainsFinalizer(obj, controllers.Finalizer)
	}
	kubeconfig, err := controlplane.WriteKubeconfig(env, t.TempDir(), "docuflow-test")
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(t.TempDir(), "docuflow")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	// The shipped binary, as its Deployment runs it.
	run := func(flags ...string) (stop func()) {
		t.Helper()
		cmd := exec.Command(bin, append([]string{"manager", "--leader-elect=false", "--metrics-bind-address=0", "--health-probe-bind-address=0"}, flags...)...)
		cmd.Env = append(os.Environ(), "KUBECONFIG="+kubeconfig)
		var logs bytes.Buffer
		cmd.Stdout, cmd.Stderr = &logs, &logs
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		return func() {
			_ = cmd.Process.Signal(os.Interrupt)
			// A manager stopped before it installed its signal handler dies
			// of the signal; after, it exits 0.
			if err := cmd.Wait(); err != nil && cmd.ProcessState.String() != "signal: interrupt" {
				t.Errorf("the manager %v: %v\n%s", flags, err, logs.String())
			}
		}
	}
	waitFinalized := func(obj client.Object) {
		t.Helper()
		deadline := time.Now().Add(time.Minute)
		for !finalized(obj) {
			if time.Now().After(deadline) {
				t.Fatalf("%s/%s never got the operator's finalizer", obj.GetNamespace(), obj.GetName())
			}
			time.Sleep(100 * time.Millisecond)
		}
	}

	for _, ns := range []string{"team-a", "team-b"} {
		if err := c.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}); err != nil {
			t.Fatal(err)
		}
	}
	stop := run("--watch-namespaces= team-a, ,team-c")
	waitFinalized(stackIn("team-a", "first"))
	// With the cache synced, events are queued in order and one worker takes
	// them: once "later" is taken, team-b's stack created before it would
	// have been too. (Objects listed at start are queued at a lower
	// priority, so the stack in team-b is created only now.)
	other := stackIn("team-b", "other")
	waitFinalized(stackIn("team-a", "later"))
	if finalized(other) {
		t.Error("the operator watching team-a and team-c took the stack in team-b")
	}
	stop()

	stop = run()
	defer stop()
	waitFinalized(other)
}
