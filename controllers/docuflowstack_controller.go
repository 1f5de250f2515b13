package controllers

import (
	"context"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/predicate"

	platformv1alpha1 "github.com/docuflow/docuflow-operator/api/v1alpha1"
)

// FieldManager is the one field manager the operator writes with.
const FieldManager = "docuflow-operator"

// DocuFlowStackReconciler reconciles DocuFlowStack objects.
type DocuFlowStackReconciler struct {
	client.Client
}

// +kubebuilder:rbac:groups=platform.docuflow.io,resources=docuflowstacks,verbs=get;list;watch;update;patch
// +kubebuilder:rbac:groups=platform.docuflow.io,resources=docuflowstacks/status,verbs=get;update;patch
// +kubebuilder:rbac:groups=platform.docuflow.io,resources=docuflowstacks/finalizers,verbs=update
// +kubebuilder:rbac:groups=events.k8s.io,resources=events,verbs=create;patch

// Reconcile records that the operator has seen the stack's current generation.
// Rendering the stack into ACK resources builds on this skeleton.
func (r *DocuFlowStackReconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	stack := &platformv1alpha1.DocuFlowStack{}
	if err := r.Get(ctx, req.NamespacedName, stack); err != nil {
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	if !stack.DeletionTimestamp.IsZero() {
		return ctrl.Result{}, nil
	}

	before := stack.Status.DeepCopy()
	stack.Status.ObservedGeneration = stack.Generation
	meta.SetStatusCondition(&stack.Status.Conditions, metav1.Condition{
		Type:               platformv1alpha1.ConditionReconciling,
		Status:             metav1.ConditionTrue,
		Reason:             platformv1alpha1.ReasonProgressing,
		Message:            "The stack is accepted; its AWS resources are not rendered by this build yet.",
		ObservedGeneration: stack.Generation,
	})
	meta.SetStatusCondition(&stack.Status.Conditions, metav1.Condition{
		Type:               platformv1alpha1.ConditionReady,
		Status:             metav1.ConditionFalse,
		Reason:             platformv1alpha1.ReasonProgressing,
		Message:            "The stack's AWS resources are not rendered by this build yet.",
		ObservedGeneration: stack.Generation,
	})
	if equalStatus(before, &stack.Status) {
		return ctrl.Result{}, nil
	}
	if err := r.Status().Update(ctx, stack); err != nil {
		if apierrors.IsConflict(err) {
			return ctrl.Result{}, err
		}
		return ctrl.Result{}, fmt.Errorf("writing status of DocuFlowStack %s: %w", req.NamespacedName, err)
	}
	return ctrl.Result{}, nil
}

// equalStatus compares two statuses ignoring condition transition times, so an
// unchanged stack costs no write.
func equalStatus(a, b *platformv1alpha1.DocuFlowStackStatus) bool {
	if a.ObservedGeneration != b.ObservedGeneration || len(a.Conditions) != len(b.Conditions) {
		return false
	}
	for i := range a.Conditions {
		x, y := a.Conditions[i], b.Conditions[i]
		if x.Type != y.Type || x.Status != y.Status || x.Reason != y.Reason || x.Message != y.Message || x.ObservedGeneration != y.ObservedGeneration {
			return false
		}
	}
	return true
}

// SetupWithManager registers the reconciler with the manager.
func (r *DocuFlowStackReconciler) SetupWithManager(mgr ctrl.Manager) error {
	return ctrl.NewControllerManagedBy(mgr).
		For(&platformv1alpha1.DocuFlowStack{}, builder.WithPredicates(predicate.GenerationChangedPredicate{})).
		Named("docuflowstack").
		Complete(r)
}
