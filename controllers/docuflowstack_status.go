package controllers

import (
	"cmp"
	"fmt"
	"slices"
	"time"

	ackv1alpha1 "github.com/aws-controllers-k8s/runtime/apis/core/v1alpha1"
	corev1 "k8s.io/api/core/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	platformv1alpha1 "github.com/docuflow/docuflow-operator/api/v1alpha1"
	"github.com/docuflow/docuflow-operator/internal/ack/core"
	"github.com/docuflow/docuflow-operator/internal/desired"
)

// Family names a group of children that share one condition; the values are
// those of the builders' platform.docuflow.io/family label.
type Family string

// The component families, in dependency order.
const (
	FamilyNetwork      Family = desired.FamilyNetwork
	FamilyDatabase     Family = desired.FamilyDatabase
	FamilyLoadBalancer Family = desired.FamilyLoadBalancer
	FamilyService      Family = desired.FamilyService
	FamilyAutoscaling  Family = desired.FamilyAutoscaling
	FamilyAlarms       Family = desired.FamilyAlarms
)

// familyCondition returns a family's condition type.
func familyCondition(f Family) string { return desired.FamilyConditions[string(f)] }

// childFacts is what one pass learned about one desired child.
type childFacts struct {
	Family Family
	Kind   string
	Name   string
	// Live is the child as last observed, nil when it does not exist.
	Live core.Object
	// WaitsFor names the value the child waits for when it cannot be created
	// yet; empty once it could be rendered.
	WaitsFor string
	// Stack is the stack's name.
	Stack string
	// Silent is how long the child has existed without ACK writing a single
	// condition on it; zero once it has one.
	Silent time.Duration
}

// silentAfter is how long a child may exist without any ACK condition before
// the status says so: every ACK controller writes conditions at its first
// reconcile, so a longer silence means the controller is not running, not
// watching the namespace, or failing on the child before it writes anything
// (elbv2-controller 1.6.1 panics on a load balancer it created but never
// recorded).
const silentAfter = 2 * time.Minute

// silence returns how long obj has existed without an ACK condition, and
// how long until that reaches silentAfter (zero once it has).
func silence(obj core.Object, now time.Time) (silent, due time.Duration) {
	if obj == nil || len(obj.ACKStatus().Conditions) > 0 {
		return 0, 0
	}
	created := obj.GetCreationTimestamp()
	if created.IsZero() {
		return 0, 0
	}
	silent = now.Sub(created.Time)
	if silent < silentAfter {
		return silent, silentAfter - silent
	}
	return silent, 0
}

// passFacts is everything the status is computed from; steps of a pass record
// facts here and only computeStatus turns them into conditions.
type passFacts struct {
	Generation int64
	// Families are the applicable families in dependency order.
	Families []Family
	// Children are the desired children in dependency order.
	Children []childFacts
	// ApplyErr is the first error writing children, if any (the first to
	// come back: writes go out concurrently).
	ApplyErr error
	// InvalidSpec is set when the spec is invalid in a way the schema could not
	// catch.
	InvalidSpec error
	// Suspended is set when spec.suspend stops all changes.
	Suspended bool
}

// childState is the readiness of one child.
type childState struct {
	Ready    bool
	Terminal bool
	Reason   string
	Message  string
}

// readinessOf is the chain of checks whose first failure becomes the child's
// reason: missing, a gate probe's answer, a create AWS refuses because ACK
// lost track of what it made, Terminal, Recoverable, unresolved references,
// not synced.
func readinessOf(c childFacts) childState {
	who := fmt.Sprintf("%s %s", c.Kind, c.Name)
	if c.Live == nil {
		if c.WaitsFor != "" {
			return childState{Reason: platformv1alpha1.ReasonWaitingForDependency, Message: fmt.Sprintf("%s waits for %s.", who, c.WaitsFor)}
		}
		return childState{Reason: platformv1alpha1.ReasonCreating, Message: fmt.Sprintf("%s is being created.", who)}
	}
	if controller, probe := desired.IsProbe(c.Live); probe {
		return probeReadiness(who, controller, desired.ProbeResult(c.Live))
	}
	if hint, lost := desired.LostTrack(c.Live, c.Stack); lost {
		return childState{Terminal: true, Reason: platformv1alpha1.ReasonLostTrack, Message: fmt.Sprintf("%s: %s", who, hint)}
	}
	st := c.Live.ACKStatus()
	if cond := st.Condition(ackv1alpha1.ConditionTypeTerminal); isTrue(cond) {
		return childState{Terminal: true, Reason: platformv1alpha1.ReasonTerminal, Message: fmt.Sprintf("%s: %s", who, text(cond, "ACK reports a terminal error"))}
	}
	if cond := st.Condition(ackv1alpha1.ConditionTypeRecoverable); isTrue(cond) {
		if desired.StillCreating(c.Live) {
			return childState{Reason: platformv1alpha1.ReasonCreating, Message: fmt.Sprintf("%s: %s", who, text(cond, "being created"))}
		}
		return childState{Reason: platformv1alpha1.ReasonRecoverable, Message: fmt.Sprintf("%s: %s", who, text(cond, "ACK retries after an error"))}
	}
	ready := st.Condition(ackv1alpha1.ConditionTypeReady)
	if ready == nil {
		ready = st.Condition(ackv1alpha1.ConditionTypeResourceSynced)
	}
	if isTrue(ready) {
		return childState{Ready: true, Reason: platformv1alpha1.ReasonReady}
	}
	if note, ok := desired.StillServing(c.Live); ok {
		return childState{Ready: true, Reason: platformv1alpha1.ReasonReady, Message: fmt.Sprintf("%s: %s", who, note)}
	}
	// The runtime marks an unresolved reference Unknown (False only for a
	// Terminal target or a refused cross-namespace reference), with a
	// generic message and the cause in the reason.
	if cond := st.Condition(ackv1alpha1.ConditionTypeReferencesResolved); cond != nil && cond.Status != corev1.ConditionTrue {
		return childState{Reason: platformv1alpha1.ReasonWaitingForDependency, Message: fmt.Sprintf("%s: %s", who, text(cond, "waiting for its references"))}
	}
	if len(st.Conditions) == 0 && c.Silent >= silentAfter {
		return childState{Reason: platformv1alpha1.ReasonCreating, Message: fmt.Sprintf(
			"%s: ACK has written no condition on it in the %s since it was created: is its ACK controller running and watching this namespace? If it is, its log says why (README, \"A child AWS says already exists\").",
			who, c.Silent.Round(time.Second))}
	}
	synced := st.Condition(ackv1alpha1.ConditionTypeResourceSynced)
	return childState{Reason: platformv1alpha1.ReasonCreating, Message: fmt.Sprintf("%s: %s", who, text(synced, "ACK has not synced it yet"))}
}

// probeReadiness is the readiness of a gate probe: ready when the controller
// runs with the gate, stalled (it needs a person) when it runs without.
func probeReadiness(who, controller string, g desired.Gate) childState {
	switch g {
	case desired.GateOn:
		return childState{Ready: true, Reason: platformv1alpha1.ReasonReady}
	case desired.GateOff:
		return childState{Terminal: true, Reason: platformv1alpha1.ReasonACKFeatureGateMissing, Message: fmt.Sprintf(
			"%s: the %s ACK controller runs without the IgnoreFieldDrift feature gate; restart it with --feature-gates IgnoreFieldDrift=true (until then the children that need it are held)", who, controller)}
	}
	return childState{Reason: platformv1alpha1.ReasonCreating, Message: fmt.Sprintf("%s: waiting for the %s ACK controller to answer the IgnoreFieldDrift gate probe", who, controller)}
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

// text is a condition's message, or its reason when the message is one of
// the runtime's generic ones, or fallback.
func text(c *ackv1alpha1.Condition, fallback string) string {
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

// computeStatus turns the facts of a pass into the stack's conditions and
// resources list. It is pure: the same facts give the same status.
func computeStatus(f passFacts, status *platformv1alpha1.DocuFlowStackStatus) {
	set := func(t string, s metav1.ConditionStatus, reason, msg string) {
		meta.SetStatusCondition(&status.Conditions, metav1.Condition{Type: t, Status: s, Reason: reason, Message: msg, ObservedGeneration: f.Generation})
	}

	status.Resources = status.Resources[:0]
	byFamily := map[Family][]childState{}
	firstBlock := map[Family]childState{}
	var stalled *childState
	for _, c := range f.Children {
		st := readinessOf(c)
		status.Resources = append(status.Resources, platformv1alpha1.ResourceStatus{Kind: c.Kind, Name: c.Name, Ready: st.Ready, Reason: st.Reason, Message: st.Message})
		byFamily[c.Family] = append(byFamily[c.Family], st)
		if !st.Ready {
			if _, seen := firstBlock[c.Family]; !seen {
				firstBlock[c.Family] = st
			}
			if st.Terminal && stalled == nil {
				s := st
				stalled = &s
			}
		}
	}

	allReady := true
	var blocking *childState
	for _, fam := range f.Families {
		if st, blocked := firstBlock[fam]; blocked {
			allReady = false
			if blocking == nil {
				b := st
				blocking = &b
			}
			set(familyCondition(fam), metav1.ConditionFalse, st.Reason, st.Message)
			continue
		}
		set(familyCondition(fam), metav1.ConditionTrue, platformv1alpha1.ReasonReady, fmt.Sprintf("All %d resources are in sync with AWS.", len(byFamily[fam])))
	}
	// Families that no longer apply (alarms removed) lose their condition.
	for _, fam := range []Family{FamilyAlarms} {
		if !containsFamily(f.Families, fam) {
			meta.RemoveStatusCondition(&status.Conditions, familyCondition(fam))
		}
	}

	if f.Suspended {
		set(platformv1alpha1.ConditionSuspended, metav1.ConditionTrue, platformv1alpha1.ReasonSuspended, "spec.suspend is true: no child is created, changed or pruned until it is false again.")
	} else {
		meta.RemoveStatusCondition(&status.Conditions, platformv1alpha1.ConditionSuspended)
	}
	meta.RemoveStatusCondition(&status.Conditions, platformv1alpha1.ConditionDeleting)

	switch {
	case f.InvalidSpec != nil:
		set(platformv1alpha1.ConditionStalled, metav1.ConditionTrue, platformv1alpha1.ReasonInvalidSpec, f.InvalidSpec.Error())
		set(platformv1alpha1.ConditionReconciling, metav1.ConditionFalse, platformv1alpha1.ReasonInvalidSpec, "The spec must change before the stack can progress.")
		set(platformv1alpha1.ConditionReady, metav1.ConditionFalse, platformv1alpha1.ReasonInvalidSpec, f.InvalidSpec.Error())
	case stalled != nil:
		set(platformv1alpha1.ConditionStalled, metav1.ConditionTrue, stalled.Reason, stalled.Message)
		set(platformv1alpha1.ConditionReconciling, metav1.ConditionFalse, stalled.Reason, "A child cannot progress until a person acts.")
		set(platformv1alpha1.ConditionReady, metav1.ConditionFalse, stalled.Reason, stalled.Message)
	case f.ApplyErr != nil:
		set(platformv1alpha1.ConditionStalled, metav1.ConditionFalse, platformv1alpha1.ReasonApplyFailed, "Writing children failed; retrying.")
		set(platformv1alpha1.ConditionReconciling, metav1.ConditionTrue, platformv1alpha1.ReasonApplyFailed, f.ApplyErr.Error())
		set(platformv1alpha1.ConditionReady, metav1.ConditionFalse, platformv1alpha1.ReasonApplyFailed, f.ApplyErr.Error())
	case !allReady && f.Suspended:
		set(platformv1alpha1.ConditionStalled, metav1.ConditionFalse, platformv1alpha1.ReasonSuspended, "No child reports a terminal error.")
		set(platformv1alpha1.ConditionReconciling, metav1.ConditionFalse, platformv1alpha1.ReasonSuspended, "Suspended: the operator makes no changes.")
		set(platformv1alpha1.ConditionReady, metav1.ConditionFalse, blocking.Reason, blocking.Message)
	case !allReady:
		set(platformv1alpha1.ConditionStalled, metav1.ConditionFalse, platformv1alpha1.ReasonProgressing, "No child reports a terminal error.")
		set(platformv1alpha1.ConditionReconciling, metav1.ConditionTrue, platformv1alpha1.ReasonProgressing, blocking.Message)
		set(platformv1alpha1.ConditionReady, metav1.ConditionFalse, blocking.Reason, blocking.Message)
	default:
		set(platformv1alpha1.ConditionStalled, metav1.ConditionFalse, platformv1alpha1.ReasonReady, "No child reports a terminal error.")
		set(platformv1alpha1.ConditionReconciling, metav1.ConditionFalse, platformv1alpha1.ReasonReady, "Every resource is in sync with AWS.")
		set(platformv1alpha1.ConditionReady, metav1.ConditionTrue, platformv1alpha1.ReasonReady, fmt.Sprintf("All %d resources are in sync with AWS.", len(f.Children)))
	}
}

func containsFamily(fams []Family, f Family) bool {
	for _, x := range fams {
		if x == f {
			return true
		}
	}
	return false
}

// DefaultStatusProgressInterval is how long the operator may hold back a
// status change that is progress only (see progressOnly) after its last
// status write. Measured in docs/benchmarks.md.
const DefaultStatusProgressInterval = 10 * time.Second

// progressOnly reports whether the status changes from `from` to `to` in
// nothing but progress: condition messages, and children moving between
// waiting, being created and ready inside families whose conditions keep
// their status. Any change of a condition's status, of a reason other than
// the progress reasons, of observedGeneration, endpoints, task definitions,
// rollout, the retained list or the set of children is not progress only.
func progressOnly(from, to *platformv1alpha1.DocuFlowStackStatus) bool {
	return apiequality.Semantic.DeepEqual(progressSkeleton(from), progressSkeleton(to))
}

// progressSkeleton is the status without what progressOnly ignores. The
// resources are compared as a set: a child that stops waiting moves from the
// end of the list (the waiting children) to its place in dependency order.
func progressSkeleton(st *platformv1alpha1.DocuFlowStackStatus) *platformv1alpha1.DocuFlowStackStatus {
	out := st.DeepCopy()
	slices.SortFunc(out.Resources, func(a, b platformv1alpha1.ResourceStatus) int {
		return cmp.Or(cmp.Compare(a.Kind, b.Kind), cmp.Compare(a.Name, b.Name))
	})
	for i := range out.Conditions {
		c := &out.Conditions[i]
		c.Message, c.LastTransitionTime = "", metav1.Time{}
		c.Reason = progressReason(c.Reason)
	}
	for i := range out.Resources {
		r := &out.Resources[i]
		r.Ready, r.Message = false, ""
		r.Reason = progressReason(r.Reason)
	}
	return out
}

// progressReason folds the reasons of a child on its way to ready into one.
func progressReason(reason string) string {
	switch reason {
	case platformv1alpha1.ReasonWaitingForDependency, platformv1alpha1.ReasonCreating, platformv1alpha1.ReasonReady:
		return "progress"
	}
	return reason
}
