package controllers

import (
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/metrics"

	platformv1alpha1 "github.com/docuflow/docuflow-operator/api/v1alpha1"
)

// Operator metrics, served on the manager's metrics endpoint next to
// controller-runtime's own.
var (
	stacksByReady = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "docuflow_stacks",
		Help: "DocuFlowStacks this operator manages, by the status of their Ready condition.",
	}, []string{"ready"})
	reconcileErrors = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "docuflow_reconcile_errors_total",
		Help: "Reconcile errors by component family (spec for invalid input the schema could not catch).",
	}, []string{"family"})
	timeToReady = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name:    "docuflow_stack_time_to_ready_seconds",
		Help:    "Time from a stack's creation to its first Ready=True seen by this operator.",
		Buckets: []float64{5, 15, 30, 60, 120, 300, 600, 900, 1200, 1800, 2700, 3600, 7200},
	})
)

func init() {
	metrics.Registry.MustRegister(stacksByReady, reconcileErrors, timeToReady)
}

// readyTracker remembers each stack's Ready status for the gauge, and which
// stacks have already been seen ready for the histogram.
type readyTracker struct {
	mu        sync.Mutex
	state     map[types.NamespacedName]string
	seenReady map[types.UID]bool
}

var tracker = &readyTracker{state: map[types.NamespacedName]string{}, seenReady: map[types.UID]bool{}}

// observe records a stack's current Ready status.
func (t *readyTracker) observe(stack *platformv1alpha1.DocuFlowStack, now time.Time) {
	ready := "Unknown"
	if c := meta.FindStatusCondition(stack.Status.Conditions, platformv1alpha1.ConditionReady); c != nil {
		ready = string(c.Status)
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	t.state[types.NamespacedName{Namespace: stack.Namespace, Name: stack.Name}] = ready
	if ready == "True" && !t.seenReady[stack.UID] {
		t.seenReady[stack.UID] = true
		timeToReady.Observe(now.Sub(stack.CreationTimestamp.Time).Seconds())
	}
	t.publishLocked()
}

// forget drops a stack that no longer exists.
func (t *readyTracker) forget(key types.NamespacedName) {
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.state, key)
	t.publishLocked()
}

func (t *readyTracker) publishLocked() {
	counts := map[string]float64{"True": 0, "False": 0, "Unknown": 0}
	for _, s := range t.state {
		counts[s]++
	}
	for s, n := range counts {
		stacksByReady.WithLabelValues(s).Set(n)
	}
}
