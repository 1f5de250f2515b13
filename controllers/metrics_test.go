package controllers

import (
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	dto "github.com/prometheus/client_model/go"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	platformv1alpha1 "github.com/docuflow/docuflow-operator/api/v1alpha1"
)

func TestMetricsCountStacksByReadyAndTimeToReady(t *testing.T) {
	tr := &readyTracker{state: map[types.NamespacedName]string{}, seenReady: map[types.UID]bool{}}
	created := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	stack := func(name string, ready metav1.ConditionStatus) *platformv1alpha1.DocuFlowStack {
		s := &platformv1alpha1.DocuFlowStack{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "m", UID: types.UID(name), CreationTimestamp: metav1.NewTime(created)}}
		meta.SetStatusCondition(&s.Status.Conditions, metav1.Condition{Type: platformv1alpha1.ConditionReady, Status: ready, Reason: "R"})
		return s
	}
	histBefore := histogramCount(t)
	tr.observe(stack("a", metav1.ConditionTrue), created.Add(90*time.Second))
	tr.observe(stack("a", metav1.ConditionTrue), created.Add(95*time.Second)) // seen ready already
	tr.observe(stack("b", metav1.ConditionFalse), created.Add(time.Second))
	if got := testutil.ToFloat64(stacksByReady.WithLabelValues("True")); got != 1 {
		t.Errorf("stacks ready = %v, want 1", got)
	}
	if got := testutil.ToFloat64(stacksByReady.WithLabelValues("False")); got != 1 {
		t.Errorf("stacks not ready = %v, want 1", got)
	}
	if got := histogramCount(t) - histBefore; got != 1 {
		t.Errorf("time to ready observed %d times, want once per stack", got)
	}
	tr.forget(types.NamespacedName{Namespace: "m", Name: "b"})
	if got := testutil.ToFloat64(stacksByReady.WithLabelValues("False")); got != 0 {
		t.Errorf("a deleted stack is still counted: %v", got)
	}
}

func histogramCount(t *testing.T) uint64 {
	t.Helper()
	m := &dto.Metric{}
	if err := timeToReady.Write(m); err != nil {
		t.Fatal(err)
	}
	return m.GetHistogram().GetSampleCount()
}
