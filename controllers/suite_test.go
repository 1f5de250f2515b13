package controllers

import (
	"context"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/zap/zapcore"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/config"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	platformv1alpha1 "github.com/docuflow/docuflow-operator/api/v1alpha1"
	"github.com/docuflow/docuflow-operator/internal/ack"
	"github.com/docuflow/docuflow-operator/internal/ack/core"
	"github.com/docuflow/docuflow-operator/internal/acksim"
	"github.com/docuflow/docuflow-operator/internal/controlplane"
	"github.com/docuflow/docuflow-operator/internal/envtestutil"
)

// The envtest suite: one control plane and one manager (the operator plus the
// simulated ACK) for the package; every test works in its own namespace.
var (
	cfg        *rest.Config
	k8s        client.Client
	testScheme = runtime.NewScheme()
	sim        *acksim.Sim
	reconciler *DocuFlowStackReconciler
	// mgrClient is the manager's cached client, for reconcilers built in tests.
	mgrClient client.Client
	// writes counts the running operator's writes to the API server.
	writes atomic.Int64
	// writesByNamespace counts them per namespace, for tests that must not
	// see other tests' stacks.
	writesByNamespace sync.Map
)

func TestMain(m *testing.M) {
	os.Exit(runSuite(m))
}

func runSuite(m *testing.M) int {
	ctrl.SetLogger(zap.New(zap.WriteTo(os.Stderr), zap.Level(zapcore.Level(zapLevel()))))
	for _, add := range []func(*runtime.Scheme) error{clientgoscheme.AddToScheme, platformv1alpha1.AddToScheme, ack.AddToScheme} {
		if err := add(testScheme); err != nil {
			panic(err)
		}
	}
	env, c, err := controlplane.Start()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer func() { _ = env.Stop() }()
	cfg = c
	if k8s, err = client.New(cfg, client.Options{Scheme: testScheme}); err != nil {
		panic(err)
	}

	// The simulated ACK and the operator run in managers of their own, so a
	// test can restart the operator the way a crashed pod restarts, while AWS
	// (the simulation) carries on.
	var stopSim func()
	if sim, stopSim, err = envtestutil.StartSim(cfg, testScheme); err != nil {
		panic(err)
	}
	defer stopSim()
	if err := startOperator(); err != nil {
		panic(err)
	}
	defer stopOperator()

	return m.Run()
}

// testStatusProgressInterval holds back progress-only status changes as the
// shipped DefaultStatusProgressInterval does, shorter so tests stay quick.
const testStatusProgressInterval = 2 * time.Second

// Tests run in parallel (t.Parallel) when they own their namespace and change
// no global setting: not the simulator's per-kind delays or gates, not the
// operator (restarts, grace), not the package-wide write count. The others
// run one after another first, as go test runs them before the parallel ones.

// testDeletionProtectionGrace is the operators' DeletionProtectionGrace: 0,
// unless a test sets it and restarts the operator (withDeletionGrace).
var testDeletionProtectionGrace time.Duration

// withDeletionGrace runs the operator with a deletion-protection grace for
// the rest of the test.
func withDeletionGrace(t *testing.T, grace time.Duration) {
	t.Helper()
	testDeletionProtectionGrace = grace
	restartOperator(t)
	t.Cleanup(func() {
		testDeletionProtectionGrace = 0
		restartOperator(t)
	})
}

// operator is the running operator manager; restartOperator replaces it.
var operator struct {
	cancel context.CancelFunc
	done   chan struct{}
}

// startOperator starts a manager running the DocuFlowStack reconciler.
func startOperator() error {
	mgr, err := ctrl.NewManager(cfg, ctrl.Options{Scheme: testScheme, Metrics: metricsserver.Options{BindAddress: "0"},
		Controller: config.Controller{SkipNameValidation: ptr.To(true)}})
	if err != nil {
		return err
	}
	mgrClient = mgr.GetClient()
	reconciler = &DocuFlowStackReconciler{Client: countingClient(mgrClient, &writes), Scheme: testScheme, Recorder: mgr.GetEventRecorder("docuflow-operator"),
		StatusProgressInterval: testStatusProgressInterval, DeletionProtectionGrace: testDeletionProtectionGrace}
	if err := reconciler.SetupWithManager(mgr); err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := mgr.Start(ctx); err != nil {
			fmt.Fprintln(os.Stderr, "operator manager:", err)
		}
	}()
	operator.cancel, operator.done = cancel, done
	return nil
}

// stopOperator stops the operator manager and waits for it to exit.
func stopOperator() {
	operator.cancel()
	<-operator.done
}

// restartOperator stops the operator and starts a new one, as a pod restart
// would: nothing survives but what is in the cluster.
func restartOperator(t *testing.T) {
	t.Helper()
	stopOperator()
	if err := startOperator(); err != nil {
		t.Fatal(err)
	}
}

func zapLevel() int8 {
	if os.Getenv("TEST_VERBOSE_LOGS") != "" {
		return -1
	}
	return int8(zapcore.ErrorLevel) // errors only, unless asked
}

// countingClient wraps the operator's client so tests can count its writes,
// in all and per namespace, and see its deletions in order.
func countingClient(c client.Client, n *atomic.Int64) client.Client {
	return envtestutil.CountingClient(c, func(ctx context.Context, verb, ns string, obj client.Object) {
		n.Add(1)
		v, _ := writesByNamespace.LoadOrStore(ns, new(atomic.Int64))
		v.(*atomic.Int64).Add(1)
		if verb == "delete" {
			recordDeletion(ctx, obj)
		}
	})
}

func newNamespace(t *testing.T) string { return envtestutil.NewNamespace(t, k8s) }

func sampleStack(t *testing.T, namespace string) *platformv1alpha1.DocuFlowStack {
	return envtestutil.SampleStack(t, namespace)
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

// waitReady waits until the stack reports Ready=True at its generation.
func waitReady(t *testing.T, key client.ObjectKey) *platformv1alpha1.DocuFlowStack {
	t.Helper()
	var stack *platformv1alpha1.DocuFlowStack
	eventually(t, 60*time.Second, "stack Ready", func() error {
		stack = getStack(t, key)
		c := meta.FindStatusCondition(stack.Status.Conditions, platformv1alpha1.ConditionReady)
		if c == nil || c.Status != "True" || stack.Status.ObservedGeneration != stack.Generation {
			return fmt.Errorf("Ready=%+v observedGeneration=%d generation=%d", c, stack.Status.ObservedGeneration, stack.Generation)
		}
		return nil
	})
	return stack
}

// namespaceWrites returns how many writes the running operator made in ns.
func namespaceWrites(ns string) int64 {
	v, ok := writesByNamespace.Load(ns)
	if !ok {
		return 0
	}
	return v.(*atomic.Int64).Load()
}

// deletionLog records, for namespaces a test asks for, every child the
// operator deletes, in order, with the child as the API server had it at that
// moment.
type deletionLog struct {
	mu    sync.Mutex
	order []string
	// atDelete holds each deleted child as the API server had it at the
	// moment the operator asked for its deletion.
	atDelete map[string]core.Object
}

var deletionLogs sync.Map // namespace -> *deletionLog

// watchDeletions starts recording the operator's deletions in ns.
func watchDeletions(ns string) *deletionLog {
	l := &deletionLog{}
	deletionLogs.Store(ns, l)
	return l
}

func recordDeletion(ctx context.Context, obj client.Object) {
	v, ok := deletionLogs.Load(obj.GetNamespace())
	if !ok {
		return
	}
	l := v.(*deletionLog)
	kind := kindOf(obj.(core.Object))
	l.mu.Lock()
	defer l.mu.Unlock()
	if live, ok := obj.DeepCopyObject().(core.Object); ok && k8s.Get(ctx, client.ObjectKeyFromObject(obj), live) == nil {
		if l.atDelete == nil {
			l.atDelete = map[string]core.Object{}
		}
		l.atDelete[kind+"/"+obj.GetName()] = live
	}
	l.order = append(l.order, kind+"/"+obj.GetName())
}
