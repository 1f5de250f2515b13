package desired

import (
	"fmt"
	"slices"
	"strings"
	"time"

	ackv1alpha1 "github.com/aws-controllers-k8s/runtime/apis/core/v1alpha1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/utils/ptr"

	platformv1alpha1 "github.com/docuflow/docuflow-operator/api/v1alpha1"

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

// State is what a child's ACK status says of it: ready, or the reason and
// message of what holds it. Terminal means it needs a person (the stack is
// Stalled).
type State struct {
	Ready    bool
	Terminal bool
	Reason   string
	Message  string
}

// SilentAfter is how long a child may exist without any ACK condition before
// its state says so: every ACK controller writes conditions at its first
// reconcile, so a longer silence means the controller is not running, not
// watching the namespace, or failing on the child before it writes anything
// (elbv2-controller 1.6.1 panics on a load balancer it created but never
// recorded).
const SilentAfter = 2 * time.Minute

// Silence returns how long obj has existed without an ACK condition, and how
// long until that reaches SilentAfter (zero once it has).
func Silence(obj core.Object, now time.Time) (silent, due time.Duration) {
	if obj == nil || len(obj.ACKStatus().Conditions) > 0 {
		return 0, 0
	}
	created := obj.GetCreationTimestamp()
	if created.IsZero() {
		return 0, 0
	}
	silent = now.Sub(created.Time)
	if silent < SilentAfter {
		return silent, SilentAfter - silent
	}
	return silent, 0
}

// StateOf reads a live child. The first check that fails gives the reason:
// a gate probe's answer, a create AWS refuses because ACK lost track of what
// it made, Terminal, Recoverable, ready, still serving, unresolved
// references, silence, not synced. who names the child in messages, stack is
// the stack's name, silent is how long ACK has written nothing on it.
func StateOf(who string, live core.Object, stack string, silent time.Duration) State {
	if controller, probe := IsProbe(live); probe {
		return probeState(who, controller, ProbeResult(live))
	}
	if hint, lost := LostTrack(live, stack); lost {
		return State{Terminal: true, Reason: platformv1alpha1.ReasonLostTrack, Message: fmt.Sprintf("%s: %s", who, hint)}
	}
	st := live.ACKStatus()
	if cond := st.Condition(ackv1alpha1.ConditionTypeTerminal); isTrue(cond) {
		return State{Terminal: true, Reason: platformv1alpha1.ReasonTerminal, Message: fmt.Sprintf("%s: %s", who, conditionText(cond, "ACK reports a terminal error"))}
	}
	if cond := st.Condition(ackv1alpha1.ConditionTypeRecoverable); isTrue(cond) {
		if StillCreating(live) {
			return State{Reason: platformv1alpha1.ReasonCreating, Message: fmt.Sprintf("%s: %s", who, conditionText(cond, "being created"))}
		}
		return State{Reason: platformv1alpha1.ReasonRecoverable, Message: fmt.Sprintf("%s: %s", who, conditionText(cond, "ACK retries after an error"))}
	}
	ready := st.Condition(ackv1alpha1.ConditionTypeReady)
	if ready == nil {
		ready = st.Condition(ackv1alpha1.ConditionTypeResourceSynced)
	}
	if isTrue(ready) {
		return State{Ready: true, Reason: platformv1alpha1.ReasonReady}
	}
	if note, ok := StillServing(live); ok {
		return State{Ready: true, Reason: platformv1alpha1.ReasonReady, Message: fmt.Sprintf("%s: %s", who, note)}
	}
	// The runtime marks an unresolved reference Unknown (False only for a
	// Terminal target or a refused cross-namespace reference), with a
	// generic message and the cause in the reason.
	if cond := st.Condition(ackv1alpha1.ConditionTypeReferencesResolved); cond != nil && cond.Status != corev1.ConditionTrue {
		return State{Reason: platformv1alpha1.ReasonWaitingForDependency, Message: fmt.Sprintf("%s: %s", who, conditionText(cond, "waiting for its references"))}
	}
	if len(st.Conditions) == 0 && silent >= SilentAfter {
		return State{Reason: platformv1alpha1.ReasonCreating, Message: fmt.Sprintf(
			"%s: ACK has written no condition on it in the %s since it was created: is its ACK controller running and watching this namespace? If it is, its log says why (README, \"A child AWS says already exists\").",
			who, silent.Round(time.Second))}
	}
	synced := st.Condition(ackv1alpha1.ConditionTypeResourceSynced)
	return State{Reason: platformv1alpha1.ReasonCreating, Message: fmt.Sprintf("%s: %s", who, conditionText(synced, "ACK has not synced it yet"))}
}

// probeState is the state of a gate probe: ready when the controller runs
// with the gate, stalled (it needs a person) when it runs without.
func probeState(who, controller string, g Gate) State {
	switch g {
	case GateOn:
		return State{Ready: true, Reason: platformv1alpha1.ReasonReady}
	case GateOff:
		return State{Terminal: true, Reason: platformv1alpha1.ReasonACKFeatureGateMissing, Message: fmt.Sprintf(
			"%s: the %s ACK controller runs without the IgnoreFieldDrift feature gate; restart it with --feature-gates IgnoreFieldDrift=true (until then the children that need it are held)", who, controller)}
	}
	return State{Reason: platformv1alpha1.ReasonCreating, Message: fmt.Sprintf("%s: waiting for the %s ACK controller to answer the IgnoreFieldDrift gate probe", who, controller)}
}

// Trusted reports whether the values ACK wrote into the child's status are the
// stack's own, so that they may flow into other children and the stack's
// status. A Terminal child is not trusted: when an AWS name is already taken,
// ACK marks the child Terminal ("resource already exists") and still copies
// what AWS holds under that name (another tenant's ARNs) into its status. Nor
// is a child whose ARN names a region other than the stack's, or an account
// other than the one ACK reports owning it. Gate probes are Terminal by design
// and carry no values; they are trusted.
func Trusted(stack *platformv1alpha1.DocuFlowStack, obj core.Object) bool {
	if _, probe := IsProbe(obj); probe {
		return true
	}
	if IsTerminal(obj) {
		return false
	}
	md := obj.ACKStatus().ACKResourceMetadata
	if md == nil {
		return true
	}
	if md.Region != nil && string(*md.Region) != "" && string(*md.Region) != stack.Spec.Region {
		return false
	}
	if md.ARN == nil {
		return true
	}
	a, ok := parseARN(string(*md.ARN))
	if !ok {
		return false
	}
	if a.region != "" && a.region != stack.Spec.Region {
		return false
	}
	return md.OwnerAccountID == nil || string(*md.OwnerAccountID) == "" || a.account == "" || a.account == string(*md.OwnerAccountID)
}

// arn is the part of an Amazon Resource Name that says where it lives.
type arn struct{ region, account string }

// parseARN splits "arn:partition:service:region:account:resource".
func parseARN(s string) (arn, bool) {
	parts := strings.SplitN(s, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" {
		return arn{}, false
	}
	return arn{region: parts[3], account: parts[4]}, true
}

// IsTerminal reports whether ACK gave up on the child until its spec changes.
func IsTerminal(obj core.Object) bool {
	return isTrue(obj.ACKStatus().Condition(ackv1alpha1.ConditionTypeTerminal))
}

// IsSynced reports whether ACK reports the child's spec synced with AWS.
func IsSynced(obj core.Object) bool {
	return isTrue(obj.ACKStatus().Condition(ackv1alpha1.ConditionTypeResourceSynced))
}

// RetryingError returns the error ACK retries on the child, as AWS gave it:
// what a refused deletion shows.
func RetryingError(obj core.Object) (string, bool) {
	c := obj.ACKStatus().Condition(ackv1alpha1.ConditionTypeRecoverable)
	if !isTrue(c) {
		return "", false
	}
	return conditionText(c, "an error ACK retries"), true
}

// genericMessages are the runtime's condition messages that say nothing of
// the cause; the cause is in the condition's reason.
var genericMessages = []string{
	"Reference resolution failed",
	"Resource not synced",
	"Unable to determine if desired resource state matches latest observed state",
	"Late initialization did not complete, requeuing with delay of 5 seconds",
}

func isTrue(c *ackv1alpha1.Condition) bool { return c != nil && c.Status == corev1.ConditionTrue }

// conditionText is a condition's message, or its reason when the message is
// one of the runtime's generic ones, or fallback.
func conditionText(c *ackv1alpha1.Condition, fallback string) string {
	if c == nil {
		return fallback
	}
	msg, reason := ptr.Deref(c.Message, ""), ptr.Deref(c.Reason, "")
	if reason != "" && (msg == "" || slices.Contains(genericMessages, msg)) {
		return reason
	}
	if msg != "" {
		return msg
	}
	return fallback
}
