package desired

import (
	"slices"
	"strings"

	ackv1alpha1 "github.com/aws-controllers-k8s/runtime/apis/core/v1alpha1"
	corev1 "k8s.io/api/core/v1"

	"github.com/docuflow/docuflow-operator/internal/ack/core"
	rdsv1alpha1 "github.com/docuflow/docuflow-operator/internal/ack/rds/v1alpha1"
)

// servingStates are the RDS instance states in which an instance that was
// available keeps serving: the rds controller reports such an instance not
// synced (it requeues until "available"), which would flip the stack's
// DatabaseReady during every backup or after storage autoscaling.
var servingStates = []string{"backing-up", "modifying", "storage-optimization", "maintenance", "upgrading", "renaming", "resetting-master-credentials"}

// StillServing reports whether a child that ACK reports not synced is a
// resource that exists and serves meanwhile, and says what it is doing:
// a database with an endpoint in one of servingStates or configuring
// something.
func StillServing(obj core.Object) (string, bool) {
	db, ok := obj.(*rdsv1alpha1.DBInstance)
	if !ok || db.Status.Endpoint == nil || db.Status.DBInstanceStatus == nil {
		return "", false
	}
	state := *db.Status.DBInstanceStatus
	if slices.Contains(servingStates, state) || strings.HasPrefix(state, "configuring-") {
		return "serving while " + state, true
	}
	return "", false
}

// StillCreating reports whether an ACK.Recoverable=True child is only being
// created: the ec2 controller reports a pending NAT gateway with a requeue
// error the runtime shows as Recoverable ("resource is pending").
func StillCreating(obj core.Object) bool {
	c := obj.ACKStatus().Condition(ackv1alpha1.ConditionTypeRecoverable)
	return c != nil && c.Status == corev1.ConditionTrue && c.Message != nil && *c.Message == "resource is pending"
}
