package reliability

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"sort"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/zap/zapcore"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/config"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	platformv1alpha1 "github.com/docuflow/docuflow-operator/api/v1alpha1"
	"github.com/docuflow/docuflow-operator/controllers"
	"github.com/docuflow/docuflow-operator/internal/ack"
	"github.com/docuflow/docuflow-operator/internal/ack/core"
	"github.com/docuflow/docuflow-operator/internal/acksim"
	"github.com/docuflow/docuflow-operator/internal/controlplane"
	"github.com/docuflow/docuflow-operator/internal/desired"
	"github.com/docuflow/docuflow-operator/internal/envtestutil"
)

// The suite: one control plane and one simulated ACK for the package. Each
// test starts its own operator managers, watching only the test's namespace,
// so a test's stacks are never reconciled by another test's operator.
var (
	env        *envtest.Environment
	cfg        *rest.Config
	k8s        client.Client
	testScheme = runtime.NewScheme()
	sim        *acksim.Sim
)

func TestMain(m *testing.M) {
	os.Exit(runSuite(m))
}

func runSuite(m *testing.M) int {
	ctrl.SetLogger(zap.New(zap.WriteTo(os.Stderr), zap.Level(zapLevel())))
	for _, add := range []func(*runtime.Scheme) error{clientgoscheme.AddToScheme, platformv1alpha1.AddToScheme, ack.AddToScheme} {
		if err := add(testScheme); err != nil {
			panic(err)
		}
	}
	// The API server keeps its certificates in a directory of ours, so a
	// restarted API server (TestAnAPIServerRestartedMidCreation...) serves
	// the same CA, port and client users as before and every client's
	// rest.Config stays valid.
	certDir, err := os.MkdirTemp("", "reliability-apiserver-")
	if err != nil {
		panic(err)
	}
	defer func() { _ = os.RemoveAll(certDir) }()
	if env, err = controlplane.Environment(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	env.ControlPlane.GetAPIServer().CertDir = certDir
	if cfg, err = env.Start(); err != nil {
		fmt.Fprintf(os.Stderr, "starting the embedded control plane from %s: %v\n", env.BinaryAssetsDirectory, err)
		return 1
	}
	defer func() { _ = env.Stop() }()
	if k8s, err = client.New(cfg, client.Options{Scheme: testScheme}); err != nil {
		panic(err)
	}

	// The simulated ACK (AWS) runs in a manager of its own and carries on
	// while operators come and go.
	var stopSim func()
	if sim, stopSim, err = envtestutil.StartSim(cfg, testScheme); err != nil {
		panic(err)
	}
	defer stopSim()
	return m.Run()
}

func zapLevel() zapcore.Level {
	if os.Getenv("TEST_VERBOSE_LOGS") != "" {
		return zapcore.DebugLevel
	}
	return zapcore.ErrorLevel
}

// operator is one running operator manager: a pod of the operator.
type operator struct {
	name   string
	mgr    ctrl.Manager
	cancel context.CancelFunc
	done   chan struct{}
	// writes counts the reconciler's writes to the API server.
	writes atomic.Int64
	// stopped is set once stop has run.
	stopped atomic.Bool
}

// operatorOption changes a test operator's manager options, its client
// configuration or its reconciler's settings.
type operatorOption func(*ctrl.Options, *rest.Config, *controllers.DocuFlowStackReconciler)

// withLeaderElection makes the manager take part in leader election with the
// given lease name, in namespace ns, with short timings.
func withLeaderElection(id, ns string) operatorOption {
	return func(o *ctrl.Options, _ *rest.Config, _ *controllers.DocuFlowStackReconciler) {
		o.LeaderElection = true
		o.LeaderElectionID = id
		o.LeaderElectionNamespace = ns
		o.LeaderElectionReleaseOnCancel = true
		o.LeaseDuration = ptr.To(4 * time.Second)
		o.RenewDeadline = ptr.To(3 * time.Second)
		o.RetryPeriod = ptr.To(500 * time.Millisecond)
	}
}

// withFailedRequestCount counts the operator's requests that got no answer
// from the API server (connection refused or reset), at its transport.
func withFailedRequestCount(n *atomic.Int64) operatorOption {
	return func(_ *ctrl.Options, c *rest.Config, _ *controllers.DocuFlowStackReconciler) {
		c.Wrap(func(rt http.RoundTripper) http.RoundTripper {
			return roundTripperFunc(func(req *http.Request) (*http.Response, error) {
				resp, err := rt.RoundTrip(req)
				if err != nil {
					n.Add(1)
				}
				return resp, err
			})
		})
	}
}

type roundTripperFunc func(*http.Request) (*http.Response, error)

func (f roundTripperFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// startOperator starts a manager running the real DocuFlowStack reconciler,
// set up with SetupWithManager, watching namespace ns only. It is stopped
// when the test ends.
func startOperator(t *testing.T, name, ns string, opts ...operatorOption) *operator {
	t.Helper()
	o := ctrl.Options{
		Scheme:     testScheme,
		Metrics:    metricsserver.Options{BindAddress: "0"},
		Cache:      cache.Options{DefaultNamespaces: map[string]cache.Config{ns: {}}},
		Controller: config.Controller{SkipNameValidation: ptr.To(true)},
	}
	opCfg := rest.CopyConfig(cfg)
	r := &controllers.DocuFlowStackReconciler{
		Scheme:                 testScheme,
		StatusProgressInterval: controllers.DefaultStatusProgressInterval,
	}
	for _, opt := range opts {
		opt(&o, opCfg, r)
	}
	mgr, err := ctrl.NewManager(opCfg, o)
	if err != nil {
		t.Fatalf("creating operator manager %s: %v", name, err)
	}
	op := &operator{name: name, mgr: mgr, done: make(chan struct{})}
	r.Client = countingClient(mgr.GetClient(), &op.writes)
	r.Recorder = mgr.GetEventRecorder("docuflow-operator")
	if err := r.SetupWithManager(mgr); err != nil {
		t.Fatalf("setting up operator manager %s: %v", name, err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	op.cancel = cancel
	go func() {
		defer close(op.done)
		if err := mgr.Start(ctx); err != nil {
			fmt.Fprintf(os.Stderr, "operator manager %s: %v\n", name, err)
		}
	}()
	t.Cleanup(op.stop)
	return op
}

// stop stops the manager, as a killed pod stops, and waits for it to exit.
func (o *operator) stop() {
	if o.stopped.Swap(true) {
		return
	}
	o.cancel()
	<-o.done
}

// countingClient counts every write made through c.
func countingClient(c client.Client, n *atomic.Int64) client.Client {
	return envtestutil.CountingClient(c, func(context.Context, string, string, client.Object) { n.Add(1) })
}

// resetSimAfter puts the simulated ACK back to normal when the test ends.
func resetSimAfter(t *testing.T) {
	t.Helper()
	t.Cleanup(sim.Reset)
}

func newNamespace(t *testing.T) string { return envtestutil.NewNamespace(t, k8s) }

func sampleStack(t *testing.T, namespace string) *platformv1alpha1.DocuFlowStack {
	return envtestutil.SampleStack(t, namespace)
}

// createStack creates the stack and returns its key.
func createStack(t *testing.T, stack *platformv1alpha1.DocuFlowStack) client.ObjectKey {
	t.Helper()
	if err := k8s.Create(context.Background(), stack); err != nil {
		t.Fatalf("creating the stack: %v", err)
	}
	return client.ObjectKeyFromObject(stack)
}

func eventually(t *testing.T, timeout time.Duration, what string, cond func() error) {
	t.Helper()
	envtestutil.Eventually(t, timeout, what, cond)
}

// getStack reads the stack straight from the API server.
func getStack(t *testing.T, key client.ObjectKey) *platformv1alpha1.DocuFlowStack {
	t.Helper()
	s := &platformv1alpha1.DocuFlowStack{}
	if err := k8s.Get(context.Background(), key, s); err != nil {
		t.Fatal(err)
	}
	return s
}

// readyErr says why the stack is not Ready=True at its generation, or nil.
func readyErr(stack *platformv1alpha1.DocuFlowStack) error {
	c := meta.FindStatusCondition(stack.Status.Conditions, platformv1alpha1.ConditionReady)
	if c == nil || c.Status != metav1.ConditionTrue || stack.Status.ObservedGeneration != stack.Generation {
		return fmt.Errorf("Ready=%+v observedGeneration=%d generation=%d", c, stack.Status.ObservedGeneration, stack.Generation)
	}
	return nil
}

// waitReady waits until the stack reports Ready=True at its generation.
func waitReady(t *testing.T, key client.ObjectKey, timeout time.Duration) *platformv1alpha1.DocuFlowStack {
	t.Helper()
	var stack *platformv1alpha1.DocuFlowStack
	eventually(t, timeout, "stack Ready", func() error {
		stack = getStack(t, key)
		return readyErr(stack)
	})
	return stack
}

// kindOf returns the Kind of a mirrored object.
func kindOf(obj core.Object) string { return ack.KindOf(obj) }

// children lists every ACK object in the stack's namespace, labelled for the
// stack or not, by "Kind/name".
func children(t *testing.T, key client.ObjectKey) map[string]core.Object {
	t.Helper()
	return envtestutil.Children(t, k8s, key.Namespace)
}

// assertExactlyTheDesiredChildren checks that every child the builders render
// for the converged stack exists once, and that nothing else exists in the
// namespace: no duplicate under another name, no extra TaskDefinition.
func assertExactlyTheDesiredChildren(t *testing.T, key client.ObjectKey) {
	t.Helper()
	stack := getStack(t, key)
	kids := children(t, key)
	objs := make([]core.Object, 0, len(kids))
	for _, o := range kids {
		objs = append(objs, o)
	}
	result, err := desired.Build(stack, desired.ReadBuildInputs(stack, objs))
	if err != nil {
		t.Fatal(err)
	}
	if len(result.Waiting) != 0 {
		t.Errorf("children still waiting on a ready stack: %+v", result.Waiting)
	}
	want := map[string]bool{}
	for _, o := range result.Objects {
		want[kindOf(o)+"/"+o.GetName()] = true
	}
	var missing, extra []string
	for k := range want {
		if _, ok := kids[k]; !ok {
			missing = append(missing, k)
		}
	}
	for k := range kids {
		if !want[k] {
			extra = append(extra, k)
		}
	}
	sort.Strings(missing)
	sort.Strings(extra)
	if len(missing) > 0 {
		t.Errorf("desired children missing: %v", missing)
	}
	if len(extra) > 0 {
		t.Errorf("children that should not exist (duplicates or leftovers): %v", extra)
	}
	var tds int
	for k := range kids {
		if strings.HasPrefix(k, "TaskDefinition/") {
			tds++
		}
	}
	if tds != 1 {
		t.Errorf("%d TaskDefinitions, want 1", tds)
	}
}

// clientKey returns the key of a namespaced object.
func clientKey(ns, name string) client.ObjectKey {
	return client.ObjectKey{Namespace: ns, Name: name}
}
