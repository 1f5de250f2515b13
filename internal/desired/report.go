package desired

import (
	"fmt"

	apimeta "k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	platformv1alpha1 "github.com/docuflow/docuflow-operator/api/v1alpha1"
	"github.com/docuflow/docuflow-operator/internal/ack/core"
	ecsv1alpha1 "github.com/docuflow/docuflow-operator/internal/ack/ecs/v1alpha1"
	elbv2v1alpha1 "github.com/docuflow/docuflow-operator/internal/ack/elbv2/v1alpha1"
	rdsv1alpha1 "github.com/docuflow/docuflow-operator/internal/ack/rds/v1alpha1"
)

// rolloutFailed is the rollout state of a deployment the circuit breaker
// stopped (deploymentPrimary, in compute.go, is the other ECS value read).
const rolloutFailed = "FAILED"

// ReadEndpoints fills the parts of the stack's status a user connects with
// from its children: the URL and DNS name of the load balancer, the database
// endpoint and secret, and the service's task count. Each stays empty until
// ACK reports it.
func ReadEndpoints(stack *platformv1alpha1.DocuFlowStack, children []core.Object) {
	st := &stack.Status
	st.URL, st.LoadBalancerDNSName, st.Tasks, st.Database = "", "", "", nil
	for _, obj := range children {
		if !Trusted(stack, obj) {
			continue
		}
		switch o := obj.(type) {
		case *elbv2v1alpha1.LoadBalancer:
			if dns := ptr.Deref(o.Status.DNSName, ""); dns != "" {
				st.LoadBalancerDNSName = dns
				scheme := "https"
				if stack.Spec.LoadBalancer.InsecureHTTPOnly {
					scheme = "http"
				}
				st.URL = scheme + "://" + dns
			}
		case *rdsv1alpha1.DBInstance:
			db := &platformv1alpha1.DatabaseStatus{}
			if e := o.Status.Endpoint; e != nil {
				db.Endpoint = ptr.Deref(e.Address, "")
				db.Port = int32(ptr.Deref(e.Port, 0))
			}
			if sec := o.Status.MasterUserSecret; sec != nil {
				db.SecretARN = ptr.Deref(sec.SecretARN, "")
			}
			if *db != (platformv1alpha1.DatabaseStatus{}) {
				st.Database = db
			}
		case *ecsv1alpha1.Service:
			for _, d := range o.Status.Deployments {
				if d != nil && ptr.Deref(d.Status, "") == deploymentPrimary && d.DesiredCount != nil {
					st.Tasks = fmt.Sprintf("%d/%d", ptr.Deref(d.RunningCount, 0), *d.DesiredCount)
				}
			}
		}
	}
}

// ReadRollout fills the stack's status.rollout from the ECS service's
// primary deployment, and its RolledBack condition from whether the
// deployment circuit breaker rolled the last rollout back.
func ReadRollout(stack *platformv1alpha1.DocuFlowStack, children []core.Object) {
	st := &stack.Status
	st.Rollout = nil
	var svc *ecsv1alpha1.Service
	for _, obj := range children {
		if s, ok := obj.(*ecsv1alpha1.Service); ok && Trusted(stack, s) {
			svc = s
		}
	}
	if svc == nil {
		apimeta.RemoveStatusCondition(&st.Conditions, platformv1alpha1.ConditionRolledBack)
		return
	}
	r := &platformv1alpha1.RolloutStatus{Deployments: int32(len(svc.Status.Deployments))}
	var failed *ecsv1alpha1.Deployment
	for _, d := range svc.Status.Deployments {
		if d == nil {
			continue
		}
		if ptr.Deref(d.Status, "") == deploymentPrimary {
			r.TaskDefinition = ptr.Deref(d.TaskDefinition, "")
			r.State = ptr.Deref(d.RolloutState, "")
			r.Reason = ptr.Deref(d.RolloutStateReason, "")
			r.Desired = ptr.Deref(d.DesiredCount, 0)
			r.Running = ptr.Deref(d.RunningCount, 0)
			r.Pending = ptr.Deref(d.PendingCount, 0)
		}
		if ptr.Deref(d.RolloutState, "") == rolloutFailed {
			failed = d
		}
	}
	st.Rollout = r
	if failed != nil {
		apimeta.SetStatusCondition(&st.Conditions, metav1.Condition{
			Type: platformv1alpha1.ConditionRolledBack, Status: metav1.ConditionTrue, Reason: platformv1alpha1.ReasonCircuitBreaker, ObservedGeneration: stack.Generation,
			Message: fmt.Sprintf("ECS rolled back the deployment of %s: %s", ptr.Deref(failed.TaskDefinition, "a task definition"), ptr.Deref(failed.RolloutStateReason, "the deployment circuit breaker tripped")),
		})
		return
	}
	apimeta.SetStatusCondition(&st.Conditions, metav1.Condition{
		Type: platformv1alpha1.ConditionRolledBack, Status: metav1.ConditionFalse, Reason: platformv1alpha1.ReasonRolloutHealthy, ObservedGeneration: stack.Generation,
		Message: "No rollout was rolled back.",
	})
}
