package desired

import (
	"fmt"
	"slices"
	"strings"

	ackv1alpha1 "github.com/aws-controllers-k8s/runtime/apis/core/v1alpha1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/docuflow/docuflow-operator/internal/ack"
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

// lostTrackErrors are, per kind AWS identifies by a generated ID, the errors
// its create answers when the resource it would make already exists: what an
// orphan left by ACK's crash window makes every later create answer. A kind
// AWS identifies by name is absent: ACK's restart finds it by name. So are
// the VPC, route table, internet gateway and Elastic IP (AWS makes a second
// one without complaint), the flow log (AWS answers the duplicate as an
// unsuccessful item, which ec2-controller 1.20.0 records in status instead of
// failing) and the NAT gateway (AWS creates it, then fails it because the
// orphan holds the Elastic IP): the README gives their steps.
var lostTrackErrors = map[string][]string{
	"Subnet":        {"InvalidSubnet.Conflict"},
	"SecurityGroup": {"InvalidGroup.Duplicate"},
	"VPCEndpoint":   {"conflicting DNS domain"},
}

// LostTrack reports whether ACK is failing to create a child because AWS
// already holds it while the child records no AWS identity, and says what to
// do. That is ACK's crash window: a controller that stops after AWS answered
// a create but before it wrote the answer into the child leaves the resource
// in AWS unmanaged, and the runtime creates it again at its restart; for the
// kinds of lostTrackErrors that create then fails for ever. Another owner of
// the same range or name reads the same way, hence the tags in the hint.
// stack is the stack's name, as its tag holds it.
func LostTrack(obj core.Object, stack string) (string, bool) {
	codes := lostTrackErrors[ack.KindOf(obj)]
	if len(codes) == 0 {
		return "", false
	}
	st := obj.ACKStatus()
	var msg string
	for _, t := range []ackv1alpha1.ConditionType{ackv1alpha1.ConditionTypeRecoverable, ackv1alpha1.ConditionTypeTerminal} {
		c := st.Condition(t)
		if c == nil || c.Status != corev1.ConditionTrue || c.Message == nil {
			continue
		}
		if slices.ContainsFunc(codes, func(code string) bool { return strings.Contains(*c.Message, code) }) {
			msg = *c.Message
			break
		}
	}
	if msg == "" || recordsAWSIdentity(obj) {
		return "", false
	}
	return fmt.Sprintf("AWS says it already exists (%s), but ACK has recorded no AWS ID for it: an ACK controller most likely stopped between creating it and recording it, and left it in AWS unmanaged. "+
		"Find it in AWS by the tags %s=%s and %s=%s: if it has them it is that orphan, and deleting it lets ACK create it again; if not, something else holds that range or name and the stack's spec must change. README, \"A child AWS says already exists\".",
		msg, TagStack, stack, TagNamespace, obj.GetNamespace()), true
}

// recordsAWSIdentity reports whether ACK wrote anything AWS answered into the
// child's status: an ARN, or any status field besides the conditions and
// the account and region the runtime fills before it creates.
func recordsAWSIdentity(obj core.Object) bool {
	if obj.ACKStatus().ARN() != "" {
		return true
	}
	u, err := runtime.DefaultUnstructuredConverter.ToUnstructured(obj)
	if err != nil {
		return true
	}
	status, _ := u["status"].(map[string]any)
	for k, v := range status {
		if k == "conditions" || k == "ackResourceMetadata" {
			continue
		}
		if !isEmptyValue(v) {
			return true
		}
	}
	return false
}

// isEmptyValue reports whether a status value says nothing: nil, zero, false,
// empty, or made only of such values.
func isEmptyValue(v any) bool {
	switch x := v.(type) {
	case nil:
		return true
	case string:
		return x == ""
	case bool:
		return !x
	case int64:
		return x == 0
	case float64:
		return x == 0
	case []any:
		return len(x) == 0
	case map[string]any:
		for _, e := range x {
			if !isEmptyValue(e) {
				return false
			}
		}
		return true
	}
	return false
}
