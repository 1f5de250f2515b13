package main

import (
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/types"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
	"sigs.k8s.io/yaml"

	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	platformv1alpha1 "github.com/docuflow/docuflow-operator/api/v1alpha1"
	"github.com/docuflow/docuflow-operator/controllers"
	"github.com/docuflow/docuflow-operator/internal/ack"
	"github.com/docuflow/docuflow-operator/internal/ack/core"
	"github.com/docuflow/docuflow-operator/internal/acksim"
	"github.com/docuflow/docuflow-operator/internal/controlplane"
	"github.com/docuflow/docuflow-operator/internal/desired"
	"github.com/docuflow/docuflow-operator/internal/operator"
	"github.com/docuflow/docuflow-operator/internal/trace"
)

// demoNamespace is where the demo's stack lives.
const demoNamespace = "docuflow-demo"

// simulatedDelays make the simulated AWS take a little time per kind, so the
// progress a person watches looks like a real creation, compressed.
var simulatedDelays = map[string]time.Duration{
	"DBInstance": 4 * time.Second, "NATGateway": 2 * time.Second, "LoadBalancer": 2 * time.Second,
	"VPC": 500 * time.Millisecond, "Service": 1500 * time.Millisecond, "VPCEndpoint": time.Second,
}

// demoOptions are the demo's command-line settings.
type demoOptions struct {
	file        string
	keep        bool
	walkthrough bool
	timeout     time.Duration
	// ack is "sim" (the simulated ACK) or "real" (the upstream controllers
	// from bin/ack over a local AWS).
	ack string
	// ackCRDs holds the upstream ACK CRDs, which the real controllers need.
	ackCRDs string
}

// runDemo runs the operator and the simulated ACK on an embedded control
// plane, applies the sample stack, shows it converge, and walks through the
// safety features. With --keep it then keeps running until interrupted.
func runDemo(args []string, out io.Writer) error {
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	var o demoOptions
	fs.StringVar(&o.file, "f", "config/samples/platform_v1alpha1_docuflowstack.yaml", "DocuFlowStack manifest to apply.")
	fs.BoolVar(&o.keep, "keep", false, "Keep the control plane, the operator and a stack running until interrupted, with a kubeconfig in .demo/.")
	fs.BoolVar(&o.walkthrough, "walkthrough", true, "Walk through a database fault, a scale change and a Retain deletion.")
	fs.DurationVar(&o.timeout, "timeout", 3*time.Minute, "Give up when a step takes longer than this.")
	fs.StringVar(&o.ack, "ack", "sim", "Which ACK plays AWS: sim (the simulated ACK, no process and no AWS at all) or real (the eight upstream ACK controllers built into bin/ack, over a local AWS: moto's server).")
	fs.StringVar(&o.ackCRDs, "ack-crds", "", "The upstream ACK CRDs (--ack=real); default ../shared/ack/crds.")
	zapOpts := zap.Options{}
	zapOpts.BindFlags(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if o.ack != "sim" && o.ack != "real" {
		return fmt.Errorf("--ack must be sim or real, not %q", o.ack)
	}
	if !flagSet(fs, "zap-log-level") {
		// Operator logs would drown the narration; errors still show.
		lvl := "error"
		_ = fs.Set("zap-log-level", lvl)
	}
	ctrl.SetLogger(zap.New(zap.UseFlagOptions(&zapOpts), zap.WriteTo(os.Stderr)))

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	d := &demo{out: out, opts: o}
	return d.run(ctx)
}

func flagSet(fs *flag.FlagSet, name string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}

// demo is one run: the embedded cluster, the managers, and what it shows.
type demo struct {
	out  io.Writer
	opts demoOptions
	c    client.Client
	sim  *acksim.Sim
	key  types.NamespacedName
	// real is set with --ack=real: the local AWS and the controllers.
	real *realDemo
}

func (d *demo) say(format string, args ...any) { fmt.Fprintf(d.out, format+"\n", args...) }

func (d *demo) run(ctx context.Context) error {
	start := time.Now()
	if d.opts.ack == "real" {
		d.say("== DocuFlow operator demo: THE REAL ACK CONTROLLERS over a LOCAL AWS ==")
		d.say("The eight upstream ACK controllers (bin/ack, built from ../shared/ack/controllers) create every resource in a")
		d.say("local AWS: moto's server with the test shims of test/e2e/localaws. No AWS account is used.")
	} else {
		d.say("== DocuFlow operator demo: AWS IS SIMULATED ==")
		d.say("No AWS account is used. A simulated ACK (internal/acksim) stands in for the ACK controllers: it resolves")
		d.say("references and fills the IDs, ARNs and endpoints real ACK reports. `make demo ACK=real` runs the same")
		d.say("walkthrough on the real ACK controllers over a local AWS.")
	}
	d.say("")

	root, err := controlplane.RepoRoot()
	if err != nil {
		return err
	}
	if d.opts.ack == "real" {
		crds := cmp.Or(d.opts.ackCRDs, filepath.Join(root, "..", "shared", "ack", "crds"))
		if err := os.Setenv("ACK_CRDS_DIR", crds); err != nil {
			return err
		}
	}
	d.say("Starting an embedded control plane (kube-apiserver and etcd from bin/k8s/%s) with the DocuFlowStack CRD and", controlplane.KubernetesVersion)
	d.say("the ACK CRDs from %s.", controlplane.ACKCRDsDir(root))
	env, cfg, err := controlplane.Start()
	if err != nil {
		return err
	}
	defer func() {
		if err := env.Stop(); err != nil {
			fmt.Fprintf(os.Stderr, "stopping the embedded control plane: %v\n", err)
		}
	}()
	kubeconfig, err := controlplane.WriteKubeconfig(env, filepath.Join(root, ".demo"), "docuflow-admin")
	if err != nil {
		return err
	}

	// The simulated ACK applies a change at once, so no grace is needed;
	// the local AWS answers at once too, but ACK reports a change synced
	// before AWS has acted on it, so the real controllers get a few seconds.
	grace := time.Second
	if d.opts.ack == "real" {
		grace = 5 * time.Second
	}
	mgr, err := operator.NewManager(cfg, operator.Options{MetricsAddr: "0", ProbeAddr: "0", DeletionProtectionGrace: grace, StatusProgressInterval: time.Second})
	if err != nil {
		return err
	}
	if d.opts.ack == "real" {
		if d.real, err = startRealACK(ctx, root, kubeconfig, d.opts.ackCRDs, d.say); err != nil {
			return err
		}
		defer d.real.stop()
	} else {
		d.sim = acksim.New(acksim.Options{ReferenceRequeueInterval: 200 * time.Millisecond})
		for kind, delay := range simulatedDelays {
			d.sim.SetDelay(kind, delay)
		}
		// Deletions take a moment too, so the waves of the teardown show.
		for _, k := range []struct {
			kind  string
			delay time.Duration
		}{{"DBInstance", 2 * time.Second}, {"NATGateway", time.Second}, {"LoadBalancer", time.Second}, {"Service", time.Second}} {
			d.sim.SetDeletionDelay(k.kind, k.delay)
		}
		if err := d.sim.SetupWithManager(mgr); err != nil {
			return err
		}
	}
	// The manager must be gone before the control plane stops; this defer
	// runs before env.Stop's.
	mgrCtx, stopMgr := context.WithCancel(ctx)
	mgrDone := make(chan error, 1)
	go func() { mgrDone <- mgr.Start(mgrCtx) }()
	defer func() {
		stopMgr()
		if err := <-mgrDone; err != nil {
			fmt.Fprintf(os.Stderr, "stopping the operator: %v\n", err)
		}
	}()
	if !mgr.GetCache().WaitForCacheSync(ctx) {
		return errors.New("the operator's cache did not sync")
	}
	d.c = mgr.GetClient()
	if d.real != nil {
		d.say("Operator, the eight ACK controllers and the local AWS running. kubeconfig: %s; logs in %s", kubeconfig, d.real.logDir)
	} else {
		d.say("Operator and simulated ACK running. kubeconfig: %s", kubeconfig)
	}
	d.say("")

	if err := d.createStack(ctx); err != nil {
		return err
	}
	if err := d.watchUntilReady(ctx, "Creating the stack"); err != nil {
		return err
	}
	if err := d.report(ctx); err != nil {
		return err
	}
	if d.opts.walkthrough {
		if d.real != nil {
			d.say("")
			d.say("(The simulated database fault is skipped: the real controllers fail only on what AWS refuses.)")
		} else if err := d.faultOnTheDatabase(ctx); err != nil {
			return err
		}
		if err := d.scaleChange(ctx); err != nil {
			return err
		}
		if err := d.deleteWithRetain(ctx); err != nil {
			return err
		}
	}
	d.say("")
	if d.real != nil {
		d.say("== Done in %s. The real ACK controllers ran against a local AWS (moto); no AWS account was used. ==", time.Since(start).Round(time.Second))
	} else {
		d.say("== Done in %s. AWS was simulated throughout. ==", time.Since(start).Round(time.Second))
	}
	if !d.opts.keep {
		d.say("Nothing is left running. For real AWS: install the ACK controllers (README: Running it for real), `make deploy`, apply a stack.")
		return nil
	}
	if d.opts.walkthrough {
		if err := d.createStack(ctx); err != nil {
			return err
		}
		if err := d.watchUntilReady(ctx, "Creating the stack again to explore"); err != nil {
			return err
		}
	}
	kubectl := filepath.Join(root, "bin", "k8s", controlplane.KubernetesVersion, "kubectl")
	d.say("The control plane keeps running (simulated AWS). Explore it from another terminal:")
	d.say("  %s --kubeconfig %s get docuflowstacks -A", kubectl, kubeconfig)
	d.say("  %s --kubeconfig %s get vpcs,dbinstances,services.ecs.services.k8s.aws -n %s", kubectl, kubeconfig, demoNamespace)
	d.say("  go run ./cmd/docuflow trace --kubeconfig %s -n %s %s", kubeconfig, demoNamespace, d.key.Name)
	d.say("Press Ctrl-C to stop; nothing is left behind.")
	<-ctx.Done()
	d.say("Interrupted; stopping the operator and the control plane.")
	return nil
}

// createStack applies the manifest in the demo namespace.
func (d *demo) createStack(ctx context.Context) error {
	stack, err := readStack(d.opts.file)
	if err != nil {
		return err
	}
	stack.Namespace = demoNamespace
	if d.real != nil {
		if err := d.real.prepare(stack); err != nil {
			return err
		}
	}
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: demoNamespace}}
	if err := d.c.Create(ctx, ns); err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("creating namespace %s: %w", demoNamespace, err)
	}
	if err := d.c.Create(ctx, stack); err != nil {
		return fmt.Errorf("applying %s: %w", d.opts.file, err)
	}
	d.key = types.NamespacedName{Namespace: stack.Namespace, Name: stack.Name}
	d.say("Applied DocuFlowStack %s from %s.", d.key, d.opts.file)
	return nil
}

// stack reads the stack; nil when it is gone.
func (d *demo) stack(ctx context.Context) (*platformv1alpha1.DocuFlowStack, error) {
	s := &platformv1alpha1.DocuFlowStack{}
	if err := d.c.Get(ctx, d.key, s); err != nil {
		if apierrors.IsNotFound(err) {
			return nil, nil
		}
		return nil, err
	}
	return s, nil
}

// poll calls step every 250ms, printing what it returns when it changes,
// until step says done or the timeout passes.
func (d *demo) poll(ctx context.Context, what string, step func() (lines []string, done bool, err error)) error {
	ctx, cancel := context.WithTimeout(ctx, d.opts.timeout)
	defer cancel()
	var last string
	begin := time.Now()
	for {
		lines, done, err := step()
		if err != nil {
			return err
		}
		if now := strings.Join(lines, "\n"); now != last && now != "" {
			stamp := fmt.Sprintf("[%5.1fs] ", time.Since(begin).Seconds())
			for i, l := range lines {
				if i > 0 {
					stamp = strings.Repeat(" ", len(stamp))
				}
				d.say("%s%s", stamp, l)
			}
			last = now
		}
		if done {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s: not done within %s", what, d.opts.timeout)
		case <-time.After(250 * time.Millisecond):
		}
	}
}

var familyConditions = []string{
	platformv1alpha1.ConditionNetworkReady, platformv1alpha1.ConditionDatabaseReady, platformv1alpha1.ConditionLoadBalancerReady,
	platformv1alpha1.ConditionServiceReady, platformv1alpha1.ConditionAutoscalingReady, platformv1alpha1.ConditionAlarmsReady,
}

// watchUntilReady shows each family's state and a running count of synced
// ACK resources until the stack is Ready.
func (d *demo) watchUntilReady(ctx context.Context, title string) error {
	d.say("")
	d.say("== %s: per family, waiting / creating / ready, with the resource that blocks ==", title)
	return d.poll(ctx, "the stack becoming Ready", func() ([]string, bool, error) {
		s, err := d.stack(ctx)
		if err != nil || s == nil {
			return nil, false, err
		}
		if len(s.Status.Resources) == 0 {
			return []string{"waiting for the operator's first pass"}, false, nil
		}
		var lines []string
		for _, t := range familyConditions {
			c := meta.FindStatusCondition(s.Status.Conditions, t)
			if c == nil {
				continue
			}
			state := "ready"
			switch {
			case c.Status == metav1.ConditionTrue:
			case c.Reason == platformv1alpha1.ReasonWaitingForDependency:
				state = "waiting: " + c.Message
			default:
				state = strings.ToLower(c.Reason) + ": " + c.Message
			}
			lines = append(lines, fmt.Sprintf("%-18s %s", strings.TrimSuffix(t, "Ready"), state))
		}
		synced := 0
		for _, r := range s.Status.Resources {
			if r.Ready {
				synced++
			}
		}
		lines = append(lines, fmt.Sprintf("ACK resources synced: %d/%d", synced, len(s.Status.Resources)))
		ready := meta.IsStatusConditionTrue(s.Status.Conditions, platformv1alpha1.ConditionReady) && s.Status.ObservedGeneration == s.Generation
		return lines, ready, nil
	})
}

// report prints the final status and a table of every ACK resource.
func (d *demo) report(ctx context.Context) error {
	s, err := d.stack(ctx)
	if err != nil || s == nil {
		return fmt.Errorf("reading the stack: %w", err)
	}
	d.say("")
	d.say("== DocuFlowStack %s is Ready ==", d.key)
	d.say("  URL:               %s", s.Status.URL)
	if db := s.Status.Database; db != nil {
		d.say("  database endpoint: %s:%d", db.Endpoint, db.Port)
		d.say("  database secret:   %s (managed by RDS in Secrets Manager)", db.SecretARN)
	}
	d.say("  tasks:             %s", s.Status.Tasks)
	d.say("")
	d.say("$ docuflow trace -n %s %s", d.key.Namespace, d.key.Name)
	n, err := d.trace(ctx)
	if err != nil {
		return err
	}
	d.say("%d ACK resources, all created by the operator and synced by %s.", n, d.ackName())
	return nil
}

// trace prints the stack's tree as `docuflow trace` does and returns how many
// children exist.
func (d *demo) trace(ctx context.Context) (int, error) {
	snap, err := trace.Read(ctx, d.c, d.key.Namespace, d.key.Name)
	if err != nil {
		return 0, err
	}
	return len(snap.Children), trace.New(snap, time.Now()).WriteText(d.out, trace.Options{})
}

// ackName says who plays ACK.
func (d *demo) ackName() string {
	if d.real != nil {
		return "the real ACK controllers"
	}
	return "the simulated ACK"
}

// children lists the stack's ACK children in dependency order.
func (d *demo) children(ctx context.Context) ([]core.Object, error) {
	var out []core.Object
	for _, kind := range ack.Kinds() {
		list, err := ack.NewList(kind)
		if err != nil {
			return nil, err
		}
		if err := d.c.List(ctx, list, client.InNamespace(d.key.Namespace), client.MatchingLabels{desired.LabelStack: d.key.Name}); err != nil {
			return nil, err
		}
		items := ack.Items(list)
		gvks, _, _ := ack.Scheme().ObjectKinds(kind)
		sort.Slice(items, func(i, j int) bool { return items[i].GetName() < items[j].GetName() })
		for _, it := range items {
			it.GetObjectKind().SetGroupVersionKind(gvks[0])
			out = append(out, it)
		}
	}
	return out, nil
}

// faultOnTheDatabase makes the simulated RDS refuse the database for good,
// shows the stack Stalled naming it, then clears the fault.
func (d *demo) faultOnTheDatabase(ctx context.Context) error {
	d.say("")
	d.say("== Safety 1: a fault on the database (simulated ACK.Terminal) ==")
	db := desired.Name(d.key.Name, "db", desired.KubernetesName)
	d.sim.SetTerminal("DBInstance", d.key.Namespace, db, "InvalidParameterCombination: simulated fault injected by the demo")
	err := d.poll(ctx, "the stack going Stalled", func() ([]string, bool, error) {
		s, err := d.stack(ctx)
		if err != nil || s == nil {
			return nil, false, err
		}
		c := meta.FindStatusCondition(s.Status.Conditions, platformv1alpha1.ConditionStalled)
		if c == nil || c.Status != metav1.ConditionTrue {
			return nil, false, nil
		}
		return []string{"Stalled=True: " + c.Message}, true, nil
	})
	if err != nil {
		return err
	}
	d.say("$ docuflow trace -n %s %s", d.key.Namespace, d.key.Name)
	if _, err := d.trace(ctx); err != nil {
		return err
	}
	// Like real ACK, the simulated one does not retry a Terminal resource
	// until its spec changes; the stack's re-drive annotation asks the
	// operator to change it (a tag) once the cause is fixed.
	d.say("Fixing the cause and asking for a re-drive: kubectl annotate docuflowstack " + d.key.Name + " " + controllers.AnnotationRedrive + "=1")
	d.sim.ClearFault("DBInstance", d.key.Namespace, db)
	s, err := d.stack(ctx)
	if err != nil || s == nil {
		if err == nil {
			err = errors.New("the stack is gone")
		}
		return fmt.Errorf("reading the stack for a re-drive: %w", err)
	}
	patch := client.MergeFrom(s.DeepCopy())
	if s.Annotations == nil {
		s.Annotations = map[string]string{}
	}
	s.Annotations[controllers.AnnotationRedrive] = "1"
	if err := d.c.Patch(ctx, s, patch); err != nil {
		return fmt.Errorf("asking for a re-drive: %w", err)
	}
	return d.poll(ctx, "the stack recovering", func() ([]string, bool, error) {
		s, err := d.stack(ctx)
		if err != nil || s == nil {
			return nil, false, err
		}
		if meta.IsStatusConditionTrue(s.Status.Conditions, platformv1alpha1.ConditionReady) {
			return []string{"Ready=True again, Stalled cleared."}, true, nil
		}
		return nil, false, nil
	})
}

// scaleChange raises maxTasks and shows that only the scalable target changes.
func (d *demo) scaleChange(ctx context.Context) error {
	d.say("")
	d.say("== Safety 2: a scale change touches only the scalable target ==")
	before, err := d.children(ctx)
	if err != nil {
		return err
	}
	generations := map[string]int64{}
	for _, o := range before {
		generations[childID(o)] = o.GetGeneration()
	}
	s, err := d.stack(ctx)
	if err != nil || s == nil {
		return fmt.Errorf("reading the stack: %w", err)
	}
	from := s.Spec.Autoscaling.MaxTasks
	s.Spec.Autoscaling.MaxTasks = from + 10
	if err := d.c.Update(ctx, s); err != nil {
		return err
	}
	d.say("spec.autoscaling.maxTasks: %d -> %d", from, from+10)
	if err := d.watchUntilReady(ctx, "Applying the change"); err != nil {
		return err
	}
	var changed []string
	err = d.poll(ctx, "the scalable target updated", func() ([]string, bool, error) {
		after, err := d.children(ctx)
		if err != nil {
			return nil, false, err
		}
		changed = changed[:0]
		for _, o := range after {
			if o.GetGeneration() != generations[childID(o)] {
				changed = append(changed, childID(o))
			}
		}
		return nil, len(changed) > 0, nil
	})
	if err != nil {
		return err
	}
	d.say("Children whose spec changed: %s (of %d).", strings.Join(changed, ", "), len(before))
	return nil
}

func childID(o core.Object) string {
	return o.GetObjectKind().GroupVersionKind().Kind + " " + o.GetName()
}

// deleteWithRetain deletes the stack under deletionPolicy Retain and shows the
// teardown, in waves that follow the children's dependencies, and what stays
// in AWS.
func (d *demo) deleteWithRetain(ctx context.Context) error {
	d.say("")
	d.say("== Safety 3: deleting the stack with deletionPolicy Retain ==")
	s, err := d.stack(ctx)
	if err != nil || s == nil {
		return fmt.Errorf("reading the stack: %w", err)
	}
	if err := d.c.Delete(ctx, s); err != nil {
		return err
	}
	err = d.poll(ctx, "the stack deleted", func() ([]string, bool, error) {
		s, err := d.stack(ctx)
		if err != nil {
			return nil, false, err
		}
		if s == nil {
			return []string{"The stack and its finalizer are gone."}, true, nil
		}
		if c := meta.FindStatusCondition(s.Status.Conditions, platformv1alpha1.ConditionDeleting); c != nil {
			msg := c.Message
			if i := strings.Index(msg, "; this wave"); i > 0 {
				msg = msg[:i] + "."
			}
			return []string{msg}, false, nil
		}
		return nil, false, nil
	})
	if err != nil {
		return err
	}
	// The stack's last event lists what was retained.
	events := &eventsv1.EventList{}
	if err := d.c.List(ctx, events, client.InNamespace(d.key.Namespace)); err != nil {
		return err
	}
	for _, e := range events.Items {
		if e.Regarding.Name == d.key.Name && e.Reason == "Retained" {
			_, list, _ := strings.Cut(e.Note, "resources: ")
			where := "(simulated) AWS"
			if d.real != nil {
				where = "the local AWS"
			}
			d.say("Retained in %s, not deleted (from the stack's last event):", where)
			for _, r := range strings.Split(list, "; ") {
				d.say("  %s", r)
			}
		}
	}
	d.say("Everything else was deleted, each child only once nothing that depends on it was left.")
	return nil
}

// readStack reads a DocuFlowStack manifest.
func readStack(path string) (*platformv1alpha1.DocuFlowStack, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	stack := &platformv1alpha1.DocuFlowStack{}
	if err := yaml.UnmarshalStrict(b, stack); err != nil {
		return nil, fmt.Errorf("parsing %s: %w", path, err)
	}
	if stack.Kind != "DocuFlowStack" {
		return nil, fmt.Errorf("%s holds a %q, not a DocuFlowStack", path, stack.Kind)
	}
	return stack, nil
}
