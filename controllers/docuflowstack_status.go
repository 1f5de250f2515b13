package controllers

import (
	"cmp"
	"fmt"
	"slices"
	"time"

	apiequality "k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	platformv1alpha1 "github.com/docuflow/docuflow-operator/api/v1alpha1"
	"github.com/docuflow/docuflow-operator/internal/ack/core"
	"github.com/docuflow/docuflow-operator/internal/cost"
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
	// Held says why the stack's spec is not applied to an adopted child.
	Held string
	// Silent is how long the child has existed without ACK writing a single
	// condition on it; zero once it has one.
	Silent time.Duration
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
	// Cost is the stack's estimated monthly cost; CostErr says why there is
	// none (a region or an instance class without prices).
	Cost    cost.Estimate
	CostErr error
}

// childState is the readiness of one child.
type childState = desired.State

// readinessOf is the readiness of one desired child: missing (waiting for
// its inputs, or being created), or what its ACK state says (desired.StateOf).
func readinessOf(c childFacts) childState {
	who := fmt.Sprintf("%s %s", c.Kind, c.Name)
	if c.Held != "" {
		return childState{Terminal: true, Reason: platformv1alpha1.ReasonAdoptionHeld, Message: fmt.Sprintf("%s is adopted, and the stack's spec is not applied to it: %s.", who, c.Held)}
	}
	if c.Live == nil {
		if c.WaitsFor != "" {
			return childState{Reason: platformv1alpha1.ReasonWaitingForDependency, Message: fmt.Sprintf("%s waits for %s.", who, c.WaitsFor)}
		}
		return childState{Reason: platformv1alpha1.ReasonCreating, Message: fmt.Sprintf("%s is being created.", who)}
	}
	return desired.StateOf(who, c.Live, c.Stack, c.Silent)
}

// computeStatus turns the facts of a pass into the stack's conditions and
// resources list. It is pure: the same facts give the same status.
func computeStatus(f passFacts, status *platformv1alpha1.DocuFlowStackStatus) {
	set := func(t string, s metav1.ConditionStatus, reason, msg string) {
		meta.SetStatusCondition(&status.Conditions, metav1.Condition{Type: t, Status: s, Reason: reason, Message: msg, ObservedGeneration: f.Generation})
	}

	status.Cost = costStatus(f.Cost, f.CostErr)
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

// costStatus is a cost estimate as the status shows it: amounts as decimal
// strings with two decimals, or why there is no estimate. It depends on the
// spec and the operator's price table only, so an unchanged stack gets the
// same value at every pass and costs no status write.
func costStatus(e cost.Estimate, err error) *platformv1alpha1.CostStatus {
	if err != nil {
		return &platformv1alpha1.CostStatus{Error: err.Error()}
	}
	st := &platformv1alpha1.CostStatus{MonthlyUSD: cost.USD(e.TotalUSD), PricesAsOf: e.PricesAsOf}
	for _, f := range e.Families {
		st.Families = append(st.Families, platformv1alpha1.FamilyCost{Family: f.Family, MonthlyUSD: cost.USD(f.MonthlyUSD)})
	}
	return st
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
// their status. While the stack is on its way to Ready (Ready not True,
// and unchanged), a family's condition turning ready, a value appearing for
// the first time (the URL and load balancer name, the database, the
// task-definition history) and any change of the service's task counts and
// rollout are progress too (a RolledBack condition and Stalled are not): a
// stack converging at once would otherwise be written once per family and
// per value, and the reader sees them all within StatusProgressInterval
// anyway. Any other change of a condition's status, of a reason other than
// the progress reasons, of observedGeneration, of a value already shown, of
// the retained list or of the set of children is not progress only; nor is
// a family falling back from ready.
func progressOnly(from, to *platformv1alpha1.DocuFlowStackStatus) bool {
	f, t := progressSkeleton(from), progressSkeleton(to)
	if ready := meta.FindStatusCondition(to.Conditions, platformv1alpha1.ConditionReady); ready == nil || ready.Status != metav1.ConditionTrue {
		foldArrivals(f, t)
	}
	return apiequality.Semantic.DeepEqual(f, t)
}

// foldArrivals makes what only arrived in skeleton t look as it was in
// skeleton f: family conditions that turned ready from a progress reason,
// conditions that appeared False (RolledBack once there is a service),
// values that were empty, the service's rollout and tasks, and a child that
// waited under a provisional name and now has its own (the task
// definition, named after its content once the database is known).
func foldArrivals(f, t *platformv1alpha1.DocuFlowStackStatus) {
	t.Conditions = slices.DeleteFunc(t.Conditions, func(c metav1.Condition) bool {
		return c.Status == metav1.ConditionFalse && meta.FindStatusCondition(f.Conditions, c.Type) == nil
	})
	renamed(f.Resources, t.Resources)
	for _, typ := range desired.FamilyConditions {
		was, now := meta.FindStatusCondition(f.Conditions, typ), meta.FindStatusCondition(t.Conditions, typ)
		if was != nil && now != nil && was.Reason == "progress" && now.Reason == "progress" &&
			was.Status != metav1.ConditionTrue && now.Status == metav1.ConditionTrue {
			now.Status = was.Status
		}
	}
	if f.URL == "" {
		t.URL = ""
	}
	if f.LoadBalancerDNSName == "" {
		t.LoadBalancerDNSName = ""
	}
	if f.Database == nil {
		t.Database = nil
	}
	t.Tasks, t.Rollout = f.Tasks, f.Rollout
	if len(f.TaskDefinitions) == 0 {
		t.TaskDefinitions = nil
	}
}

// renamed gives a child of to that from does not list the name of a child
// of the same kind that from lists and to does not, in order: the same child
// under its final name.
func renamed(from, to []platformv1alpha1.ResourceStatus) {
	has := func(list []platformv1alpha1.ResourceStatus, r platformv1alpha1.ResourceStatus) bool {
		return slices.ContainsFunc(list, func(x platformv1alpha1.ResourceStatus) bool { return x.Kind == r.Kind && x.Name == r.Name })
	}
	var gone []platformv1alpha1.ResourceStatus
	for _, r := range from {
		if !has(to, r) {
			gone = append(gone, r)
		}
	}
	for i := range to {
		if has(from, to[i]) {
			continue
		}
		for j, g := range gone {
			if g.Kind == to[i].Kind {
				to[i].Name = g.Name
				gone = slices.Delete(gone, j, j+1)
				break
			}
		}
	}
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

// adoptedStatus is status.adopted: every child spec.adopt names, with its
// state. An entry the operator took over stays as it was written then: the
// differences it lists were AWS's values before the stack's went on.
func adoptedStatus(s *scope) []platformv1alpha1.AdoptedStatus {
	adoptions := desired.Adoptions(s.stack)
	if len(adoptions) == 0 {
		return nil
	}
	out := make([]platformv1alpha1.AdoptedStatus, 0, len(adoptions))
	for _, a := range adoptions {
		key := childKey{a.Kind, a.Name}
		if s.before != nil {
			i := slices.IndexFunc(s.before.Adopted, func(e platformv1alpha1.AdoptedStatus) bool { return e.Kind == a.Kind && e.Name == a.Name })
			if i >= 0 && s.before.Adopted[i].State == platformv1alpha1.AdoptionAdopted && s.before.Adopted[i].AdoptedAt != nil {
				out = append(out, s.before.Adopted[i])
				continue
			}
		}
		// A take-over counts once its write went out.
		if e := s.adoptions[key]; e != nil && (e.State == platformv1alpha1.AdoptionHeld || s.facts.ApplyErr == nil) {
			e.ID = a.ID
			out = append(out, *e)
			continue
		}
		entry := platformv1alpha1.AdoptedStatus{Kind: a.Kind, Name: a.Name, ID: a.ID, State: platformv1alpha1.AdoptionAdopting}
		if live := s.observed[key]; live != nil {
			switch st := desired.StateOf(a.Kind+" "+a.Name, live, s.stack.Name, 0); {
			case !desired.IsAdoptedByACK(live) && len(live.ACKStatus().Conditions) == 0:
				// ACK writes nothing while the ID finds nothing.
				entry.Message = fmt.Sprintf("ACK has not found %s yet. Nothing is created in its place: if it stays here, check the ID (the ACK controller logs \"adopted resource not found\").", a.ID)
			case !st.Ready:
				entry.Message = st.Message
			}
		} else {
			entry.Message = fmt.Sprintf("%s %s is not created yet.", a.Kind, a.Name)
		}
		out = append(out, entry)
	}
	return out
}
