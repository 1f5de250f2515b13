package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	ackv1alpha1 "github.com/aws-controllers-k8s/runtime/apis/core/v1alpha1"
	corev1 "k8s.io/api/core/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	platformv1alpha1 "github.com/docuflow/docuflow-operator/api/v1alpha1"
	"github.com/docuflow/docuflow-operator/internal/ack"
	"github.com/docuflow/docuflow-operator/internal/ack/core"
	"github.com/docuflow/docuflow-operator/internal/controlplane"
	"github.com/docuflow/docuflow-operator/internal/desired"
)

// TestTraceReadsTheClusterOfAKubeconfigAndItsExitCodeSaysReady runs
// `docuflow trace` as kubectl would run the plugin (flags after the stack's
// name) against a real API server, through a kubeconfig: exit 0 when the
// stack is Ready, 3 when it is not, 1 when the stack does not exist.
func TestTraceReadsTheClusterOfAKubeconfigAndItsExitCodeSaysReady(t *testing.T) {
	env, cfg, err := controlplane.Start()
	if err != nil {
		t.Fatalf("%v (run `make envtest` to build the control plane)", err)
	}
	t.Cleanup(func() { _ = env.Stop() })
	kubeconfig, err := controlplane.WriteKubeconfig(env, t.TempDir(), "docuflow-test")
	if err != nil {
		t.Fatal(err)
	}
	scheme := runtime.NewScheme()
	for _, add := range []func(*runtime.Scheme) error{corev1.AddToScheme, apiextensionsv1.AddToScheme, platformv1alpha1.AddToScheme, ack.AddToScheme} {
		if err := add(scheme); err != nil {
			t.Fatal(err)
		}
	}
	c, err := client.New(cfg, client.Options{Scheme: scheme})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := c.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "team-a"}}); err != nil {
		t.Fatal(err)
	}
	stack, err := sampleStack()
	if err != nil {
		t.Fatal(err)
	}
	stack.Namespace = "team-a"
	if err := c.Create(ctx, stack); err != nil {
		t.Fatal(err)
	}
	// One child, as the operator and ACK leave it: owned, labelled, synced.
	res, err := desired.Build(stack, desired.Observed{})
	if err != nil {
		t.Fatal(err)
	}
	var vpc core.Object
	for _, o := range res.Objects {
		if ack.KindOf(o) == "VPC" {
			vpc = o
		}
	}
	vpc.SetOwnerReferences([]metav1.OwnerReference{{APIVersion: platformv1alpha1.GroupVersion.String(), Kind: "DocuFlowStack", Name: stack.Name, UID: stack.UID, Controller: ptr.To(true)}})
	if err := c.Create(ctx, vpc); err != nil {
		t.Fatal(err)
	}
	vpc.ACKStatus().Conditions = []*ackv1alpha1.Condition{{Type: ackv1alpha1.ConditionTypeResourceSynced, Status: corev1.ConditionTrue}}
	if err := c.Status().Update(ctx, vpc); err != nil {
		t.Fatal(err)
	}
	setReady := func(ready bool) {
		t.Helper()
		s := metav1.ConditionFalse
		reason := platformv1alpha1.ReasonProgressing
		if ready {
			s, reason = metav1.ConditionTrue, platformv1alpha1.ReasonReady
		}
		if err := c.Get(ctx, client.ObjectKeyFromObject(stack), stack); err != nil {
			t.Fatal(err)
		}
		stack.Status.ObservedGeneration = stack.Generation
		stack.Status.Conditions = []metav1.Condition{{Type: platformv1alpha1.ConditionReady, Status: s, Reason: reason, Message: "set by the test", LastTransitionTime: metav1.Now()}}
		stack.Status.Resources = []platformv1alpha1.ResourceStatus{{Kind: "VPC", Name: vpc.GetName(), Ready: true, Reason: platformv1alpha1.ReasonReady}}
		if err := c.Status().Update(ctx, stack); err != nil {
			t.Fatal(err)
		}
	}

	trace := func(args ...string) (string, int) {
		t.Helper()
		var out, errOut bytes.Buffer
		err := runTrace(args, &out, &errOut)
		if err != nil {
			t.Logf("docuflow trace %s: %v\n%s", strings.Join(args, " "), err, errOut.String())
		}
		return out.String(), exitCode(err)
	}

	setReady(true)
	out, code := trace(stack.Name, "--kubeconfig", kubeconfig, "-n", "team-a")
	if code != 0 {
		t.Errorf("a Ready stack: exit %d, want 0\n%s", code, out)
	}
	if !strings.Contains(out, "DocuFlowStack team-a/"+stack.Name) || !strings.Contains(out, "VPC "+vpc.GetName()) {
		t.Errorf("the tree lacks the stack or its VPC:\n%s", out)
	}

	// kubectl's short forms, as kubectl passes them on to the plugin.
	if out, code := trace("--kubeconfig="+kubeconfig, "-nteam-a", "-owide", stack.Name); code != 0 || !strings.Contains(out, "DEPENDS ON") {
		t.Errorf("-nteam-a -owide: exit %d\n%s", code, out)
	}

	setReady(false)
	out, code = trace("--kubeconfig", kubeconfig, stack.Name, "--namespace=team-a", "-o", "json")
	if code != exitNotReady {
		t.Errorf("a stack not Ready: exit %d, want %d", code, exitNotReady)
	}
	var tree struct {
		Stack struct {
			Ready  bool   `json:"ready"`
			Reason string `json:"reason"`
		} `json:"stack"`
	}
	if err := json.Unmarshal([]byte(out), &tree); err != nil || tree.Stack.Ready || tree.Stack.Reason != platformv1alpha1.ReasonProgressing {
		t.Errorf("-o json: %+v, %v\n%s", tree, err, out)
	}

	if _, code := trace("missing", "--kubeconfig", kubeconfig, "-n", "team-a"); code != 1 {
		t.Errorf("a stack that does not exist: exit %d, want 1", code)
	}
	// A cluster without the cloudwatch controller's CRD: its children say so.
	alarms := &apiextensionsv1.CustomResourceDefinition{ObjectMeta: metav1.ObjectMeta{Name: "metricalarms.cloudwatch.services.k8s.aws"}}
	if err := c.Delete(ctx, alarms); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		var errOut bytes.Buffer
		var out bytes.Buffer
		err := runTrace([]string{stack.Name, "--kubeconfig", kubeconfig, "-n", "team-a", "-o", "json"}, &out, &errOut)
		if strings.Contains(errOut.String(), "no CRD for MetricAlarm") && strings.Contains(out.String(), `"reason": "CRDNotInstalled"`) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("without the MetricAlarm CRD: %v\n%s\n%s", err, errOut.String(), out.String())
		}
		time.Sleep(200 * time.Millisecond)
	}

	// KUBECONFIG works like kubectl's, and the context's namespace is the default.
	t.Setenv("KUBECONFIG", kubeconfig)
	if _, code := trace(stack.Name); code != 1 {
		t.Errorf("the stack is not in the context's namespace (default): exit %d, want 1", code)
	}
}

func TestTraceCommandLine(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want int
	}{
		{[]string{}, 2},
		{[]string{"a", "b"}, 2},
		{[]string{"a", "-o", "yaml"}, 2},
		{[]string{"a", "--color", "sometimes"}, 2},
		{[]string{"a", "--no-such-flag"}, 2},
		{[]string{"-h"}, 0},
	} {
		err := runTrace(tc.args, &bytes.Buffer{}, &bytes.Buffer{})
		if got := exitCode(err); got != tc.want {
			t.Errorf("docuflow trace %v: exit %d (%v), want %d", tc.args, got, err, tc.want)
		}
	}

	if got := exitCode(errors.New("boom")); got != 1 {
		t.Errorf("an error exits %d, want 1", got)
	}
	for arg0, want := range map[string]string{
		"/usr/local/bin/kubectl-docuflow": "kubectl docuflow",
		`C:\bin\kubectl-docuflow.exe`:     "kubectl docuflow",
		"bin/docuflow":                    "docuflow",
	} {
		if got := invokedAs(arg0); got != want {
			t.Errorf("invokedAs(%q) = %q, want %q", arg0, got, want)
		}
	}
}

// TestTheKubectlPluginIsTheSameBinary builds the binary under the plugin's
// name, as `make kubectl-plugin` installs it, and checks that kubectl's
// naming reaches the same commands.
func TestTheKubectlPluginIsTheSameBinary(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "kubectl-docuflow")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	out, err := exec.Command(bin, "help").CombinedOutput()
	if err != nil {
		t.Fatalf("kubectl-docuflow help: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "kubectl docuflow trace [flags] STACK") || !strings.Contains(string(out), "kubectl docuflow plan -f FILE [flags]") {
		t.Errorf("the plugin's help does not speak as kubectl docuflow:\n%s", out)
	}
	cmd := exec.Command(bin, "trace")
	cmd.Stderr = &bytes.Buffer{}
	err = cmd.Run()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 2 {
		t.Errorf("kubectl docuflow trace without a stack: %v, want exit 2", err)
	}
}
