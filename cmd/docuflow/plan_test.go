package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/zap/zapcore"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
	"sigs.k8s.io/yaml"

	platformv1alpha1 "github.com/docuflow/docuflow-operator/api/v1alpha1"
	elbv2v1alpha1 "github.com/docuflow/docuflow-operator/internal/ack/elbv2/v1alpha1"
	"github.com/docuflow/docuflow-operator/internal/controlplane"
	"github.com/docuflow/docuflow-operator/internal/envtestutil"
	"github.com/docuflow/docuflow-operator/internal/operator"
	"github.com/docuflow/docuflow-operator/internal/plan"
)

func TestMain(m *testing.M) {
	code := m.Run()
	planCluster.stop()
	os.Exit(code)
}

// planCluster is the cluster the plan tests share, started by the first of
// them: a control plane with the project's and the ACK CRDs, the simulated
// ACK, and the operator's manager as the binary builds it. Plans only dry-run,
// so tests share stacks; each namespace is one test's.
var planCluster clusterOnce

type clusterOnce struct {
	once       sync.Once
	err        error
	c          client.Client
	kubeconfig string
	stops      []func()
}

// stop stops what start started, last first.
func (pc *clusterOnce) stop() {
	for i := len(pc.stops) - 1; i >= 0; i-- {
		pc.stops[i]()
	}
}

// startPlanCluster starts the shared cluster once and returns a client and
// a kubeconfig for the CLI.
func startPlanCluster(t *testing.T) (client.Client, string) {
	t.Helper()
	pc := &planCluster
	pc.once.Do(func() {
		// The operator and the simulated ACK log errors only, to stderr.
		ctrl.SetLogger(zap.New(zap.WriteTo(os.Stderr), zap.Level(zapcore.ErrorLevel)))
		env, cfg, err := controlplane.Start()
		if err != nil {
			pc.err = fmt.Errorf("%w (run `make envtest` to build the control plane)", err)
			return
		}
		pc.stops = append(pc.stops, func() { _ = env.Stop() })
		dir, err := os.MkdirTemp("", "docuflow-plan-")
		if err != nil {
			pc.err = err
			return
		}
		pc.stops = append(pc.stops, func() { _ = os.RemoveAll(dir) })
		if pc.kubeconfig, pc.err = controlplane.WriteKubeconfig(env, dir, "docuflow-plan-test"); pc.err != nil {
			return
		}
		scheme, err := operator.NewScheme()
		if err != nil {
			pc.err = err
			return
		}
		if err := apiextensionsv1.AddToScheme(scheme); err != nil {
			pc.err = err
			return
		}
		if pc.c, pc.err = client.New(cfg, client.Options{Scheme: scheme}); pc.err != nil {
			return
		}
		_, stopSim, err := envtestutil.StartSim(cfg, scheme)
		if err != nil {
			pc.err = err
			return
		}
		pc.stops = append(pc.stops, stopSim)
		mgr, err := operator.NewManager(cfg, operator.Options{MetricsAddr: "0", ProbeAddr: "0", StatusProgressInterval: time.Second})
		if err != nil {
			pc.err = err
			return
		}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() {
			defer close(done)
			if err := mgr.Start(ctx); err != nil {
				fmt.Fprintln(os.Stderr, "operator manager:", err)
			}
		}()
		pc.stops = append(pc.stops, func() { cancel(); <-done })
	})
	if pc.err != nil {
		t.Fatal(pc.err)
	}
	return pc.c, pc.kubeconfig
}

// sampleManifest is the production sample as a user's file holds it, in a
// namespace, changed by edits.
func sampleManifest(t *testing.T, namespace string, edits ...func(u *unstructured.Unstructured)) *unstructured.Unstructured {
	t.Helper()
	root, err := controlplane.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(root, "config", "samples", "platform_v1alpha1_docuflowstack.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	u := &unstructured.Unstructured{}
	if err := yaml.Unmarshal(b, &u.Object); err != nil {
		t.Fatal(err)
	}
	if namespace != "" {
		u.SetNamespace(namespace)
	}
	for _, e := range edits {
		e(u)
	}
	return u
}

// set returns an edit that sets one spec field.
func set(value any, path ...string) func(u *unstructured.Unstructured) {
	return func(u *unstructured.Unstructured) {
		if err := unstructured.SetNestedField(u.Object, value, append([]string{"spec"}, path...)...); err != nil {
			panic(err)
		}
	}
}

// writeManifest writes a manifest to a file of the test's.
func writeManifest(t *testing.T, u *unstructured.Unstructured) string {
	t.Helper()
	b, err := yaml.Marshal(u.Object)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "stack.yaml")
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// runPlanCLI runs `docuflow plan` with args and returns what it printed and
// its exit code.
func runPlanCLI(t *testing.T, args ...string) (string, int) {
	t.Helper()
	var out, errOut bytes.Buffer
	err := runPlan(args, strings.NewReader(""), &out, &errOut)
	if err != nil {
		t.Logf("docuflow plan: %v\n%s", err, errOut.String())
	}
	return out.String(), exitCode(err)
}

// planJSON runs `docuflow plan -o json` and decodes the plan.
func planJSON(t *testing.T, args ...string) (plan.Plan, int) {
	t.Helper()
	out, code := runPlanCLI(t, append(args, "-o", "json")...)
	var p plan.Plan
	if err := json.Unmarshal([]byte(out), &p); err != nil {
		t.Fatalf("decoding the plan: %v\n%s", err, out)
	}
	return p, code
}

// convergedStack applies the sample (as kubectl apply --server-side does)
// and waits until the operator and the simulated ACK have made it Ready.
func convergedStack(t *testing.T, c client.Client) string {
	t.Helper()
	ns := envtestutil.NewNamespace(t, c)
	u := sampleManifest(t, ns)
	if err := c.Apply(context.Background(), client.ApplyConfigurationFromUnstructured(u), client.FieldOwner("kubectl"), client.ForceOwnership); err != nil {
		t.Fatal(err)
	}
	envtestutil.Eventually(t, 120*time.Second, "the sample Ready", func() error {
		s := &platformv1alpha1.DocuFlowStack{}
		if err := c.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: u.GetName()}, s); err != nil {
			return err
		}
		r := meta.FindStatusCondition(s.Status.Conditions, platformv1alpha1.ConditionReady)
		if r == nil || r.Status != metav1.ConditionTrue || s.Status.ObservedGeneration != s.Generation {
			return fmt.Errorf("Ready=%+v", r)
		}
		return nil
	})
	return ns
}

// change finds the change of a child in a plan.
func change(p plan.Plan, kind, name string) *plan.Change {
	for i := range p.Changes {
		if c := &p.Changes[i]; c.Kind == kind && (name == "" || c.Name == name) {
			return c
		}
	}
	return nil
}

// TestPlanAgainstAConvergedStack plans changes of the production sample
// against a cluster where the operator and the simulated ACK have made it
// Ready: each kind of change, its words, and the exit code CI reads.
func TestPlanAgainstAConvergedStack(t *testing.T) {
	c, kubeconfig := startPlanCluster(t)
	ns := convergedStack(t, c)
	planOf := func(t *testing.T, edits ...func(*unstructured.Unstructured)) (string, plan.Plan, int) {
		t.Helper()
		file := writeManifest(t, sampleManifest(t, ns, edits...))
		text, code := runPlanCLI(t, "-f", file, "--kubeconfig", kubeconfig)
		if testing.Verbose() {
			t.Logf("docuflow plan, exit %d:\n%s", code, text)
		}
		p, jsonCode := planJSON(t, "-f", file, "--kubeconfig", kubeconfig)
		if jsonCode != code {
			t.Errorf("text exits %d, json %d", code, jsonCode)
		}
		return text, p, code
	}

	t.Run("the same stack changes nothing", func(t *testing.T) {
		text, p, code := planOf(t)
		if code != 0 || len(p.Changes) != 0 || p.Unchanged < 50 {
			t.Errorf("exit %d, %d changes, %d unchanged; want 0, none, every child\n%s", code, len(p.Changes), p.Unchanged, text)
		}
		if !strings.Contains(text, "No changes.") || !strings.Contains(text, "Plan: 0 to create, 0 to update, 0 to replace, 0 to delete (0 holding data).") {
			t.Errorf("the text does not say so:\n%s", text)
		}
	})

	t.Run("an instance class change is one update, applied immediately", func(t *testing.T) {
		text, p, code := planOf(t, set("db.r6g.large", "database", "instanceClass"))
		db := change(p, "DBInstance", "docuflow-prod-db")
		if code != 0 || len(p.Changes) != 1 || db == nil || db.Action != plan.Update {
			t.Fatalf("exit %d, changes %+v; want 0 and one update of the DBInstance\n%s", code, p.Changes, text)
		}
		for _, want := range []string{
			"~ update  DBInstance docuflow-prod-db",
			"dbInstanceClass: db.t4g.medium → db.r6g.large",
			"applied immediately (ACK modifies with ApplyImmediately=true)",
			"a Multi-AZ failover, about a minute of reconnects",
			"Plan: 0 to create, 1 to update, 0 to replace, 0 to delete (0 holding data).",
		} {
			if !strings.Contains(text, want) {
				t.Errorf("the plan lacks %q:\n%s", want, text)
			}
		}
	})

	t.Run("an image change is a new task definition and a rolling deployment", func(t *testing.T) {
		text, p, code := planOf(t, set("public.ecr.aws/docuflow/api:1.4.3", "service", "image"))
		td := change(p, "TaskDefinition", "")
		svc := change(p, "Service", "")
		if code != 0 || td == nil || td.Action != plan.Create || svc == nil || svc.Action != plan.Update {
			t.Fatalf("exit %d, changes %+v; want 0, a new TaskDefinition and the Service's update\n%s", code, p.Changes, text)
		}
		for _, want := range []string{
			"a new task definition revision (image public.ecr.aws/docuflow/api:1.4.3)",
			"the previous revisions stay registered for a rollback: ",
			"taskDefinition: arn:aws:ecs:",
			"a rolling deployment: tasks of the new revision start",
		} {
			if !strings.Contains(text, want) {
				t.Errorf("the plan lacks %q:\n%s", want, text)
			}
		}
		if n := p.Counts(); n.Delete != 0 || n.Replace != 0 {
			t.Errorf("an image change deletes or replaces: %+v\n%s", n, text)
		}
	})

	t.Run("removing an availability zone is refused by the stack's own dry run", func(t *testing.T) {
		text, p, code := planOf(t, set([]any{"us-east-1a", "us-east-1b"}, "network", "availabilityZones"))
		if code != 1 || !strings.Contains(p.Refused, "availability zones cannot be removed") {
			t.Fatalf("exit %d, refused %q; want 1 and the CRD's message\n%s", code, p.Refused, text)
		}
		if p.Check != "" {
			t.Errorf("the JSON of a refused stack also says %q", p.Check)
		}
		for _, want := range []string{
			"The stack: REFUSED by the API server in a server-side dry run:",
			"What it would have meant, had the API server accepted it:",
			"- delete  Subnet docuflow-prod-private-us-east-1c",
			"Refused: the stack cannot be applied.",
		} {
			if !strings.Contains(text, want) {
				t.Errorf("the plan lacks %q:\n%s", want, text)
			}
		}
	})

	t.Run("switching flow logs off deletes their log group, which holds data", func(t *testing.T) {
		text, p, code := planOf(t, set(false, "network", "flowLogs", "enabled"))
		lg := change(p, "LogGroup", "docuflow-prod-vpc-flow-logs")
		if code != 2 || lg == nil || lg.Action != plan.Delete || !lg.DeletesData || change(p, "FlowLog", "") == nil {
			t.Fatalf("exit %d, changes %+v; want 2 and the flow log and its log group deleted\n%s", code, p.Changes, text)
		}
		for _, want := range []string{
			"its log events are deleted with it",
			"the VPC's traffic is no longer logged",
			"to delete (1 holding data).",
		} {
			if !strings.Contains(text, want) {
				t.Errorf("the plan lacks %q:\n%s", want, text)
			}
		}
	})

	t.Run("deletionPolicy Snapshot takes the retention off the database", func(t *testing.T) {
		text, p, code := planOf(t, set("Snapshot", "database", "deletionPolicy"))
		db := change(p, "DBInstance", "docuflow-prod-db")
		if code != 0 || db == nil || db.Action != plan.Update {
			t.Fatalf("exit %d, changes %+v; want 0 and the DBInstance updated\n%s", code, p.Changes, text)
		}
		for _, want := range []string{
			"annotation services.k8s.aws/deletion-policy: retain → (none)",
			"ACK now deletes it in AWS when it is deleted: deleting the stack deletes it",
		} {
			if !strings.Contains(text, want) {
				t.Errorf("the plan lacks %q:\n%s", want, text)
			}
		}
	})

	t.Run("a change the ACK CRD refuses in place is a replacement", func(t *testing.T) {
		immutablePort(t, c, ns)
		text, p, code := planOf(t, set(int64(8081), "service", "containerPort"))
		tg := change(p, "TargetGroup", "docuflow-prod-api")
		if code != 2 || tg == nil || tg.Action != plan.Replace || !strings.Contains(tg.Refused, "immutable") {
			t.Fatalf("exit %d, target group %+v; want 2 and a replacement refused in place\n%s", code, tg, text)
		}
		if !strings.Contains(text, "the ACK CRD refuses a change of spec.port in place") {
			t.Errorf("the plan does not say the CRD refuses it:\n%s", text)
		}
	})
}

// immutablePort gives the TargetGroup CRD a `self == oldSelf` rule on
// spec.port, as upstream ACK CRDs mark the fields AWS cannot change, for the
// rest of the test, and waits until the API server enforces it on the
// target group of the stack in ns.
func immutablePort(t *testing.T, c client.Client, ns string) {
	t.Helper()
	ctx := context.Background()
	edit := func(rules []apiextensionsv1.ValidationRule) {
		crd := &apiextensionsv1.CustomResourceDefinition{}
		if err := c.Get(ctx, client.ObjectKey{Name: "targetgroups.elbv2.services.k8s.aws"}, crd); err != nil {
			t.Fatal(err)
		}
		port := crd.Spec.Versions[0].Schema.OpenAPIV3Schema.Properties["spec"].Properties["port"]
		port.XValidations = rules
		crd.Spec.Versions[0].Schema.OpenAPIV3Schema.Properties["spec"].Properties["port"] = port
		if err := c.Update(ctx, crd); err != nil {
			t.Fatal(err)
		}
	}
	edit([]apiextensionsv1.ValidationRule{{Rule: "self == oldSelf", Message: "Value is immutable once set"}})
	t.Cleanup(func() { edit(nil) })
	envtestutil.Eventually(t, 30*time.Second, "the port rule enforced", func() error {
		tg := &elbv2v1alpha1.TargetGroup{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "docuflow-prod-api"}}
		err := c.Patch(ctx, tg, client.RawPatch(types.MergePatchType, []byte(`{"spec":{"port":1}}`)), client.DryRunAll)
		if !apierrors.IsInvalid(err) {
			return fmt.Errorf("a dry-run port change: %w", err)
		}
		return nil
	})
}

// TestPlanOfANewStack plans the sample in a namespace where it does not exist
// yet: everything is created, from the server-side dry runs of the stack and
// of every child the operator can create at once.
func TestPlanOfANewStack(t *testing.T) {
	c, kubeconfig := startPlanCluster(t)
	ns := envtestutil.NewNamespace(t, c)
	file := writeManifest(t, sampleManifest(t, ""))
	p, code := planJSON(t, "-f", file, "--kubeconfig", kubeconfig, "-n", ns)
	n := p.Counts()
	if code != 0 || n.Create != 57 || n.Update+n.Replace+n.Delete+n.Errors != 0 || p.Offline {
		t.Errorf("exit %d, %+v, offline %t; want 0 and 57 creates against the cluster", code, n, p.Offline)
	}
	if err := c.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: "docuflow-prod"}, &platformv1alpha1.DocuFlowStack{}); err == nil {
		t.Error("planning created the stack")
	}
}

// TestPlanOffline plans against an empty cluster: with --offline, and
// without any cluster configured, which it says.
func TestPlanOffline(t *testing.T) {
	file := writeManifest(t, sampleManifest(t, ""))
	text, code := runPlanCLI(t, "-f", file, "--offline", "-n", "team-a")
	if code != 0 || !strings.Contains(text, "Plan: 57 to create, 0 to update, 0 to replace, 0 to delete (0 holding data).") || !strings.Contains(text, "planned against an empty cluster: --offline") {
		t.Errorf("--offline: exit %d\n%s", code, text)
	}

	// No kubeconfig, no $KUBECONFIG, not in a pod: no cluster configured.
	dir := t.TempDir()
	t.Setenv("KUBECONFIG", filepath.Join(dir, "missing"))
	t.Setenv("HOME", dir)
	t.Setenv("KUBERNETES_SERVICE_HOST", "")
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var out, errOut bytes.Buffer
	err = runPlan([]string{"-f", "-"}, bytes.NewReader(b), &out, &errOut)
	if exitCode(err) != 0 || !strings.Contains(out.String(), "planned against an empty cluster: no cluster is configured") || !strings.Contains(out.String(), "DocuFlowStack default/docuflow-prod") {
		t.Errorf("no cluster configured: %v\n%s\n%s", err, out.String(), errOut.String())
	}
	if _, code := runPlanCLI(t, "-f", "-"); code != 1 {
		t.Errorf("an empty manifest: exit %d, want 1", code)
	}
}
