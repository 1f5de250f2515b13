package desired

import (
	"strings"
	"testing"

	apimeta "k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	platformv1alpha1 "github.com/docuflow/docuflow-operator/api/v1alpha1"
	"github.com/docuflow/docuflow-operator/internal/ack/core"
	ecsv1alpha1 "github.com/docuflow/docuflow-operator/internal/ack/ecs/v1alpha1"
)

func serviceWith(deployments ...*ecsv1alpha1.Deployment) []core.Object {
	svc := &ecsv1alpha1.Service{}
	svc.Status.Deployments = deployments
	return []core.Object{svc}
}

func TestReadRollout(t *testing.T) {
	primary := &ecsv1alpha1.Deployment{Status: ptr.To("PRIMARY"), TaskDefinition: ptr.To("arn:td:2"), RolloutState: ptr.To("IN_PROGRESS"), DesiredCount: ptr.To[int64](3), RunningCount: ptr.To[int64](1), PendingCount: ptr.To[int64](2)}
	failed := &ecsv1alpha1.Deployment{Status: ptr.To("ACTIVE"), TaskDefinition: ptr.To("arn:td:3"), RolloutState: ptr.To("FAILED"), RolloutStateReason: ptr.To("ECS deployment circuit breaker: tasks failed to start.")}
	tests := []struct {
		name         string
		observed     []core.Object
		wantRollout  *platformv1alpha1.RolloutStatus
		wantRollBack metav1.ConditionStatus
		wantMessage  string
	}{
		{"a rollout under way reports its counts", serviceWith(primary), &platformv1alpha1.RolloutStatus{TaskDefinition: "arn:td:2", State: "IN_PROGRESS", Desired: 3, Running: 1, Pending: 2, Deployments: 1}, metav1.ConditionFalse, "No rollout"},
		{"a rollout the circuit breaker undid is reported as rolled back", serviceWith(primary, failed), &platformv1alpha1.RolloutStatus{TaskDefinition: "arn:td:2", State: "IN_PROGRESS", Desired: 3, Running: 1, Pending: 2, Deployments: 2}, metav1.ConditionTrue, "ECS rolled back the deployment of arn:td:3: ECS deployment circuit breaker"},
		{"no service means no rollout", nil, nil, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stack := &platformv1alpha1.DocuFlowStack{}
			ReadRollout(stack, tt.observed)
			if (stack.Status.Rollout == nil) != (tt.wantRollout == nil) || (tt.wantRollout != nil && *stack.Status.Rollout != *tt.wantRollout) {
				t.Errorf("rollout = %+v, want %+v", stack.Status.Rollout, tt.wantRollout)
			}
			c := apimeta.FindStatusCondition(stack.Status.Conditions, platformv1alpha1.ConditionRolledBack)
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
