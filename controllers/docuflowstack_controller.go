package controllers

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	apiequality "k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/selection"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/client-go/tools/events"
	"k8s.io/client-go/util/csaupgrade"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	platformv1alpha1 "github.com/docuflow/docuflow-operator/api/v1alpha1"
	"github.com/docuflow/docuflow-operator/internal/ack"
	"github.com/docuflow/docuflow-operator/internal/ack/core"
	"github.com/docuflow/docuflow-operator/internal/cost"
	"github.com/docuflow/docuflow-operator/internal/desired"
	"github.com/docuflow/docuflow-operator/internal/writecheck"
)

// FieldManager is the one field manager the operator writes children's
// renders with.
const FieldManager = writecheck.FieldManager

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
	// APIReader reads the stack from the API server when the cache's copy
	// may not hold the operator's own last write to it (readStack): the pass
	// builds on the stack's status (the task definition history, the
	// released children, when the status was last written). SetupWithManager
	// sets the manager's; nil reads through Client.
	APIReader client.Reader
	// written remembers, per stack, the resourceVersion that holds the
	// operator's last write to it (readStack); it is only a hint of when the
	// cache has caught up, and an empty one (after a restart) is right.
	written sync.Map
	// InstallationID goes into the scope of every new stack's AWS names
	// (desired.AWSNameScope), so that two clusters sharing an AWS account
	// never collide. A stack's scope is recorded on it when it is first
	// reconciled and never recomputed: changing the ID renames nothing.
	InstallationID string
	// Platform is what the installation sets on every stack's children,
	// beyond the reach of the stack's spec.
	Platform desired.Platform
	// Shard is the shard this manager reconciles: the stacks whose
	// desired.LabelShard has this value, or for "" (the default shard) the
	// stacks without the label. It must match the cache's selectors
	// (CacheOptions with the same shard). A stack of another shard is left
	// alone, without a single write.
	Shard string
}

// StatusFieldManager is the field manager the operator applies the stack's
// status with. The status is computed whole at every pass, so the operator
// owns every field of it: fields another writer set are taken over
// (takeOverStatus) and dropped when the operator's status leaves them out.
const StatusFieldManager = "docuflow-operator-status"

// scope carries one pass: the stack, what exists, what should exist, and the
// facts the status is computed from.
type scope struct {
	stack    *platformv1alpha1.DocuFlowStack
	observed map[childKey]core.Object
	// list is observed in order, made once (observedList).
	list    []core.Object
	desired desired.Result
	facts   passFacts
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
	// before is the stack's status as read at the start of the pass: what
	// is already written.
	before *platformv1alpha1.DocuFlowStackStatus
	// blocked holds the children not created yet because a child they
	// depend on is not synced, with what they wait for.
	blocked map[childKey]string
	// adoptions are the adopted children this pass took over or held, with
	// what AWS had (takeOverAdopted).
	adoptions map[childKey]*platformv1alpha1.AdoptedStatus
}

// childKey identifies a child within the stack's namespace.
type childKey struct{ Kind, Name string }

// +kubebuilder:rbac:groups=platform.docuflow.io,resources=docuflowstacks,verbs=get;list;watch;patch
// +kubebuilder:rbac:groups=platform.docuflow.io,resources=docuflowstacks/status,verbs=get;patch
// +kubebuilder:rbac:groups=platform.docuflow.io,resources=docuflowstacks/finalizers,verbs=update
// +kubebuilder:rbac:groups=events.k8s.io,resources=events,verbs=create;patch
// +kubebuilder:rbac:groups=ec2.services.k8s.aws,resources=vpcs;subnets;internetgateways;natgateways;elasticipaddresses;routetables;securitygroups;vpcendpoints;flowlogs,verbs=get;list;watch;create;patch;delete
// +kubebuilder:rbac:groups=rds.services.k8s.aws,resources=dbsubnetgroups;dbparametergroups;dbinstances,verbs=get;list;watch;create;patch;delete
// +kubebuilder:rbac:groups=iam.services.k8s.aws,resources=roles,verbs=get;list;watch;create;patch;delete
// +kubebuilder:rbac:groups=cloudwatchlogs.services.k8s.aws,resources=loggroups,verbs=get;list;watch;create;patch;delete
// +kubebuilder:rbac:groups=ecs.services.k8s.aws,resources=clusters;taskdefinitions;services,verbs=get;list;watch;create;patch;delete
// +kubebuilder:rbac:groups=elbv2.services.k8s.aws,resources=loadbalancers;targetgroups;listeners,verbs=get;list;watch;create;patch;delete
// +kubebuilder:rbac:groups=applicationautoscaling.services.k8s.aws,resources=scalabletargets;scalingpolicies,verbs=get;list;watch;create;patch;delete
// +kubebuilder:rbac:groups=cloudwatch.services.k8s.aws,resources=metricalarms,verbs=get;list;watch;create;patch;delete

// Reconcile converges one stack: observe its children, render what it needs,
// apply what changed, prune what is no longer wanted, and report. Status is
// written once, at the end, whatever happened.
func (r *DocuFlowStackReconciler) Reconcile(ctx context.Context, req ctrl.Request) (result ctrl.Result, retErr error) {
	stack := &platformv1alpha1.DocuFlowStack{}
	if err := r.readStack(ctx, req.NamespacedName, stack); err != nil {
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	defer func() { r.noteWritten(req.NamespacedName, stack) }()
	// A stack read from the API server (readStack) may have moved to another
	// shard since the cache saw it: that shard's manager writes it now, and
	// this pass writes nothing at all (not even the status, below).
	if shard := desired.ShardOf(stack); shard != r.Shard {
		ctrl.LoggerFrom(ctx).V(1).Info("Leaving the stack to its shard", "shard", shard)
		return ctrl.Result{}, nil
	}
	// A stack another shard reconciled has children under that shard's
	// label, which this shard's cache does not hold: they move first
	// (takeOver), so no child is orphaned and the status does not show them
	// as missing. A stack without the finalizer has no children yet: it gets
	// the record below, with the finalizer.
	if controllerutil.ContainsFinalizer(stack, Finalizer) && shardOwner(stack) != r.Shard {
		if ours, err := r.takeOver(ctx, stack); err != nil || !ours {
			return ctrl.Result{RequeueAfter: takeOverRequeue}, err
		}
	}

	before := stack.Status.DeepCopy()
	s := &scope{stack: stack, blocked: map[childKey]string{}, adoptions: map[childKey]*platformv1alpha1.AdoptedStatus{}, before: before}
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
	if s.observed, err = r.listChildren(ctx, stack); err != nil {
		return ctrl.Result{}, err
	}
	if !stack.DeletionTimestamp.IsZero() {
		return r.reconcileDelete(ctx, s)
	}
	// The finalizer goes on before the first child exists, so no child can
	// outlive the stack by accident; so does the record of how the stack's
	// AWS names are made, so that they never change under it (a stack the
	// operator found with children is one an older operator created: it
	// keeps its unscoped names).
	_, named := stack.Annotations[desired.AnnotationAWSNames]
	if !controllerutil.ContainsFinalizer(stack, Finalizer) || !named {
		patch := client.MergeFromWithOptions(stack.DeepCopy(), client.MergeFromWithOptimisticLock{})
		controllerutil.AddFinalizer(stack, Finalizer)
		if !named {
			names, err := desired.AWSNamesFor(stack, r.InstallationID, s.observedList())
			if err != nil {
				s.facts.InvalidSpec = err
				return ctrl.Result{}, reconcile.TerminalError(err)
			}
			metav1.SetMetaDataAnnotation(&stack.ObjectMeta, desired.AnnotationAWSNames, names)
		}
		if r.Shard != "" {
			metav1.SetMetaDataAnnotation(&stack.ObjectMeta, AnnotationShardOwner, r.Shard)
		} else {
			delete(stack.Annotations, AnnotationShardOwner)
		}
		if err := r.Patch(ctx, stack, patch); err != nil {
			return ctrl.Result{}, fmt.Errorf("adding the finalizer, the AWS name record and the shard owner to DocuFlowStack %s/%s: %w", stack.Namespace, stack.Name, err)
		}
	}

	if s.desired, err = r.render(s); err != nil {
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

// readStack reads a pass's stack from the cache, or from the API server when
// the cache's copy may lag the operator: its resourceVersion is not the one
// of the operator's last write (or last API read), or another writer's
// status fields are to be taken over (takeOverStatus needs managedFields,
// which the cache keeps only in part, stackManagedFields). Reading the
// stack from the API server at every pass cost kube-apiserver a read of
// the whole stack, status and managedFields, 15 times per stack while it
// converges (docs/benchmarks.md).
func (r *DocuFlowStackReconciler) readStack(ctx context.Context, key types.NamespacedName, stack *platformv1alpha1.DocuFlowStack) error {
	if err := r.Get(ctx, key, stack); err != nil {
		if apierrors.IsNotFound(err) {
			r.written.Delete(key)
		}
		return err
	}
	want, known := r.written.Load(key)
	if (!known || want == stack.ResourceVersion) && !foreignStatusWriter(stack) {
		return nil
	}
	// A fresh object: decoding into the cached copy would merge the two
	// (a map keeps its entries, a list its elements' fields), mixing the
	// cache's trimmed managedFields into the API server's.
	fresh := &platformv1alpha1.DocuFlowStack{}
	if err := r.stackReader().Get(ctx, key, fresh); err != nil {
		if apierrors.IsNotFound(err) {
			r.written.Delete(key)
		}
		return err
	}
	*stack = *fresh
	return nil
}

// noteWritten records the resourceVersion of a stack after a pass: that of
// the operator's last write to it, or of the copy the pass read. A stack
// whose finalizer the pass removed keeps its record until a read finds it
// gone: a cache that still holds it with the finalizer is at an older
// version, so the next pass asks the API server instead of deleting again.
func (r *DocuFlowStackReconciler) noteWritten(key types.NamespacedName, stack *platformv1alpha1.DocuFlowStack) {
	if stack.ResourceVersion == "" {
		r.written.Delete(key)
		return
	}
	r.written.Store(key, stack.ResourceVersion)
}

// foreignStatusWriter reports whether another writer than the operator
// updated the stack's status (takeOverStatus).
func foreignStatusWriter(stack *platformv1alpha1.DocuFlowStack) bool {
	for _, e := range stack.ManagedFields {
		if e.Subresource == "status" && e.Operation == metav1.ManagedFieldsOperationUpdate {
			return true
		}
	}
	return false
}

// stackManagedFields is the cache transform of stacks: it keeps only the
// managed-fields entries of the status, which a pass reads (when the
// operator last wrote it, lastStatusWrite; whether another writer did,
// foreignStatusWriter), and of the operator's own entry only its time.
func stackManagedFields(obj any) (any, error) {
	stack, ok := obj.(*platformv1alpha1.DocuFlowStack)
	if !ok {
		return obj, nil
	}
	var kept []metav1.ManagedFieldsEntry
	for _, e := range stack.ManagedFields {
		if e.Subresource != "status" {
			continue
		}
		if e.Manager == StatusFieldManager && e.Operation == metav1.ManagedFieldsOperationApply {
			e.FieldsV1 = nil
		}
		kept = append(kept, e)
	}
	stack.ManagedFields = kept
	return stack, nil
}

// stackReader is where a pass reads its stack when the cache will not do,
// and lists children the cache does not hold.
func (r *DocuFlowStackReconciler) stackReader() client.Reader {
	if r.APIReader != nil {
		return r.APIReader
	}
	return r.Client
}

// observedList returns the observed children in a stable order: by kind as
// ack.Kinds orders them, then by name. A pass observes its children once,
// so the list is made once and shared (read only, like the children).
func (s *scope) observedList() []core.Object {
	if s.list != nil || len(s.observed) == 0 {
		return s.list
	}
	keys := make([]childKey, 0, len(s.observed))
	for k := range s.observed {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b childKey) int {
		return cmp.Or(cmp.Compare(ack.KindIndex(a.Kind), ack.KindIndex(b.Kind)), cmp.Compare(a.Name, b.Name))
	})
	s.list = make([]core.Object, 0, len(keys))
	for _, k := range keys {
		s.list = append(s.list, s.observed[k])
	}
	return s.list
}

// writeStatus computes the status from the pass's facts and writes it when it
// changed. observedGeneration only advances after a pass without error.
func (r *DocuFlowStackReconciler) writeStatus(ctx context.Context, s *scope, before *platformv1alpha1.DocuFlowStackStatus, passErr error) error {
	stack := s.stack
	if s.finalized {
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
		s.facts.Cost, s.facts.CostErr = cost.Of(stack)
		computeStatus(s.facts, &stack.Status)
		stack.Status.Adopted = adoptedStatus(s)
		desired.ReadEndpoints(stack, s.observedList())
		desired.ReadRollout(stack, s.observedList())
		if passErr == nil || errors.Is(passErr, reconcile.TerminalError(nil)) {
			stack.Status.ObservedGeneration = stack.Generation
		}
	}
	ownFieldsOnly(&stack.Status, s.deleting != nil)
	// before was read from the API server at the start of the pass: equal,
	// there is nothing to write.
	if apiequality.Semantic.DeepEqual(before, &stack.Status) {
		return nil
	}
	if due := r.progressDue(s, before, passErr); due > 0 {
		s.statusDue = due
		return nil
	}
	if err := r.takeOverStatus(ctx, stack); err != nil {
		return err
	}
	if err := r.applyStatus(ctx, stack); err != nil {
		return err
	}
	r.recordTransitions(stack, before)
	observeReadyTransition(timeToReady, stack, before, time.Now())
	return nil
}

// ownFieldsOnly drops from a status what the operator does not write: a
// condition of another type (set by hand, or by an earlier release), and
// the released children outside a deletion.
func ownFieldsOnly(st *platformv1alpha1.DocuFlowStackStatus, deleting bool) {
	st.Conditions = slices.DeleteFunc(st.Conditions, func(c metav1.Condition) bool {
		return !slices.Contains(platformv1alpha1.ConditionTypes, c.Type)
	})
	if !deleting {
		st.Retained = nil
	}
}

// applyStatus server-side applies the whole status under StatusFieldManager.
// A field the status leaves out is removed, because the operator owns it.
func (r *DocuFlowStackReconciler) applyStatus(ctx context.Context, stack *platformv1alpha1.DocuFlowStack) error {
	status, err := runtime.DefaultUnstructuredConverter.ToUnstructured(&stack.Status)
	if err != nil {
		return fmt.Errorf("encoding the status of DocuFlowStack %s/%s: %w", stack.Namespace, stack.Name, err)
	}
	u := &unstructured.Unstructured{Object: map[string]any{"status": status}}
	u.SetGroupVersionKind(platformv1alpha1.GroupVersion.WithKind("DocuFlowStack"))
	u.SetName(stack.Name)
	u.SetNamespace(stack.Namespace)
	if err := r.Status().Apply(ctx, client.ApplyConfigurationFromUnstructured(u), client.FieldOwner(StatusFieldManager), client.ForceOwnership); err != nil {
		if apierrors.IsNotFound(err) {
			return nil
		}
		return fmt.Errorf("writing status of DocuFlowStack %s/%s: %w", stack.Namespace, stack.Name, err)
	}
	// The answer is the stack after the write: the next pass reads it from
	// the cache once the cache has it (readStack).
	stack.ResourceVersion = u.GetResourceVersion()
	return nil
}

// takeOverStatus hands the operator's status field manager the status fields
// other writers set with update or patch (an operator before v0.x wrote its
// status that way; anyone may edit it): once the operator owns them, the
// next apply removes the ones its status leaves out, so no stale or forged
// field survives. One JSON patch of managedFields, only when there is such a
// writer; it fails with a conflict if the stack changed since it was read.
func (r *DocuFlowStackReconciler) takeOverStatus(ctx context.Context, stack *platformv1alpha1.DocuFlowStack) error {
	writers := sets.New[string]()
	for _, e := range stack.ManagedFields {
		if e.Subresource == "status" && e.Operation == metav1.ManagedFieldsOperationUpdate {
			writers.Insert(e.Manager)
		}
	}
	if writers.Len() == 0 {
		return nil
	}
	patch, err := csaupgrade.UpgradeManagedFieldsPatch(stack, writers, StatusFieldManager, csaupgrade.Subresource("status"))
	if err != nil || patch == nil {
		return err
	}
	// A copy: the answer must not replace the status about to be applied.
	if err := r.Patch(ctx, stack.DeepCopy(), client.RawPatch(types.JSONPatchType, patch)); err != nil {
		return fmt.Errorf("taking over the status fields %s wrote on DocuFlowStack %s/%s: %w", strings.Join(sets.List(writers), ", "), stack.Namespace, stack.Name, err)
	}
	return nil
}

// lastStatusWrite is when the operator last applied the stack's status, from
// its field manager's entry in managedFields; zero when it never has.
func lastStatusWrite(stack *platformv1alpha1.DocuFlowStack) time.Time {
	for _, e := range stack.ManagedFields {
		if e.Manager == StatusFieldManager && e.Subresource == "status" && e.Operation == metav1.ManagedFieldsOperationApply && e.Time != nil {
			return e.Time.Time
		}
	}
	return time.Time{}
}

// progressDue returns how long a progress-only status change may still be
// held back, or 0 when the status must be written now: the change is more
// than progress, the pass failed (an error's requeue would not carry the
// change), the stack is being deleted, the operator never wrote its status,
// or its last write is older than the hold. The hold is
// StatusProgressInterval, or, once the stack has been converging for longer,
// as long as it had been converging at the last write: progress is written
// about 10 s, 20 s, 40 s, 80 s ... into a convergence, never more than half
// the time it has run behind. A stack that takes minutes to converge (AWS
// takes 10 to 15 for a database; a busy operator takes long for hundreds of
// stacks at once) is written a few times, not every 10 seconds, each write
// an apply of its whole status and an event to every watcher.
func (r *DocuFlowStackReconciler) progressDue(s *scope, written *platformv1alpha1.DocuFlowStackStatus, passErr error) time.Duration {
	if r.StatusProgressInterval <= 0 || s.deleting != nil || passErr != nil {
		return 0
	}
	at := lastStatusWrite(s.stack)
	if at.IsZero() || !progressOnly(written, &s.stack.Status) {
		return 0
	}
	hold := r.StatusProgressInterval
	if c := meta.FindStatusCondition(written.Conditions, platformv1alpha1.ConditionReconciling); c != nil && c.Status == metav1.ConditionTrue {
		hold = max(hold, at.Sub(c.LastTransitionTime.Time))
	}
	return time.Until(at.Add(hold))
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
		if t == platformv1alpha1.ConditionStalled && now.Status == metav1.ConditionTrue {
			kind = "Warning"
		}
		if t == platformv1alpha1.ConditionStalled && now.Status != metav1.ConditionTrue && was == nil {
			continue
		}
		r.Recorder.Eventf(stack, nil, kind, now.Reason, t, "%s", eventNote(fmt.Sprintf("%s=%s: %s", t, now.Status, now.Message)))
	}
}

// CacheOptions are the manager cache settings the operator of one shard
// ("" for the default shard) runs with. They keep its memory to what it
// needs: managedFields are dropped from every cached object but for the
// entries of other writers than the operator and ACK on children, stacks are
// cached only when they are the shard's (ShardSelector), and ACK objects
// only when they carry the operator's managed-by label (a cluster may hold
// many ACK objects that are not ours) and the shard's label, as the
// children of the shard's stacks do. Measured in docs/benchmarks.md.
func CacheOptions(shard string) cache.Options {
	shardSel := ShardSelector(shard)
	byObject := map[client.Object]cache.ByObject{
		&platformv1alpha1.DocuFlowStack{}: {Label: shardSel, Transform: stackManagedFields},
	}
	managed, _ := labels.NewRequirement(desired.LabelManagedBy, selection.Equals, []string{desired.ManagedByValue})
	reqs, _ := shardSel.Requirements()
	sel := labels.NewSelector().Add(*managed).Add(reqs...)
	for _, kind := range ack.Kinds() {
		// Children keep the managed-fields entries of writers other than the
		// operator and ACK: how the operator finds a hand edit to put back.
		byObject[kind] = cache.ByObject{Label: sel, Transform: writecheck.StripManagedFields}
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
	// docs/benchmarks.md. A child's event goes to the stack its controller
	// reference names (what Owns does, without asking the REST mapper
	// whether a DocuFlowStack is namespaced at every event: 11% of the
	// operator's allocations at 100 stacks).
	for _, kind := range ack.Kinds() {
		b = b.Watches(kind, handler.EnqueueRequestsFromMapFunc(stackOf), builder.WithPredicates(predicate.ResourceVersionChangedPredicate{}))
	}
	if r.APIReader == nil {
		r.APIReader = mgr.GetAPIReader()
	}
	countStacksFrom(mgr.GetCache())
	return b.Complete(r)
}

// stackOf maps a child to the stack its controller reference names, in the
// child's namespace.
func stackOf(_ context.Context, obj client.Object) []reconcile.Request {
	ref := metav1.GetControllerOfNoCopy(obj)
	if ref == nil || ref.Kind != "DocuFlowStack" {
		return nil
	}
	if gv, err := schema.ParseGroupVersion(ref.APIVersion); err != nil || gv.Group != platformv1alpha1.GroupVersion.Group {
		return nil
	}
	return []reconcile.Request{{NamespacedName: types.NamespacedName{Namespace: obj.GetNamespace(), Name: ref.Name}}}
}

// eventNote cuts a note to the 1024 characters an Event may carry.
func eventNote(s string) string {
	const limit = 1024
	if len(s) <= limit {
		return s
	}
	return s[:limit-3] + "..."
}
