package controllers

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/selection"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/wait"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	platformv1alpha1 "github.com/docuflow/docuflow-operator/api/v1alpha1"
	"github.com/docuflow/docuflow-operator/internal/ack"
	"github.com/docuflow/docuflow-operator/internal/ack/core"
	"github.com/docuflow/docuflow-operator/internal/desired"
)

// AnnotationShardOwner records on a stack the shard that last took it over,
// with its children; absent, the default shard (so a stack from before
// sharding needs no write). The operator writes it. When a stack's
// desired.LabelShard names another shard than the record, that shard first
// moves the stack's children onto its label (takeOver), then updates the
// record. The record is a hint, not a trust boundary: a forged value costs
// one extra take-over pass, and a deletion looks for children under any
// label before it lets the stack go.
const AnnotationShardOwner = "platform.docuflow.io/shard-owner"

// takeOverRequeue is how soon a deletion that moved children onto its
// shard's label looks again: by then its cache has them.
const takeOverRequeue = time.Second

// ShardSelector selects the stacks of a shard, and their children: those
// labelled desired.LabelShard=shard, or for the default shard ("") those
// without the label.
func ShardSelector(shard string) labels.Selector {
	op, values := selection.Equals, []string{shard}
	if shard == "" {
		op, values = selection.DoesNotExist, nil
	}
	req, err := labels.NewRequirement(desired.LabelShard, op, values)
	if err != nil {
		// The manager validates --shard before it gets here.
		panic(fmt.Sprintf("shard %q makes no label selector: %v", shard, err))
	}
	return labels.NewSelector().Add(*req)
}

// shardValue is this shard's name as a merge patch writes it into a label
// or annotation: nil, which removes it, for the default shard.
func (r *DocuFlowStackReconciler) shardValue() any {
	if r.Shard == "" {
		return nil
	}
	return r.Shard
}

// shardOwner is the shard a stack's AnnotationShardOwner names.
func shardOwner(stack *platformv1alpha1.DocuFlowStack) string {
	return stack.GetAnnotations()[AnnotationShardOwner]
}

// takeOverWait is how long a take-over waits for this shard's cache to hold
// the children it moved before the pass goes on.
const takeOverWait = 10 * time.Second

// takeOver moves a stack that another shard owned onto this one. It first
// records this shard as the owner (optimistic lock), so that a stack moved
// back before the take-over ends is taken back by the shard it left, which
// then sees another owner; then it labels every child still carrying
// another shard's label with this shard's (moveChildren), and waits, up to
// takeOverWait, for this shard's cache to hold every child, so the pass that
// follows never shows a child as missing that only the cache has not seen.
// Past the wait it goes on: a child the cache still lacks is applied again,
// which sets this shard's label on it too. It reports whether the pass may
// go on.
func (r *DocuFlowStackReconciler) takeOver(ctx context.Context, stack *platformv1alpha1.DocuFlowStack) (bool, error) {
	value := r.shardValue()
	raw, err := json.Marshal(map[string]any{"metadata": map[string]any{
		"resourceVersion": stack.ResourceVersion,
		"annotations":     map[string]any{AnnotationShardOwner: value},
	}})
	if err != nil {
		return false, fmt.Errorf("encoding the shard owner of DocuFlowStack %s/%s: %w", stack.Namespace, stack.Name, err)
	}
	if err := r.Patch(ctx, stack, client.RawPatch(types.MergePatchType, raw)); err != nil {
		return false, fmt.Errorf("recording shard %q as the owner of DocuFlowStack %s/%s: %w", r.Shard, stack.Namespace, stack.Name, err)
	}
	live, err := r.moveChildren(ctx, stack)
	if err != nil {
		return false, err
	}
	missing := 0
	err = wait.PollUntilContextTimeout(ctx, 100*time.Millisecond, takeOverWait, true, func(ctx context.Context) (bool, error) {
		cached, err := r.listChildren(ctx, stack)
		if err != nil {
			return false, err
		}
		missing = 0
		for k := range live {
			if _, ok := cached[k]; !ok {
				missing++
			}
		}
		return missing == 0, nil
	})
	if err != nil && !wait.Interrupted(err) {
		return false, err
	}
	ctrl.LoggerFrom(ctx).Info("Took the stack over from another shard", "shard", r.Shard, "children", len(live), "notCachedYet", missing)
	return true, nil
}

// moveChildren lists the stack's children from the API server, not the
// cache (which holds only this shard's), and merge-patches the shard label
// of every one that does not carry this shard's: set to it, or removed for
// the default shard. It returns every child found.
func (r *DocuFlowStackReconciler) moveChildren(ctx context.Context, stack *platformv1alpha1.DocuFlowStack) (map[childKey]core.Object, error) {
	value := r.shardValue()
	raw, err := json.Marshal(map[string]any{"metadata": map[string]any{"labels": map[string]any{desired.LabelShard: value}}})
	if err != nil {
		return nil, fmt.Errorf("encoding the shard label for the children of DocuFlowStack %s/%s: %w", stack.Namespace, stack.Name, err)
	}
	live := map[childKey]core.Object{}
	moved := 0
	sel := client.MatchingLabels{desired.LabelStack: desired.Labels(stack)[desired.LabelStack]}
	for _, kind := range ack.Kinds() {
		list, err := ack.NewList(kind)
		if err != nil {
			return nil, err
		}
		if err := r.stackReader().List(ctx, list, client.InNamespace(stack.Namespace), sel); err != nil {
			return nil, fmt.Errorf("listing %s children of DocuFlowStack %s/%s from the API server: %w", kindOf(kind), stack.Namespace, stack.Name, err)
		}
		for _, item := range ack.Items(list) {
			// Only what the cache can hold: a child stripped of the
			// managed-by label is no longer the operator's to move.
			if !desired.IsChildOf(item, stack) || item.GetLabels()[desired.LabelManagedBy] != desired.ManagedByValue {
				continue
			}
			live[childKey{kindOf(kind), item.GetName()}] = item
			if desired.ShardOf(item) == r.Shard {
				continue
			}
			if err := r.Patch(ctx, item, client.RawPatch(types.MergePatchType, raw), client.FieldOwner(FieldManager)); client.IgnoreNotFound(err) != nil {
				return nil, fmt.Errorf("moving %s to shard %q: %w", childName(item), r.Shard, err)
			}
			moved++
		}
	}
	if moved > 0 {
		ctrl.LoggerFrom(ctx).Info("Moved the stack's children onto this shard's label", "shard", r.Shard, "moved", moved)
	}
	return live, nil
}
