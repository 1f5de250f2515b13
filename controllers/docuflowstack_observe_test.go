package controllers

import (
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	dto "github.com/prometheus/client_model/go"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"

	platformv1alpha1 "github.com/docuflow/docuflow-operator/api/v1alpha1"
	"github.com/docuflow/docuflow-operator/internal/ack/core"
	ecsv1alpha1 "github.com/docuflow/docuflow-operator/internal/ack/ecs/v1alpha1"
)

func serviceWith(deployments ...*ecsv1alpha1.Deployment) map[childKey]core.Object {
	svc := &ecsv1alpha1.Service{}
	svc.Status.Deployments = deployments
	return map[childKey]core.Object{{"Service", "p-api"}: svc}
}

func TestObserveRollout(t *testing.T) {
	primary := &ecsv1alpha1.Deployment{Status: ptr.To("PRIMARY"), TaskDefinition: ptr.To("arn:td:2"), RolloutState: ptr.To("IN_PROGRESS"), DesiredCount: ptr.To[int64](3), RunningCount: ptr.To[int64](1), PendingCount: ptr.To[int64](2)}
	failed := &ecsv1alpha1.Deployment{Status: ptr.To("ACTIVE"), TaskDefinition: ptr.To("arn:td:3"), RolloutState: ptr.To("FAILED"), RolloutStateReason: ptr.To("ECS deployment circuit breaker: tasks failed to start.")}
	tests := []struct {
		name         string
		observed     map[childKey]core.Object
		wantRollout  *platformv1alpha1.RolloutStatus
		wantRollBack metav1.ConditionStatus
		wantMessage  string
	}{
		{"a rollout under way reports its counts", serviceWith(primary), &platformv1alpha1.RolloutStatus{TaskDefinition: "arn:td:2", State: "IN_PROGRESS", Desired: 3, Running: 1, Pending: 2, Deployments: 1}, metav1.ConditionFalse, "No rollout"},
		{"a rollout the circuit breaker undid is reported as rolled back", serviceWith(primary, failed), &platformv1alpha1.RolloutStatus{TaskDefinition: "arn:td:2", State: "IN_PROGRESS", Desired: 3, Running: 1, Pending: 2, Deployments: 2}, metav1.ConditionTrue, "ECS rolled back the deployment of arn:td:3: ECS deployment circuit breaker"},
		{"no service means no rollout", map[childKey]core.Object{}, nil, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stack := &platformv1alpha1.DocuFlowStack{}
			observeRollout(stack, tt.observed)
			if (stack.Status.Rollout == nil) != (tt.wantRollout == nil) || (tt.wantRollout != nil && *stack.Status.Rollout != *tt.wantRollout) {
				t.Errorf("rollout = %+v, want %+v", stack.Status.Rollout, tt.wantRollout)
			}
			c := meta.FindStatusCondition(stack.Status.Conditions, platformv1alpha1.ConditionRolledBack)
			if tt.wantRollBack == "" {
				if c != nil {
					t.Errorf("RolledBack = %+v without a service", c)
				}
				return
			}
			if c == nil || c.Status != tt.wantRollBack || !strings.Contains(c.Message, tt.wantMessage) {
				t.Errorf("RolledBack = %+v, want %s with %q", c, tt.wantRollBack, tt.wantMessage)
			}
		})
	}
}

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
