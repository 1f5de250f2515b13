package controllers

import (
	"context"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/metrics"

	platformv1alpha1 "github.com/docuflow/docuflow-operator/api/v1alpha1"
)

// Operator metrics, served on the manager's metrics endpoint next to
// controller-runtime's own. None of them is kept between passes: the stack
// count is read from the cache at each scrape, and time to ready is observed
// when a status write turns Ready True.
var (
	reconcileErrors = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "docuflow_reconcile_errors_total",
		Help: "Reconcile errors by component family (spec for invalid input the schema could not catch).",
	}, []string{"family"})
	timeToReady = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name:    "docuflow_stack_time_to_ready_seconds",
		Help:    "How long a stack took to turn Ready=True: from its first status (a new stack) or from when it stopped being ready.",
		Buckets: []float64{5, 15, 30, 60, 120, 300, 600, 900, 1200, 1800, 2700, 3600, 7200},
	})
	stacks = &stackCollector{desc: prometheus.NewDesc("docuflow_stacks",
		"DocuFlowStacks this operator manages, by the status of their Ready condition.", []string{"ready"}, nil)}
)

func init() {
	metrics.Registry.MustRegister(stacks, reconcileErrors, timeToReady)
}

// countStacksFrom points the stack count at a manager's cache.
func countStacksFrom(reader client.Reader) {
	stacks.mu.Lock()
	defer stacks.mu.Unlock()
	stacks.reader = reader
}

// stackCollector counts the stacks by Ready at each scrape, from the cache.
type stackCollector struct {
	desc   *prometheus.Desc
	mu     sync.Mutex
	reader client.Reader
}

func (c *stackCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.desc }

func (c *stackCollector) Collect(ch chan<- prometheus.Metric) {
	c.mu.Lock()
	reader := c.reader
	c.mu.Unlock()
	if reader == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	list := &platformv1alpha1.DocuFlowStackList{}
	if err := reader.List(ctx, list); err != nil {
		ch <- prometheus.NewInvalidMetric(c.desc, err)
		return
	}
	counts := map[string]float64{string(metav1.ConditionTrue): 0, string(metav1.ConditionFalse): 0, string(metav1.ConditionUnknown): 0}
	for i := range list.Items {
		counts[readyOf(&list.Items[i].Status)]++
	}
	for ready, n := range counts {
		ch <- prometheus.MustNewConstMetric(c.desc, prometheus.GaugeValue, n, ready)
	}
}

// readyOf is the status of a stack's Ready condition, Unknown when absent.
func readyOf(st *platformv1alpha1.DocuFlowStackStatus) string {
	if c := meta.FindStatusCondition(st.Conditions, platformv1alpha1.ConditionReady); c != nil {
		return string(c.Status)
	}
	return string(metav1.ConditionUnknown)
}

// observeReadyTransition records time to ready when the status just written
// turns Ready True. The clock starts when the status before it turned Ready
// False or Unknown (for a new stack, its first status write, one pass after
// its creation), or at the stack's creation when it had no Ready yet.
func observeReadyTransition(h prometheus.Observer, stack *platformv1alpha1.DocuFlowStack, written *platformv1alpha1.DocuFlowStackStatus, now time.Time) {
	if readyOf(&stack.Status) != string(metav1.ConditionTrue) || readyOf(written) == string(metav1.ConditionTrue) {
		return
	}
	since := stack.CreationTimestamp.Time
	if c := meta.FindStatusCondition(written.Conditions, platformv1alpha1.ConditionReady); c != nil && !c.LastTransitionTime.IsZero() {
		since = c.LastTransitionTime.Time
	}
	h.Observe(now.Sub(since).Seconds())
}
