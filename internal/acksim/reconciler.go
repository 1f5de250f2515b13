package acksim

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"time"

	ackv1alpha1 "github.com/aws-controllers-k8s/runtime/apis/core/v1alpha1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"

	"github.com/docuflow/docuflow-operator/internal/ack/core"
	ecsv1alpha1 "github.com/docuflow/docuflow-operator/internal/ack/ecs/v1alpha1"
)

// reconciler plays one ACK controller for one kind.
type reconciler struct {
	sim       *Sim
	kind      string
	group     string
	finalizer string
	proto     core.Object
	// client reads through the manager's cache and writes.
	client client.Client
	// reader reads the API server directly; ACK resolves references and reads
	// namespaces this way, so a just-synced peer is seen at once.
	reader client.Reader
}

// Reconcile runs one simulated ACK pass: get, finalizer, deletion, reference
// resolution, injected faults, simulated provisioning, status.
func (r *reconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	key := objKey{r.kind, req.Namespace, req.Name}
	// Counted when the pass ends, so a test that sees the count move knows
	// the pass's writes are done.
	defer r.sim.countPass(key)
	obj := r.proto.DeepCopyObject().(core.Object)
	if err := r.client.Get(ctx, req.NamespacedName, obj); err != nil {
		if apierrors.IsNotFound(err) {
			r.sim.forget(key)
			return ctrl.Result{}, nil
		}
		return ctrl.Result{}, fmt.Errorf("getting %s: %w", key, err)
	}
	if !obj.GetDeletionTimestamp().IsZero() {
		return r.reconcileDelete(ctx, key, obj)
	}
	if !controllerutil.ContainsFinalizer(obj, r.finalizer) {
		before := obj.DeepCopyObject().(core.Object)
		controllerutil.AddFinalizer(obj, r.finalizer)
		if err := r.client.Patch(ctx, obj, client.MergeFromWithOptions(before, client.MergeFromWithOptimisticLock{})); err != nil {
			return ctrl.Result{}, fmt.Errorf("adding finalizer %s to %s: %w", r.finalizer, key, err)
		}
	}
	return r.reconcileNormal(ctx, key, obj)
}

func (r *reconciler) reconcileNormal(ctx context.Context, key objKey, obj core.Object) (ctrl.Result, error) {
	log := ctrl.LoggerFrom(ctx)
	before := obj.DeepCopyObject().(core.Object)
	st := obj.ACKStatus()
	wasSynced := isTrue(st, ackv1alpha1.ConditionTypeResourceSynced)
	now := metav1.Now()

	res, err := r.resolve(ctx, key, obj)
	if err != nil {
		return ctrl.Result{}, err
	}
	var result ctrl.Result
	f, faulted := r.sim.faultFor(key)
	switch {
	case res.failure != "" && !res.soft:
		markReferences(st, res.hasRefs, res.failure, now)
		markNotSynced(st, res.failure, now)
		result.RequeueAfter = r.sim.opts.ReferenceRequeueInterval
	case faulted && f.kind == faultTerminal:
		markReferences(st, res.hasRefs, res.failure, now)
		markTerminal(st, f.message, now)
	case faulted && f.kind == faultRecoverable:
		markReferences(st, res.hasRefs, res.failure, now)
		markRecoverable(st, f.message, now)
	default:
		pending, remaining, reason := r.sim.provisioning(key, obj.GetUID(), obj.GetGeneration(), wasSynced, now.Time)
		o, err := r.observation(ctx, key, obj, res, !pending && res.failure == "")
		if err != nil {
			return ctrl.Result{}, err
		}
		observe(obj, o)
		markReferences(st, res.hasRefs, res.failure, now)
		switch {
		case res.failure != "":
			// A SecurityGroup whose groupRef peer has no ID yet: the group
			// exists (so its peer can resolve it) but its rules wait.
			markNotSynced(st, res.failure, now)
			result.RequeueAfter = r.sim.opts.ReferenceRequeueInterval
		case pending:
			markNotSynced(st, reason, now)
			result.RequeueAfter = remaining
		default:
			markSynced(st, now)
		}
	}

	if !apiequality.Semantic.DeepEqual(statusOf(before), statusOf(obj)) {
		if err := r.client.Status().Patch(ctx, obj, client.MergeFrom(before)); err != nil {
			return ctrl.Result{}, fmt.Errorf("writing status of %s: %w", key, err)
		}
		if synced := isTrue(st, ackv1alpha1.ConditionTypeResourceSynced); synced != wasSynced {
			log.Info("Simulated ACK sync changed", "kind", r.kind, "synced", synced)
		}
		r.sim.wake(key)
	}
	return result, nil
}

// statusOf returns the object's Status field for comparison.
func statusOf(obj core.Object) any {
	v := reflect.ValueOf(obj).Elem().FieldByName("Status")
	if !v.IsValid() {
		return nil
	}
	return v.Interface()
}

// observation gathers what the simulated AWS needs to describe the object.
func (r *reconciler) observation(ctx context.Context, key objKey, obj core.Object, res resolution, ready bool) (observation, error) {
	region, err := r.region(ctx, obj)
	if err != nil {
		return observation{}, err
	}
	o := observation{
		kind: key.kind, namespace: key.namespace, name: key.name,
		region: region, account: r.sim.opts.AccountID,
		resolved: res.values, ready: ready, created: obj.GetCreationTimestamp(),
	}
	if td, ok := obj.(*ecsv1alpha1.TaskDefinition); ok {
		hash, err := specHash(td.Spec)
		if err != nil {
			return observation{}, fmt.Errorf("hashing the spec of %s: %w", key, err)
		}
		o.revision = r.sim.revision(key, obj.GetUID(), hash, ptrValue(td.Status.Revision))
	}
	return o, nil
}

func specHash(spec any) (string, error) {
	b, err := json.Marshal(spec)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:]), nil
}

// region follows the ACK runtime's order: the region already in status, the
// object's services.k8s.aws/region annotation, its namespace's
// services.k8s.aws/default-region annotation, then the simulator's default.
func (r *reconciler) region(ctx context.Context, obj core.Object) (string, error) {
	if md := obj.ACKStatus().ACKResourceMetadata; md != nil && md.Region != nil && *md.Region != "" {
		return string(*md.Region), nil
	}
	if v := obj.GetAnnotations()[ackv1alpha1.AnnotationRegion]; v != "" {
		return v, nil
	}
	ns, err := r.namespaceAnnotations(ctx, obj.GetNamespace())
	if err != nil {
		return "", err
	}
	if v := ns[ackv1alpha1.AnnotationDefaultRegion]; v != "" {
		return v, nil
	}
	return r.sim.opts.Region, nil
}

func (r *reconciler) namespaceAnnotations(ctx context.Context, name string) (map[string]string, error) {
	ns := &metav1.PartialObjectMetadata{}
	ns.SetGroupVersionKind(schema.GroupVersionKind{Version: "v1", Kind: "Namespace"})
	if err := r.reader.Get(ctx, types.NamespacedName{Name: name}, ns); err != nil {
		if apierrors.IsNotFound(err) {
			return nil, nil
		}
		return nil, fmt.Errorf("reading namespace %s: %w", name, err)
	}
	return ns.GetAnnotations(), nil
}

// resolution is the outcome of resolving an object's references.
type resolution struct {
	hasRefs bool
	// values maps a reference's path (spec.vpcRef) to the resolved values.
	values map[string][]string
	// failure is the runtime's message for the first reference that does not
	// resolve, "" when all do.
	failure string
	// soft reports that the failure only concerns references that skip the
	// state checks (SecurityGroup groupRef), which do not stop creation.
	soft bool
}

// resolve is the runtime's ResolveReferences: a reference resolves only when
// the referenced object exists in the same namespace, is Synced, is not
// Terminal and has the target field; a reference and its literal value must
// not both be set.
func (r *reconciler) resolve(ctx context.Context, key objKey, obj core.Object) (resolution, error) {
	res := resolution{values: map[string][]string{}}
	fail := func(msg string, soft bool) {
		if res.failure == "" {
			res.failure, res.soft = msg, soft
		} else if !soft {
			res.soft = false
		}
	}
	for _, site := range referenceSites(obj) {
		if len(site.refs) == 0 {
			continue
		}
		res.hasRefs = true
		if site.literalSet {
			fail(referenceAndIDMessage(site.literal, site.field), false)
			continue
		}
		target, ok := refTargets[site.base]
		if !ok {
			fail(fmt.Sprintf("the simulated ACK knows no target for reference field %s", site.path), false)
			continue
		}
		for _, ref := range site.refs {
			value, msg, err := r.resolveOne(ctx, key, obj.GetNamespace(), ref, target)
			if err != nil {
				return res, err
			}
			if msg != "" {
				fail(msg, target.skipState)
				continue
			}
			res.values[site.path] = append(res.values[site.path], value)
		}
	}
	return res, nil
}

// resolveOne resolves one reference, returning its value or the runtime's
// message for why it does not resolve; err is for API failures only.
func (r *reconciler) resolveOne(ctx context.Context, key objKey, namespace string, ref *ackv1alpha1.AWSResourceReferenceWrapper, t refTarget) (string, string, error) {
	name := *ref.From.Name
	if ns := ptrValue(ref.From.Namespace); ns != "" && ns != namespace {
		return "", crossNamespaceMessage(namespace, ns, name), nil
	}
	targetKey := objKey{t.kind, namespace, name}
	r.sim.mu.Lock()
	proto := r.sim.protos[t.kind]
	r.sim.mu.Unlock()
	if proto == nil {
		// A kind outside the mirrored set (kms Key, iam Policy) can never
		// exist on this cluster.
		return "", apierrors.NewNotFound(schema.GroupResource{Group: t.group, Resource: t.resource}, name).Error(), nil
	}
	target := proto.DeepCopyObject().(core.Object)
	if err := r.reader.Get(ctx, types.NamespacedName{Namespace: namespace, Name: name}, target); err != nil {
		if apierrors.IsNotFound(err) {
			r.sim.wait(targetKey, key)
			return "", err.Error(), nil
		}
		return "", "", fmt.Errorf("resolving reference of %s to %s: %w", key, targetKey, err)
	}
	tst := target.ACKStatus()
	if !t.skipState {
		if isTrue(tst, ackv1alpha1.ConditionTypeTerminal) {
			r.sim.wait(targetKey, key)
			return "", referenceTerminalMessage(t.kind, namespace, name), nil
		}
		if !isTrue(tst, ackv1alpha1.ConditionTypeResourceSynced) {
			r.sim.wait(targetKey, key)
			return "", referenceNotSyncedMessage(t.kind, namespace, name), nil
		}
	}
	u, err := runtime.DefaultUnstructuredConverter.ToUnstructured(target)
	if err != nil {
		return "", "", fmt.Errorf("reading %s: %w", targetKey, err)
	}
	value, _, _ := unstructured.NestedString(u, t.path...)
	if value == "" {
		r.sim.wait(targetKey, key)
		return "", referenceMissingFieldMessage(t.kind, namespace, name, t.field), nil
	}
	return value, "", nil
}

// reconcileDelete follows the deletion policy, waits out the configured
// deletion delay and removes ACK's finalizer.
func (r *reconciler) reconcileDelete(ctx context.Context, key objKey, obj core.Object) (ctrl.Result, error) {
	if !controllerutil.ContainsFinalizer(obj, r.finalizer) {
		return ctrl.Result{}, nil
	}
	if d := r.sim.deletionDelay(r.kind); d > 0 {
		if remaining := time.Until(obj.GetDeletionTimestamp().Add(d)); remaining > 0 {
			return ctrl.Result{RequeueAfter: remaining}, nil
		}
	}
	retain, err := r.retain(ctx, obj)
	if err != nil {
		return ctrl.Result{}, err
	}
	r.sim.recordDeletion(key, retain)
	before := obj.DeepCopyObject().(core.Object)
	controllerutil.RemoveFinalizer(obj, r.finalizer)
	if err := r.client.Patch(ctx, obj, client.MergeFromWithOptions(before, client.MergeFromWithOptimisticLock{})); err != nil {
		if apierrors.IsNotFound(err) {
			return ctrl.Result{}, nil
		}
		return ctrl.Result{}, fmt.Errorf("removing finalizer %s from %s: %w", r.finalizer, key, err)
	}
	ctrl.LoggerFrom(ctx).Info("Simulated AWS resource released", "kind", r.kind, "retained", retain)
	r.sim.forget(key)
	return ctrl.Result{}, nil
}

// retain applies the runtime's deletion-policy order: the object's
// services.k8s.aws/deletion-policy, then the namespace's
// <group>/deletion-policy, then delete.
func (r *reconciler) retain(ctx context.Context, obj core.Object) (bool, error) {
	policy := obj.GetAnnotations()[ackv1alpha1.AnnotationDeletionPolicy]
	if policy == "" {
		ns, err := r.namespaceAnnotations(ctx, obj.GetNamespace())
		if err != nil {
			return false, err
		}
		policy = ns[r.group+"/deletion-policy"]
	}
	return strings.EqualFold(policy, string(ackv1alpha1.DeletionPolicyRetain)), nil
}

func ptrValue[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}
