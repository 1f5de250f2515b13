package controllers

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	ackv1alpha1 "github.com/aws-controllers-k8s/runtime/apis/core/v1alpha1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"

	platformv1alpha1 "github.com/docuflow/docuflow-operator/api/v1alpha1"
	"github.com/docuflow/docuflow-operator/internal/ack/core"
	elbv2v1alpha1 "github.com/docuflow/docuflow-operator/internal/ack/elbv2/v1alpha1"
	rdsv1alpha1 "github.com/docuflow/docuflow-operator/internal/ack/rds/v1alpha1"
	"github.com/docuflow/docuflow-operator/internal/apply"
	"github.com/docuflow/docuflow-operator/internal/desired"
)

// Finalizer keeps a deleted stack until its children are gone, wave by wave.
const Finalizer = "platform.docuflow.io/finalizer"

// annotationPrepared records when the operator switched off a child's deletion
// protection, so it deletes the child only once ACK has had time to apply it.
const annotationPrepared = "platform.docuflow.io/prepared-for-deletion"

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
	// The cached stack may lag this process's last status write; the list of
	// released children must not lose an entry to that.
	if last, ok := r.lastStatus.Load(stack.UID); ok {
		stack.Status.Retained = last.(*platformv1alpha1.DocuFlowStackStatus).Retained
	}
	settings := desired.Resolve(stack)
	retained := map[childKey]bool{}
	if settings.DeletionPolicy == platformv1alpha1.DeletionPolicyRetain {
		for _, k := range desired.Retained(stack) {
			retained[childKey{k.Kind, k.Name}] = true
		}
	}
	layers := desired.DeletionLayers(s.observedList())
	if len(layers) > 0 {
		layer := layers[0]
		var waiting []string
		for _, obj := range layer {
			key := childKey{kindOf(obj), obj.GetName()}
			note, err := r.deleteChild(ctx, s, obj, retained[key], settings.DeletionPolicy)
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
		s.deleting = &deletingFacts{Waves: len(layers), Left: left, Waiting: waiting, Since: r.waveStart(stack, layer)}
		return ctrl.Result{RequeueAfter: deletionPoll}, nil
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

// deleteChild moves one child towards deletion and says what the wave waits
// for: its deletion protection switched off, its retain annotation set, or
// ACK finishing the deletion.
func (r *DocuFlowStackReconciler) deleteChild(ctx context.Context, s *scope, obj core.Object, retain bool, policy platformv1alpha1.DeletionPolicy) (string, error) {
	who := childName(obj)
	if !obj.GetDeletionTimestamp().IsZero() {
		note := fmt.Sprintf("%s (ACK is deleting it since %s", who, obj.GetDeletionTimestamp().UTC().Format(time.RFC3339))
		// A deletion AWS refused shows as ACK.Recoverable with AWS's error.
		if c := obj.ACKStatus().Condition(ackv1alpha1.ConditionTypeRecoverable); isTrue(c) {
			note += "; AWS said: " + text(c, "an error ACK retries")
		}
		return note + ")", nil
	}
	if retain {
		if obj.GetAnnotations()[ackv1alpha1.AnnotationDeletionPolicy] != string(ackv1alpha1.DeletionPolicyRetain) {
			if err := r.patchAnnotations(ctx, obj, map[string]string{ackv1alpha1.AnnotationDeletionPolicy: string(ackv1alpha1.DeletionPolicyRetain)}); err != nil {
				return "", err
			}
			return who + " (marking it retained)", nil
		}
		s.stack.Status.Retained = appendUnique(s.stack.Status.Retained, retainedEntry(obj))
	} else if ready, note, err := r.prepareForDeletion(ctx, obj, policy); err != nil || !ready {
		return who + " (" + note + ")", err
	}
	if err := r.Delete(ctx, obj); err != nil && !apierrors.IsNotFound(err) {
		return "", fmt.Errorf("deleting %s: %w", who, err)
	}
	return who + " (deletion requested)", nil
}

// prepareForDeletion switches off what would make ACK or AWS refuse the
// deletion: ACK's read-only hold (a read-only resource is left in AWS when
// its object is deleted) and deletion protection on the database and the
// load balancer; for the database it also sets the final-snapshot
// annotations the deletion policy asks for. It reports ready once nothing
// is left to switch off and ACK reports a spec change synced.
func (r *DocuFlowStackReconciler) prepareForDeletion(ctx context.Context, obj core.Object, policy platformv1alpha1.DeletionPolicy) (bool, string, error) {
	ann := map[string]any{}
	var spec map[string]any
	var notes []string
	if _, probe := desired.IsProbe(obj); !probe && strings.EqualFold(obj.GetAnnotations()[desired.AnnotationReadOnly], "true") {
		ann[desired.AnnotationReadOnly] = "false"
		notes = append(notes, "lifting ACK's read-only hold")
	}
	switch o := obj.(type) {
	case *rdsv1alpha1.DBInstance:
		if policy == platformv1alpha1.DeletionPolicyDelete {
			for k, v := range map[string]string{desired.AnnotationSkipFinalSnapshot: "true", desired.AnnotationDeleteAutomatedBackups: "true"} {
				if o.GetAnnotations()[k] != v {
					ann[k] = v
				}
			}
		}
		if o.Spec.DeletionProtection != nil && *o.Spec.DeletionProtection {
			spec = map[string]any{"deletionProtection": false}
			notes = append(notes, "switching off deletion protection")
		}
	case *elbv2v1alpha1.LoadBalancer:
		for _, a := range o.Spec.Attributes {
			if a != nil && a.Key != nil && *a.Key == "deletion_protection.enabled" && a.Value != nil && *a.Value == "true" {
				var attrs []any
				for _, b := range o.Spec.Attributes {
					v := *b.Value
					if *b.Key == "deletion_protection.enabled" {
						v = "false"
					}
					attrs = append(attrs, map[string]any{"key": *b.Key, "value": v})
				}
				spec = map[string]any{"attributes": attrs}
				notes = append(notes, "switching off deletion protection")
			}
		}
	}
	if len(ann) > 0 || spec != nil {
		patch := map[string]any{"metadata": map[string]any{"annotations": ann}}
		if spec != nil {
			// ACK has no observed generation: the grace below starts here.
			ann[annotationPrepared] = time.Now().UTC().Format(time.RFC3339)
			patch["spec"] = spec
		}
		if err := r.applyPatch(ctx, obj, patch); err != nil {
			return false, "", err
		}
		if len(notes) == 0 {
			notes = append(notes, "setting the final snapshot annotations")
		}
		return false, strings.Join(notes, " and "), nil
	}
	if at, ok := obj.GetAnnotations()[annotationPrepared]; ok {
		// ACK has no observed generation: wait for it to report the change
		// synced, and give it the grace period to have acted on it.
		synced := obj.ACKStatus().Condition(ackv1alpha1.ConditionTypeResourceSynced)
		t, _ := time.Parse(time.RFC3339, at)
		if synced == nil || synced.Status != "True" || time.Since(t) < r.DeletionProtectionGrace {
			return false, "waiting for ACK to switch off deletion protection", nil
		}
	}
	return true, "", nil
}

// patchAnnotations merges annotations into a child with the operator's field
// manager.
func (r *DocuFlowStackReconciler) patchAnnotations(ctx context.Context, obj core.Object, ann map[string]string) error {
	m := map[string]any{}
	for k, v := range ann {
		m[k] = v
	}
	return r.applyPatch(ctx, obj, map[string]any{"metadata": map[string]any{"annotations": m}})
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
	if err := r.Apply(ctx, client.ApplyConfigurationFromUnstructured(u), client.FieldOwner(apply.DeletionFieldManager), client.ForceOwnership); err != nil {
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

// waveStart is when this process first saw the wave under way, or, after a
// restart, when its first child's deletion began. A wave is the set of
// children it deletes.
func (r *DocuFlowStackReconciler) waveStart(stack *platformv1alpha1.DocuFlowStack, objs []core.Object) time.Time {
	type since struct {
		wave string
		at   time.Time
	}
	names := make([]string, 0, len(objs))
	for _, o := range objs {
		names = append(names, childName(o))
	}
	wave := strings.Join(names, ",")
	if v, ok := r.waveSince.Load(stack.UID); ok && v.(since).wave == wave {
		return v.(since).at
	}
	start := time.Now()
	for _, o := range objs {
		if ts := o.GetDeletionTimestamp(); ts != nil && ts.Time.Before(start) {
			start = ts.Time
		}
	}
	r.waveSince.Store(stack.UID, since{wave, start})
	return start
}

func childName(obj core.Object) string { return kindOf(obj) + " " + obj.GetName() }

// retainedEntry names a released child and its AWS identity.
func retainedEntry(obj core.Object) string {
	if arn := obj.ACKStatus().ARN(); arn != "" {
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
