package controllers

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"time"

	apiequality "k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/events"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	platformv1alpha1 "github.com/docuflow/docuflow-operator/api/v1alpha1"
	"github.com/docuflow/docuflow-operator/internal/ack"
	"github.com/docuflow/docuflow-operator/internal/ack/core"
	"github.com/docuflow/docuflow-operator/internal/apply"
	"github.com/docuflow/docuflow-operator/internal/desired"
)

// FieldManager is the one field manager the operator writes children's
// renders with.
const FieldManager = apply.FieldManager

// waitingRequeue is how soon a stack whose children wait on each other is
// looked at again. Children's status changes trigger reconciles through the
// watches; this is only the safety net for changes ACK makes without writing.
const waitingRequeue = 30 * time.Second

// DocuFlowStackReconciler reconciles DocuFlowStack objects.
type DocuFlowStackReconciler struct {
	client.Client
	Scheme   *runtime.Scheme
	Recorder events.EventRecorder
	// DeletionProtectionGrace is how long after switching off a child's
	// deletion protection, and ACK reporting it synced, the operator waits
	// before deleting it. ACK reports no observed generation, so this stands
	// in for "ACK has applied the change".
	DeletionProtectionGrace time.Duration
	// StatusProgressInterval holds back status changes that are progress
	// only (children syncing one after another inside a family whose
	// condition keeps its status) until this long after the stack's last
	// status write; every other change is written at once. 0 writes every
	// change. The manager uses DefaultStatusProgressInterval.
	StatusProgressInterval time.Duration
	// ApplyConcurrency is how many child writes one pass has in flight; 0
	// means DefaultApplyConcurrency.
	ApplyConcurrency int

	// lastStatus is the status this process last wrote, by stack UID.
	lastStatus sync.Map
	// lastWriteAt is when this process last wrote each stack's status.
	lastWriteAt sync.Map
	// waveSince remembers when each deleting stack's current wave started.
	waveSince sync.Map
}

// scope carries one pass: the stack, what exists, what should exist, and the
// facts the status is computed from.
type scope struct {
	stack    *platformv1alpha1.DocuFlowStack
	observed map[childKey]core.Object
	desired  desired.Result
	facts    passFacts
	// statusDue is set when a progress-only status change was held back: the
	// pass must come again this soon to write it.
	statusDue time.Duration
	// silenceDue is set when a child ACK has not written on yet reaches
	// desired.SilentAfter: the pass that reports its silence.
	silenceDue time.Duration
	// deleting is set while a deletion wave is under way.
	deleting *deletingFacts
	// finalized is set once the finalizer is removed: the stack is gone.
	finalized bool
	// blocked holds the children not created yet because a child they
	// depend on is not synced, with what they wait for.
	blocked map[childKey]string
}

// childKey identifies a child within the stack's namespace.
type childKey struct{ Kind, Name string }

// +kubebuilder:rbac:groups=platform.docuflow.io,resources=docuflowstacks,verbs=get;list;watch;update;patch
// +kubebuilder:rbac:groups=platform.docuflow.io,resources=docuflowstacks/status,verbs=get;update;patch
// +kubebuilder:rbac:groups=platform.docuflow.io,resources=docuflowstacks/finalizers,verbs=update
// +kubebuilder:rbac:groups=events.k8s.io,resources=events,verbs=create;patch
// +kubebuilder:rbac:groups=ec2.services.k8s.aws,resources=vpcs;subnets;internetgateways;natgateways;elasticipaddresses;routetables;securitygroups;vpcendpoints;flowlogs,verbs=get;list;watch;create;update;patch;delete
// +kubebuilder:rbac:groups=rds.services.k8s.aws,resources=dbsubnetgroups;dbparametergroups;dbinstances,verbs=get;list;watch;create;update;patch;delete
// +kubebuilder:rbac:groups=iam.services.k8s.aws,resources=roles,verbs=get;list;watch;create;update;patch;delete
// +kubebuilder:rbac:groups=cloudwatchlogs.services.k8s.aws,resources=loggroups,verbs=get;list;watch;create;update;patch;delete
// +kubebuilder:rbac:groups=ecs.services.k8s.aws,resources=clusters;taskdefinitions;services,verbs=get;list;watch;create;update;patch;delete
// +kubebuilder:rbac:groups=elbv2.services.k8s.aws,resources=loadbalancers;targetgroups;listeners,verbs=get;list;watch;create;update;patch;delete
// +kubebuilder:rbac:groups=applicationautoscaling.services.k8s.aws,resources=scalabletargets;scalingpolicies,verbs=get;list;watch;create;update;patch;delete
// +kubebuilder:rbac:groups=cloudwatch.services.k8s.aws,resources=metricalarms,verbs=get;list;watch;create;update;patch;delete

// Reconcile converges one stack: observe its children, render what it needs,
// apply what changed, prune what is no longer wanted, and report. Status is
// written once, at the end, whatever happened.
func (r *DocuFlowStackReconciler) Reconcile(ctx context.Context, req ctrl.Request) (result ctrl.Result, retErr error) {
	stack := &platformv1alpha1.DocuFlowStack{}
	if err := r.Get(ctx, req.NamespacedName, stack); err != nil {
		if apierrors.IsNotFound(err) {
			tracker.forget(req.NamespacedName)
		}
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}

	s := &scope{stack: stack, blocked: map[childKey]string{}}
	before := stack.Status.DeepCopy()
	defer func() {
		if err := r.writeStatus(ctx, s, before, retErr); err != nil {
			retErr = errors.Join(retErr, err)
		}
		for _, due := range []time.Duration{s.statusDue, s.silenceDue} {
			if due > 0 && (result.RequeueAfter == 0 || due < result.RequeueAfter) {
				result.RequeueAfter = due
			}
		}
	}()

	var err error
	if s.observed, err = r.observeChildren(ctx, stack); err != nil {
		return ctrl.Result{}, err
	}
	if !stack.DeletionTimestamp.IsZero() {
		return r.reconcileDelete(ctx, s)
	}
	// The finalizer goes on before the first child exists, so no child can
	// outlive the stack by accident.
	if !controllerutil.ContainsFinalizer(stack, Finalizer) {
		patch := client.MergeFrom(stack.DeepCopy())
		controllerutil.AddFinalizer(stack, Finalizer)
		if err := r.Patch(ctx, stack, patch); err != nil {
			return ctrl.Result{}, fmt.Errorf("adding the finalizer to DocuFlowStack %s/%s: %w", stack.Namespace, stack.Name, err)
		}
	}

	s.desired, err = desired.Build(stack, desired.Observe(stack, s.observedList()))
	if err != nil {
		s.facts.InvalidSpec = err
		reconcileErrors.WithLabelValues("spec").Inc()
		return ctrl.Result{}, reconcile.TerminalError(err)
	}
	if stack.Spec.Suspend {
		// Observe and report only: nothing is written to children.
		return ctrl.Result{}, nil
	}
	r.trackTaskDefinitions(s)
	if err := r.applyChildren(ctx, s); err != nil {
		s.facts.ApplyErr = err
		return ctrl.Result{}, err
	}
	// Pruning only after the whole desired set applied: a half-applied stack
	// never loses a child it may still need.
	if err := r.pruneChildren(ctx, s); err != nil {
		s.facts.ApplyErr = err
		return ctrl.Result{}, err
	}
	if len(s.desired.Waiting) > 0 {
		return ctrl.Result{RequeueAfter: waitingRequeue}, nil
	}
	return ctrl.Result{}, nil
}

// observedList returns the observed children in a stable order.
func (s *scope) observedList() []core.Object {
	out := make([]core.Object, 0, len(s.observed))
	for _, kind := range ack.Kinds() {
		k := kindOf(kind)
		for key, obj := range s.observed {
			if key.Kind == k {
				out = append(out, obj)
			}
		}
	}
	return out
}

// writeStatus computes the status from the pass's facts and writes it when it
// changed. observedGeneration only advances after a pass without error.
func (r *DocuFlowStackReconciler) writeStatus(ctx context.Context, s *scope, before *platformv1alpha1.DocuFlowStackStatus, passErr error) error {
	stack := s.stack
	if s.finalized {
		tracker.forget(client.ObjectKeyFromObject(stack))
		r.lastStatus.Delete(stack.UID)
		r.lastWriteAt.Delete(stack.UID)
		r.waveSince.Delete(stack.UID)
		return nil
	}
	if s.deleting != nil {
		// Setting deletionTimestamp bumps a custom resource's generation; the
		// operator has seen it, so the status says so.
		markDeleting(&stack.Status, stack.Generation, s.deleting)
		stack.Status.ObservedGeneration = stack.Generation
	} else {
		s.facts.Generation = stack.Generation
		s.facts.Families = familiesOf(stack)
		s.facts.Children = childFactsOf(s, time.Now())
		s.facts.Suspended = stack.Spec.Suspend
		computeStatus(s.facts, &stack.Status)
		desired.ReadEndpoints(stack, s.observedList())
		desired.ReadRollout(stack, s.observedList())
		if passErr == nil || errors.Is(passErr, reconcile.TerminalError(nil)) {
			stack.Status.ObservedGeneration = stack.Generation
		}
	}
	tracker.observe(stack, time.Now())
	// Skip the write only when the stack as cached and the status this
	// process last wrote both equal the new one: the cache can lag our own
	// last write (compare with it alone and a needed write is skipped), and
	// another writer can change the status (compare with our memory alone and
	// its edit is never corrected).
	unchanged := apiequality.Semantic.DeepEqual(before, &stack.Status)
	transitionsFrom := before
	if last, ok := r.lastStatus.Load(stack.UID); ok {
		transitionsFrom = last.(*platformv1alpha1.DocuFlowStackStatus)
		unchanged = unchanged && apiequality.Semantic.DeepEqual(transitionsFrom, &stack.Status)
	}
	if unchanged {
		return nil
	}
	if due := r.progressDue(s, before, transitionsFrom, passErr); due > 0 {
		s.statusDue = due
		return nil
	}
	r.recordTransitions(stack, transitionsFrom)
	// The whole status goes in one merge patch, without optimistic locking:
	// it is computed whole from this pass's observations, and neither the cache
	// (it may lag our last write) nor our memory (another writer may have
	// changed the status) is a safe base for a diff.
	patch, err := fullStatusPatch(&stack.Status)
	if err != nil {
		return err
	}
	if err := r.Status().Patch(ctx, stack, client.RawPatch(types.MergePatchType, patch)); err != nil {
		if apierrors.IsNotFound(err) {
			return nil
		}
		return fmt.Errorf("writing status of DocuFlowStack %s/%s: %w", stack.Namespace, stack.Name, err)
	}
	r.lastStatus.Store(stack.UID, stack.Status.DeepCopy())
	r.lastWriteAt.Store(stack.UID, time.Now())
	return nil
}

// progressDue returns how long a progress-only status change may still be
// held back, or 0 when the status must be written now: the change is more
// than progress against both the cached status and this process's last
// write, the pass failed (an error's requeue would not carry the change),
// the stack is being deleted, or the last write is older than
// StatusProgressInterval.
func (r *DocuFlowStackReconciler) progressDue(s *scope, cached, lastWritten *platformv1alpha1.DocuFlowStackStatus, passErr error) time.Duration {
	if r.StatusProgressInterval <= 0 || s.deleting != nil || passErr != nil {
		return 0
	}
	at, ok := r.lastWriteAt.Load(s.stack.UID)
	if !ok || !progressOnly(cached, &s.stack.Status) || !progressOnly(lastWritten, &s.stack.Status) {
		return 0
	}
	return time.Until(at.(time.Time).Add(r.StatusProgressInterval))
}

// recordTransitions emits an event when Ready or Stalled change.
func (r *DocuFlowStackReconciler) recordTransitions(stack *platformv1alpha1.DocuFlowStack, before *platformv1alpha1.DocuFlowStackStatus) {
	if r.Recorder == nil {
		return
	}
	for _, t := range []string{platformv1alpha1.ConditionReady, platformv1alpha1.ConditionStalled} {
		now := meta.FindStatusCondition(stack.Status.Conditions, t)
		was := meta.FindStatusCondition(before.Conditions, t)
		if now == nil || (was != nil && was.Status == now.Status && was.Reason == now.Reason) {
			continue
		}
		kind := "Normal"
		if t == platformv1alpha1.ConditionStalled && now.Status == "True" {
			kind = "Warning"
		}
		if t == platformv1alpha1.ConditionStalled && now.Status != "True" && was == nil {
			continue
		}
		r.Recorder.Eventf(stack, nil, kind, now.Reason, t, "%s", eventNote(fmt.Sprintf("%s=%s: %s", t, now.Status, now.Message)))
	}
}

// CacheOptions are the manager cache settings the operator runs with. They
// keep its memory to what it needs: managedFields are dropped from every
// cached object but for the entries of other writers than the operator and
// ACK on children, and ACK objects are cached only when they carry the
// operator's managed-by label (a cluster may hold many ACK objects that are
// not ours). Measured in docs/benchmarks.md.
func CacheOptions() cache.Options {
	byObject := map[client.Object]cache.ByObject{}
	sel := labels.SelectorFromSet(labels.Set{desired.LabelManagedBy: desired.ManagedByValue})
	for _, kind := range ack.Kinds() {
		// Children keep the managed-fields entries of writers other than the
		// operator and ACK: how the operator finds a hand edit to put back.
		byObject[kind] = cache.ByObject{Label: sel, Transform: apply.StripManagedFields}
	}
	return cache.Options{DefaultTransform: cache.TransformStripManagedFields(), ByObject: byObject}
}

// SetupWithManager registers the reconciler, watching the stack and every
// kind of child it owns.
func (r *DocuFlowStackReconciler) SetupWithManager(mgr ctrl.Manager) error {
	b := ctrl.NewControllerManagedBy(mgr).
		// Status writes (our own) do not trigger passes; spec changes, the
		// start of a deletion and annotations (a re-drive request) do.
		For(&platformv1alpha1.DocuFlowStack{}, builder.WithPredicates(predicate.Or(
			predicate.GenerationChangedPredicate{},
			predicate.AnnotationChangedPredicate{},
			predicate.Funcs{UpdateFunc: func(e event.UpdateEvent) bool {
				return !e.ObjectNew.GetDeletionTimestamp().IsZero()
			}},
		))).
		Named("docuflowstack")
	// Periodic resyncs deliver children unchanged; only a new resourceVersion
	// (a real change by ACK or anyone else) needs a pass. Measured in
	// docs/benchmarks.md.
	for _, kind := range ack.Kinds() {
		b = b.Owns(kind, builder.WithPredicates(predicate.ResourceVersionChangedPredicate{}))
	}
	return b.Complete(r)
}

// eventNote cuts a note to the 1024 characters an Event may carry.
func eventNote(s string) string {
	const limit = 1024
	if len(s) <= limit {
		return s
	}
	return s[:limit-3] + "..."
}

// fullStatusPatch is a JSON merge patch that sets every status field: fields
// the status leaves empty are set to null, so nothing anyone wrote before
// survives.
func fullStatusPatch(status *platformv1alpha1.DocuFlowStackStatus) ([]byte, error) {
	b, err := json.Marshal(status)
	if err != nil {
		return nil, fmt.Errorf("encoding the status: %w", err)
	}
	fields := map[string]any{}
	if err := json.Unmarshal(b, &fields); err != nil {
		return nil, fmt.Errorf("encoding the status: %w", err)
	}
	t := reflect.TypeFor[platformv1alpha1.DocuFlowStackStatus]()
	for i := range t.NumField() {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
		if _, set := fields[name]; !set && name != "" {
			fields[name] = nil
		}
	}
	return json.Marshal(map[string]any{"status": fields})
}
