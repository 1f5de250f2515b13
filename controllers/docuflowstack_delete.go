package controllers

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"

	platformv1alpha1 "github.com/docuflow/docuflow-operator/api/v1alpha1"
	"github.com/docuflow/docuflow-operator/internal/ack/core"
	"github.com/docuflow/docuflow-operator/internal/desired"
	"github.com/docuflow/docuflow-operator/internal/writecheck"
)

// Finalizer keeps a deleted stack until its children are gone, wave by wave.
const Finalizer = "platform.docuflow.io/finalizer"

// annotationPrepared records when the operator switched off a child's deletion
// protection, so it deletes the child only once ACK has had time to apply it.
const annotationPrepared = "platform.docuflow.io/prepared-for-deletion"

// annotationWaveStarted records, on a child the operator prepares for
// deletion, when its deletion wave started.
const annotationWaveStarted = "platform.docuflow.io/deletion-wave-started"

// annotationDeletingWithPolicy records on the stack, when its deletion
// starts, the deletion policy the deletion follows to the end.
const annotationDeletingWithPolicy = "platform.docuflow.io/deleting-with-policy"

// deletionPolicy is the policy this deletion follows: the one recorded when
// it started; at the start, the one the database child was last applied with
// (desired.RecordedDeletionPolicy), else the spec's. An edit of the spec
// after the deletion started (Retain to Delete) changes nothing: it would
// otherwise switch off the database's protection and drop its final snapshot
// and backups (security review M1).
//
// The record is an annotation on the stack, which whoever may edit the stack
// can also write, before the deletion or during it. So while the database
// child exists its own record (written by the operator alone) bounds it: the
// stack's record can make a deletion keep more, never destroy more.
func (r *DocuFlowStackReconciler) deletionPolicy(ctx context.Context, s *scope) (platformv1alpha1.DeletionPolicy, error) {
	stack := s.stack
	child, fromChild := desired.RecordedDeletionPolicy(stack, s.observedList())
	recorded := platformv1alpha1.DeletionPolicy(stack.Annotations[annotationDeletingWithPolicy])
	if validDeletionPolicy(recorded) {
		if fromChild {
			return mostProtective(recorded, child), nil
		}
		return recorded, nil
	}
	p := child
	if !fromChild {
		p = desired.Resolve(stack).DeletionPolicy
	}
	if _, set := stack.Annotations[annotationDeletingWithPolicy]; set {
		// A value that is no policy, written by someone else: it is not
		// overwritten (the admission policy refuses changing the record
		// during a deletion, which would jam it), only ignored.
		return p, nil
	}
	patch := client.MergeFromWithOptions(stack.DeepCopy(), client.MergeFromWithOptimisticLock{})
	metav1.SetMetaDataAnnotation(&stack.ObjectMeta, annotationDeletingWithPolicy, string(p))
	if err := r.Patch(ctx, stack, patch); err != nil {
		return "", fmt.Errorf("recording the deletion policy of DocuFlowStack %s/%s: %w", stack.Namespace, stack.Name, err)
	}
	return p, nil
}

// validDeletionPolicy is true for the three policies a stack can have.
func validDeletionPolicy(p platformv1alpha1.DeletionPolicy) bool {
	switch p {
	case platformv1alpha1.DeletionPolicyRetain, platformv1alpha1.DeletionPolicySnapshot, platformv1alpha1.DeletionPolicyDelete:
		return true
	}
	return false
}

// mostProtective returns whichever of two policies keeps more of the data:
// Retain keeps the database, Snapshot its final snapshot, Delete nothing.
func mostProtective(a, b platformv1alpha1.DeletionPolicy) platformv1alpha1.DeletionPolicy {
	rank := map[platformv1alpha1.DeletionPolicy]int{
		platformv1alpha1.DeletionPolicyDelete:   0,
		platformv1alpha1.DeletionPolicySnapshot: 1,
		platformv1alpha1.DeletionPolicyRetain:   2,
	}
	if rank[b] > rank[a] {
		return b
	}
	return a
}

// deletionPoll is how soon a pass waiting on a wave looks again; deletions of
// children also trigger passes through the watches.
const deletionPoll = 2 * time.Second

// reconcileDelete tears the stack's children down in the order of their
// dependencies (desired.DeletionLayers): a child goes only once nothing that
// depends on it is left, because AWS refuses to delete what is still in use
// (a route table with subnets associated, a security group with a load
// balancer in it, a target group a listener forwards to). With
// deletionPolicy Retain the database and what it needs to keep running are
// released (annotated retain, so ACK leaves them in AWS) rather than deleted.
func (r *DocuFlowStackReconciler) reconcileDelete(ctx context.Context, s *scope) (ctrl.Result, error) {
	stack := s.stack
	if !controllerutil.ContainsFinalizer(stack, Finalizer) {
		return ctrl.Result{}, nil
	}
	// The cache holds only the children under this shard's label; one under
	// another (a forged shard owner record skipped the take-over) would be
	// left out of the waves, and what depends on it deleted before it. So
	// the first deletion pass, the one that records the policy, asks the API
	// server for every child first.
	if _, recorded := stack.Annotations[annotationDeletingWithPolicy]; !recorded {
		if unseen, err := r.unseenChildren(ctx, s); err != nil || unseen {
			return ctrl.Result{RequeueAfter: takeOverRequeue}, err
		}
	}
	policy, err := r.deletionPolicy(ctx, s)
	if err != nil {
		return ctrl.Result{}, err
	}
	retained := map[childKey]bool{}
	if policy == platformv1alpha1.DeletionPolicyRetain {
		for _, k := range desired.Retained(stack) {
			retained[childKey{k.Kind, k.Name}] = true
		}
	}
	// What the stack adopted was there before it, and stays after it.
	for _, k := range desired.AdoptionRetained(stack) {
		retained[childKey{k.Kind, k.Name}] = true
	}
	layers := desired.DeletionLayers(s.observedList())
	if len(layers) > 0 {
		layer := layers[0]
		// The wave's start, before this pass touches it: what the steps
		// below record on the children they change.
		since := waveStart(layer, time.Now())
		var waiting []string
		for _, obj := range layer {
			key := childKey{kindOf(obj), obj.GetName()}
			note, err := r.deleteChild(ctx, s, obj, retained[key], policy, since)
			if err != nil {
				return ctrl.Result{}, err
			}
			waiting = append(waiting, note)
		}
		left := 0
		for _, l := range layers {
			left += len(l)
		}
		ctrl.LoggerFrom(ctx).V(1).Info("Deletion wave under way", "waiting", waiting, "left", left)
		s.deleting = &deletingFacts{Waves: len(layers), Left: left, Waiting: waiting, Since: since}
		return ctrl.Result{RequeueAfter: deletionPoll}, nil
	}
	// Before letting go, the API server is asked once more for a child the
	// cache does not hold.
	if unseen, err := r.unseenChildren(ctx, s); err != nil || unseen {
		return ctrl.Result{RequeueAfter: takeOverRequeue}, err
	}
	// Every child is gone (or released): say what stays in AWS, then let go.
	ctrl.LoggerFrom(ctx).Info("Every child of the stack is gone; removing the finalizer", "observed", len(s.observed))
	if len(stack.Status.Retained) > 0 && r.Recorder != nil {
		r.Recorder.Eventf(stack, nil, "Normal", "Retained", "Delete",
			"%s", eventNote("DocuFlowStack deleted; deletionPolicy Retain kept these AWS resources: "+strings.Join(retainedNames(stack.Status.Retained), "; ")))
	}
	if r.Recorder != nil {
		r.Recorder.Eventf(stack, nil, "Normal", "Deleted", "Delete", "Every child of the stack is gone; removing the finalizer")
	}
	patch := client.MergeFrom(stack.DeepCopy())
	controllerutil.RemoveFinalizer(stack, Finalizer)
	if err := r.Patch(ctx, stack, patch); err != nil && !apierrors.IsNotFound(err) {
		return ctrl.Result{}, fmt.Errorf("removing the finalizer of DocuFlowStack %s/%s: %w", stack.Namespace, stack.Name, err)
	}
	s.finalized = true
	return ctrl.Result{}, nil
}

// unseenChildren reports whether the API server has a child of the stack
// that the pass did not observe: it moves any under another shard's label
// onto this shard's (moveChildren), and the deletion waits for the cache to
// hold them all, saying so in its status.
func (r *DocuFlowStackReconciler) unseenChildren(ctx context.Context, s *scope) (bool, error) {
	live, err := r.moveChildren(ctx, s.stack)
	if err != nil {
		return false, err
	}
	var unseen []string
	for k := range live {
		if _, ok := s.observed[k]; !ok {
			unseen = append(unseen, k.Kind+" "+k.Name+" (not in this shard's cache yet)")
		}
	}
	if len(unseen) == 0 {
		return false, nil
	}
	slices.Sort(unseen)
	s.deleting = &deletingFacts{Waves: 1, Left: len(unseen), Waiting: unseen, Since: time.Now()}
	return true, nil
}

// deleteChild moves one child towards deletion and says what the wave waits
// for: its deletion protection switched off, its retain annotation set, or
// ACK finishing the deletion.
func (r *DocuFlowStackReconciler) deleteChild(ctx context.Context, s *scope, obj core.Object, retain bool, policy platformv1alpha1.DeletionPolicy, since time.Time) (string, error) {
	who := childName(obj)
	if retain {
		// Recorded in any case: an operator stopped between its deletion
		// request and its status write leaves it to its successor.
		s.stack.Status.Retained = appendUnique(s.stack.Status.Retained, retainedEntry(s.stack, obj))
	}
	if !obj.GetDeletionTimestamp().IsZero() {
		note := fmt.Sprintf("%s (ACK is deleting it since %s", who, obj.GetDeletionTimestamp().UTC().Format(time.RFC3339))
		// A deletion AWS refused shows as ACK.Recoverable with AWS's error.
		if msg, retrying := desired.RetryingError(obj); retrying {
			note += "; AWS said: " + msg
		}
		return note + ")", nil
	}
	if ready, note, err := r.prepareForDeletion(ctx, obj, policy, retain, since); err != nil || !ready {
		return who + " (" + note + ")", err
	}
	if retain && !slices.Contains(s.before.Retained, retainedEntry(s.stack, obj)) {
		// The status read at the start of the pass does not list it yet:
		// this pass writes it, the next one asks for the deletion (after
		// which ACK lets go of it in AWS), so no restart can lose it.
		return who + " (recording it as retained)", nil
	}
	if err := r.Delete(ctx, obj); err != nil && !apierrors.IsNotFound(err) {
		return "", fmt.Errorf("deleting %s: %w", who, err)
	}
	return who + " (deletion requested)", nil
}

// prepareForDeletion applies what desired.PrepareForDeletion asks of a child
// before it is deleted or released, and reports ready once nothing is left
// and, where the step changed the spec, ACK reports it synced and has had the
// grace period to act on it.
func (r *DocuFlowStackReconciler) prepareForDeletion(ctx context.Context, obj core.Object, policy platformv1alpha1.DeletionPolicy, retain bool, since time.Time) (bool, string, error) {
	if step := desired.PrepareForDeletion(obj, policy, retain); step != nil {
		ann := map[string]any{}
		for k, v := range step.Annotations {
			ann[k] = v
		}
		if _, ok := obj.GetAnnotations()[annotationWaveStarted]; !ok {
			ann[annotationWaveStarted] = since.UTC().Format(time.RFC3339)
		}
		patch := map[string]any{"metadata": map[string]any{"annotations": ann}}
		if step.Spec != nil {
			// ACK has no observed generation: the grace below starts here.
			ann[annotationPrepared] = time.Now().UTC().Format(time.RFC3339)
			patch["spec"] = step.Spec
		}
		if err := r.applyPatch(ctx, obj, patch); err != nil {
			return false, "", err
		}
		return false, step.Note, nil
	}
	if at, ok := obj.GetAnnotations()[annotationPrepared]; ok && !retain {
		// ACK has no observed generation: wait for it to report the change
		// synced, and give it the grace period to have acted on it.
		t, _ := time.Parse(time.RFC3339, at)
		if !desired.IsSynced(obj) || time.Since(t) < r.DeletionProtectionGrace {
			return false, "waiting for ACK to switch off deletion protection", nil
		}
	}
	return true, "", nil
}

// applyPatch server-side applies a partial object onto a child. The patch
// holds only the fields it changes, plus what apply requires; SSA then owns
// nothing else on the operator's behalf beyond what it already owns, so it uses
// a field manager of its own.
func (r *DocuFlowStackReconciler) applyPatch(ctx context.Context, obj core.Object, fields map[string]any) error {
	u := &unstructured.Unstructured{Object: fields}
	u.SetGroupVersionKind(obj.GetObjectKind().GroupVersionKind())
	if u.GetKind() == "" {
		u.SetKind(kindOf(obj))
		gvks, _, _ := r.Scheme.ObjectKinds(obj)
		if len(gvks) > 0 {
			u.SetGroupVersionKind(gvks[0])
		}
	}
	u.SetName(obj.GetName())
	u.SetNamespace(obj.GetNamespace())
	if err := r.Apply(ctx, client.ApplyConfigurationFromUnstructured(u), client.FieldOwner(writecheck.DeletionFieldManager), client.ForceOwnership); err != nil {
		return fmt.Errorf("preparing %s for deletion: %w", childName(obj), err)
	}
	return nil
}

// deletingFacts is what a deletion pass reports.
type deletingFacts struct {
	// Waves is how many waves are left, this one included.
	Waves int
	// Left is how many children are left.
	Left int
	// Waiting says what each child of this wave waits for.
	Waiting []string
	// Since is when this wave started.
	Since time.Time
}

// markDeleting sets the Deleting condition from the pass's facts.
func markDeleting(status *platformv1alpha1.DocuFlowStackStatus, generation int64, d *deletingFacts) {
	msg := fmt.Sprintf("Deleting: %d children left in %d waves; this wave since %s: waiting for %s.", d.Left, d.Waves, d.Since.UTC().Format(time.RFC3339), strings.Join(d.Waiting, ", "))
	meta.SetStatusCondition(&status.Conditions, metav1.Condition{Type: platformv1alpha1.ConditionDeleting, Status: metav1.ConditionTrue, Reason: platformv1alpha1.ReasonDeletingWave, Message: msg, ObservedGeneration: generation})
	meta.SetStatusCondition(&status.Conditions, metav1.Condition{Type: platformv1alpha1.ConditionReady, Status: metav1.ConditionFalse, Reason: platformv1alpha1.ReasonDeletingWave, Message: msg, ObservedGeneration: generation})
	meta.SetStatusCondition(&status.Conditions, metav1.Condition{Type: platformv1alpha1.ConditionReconciling, Status: metav1.ConditionTrue, Reason: platformv1alpha1.ReasonDeletingWave, Message: msg, ObservedGeneration: generation})
}

// waveStart is when a deletion wave started: the earliest of its children's
// deletion requests and the wave starts recorded on the children the
// operator prepared for deletion, or now for a wave nothing has touched yet.
// Read from the children, it is the same for every pass and every operator
// process.
func waveStart(objs []core.Object, now time.Time) time.Time {
	start := now
	for _, o := range objs {
		if ts := o.GetDeletionTimestamp(); ts != nil && ts.Time.Before(start) {
			start = ts.Time
		}
		if at, err := time.Parse(time.RFC3339, o.GetAnnotations()[annotationWaveStarted]); err == nil && at.Before(start) {
			start = at
		}
	}
	return start
}

func childName(obj core.Object) string { return kindOf(obj) + " " + obj.GetName() }

// retainedEntry names a released child and its AWS identity, when ACK's
// record of that identity is the stack's own (desired.Trusted).
func retainedEntry(stack *platformv1alpha1.DocuFlowStack, obj core.Object) string {
	if arn := obj.ACKStatus().ARN(); arn != "" && desired.Trusted(stack, obj) {
		return fmt.Sprintf("%s (%s)", childName(obj), arn)
	}
	return childName(obj)
}

func appendUnique(list []string, s string) []string {
	if slices.Contains(list, s) {
		return list
	}
	return append(list, s)
}

// retainedNames drops the ARNs from the retained entries: an Event carries at
// most 1024 characters, and status.retained keeps the ARNs.
func retainedNames(entries []string) []string {
	out := make([]string, 0, len(entries))
	for _, e := range entries {
		name, _, _ := strings.Cut(e, " (")
		out = append(out, name)
	}
	return out
}
