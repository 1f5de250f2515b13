package controllers

import (
	"cmp"
	"context"
	"fmt"

	"golang.org/x/sync/errgroup"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"

	platformv1alpha1 "github.com/docuflow/docuflow-operator/api/v1alpha1"
	"github.com/docuflow/docuflow-operator/internal/ack"
	"github.com/docuflow/docuflow-operator/internal/ack/core"
	"github.com/docuflow/docuflow-operator/internal/apply"
	"github.com/docuflow/docuflow-operator/internal/desired"
)

// DefaultApplyConcurrency is how many child writes one pass has in flight
// unless ApplyConcurrency says otherwise.
const DefaultApplyConcurrency = 8

// kindOf returns the Kind of a mirrored object from the ack scheme.
func kindOf(obj core.Object) string { return ack.KindOf(obj) }

// observeChildren lists, from the cache, every ACK object labelled as a child
// of the stack.
func (r *DocuFlowStackReconciler) observeChildren(ctx context.Context, stack *platformv1alpha1.DocuFlowStack) (map[childKey]core.Object, error) {
	out := map[childKey]core.Object{}
	sel := client.MatchingLabels{desired.LabelStack: desired.Labels(stack)[desired.LabelStack]}
	for _, kind := range ack.Kinds() {
		list, err := ack.NewList(kind)
		if err != nil {
			return nil, err
		}
		if err := r.List(ctx, list, client.InNamespace(stack.Namespace), sel); err != nil {
			return nil, fmt.Errorf("listing %s children of DocuFlowStack %s/%s: %w", kindOf(kind), stack.Namespace, stack.Name, err)
		}
		for _, item := range ack.Items(list) {
			if !isOwnedBy(item, stack) {
				continue
			}
			out[childKey{kindOf(kind), item.GetName()}] = item
		}
	}
	return out, nil
}

// isOwnedBy reports whether the stack is obj's controller: a label alone could
// be copied onto someone else's object.
func isOwnedBy(obj client.Object, stack *platformv1alpha1.DocuFlowStack) bool {
	for _, ref := range obj.GetOwnerReferences() {
		if ref.Controller != nil && *ref.Controller && ref.UID == stack.UID {
			return true
		}
	}
	return false
}

// applyChildren server-side applies every desired child whose fields differ
// from the live object. Unchanged children cost nothing.
func (r *DocuFlowStackReconciler) applyChildren(ctx context.Context, s *scope) error {
	var writes []*unstructured.Unstructured
	for _, obj := range s.desired.Objects {
		if err := controllerutil.SetControllerReference(s.stack, obj, r.Scheme); err != nil {
			return fmt.Errorf("owning %s %s: %w", kindOf(obj), obj.GetName(), err)
		}
		u, err := apply.ToUnstructured(obj)
		if err != nil {
			return err
		}
		need, err := apply.NeedsWrite(u, s.observed[childKey{kindOf(obj), obj.GetName()}])
		if err != nil {
			return err
		}
		if need {
			writes = append(writes, u)
		}
	}
	// The writes are independent (ACK resolves the references between
	// children), so a few go out at once: a stack created into a busy API
	// server has its first children sooner. docs/benchmarks.md measures what
	// this buys and costs. The first failure in time is the one reported.
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(cmp.Or(r.ApplyConcurrency, DefaultApplyConcurrency))
	for _, u := range writes {
		g.Go(func() error {
			if err := r.Apply(gctx, client.ApplyConfigurationFromUnstructured(u), client.FieldOwner(FieldManager), client.ForceOwnership); err != nil {
				return fmt.Errorf("applying %s %s: %w", u.GetKind(), u.GetName(), err)
			}
			return nil
		})
	}
	return g.Wait()
}

// childFactsOf lists the desired and the waiting children with what was
// observed of them, in dependency order.
func childFactsOf(s *scope) []childFacts {
	var out []childFacts
	for _, obj := range s.desired.Objects {
		k := childKey{kindOf(obj), obj.GetName()}
		out = append(out, childFacts{Family: familyOf(obj), Kind: k.Kind, Name: k.Name, Live: s.observed[k]})
	}
	for _, w := range s.desired.Waiting {
		out = append(out, childFacts{Family: Family(w.Family), Kind: w.Kind, Name: w.Name, WaitsFor: w.WaitsFor, Live: s.observed[childKey{w.Kind, w.Name}]})
	}
	return out
}

// familyOf reads the family label the builders put on every child.
func familyOf(obj core.Object) Family {
	return Family(obj.GetLabels()[desired.LabelFamily])
}

// familiesOf lists the families that apply to the stack.
func familiesOf(stack *platformv1alpha1.DocuFlowStack) []Family {
	f := []Family{FamilyNetwork, FamilyDatabase, FamilyLoadBalancer, FamilyService, FamilyAutoscaling}
	if stack.Spec.Observability.AlarmTopicARN != nil {
		f = append(f, FamilyAlarms)
	}
	return f
}

// keptTaskDefinitions is how many task definitions besides the current one a
// stack keeps, so a rollback to a recent revision needs no rebuild.
const keptTaskDefinitions = 3

// pruneChildren deletes children that are no longer desired (for example the
// VPC endpoints after privateEndpoints is switched off), except the previous
// task definitions kept for rollback and children that only wait to be
// rendered again.
func (r *DocuFlowStackReconciler) pruneChildren(ctx context.Context, s *scope) error {
	want := map[childKey]bool{}
	for _, obj := range s.desired.Objects {
		want[childKey{kindOf(obj), obj.GetName()}] = true
	}
	for _, w := range s.desired.Waiting {
		want[childKey{w.Kind, w.Name}] = true
	}
	for _, k := range previousTaskDefinitions(s, want) {
		want[k] = true
	}
	for key, obj := range s.observed {
		if want[key] || !obj.GetDeletionTimestamp().IsZero() {
			continue
		}
		if err := r.Delete(ctx, obj); err != nil && !apierrors.IsNotFound(err) {
			return fmt.Errorf("pruning %s %s: %w", key.Kind, key.Name, err)
		}
		log := ctrl.LoggerFrom(ctx)
		log.Info("Pruned a child that is no longer desired", "kind", key.Kind, "name", key.Name)
	}
	return nil
}

// trackTaskDefinitions records the desired task definition at the head of
// the stack's history, newest first, keeping the current one and
// keptTaskDefinitions previous ones. Creation timestamps have a one-second
// resolution, so the order is kept in status rather than read from them.
func (r *DocuFlowStackReconciler) trackTaskDefinitions(s *scope) {
	history := s.stack.Status.TaskDefinitions
	if last, ok := r.lastStatus.Load(s.stack.UID); ok {
		history = last.(*platformv1alpha1.DocuFlowStackStatus).TaskDefinitions
	}
	var current string
	for _, obj := range s.desired.Objects {
		if kindOf(obj) == "TaskDefinition" {
			current = obj.GetName()
		}
	}
	if current == "" {
		s.stack.Status.TaskDefinitions = history
		return
	}
	next := []string{current}
	for _, name := range history {
		if name != current && len(next) <= keptTaskDefinitions {
			next = append(next, name)
		}
	}
	s.stack.Status.TaskDefinitions = next
}

// previousTaskDefinitions returns the previous task definitions the history
// keeps, so pruning leaves them for a rollback.
func previousTaskDefinitions(s *scope, want map[childKey]bool) []childKey {
	var keep []childKey
	for _, name := range s.stack.Status.TaskDefinitions {
		k := childKey{"TaskDefinition", name}
		if !want[k] {
			keep = append(keep, k)
		}
	}
	return keep
}
