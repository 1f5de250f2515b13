package acksim

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"sort"
	"strings"
	"time"

	ackv1alpha1 "github.com/aws-controllers-k8s/runtime/apis/core/v1alpha1"
	corev1 "k8s.io/api/core/v1"
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

	"github.com/docuflow/docuflow-operator/internal/ack"
	"github.com/docuflow/docuflow-operator/internal/ack/core"
	ec2v1alpha1 "github.com/docuflow/docuflow-operator/internal/ack/ec2/v1alpha1"
	ecsv1alpha1 "github.com/docuflow/docuflow-operator/internal/ack/ecs/v1alpha1"
	elbv2v1alpha1 "github.com/docuflow/docuflow-operator/internal/ack/elbv2/v1alpha1"
	rdsv1alpha1 "github.com/docuflow/docuflow-operator/internal/ack/rds/v1alpha1"
	"github.com/docuflow/docuflow-operator/internal/ack/refs"
)

// staleReadRequeue is how soon a pass refused for a stale read runs again.
const staleReadRequeue = 50 * time.Millisecond

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
		if err := r.client.Patch(ctx, obj, client.MergeFromWithOptions(before, client.MergeFromWithOptimisticLock{}), client.FieldOwner(FieldManager)); err != nil {
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
	result, err := r.sync(ctx, key, obj, now)
	if err != nil {
		return ctrl.Result{}, err
	}
	// A write-back earlier in the pass moved the resourceVersion; the
	// status patch below is locked to the object as the pass left it.
	before.SetResourceVersion(obj.GetResourceVersion())
	if !apiequality.Semantic.DeepEqual(statusOf(before), statusOf(obj)) {
		// The pass read the manager's cache, which can lag the simulator's
		// own last write. Written from such a stale read, the status would
		// carry fresh transition times and move the resourceVersion of an
		// object that has not changed; the lock refuses it, and the pass is
		// run again on what the cache catches up to.
		if err := r.client.Status().Patch(ctx, obj, client.MergeFromWithOptions(before, client.MergeFromWithOptimisticLock{}), client.FieldOwner(FieldManager)); err != nil {
			if apierrors.IsConflict(err) {
				return ctrl.Result{RequeueAfter: staleReadRequeue}, nil
			}
			return ctrl.Result{}, fmt.Errorf("writing status of %s: %w", key, err)
		}
		if synced := isTrue(st, ackv1alpha1.ConditionTypeResourceSynced); synced != wasSynced {
			log.Info("Simulated ACK sync changed", "kind", r.kind, "synced", synced)
		}
		r.sim.wake(key)
	}
	return result, nil
}

// sync is the runtime's Sync on the simulated AWS: it leaves a Terminal
// object alone until its generation changes, refuses a malformed
// ignore-field-drift annotation (with the gate on), resolves references,
// applies injected faults, reads a read-only object without changing it,
// and otherwise creates or updates the simulated AWS resource and writes
// AWS's answer back into the spec. It sets the status in place.
func (r *reconciler) sync(ctx context.Context, key objKey, obj core.Object, now metav1.Time) (ctrl.Result, error) {
	st := obj.ACKStatus()
	var terminalAt int64
	r.sim.state(key, obj.GetUID(), func(s *objState) { terminalAt = s.terminalGeneration })
	if isTrue(st, ackv1alpha1.ConditionTypeTerminal) && terminalAt == obj.GetGeneration() {
		return ctrl.Result{}, nil
	}
	if r.sim.gateOn(r.group) {
		if bad := malformedIgnorePaths(obj); len(bad) > 0 {
			r.sim.state(key, obj.GetUID(), func(s *objState) { s.terminalGeneration = obj.GetGeneration() })
			markTerminalOnly(st, fmt.Sprintf("ignore-field-drift annotation contains malformed paths %v; fix the annotation before reconciliation can proceed", bad), now)
			return ctrl.Result{}, nil
		}
	}
	if done, result, err := r.adopt(ctx, key, obj, now); done || err != nil {
		return result, err
	}
	readOnly := isReadOnly(obj)
	res, err := r.resolve(ctx, key, obj)
	if err != nil {
		return ctrl.Result{}, err
	}
	if res.failure != "" && !res.soft && !readOnly {
		markReferences(st, res.hasRefs, res.failure, now)
		markUnknown(st, res.failure, now)
		return ctrl.Result{RequeueAfter: r.sim.opts.ReferenceRequeueInterval}, nil
	}
	if f, faulted := r.sim.faultFor(key); faulted {
		switch f.kind {
		case faultTerminal:
			markReferences(st, res.hasRefs, res.failure, now)
			r.terminal(key, obj, f.message, now)
			return ctrl.Result{}, nil
		case faultRecoverable:
			markReferences(st, res.hasRefs, res.failure, now)
			markRecoverable(st, f.message, now)
			return ctrl.Result{}, nil
		}
	}
	if readOnly {
		return r.readOnly(ctx, key, obj, res, now)
	}
	wasSynced := isTrue(st, ackv1alpha1.ConditionTypeResourceSynced)
	pending, remaining, reason, called := r.sim.provisioning(key, obj.GetUID(), obj.GetGeneration(), wasSynced, now.Time)
	if called && res.failure == "" {
		if msg := r.callAWS(key, obj); msg != "" {
			markReferences(st, res.hasRefs, res.failure, now)
			r.terminal(key, obj, msg, now)
			return ctrl.Result{}, nil
		}
		if err := r.writeBack(ctx, key, obj, res); err != nil {
			return ctrl.Result{}, err
		}
	} else if res.failure == "" {
		// Every reconcile compares the spec with AWS and updates what
		// differs: a task count or a rollback changed behind ACK's back is
		// set back to the spec, and a grown volume meets the spec's size.
		if msg := r.callAWS(key, obj); msg != "" {
			markReferences(st, res.hasRefs, res.failure, now)
			r.terminal(key, obj, msg, now)
			return ctrl.Result{}, nil
		}
	}
	o, err := r.observation(ctx, key, obj, res, !pending && res.failure == "")
	if err != nil {
		return ctrl.Result{}, err
	}
	storedARN := obj.ACKStatus().ARN()
	describe(obj, o)
	if tg, ok := obj.(*elbv2v1alpha1.TargetGroup); ok {
		r.hideCreatedTargetGroupARN(key, tg, storedARN, called)
	}
	markReferences(st, res.hasRefs, res.failure, now)
	switch {
	case res.failure != "":
		// A SecurityGroup whose groupRef peer has no ID yet: the group
		// exists (so its peer can resolve it) but its rules wait.
		markUnknown(st, res.failure, now)
		return ctrl.Result{RequeueAfter: r.sim.opts.ReferenceRequeueInterval}, nil
	case pending && r.kind == "NATGateway":
		// The ec2 controller requeues a pending NAT gateway with an error
		// the runtime reports as Recoverable.
		markRecoverable(st, "resource is pending", now)
		return ctrl.Result{RequeueAfter: remaining}, nil
	case pending:
		markNotSynced(st, reason, now)
		return ctrl.Result{RequeueAfter: remaining}, nil
	}
	markSynced(st, now)
	if called {
		touchSynced(st, now)
	}
	return ctrl.Result{}, nil
}

// hideCreatedTargetGroupARN follows the elbv2 controller (v1.6.1
// target_group/sdk.go): created with attributes, a target group's create
// returns a requeue and no resource, and the attribute update that follows
// returns the stored object, so its status shows no ARN until a resync (or
// a later generation) reads it from AWS. (A spec that leaves out fields AWS
// fills in gets its ARN through the extra ModifyTargetGroup those cause; the
// operator states them all, and so does the behaviour test.)
func (r *reconciler) hideCreatedTargetGroupARN(key objKey, tg *elbv2v1alpha1.TargetGroup, storedARN string, called bool) {
	r.sim.state(key, tg.GetUID(), func(s *objState) {
		switch {
		case called && storedARN == "" && len(tg.Spec.Attributes) > 0:
			s.arnHiddenAt = tg.GetGeneration()
		case s.arnHiddenAt != tg.GetGeneration():
			s.arnHiddenAt = 0
		}
		if s.arnHiddenAt != 0 {
			if md := tg.Status.ACKResourceMetadata; md != nil {
				md.ARN = nil
			}
		}
	})
}

// terminal marks the object Terminal at its generation.
func (r *reconciler) terminal(key objKey, obj core.Object, message string, now metav1.Time) {
	r.sim.state(key, obj.GetUID(), func(s *objState) { s.terminalGeneration = obj.GetGeneration() })
	markTerminal(obj.ACKStatus(), message, now)
}

// readOnly is the runtime's read-only path: the resource is read from AWS
// into the status and never created or updated.
func (r *reconciler) readOnly(ctx context.Context, key objKey, obj core.Object, res resolution, now metav1.Time) (ctrl.Result, error) {
	st := obj.ACKStatus()
	var exists bool
	r.sim.state(key, obj.GetUID(), func(s *objState) { exists = s.exists })
	if !exists {
		markReferences(st, res.hasRefs, res.failure, now)
		markUnknown(st, "read-only resource not found", now)
		return ctrl.Result{RequeueAfter: 10 * r.sim.opts.ReferenceRequeueInterval}, nil
	}
	o, err := r.observation(ctx, key, obj, res, true)
	if err != nil {
		return ctrl.Result{}, err
	}
	describe(obj, o)
	markReferences(st, res.hasRefs, res.failure, now)
	markSynced(st, now)
	return ctrl.Result{}, nil
}

// callAWS sets the simulated AWS resource to the spec, as the controller's
// create or update call does, and returns the message of a terminal error
// AWS answers with, or "".
func (r *reconciler) callAWS(key objKey, obj core.Object) string {
	var msg string
	gate := r.sim.gateOn(r.group)
	r.sim.state(key, obj.GetUID(), func(s *objState) {
		switch o := obj.(type) {
		case *ecsv1alpha1.Service:
			s.desiredCount = ptrValue(o.Spec.DesiredCount)
			if td := ptrValue(o.Spec.TaskDefinition); td != "" {
				s.taskDefinition = td
			}
			s.rolledBackFrom = ""
		case *rdsv1alpha1.DBInstance:
			want := ptrValue(o.Spec.AllocatedStorage)
			ignored := gate && ignoresField(obj, "spec.allocatedStorage")
			switch {
			case ignored:
				// ACK sends AWS's own size.
			case s.allocatedStorage > want:
				msg = fmt.Sprintf("InvalidParameterCombination: Invalid storage size for engine name postgres and storage type gp3: %d (the volume is %d GiB; storage cannot shrink)", want, s.allocatedStorage)
			default:
				s.allocatedStorage = want
			}
		case *elbv2v1alpha1.TargetGroup:
			if !gate || !ignoresField(obj, "spec.targets") {
				// The controller reads the registered targets into its
				// latest state and deregisters every one the spec lacks.
				s.targetsDeregistered++
			}
		}
	})
	return msg
}

// writeBack is the runtime's patchResourceMetadataAndSpec after a create or
// update: the spec as AWS answers, written as a JSON merge patch (lists
// whole) with the controller's field manager. References survive only at
// the top level; where the controller rebuilds a struct or list from AWS's
// answer, literal IDs and ARNs replace them.
func (r *reconciler) writeBack(ctx context.Context, key objKey, obj core.Object, res resolution) error {
	latest := obj.DeepCopyObject().(core.Object)
	if !awsForm(latest, res) {
		return nil
	}
	if err := r.client.Patch(ctx, latest, client.MergeFrom(obj), client.FieldOwner(FieldManager)); err != nil {
		return fmt.Errorf("writing AWS's answer back into the spec of %s: %w", key, err)
	}
	r.sim.wroteBack(key, latest.GetUID(), latest.GetGeneration())
	obj.SetResourceVersion(latest.GetResourceVersion())
	return nil
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
	r.sim.state(key, obj.GetUID(), func(s *objState) { o.aws = *s })
	if rt, ok := obj.(*ec2v1alpha1.RouteTable); ok {
		eps, err := r.gatewayEndpointsOf(ctx, key, rt)
		if err != nil {
			return observation{}, err
		}
		o.gatewayEndpoints = eps
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

// gatewayEndpointsOf returns the IDs of the gateway endpoints that exist and
// name the route table, by reference or by ID: AWS has added a route to each
// endpoint's prefix list to the table.
func (r *reconciler) gatewayEndpointsOf(ctx context.Context, key objKey, rt *ec2v1alpha1.RouteTable) ([]gatewayEndpoint, error) {
	list := &ec2v1alpha1.VPCEndpointList{}
	if err := r.reader.List(ctx, list, client.InNamespace(key.namespace)); err != nil {
		return nil, fmt.Errorf("listing VPCEndpoints to describe the routes of %s: %w", key, err)
	}
	var out []gatewayEndpoint
	for _, ep := range list.Items {
		id := ptrValue(ep.Status.VPCEndpointID)
		if id == "" || !strings.EqualFold(ptrValue(ep.Spec.VPCEndpointType), "Gateway") {
			continue
		}
		names := false
		for _, ref := range ep.Spec.RouteTableRefs {
			if ref != nil && ref.From != nil && ptrValue(ref.From.Name) == key.name {
				names = true
			}
		}
		for _, lit := range ep.Spec.RouteTableIDs {
			if tid := ptrValue(rt.Status.RouteTableID); tid != "" && ptrValue(lit) == tid {
				names = true
			}
		}
		if names {
			out = append(out, gatewayEndpoint{id: id, service: ptrValue(ep.Spec.ServiceName)})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].id < out[j].id })
	return out, nil
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
	for _, site := range refs.Sites(obj) {
		if len(site.Refs) == 0 {
			continue
		}
		res.hasRefs = true
		if site.LiteralSet {
			fail(referenceAndIDMessage(site.Literal, site.Field), false)
			continue
		}
		target, ok := refs.Targets[site.Base]
		if !ok {
			fail(fmt.Sprintf("the simulated ACK knows no target for reference field %s", site.Path), false)
			continue
		}
		for _, ref := range site.Refs {
			value, msg, err := r.resolveOne(ctx, key, obj.GetNamespace(), ref, target)
			if err != nil {
				return res, err
			}
			if msg != "" {
				fail(msg, target.SkipState)
				continue
			}
			res.values[site.Path] = append(res.values[site.Path], value)
		}
	}
	return res, nil
}

// resolveOne resolves one reference, returning its value or the runtime's
// message for why it does not resolve; err is for API failures only.
func (r *reconciler) resolveOne(ctx context.Context, key objKey, namespace string, ref *ackv1alpha1.AWSResourceReferenceWrapper, t refs.Target) (string, string, error) {
	name := *ref.From.Name
	if ns := ptrValue(ref.From.Namespace); ns != "" && ns != namespace {
		return "", crossNamespaceMessage(namespace, ns, name), nil
	}
	targetKey := objKey{t.Kind, namespace, name}
	r.sim.mu.Lock()
	proto := r.sim.protos[t.Kind]
	r.sim.mu.Unlock()
	if proto == nil {
		// A kind outside the mirrored set (kms Key, iam Policy) can never
		// exist on this cluster.
		return "", apierrors.NewNotFound(schema.GroupResource{Group: t.Group, Resource: t.Resource}, name).Error(), nil
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
	if !t.SkipState {
		if isTrue(tst, ackv1alpha1.ConditionTypeTerminal) {
			r.sim.wait(targetKey, key)
			return "", referenceTerminalMessage(t.Kind, namespace, name), nil
		}
		if !isTrue(tst, ackv1alpha1.ConditionTypeResourceSynced) {
			r.sim.wait(targetKey, key)
			return "", referenceNotSyncedMessage(t.Kind, namespace, name), nil
		}
	}
	u, err := runtime.DefaultUnstructuredConverter.ToUnstructured(target)
	if err != nil {
		return "", "", fmt.Errorf("reading %s: %w", targetKey, err)
	}
	value, _, _ := unstructured.NestedString(u, t.Path...)
	if value == "" {
		r.sim.wait(targetKey, key)
		return "", referenceMissingFieldMessage(t.Kind, namespace, name, t.Field), nil
	}
	return value, "", nil
}

// reconcileDelete follows the deletion policy, waits out the configured
// deletion delay, refuses (as AWS does) to delete a resource another one
// still uses, and removes ACK's finalizer. A read-only object is left in AWS,
// as the runtime does.
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
	retain = retain || isReadOnly(obj)
	if !retain {
		users, err := r.usersOf(ctx, key, obj)
		if err != nil {
			return ctrl.Result{}, err
		}
		if len(users) > 0 {
			// AWS answers DependencyViolation (or ResourceInUse); the
			// runtime adds ACK.Recoverable with the error to the status
			// (the other conditions stay) and controller-runtime retries
			// with its back-off.
			n := r.sim.refuse(key)
			ctrl.LoggerFrom(ctx).Info("Simulated AWS refused a deletion: the resource is in use", "kind", r.kind, "usedBy", users, "refusals", n)
			before := obj.DeepCopyObject().(core.Object)
			msg := fmt.Sprintf("api error DependencyViolation: The %s '%s' has dependencies and cannot be deleted. (simulated: used by %s)", r.kind, idOr(identifiers(r.kind, obj), key.name), strings.Join(users, ", "))
			setCondition(obj.ACKStatus(), ackv1alpha1.ConditionTypeRecoverable, corev1.ConditionTrue, "", msg, metav1.Now())
			if !apiequality.Semantic.DeepEqual(statusOf(before), statusOf(obj)) {
				if err := r.client.Status().Patch(ctx, obj, client.MergeFrom(before), client.FieldOwner(FieldManager)); err != nil && !apierrors.IsNotFound(err) {
					return ctrl.Result{}, fmt.Errorf("writing status of %s: %w", key, err)
				}
			}
			return ctrl.Result{RequeueAfter: min(r.sim.opts.ReferenceRequeueInterval*time.Duration(n), 5*time.Second)}, nil
		}
	}
	var existed bool
	r.sim.state(key, obj.GetUID(), func(s *objState) { existed = s.exists })
	if existed {
		// Something that never existed in AWS (a gate probe) is neither
		// deleted nor retained there.
		r.sim.recordDeletion(key, retain)
	}
	before := obj.DeepCopyObject().(core.Object)
	controllerutil.RemoveFinalizer(obj, r.finalizer)
	if err := r.client.Patch(ctx, obj, client.MergeFromWithOptions(before, client.MergeFromWithOptimisticLock{}), client.FieldOwner(FieldManager)); err != nil {
		if apierrors.IsNotFound(err) {
			return ctrl.Result{}, nil
		}
		return ctrl.Result{}, fmt.Errorf("removing finalizer %s from %s: %w", r.finalizer, key, err)
	}
	ctrl.LoggerFrom(ctx).Info("Simulated AWS resource released", "kind", r.kind, "retained", retain)
	r.sim.forget(key)
	return ctrl.Result{}, nil
}

// usersOf returns the objects whose AWS resources still use obj's: those
// whose spec references it, or names one of its IDs or its ARN literally. A
// security group being deleted has revoked its own rules first (the ec2
// controller does), so its rules naming another group no longer count.
func (r *reconciler) usersOf(ctx context.Context, key objKey, obj core.Object) ([]string, error) {
	ids := identifiers(r.kind, obj)
	var users []string
	r.sim.mu.Lock()
	protos := make(map[string]core.Object, len(r.sim.protos))
	for k, p := range r.sim.protos {
		protos[k] = p
	}
	r.sim.mu.Unlock()
	for kind, proto := range protos {
		list, err := ack.NewList(proto)
		if err != nil {
			return nil, err
		}
		if err := r.reader.List(ctx, list, client.InNamespace(key.namespace)); err != nil {
			return nil, fmt.Errorf("listing %s to check who uses %s: %w", kind, key, err)
		}
		for _, other := range ack.Items(list) {
			if kind == r.kind && other.GetName() == key.name {
				continue
			}
			if uses(other, r.kind, key.name, ids) {
				users = append(users, kind+"/"+other.GetName())
			}
		}
	}
	sort.Strings(users)
	return users, nil
}

// idOr returns the last of identifiers' answers (an ID rather than the ARN,
// which comes first), or def when there is none.
func idOr(list []string, def string) string {
	if len(list) > 0 {
		return list[len(list)-1]
	}
	return def
}

// identifiers are the IDs and ARN by which other specs may name obj.
func identifiers(kind string, obj core.Object) []string {
	var out []string
	if arn := obj.ACKStatus().ARN(); arn != "" {
		out = append(out, arn)
	}
	u, err := runtime.DefaultUnstructuredConverter.ToUnstructured(obj)
	if err != nil {
		return out
	}
	for _, t := range refs.Targets {
		if t.Kind != kind || len(t.Path) == 0 || t.Path[0] != "status" {
			continue
		}
		if v, _, _ := unstructured.NestedString(u, t.Path...); v != "" && !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	return out
}

// uses reports whether other's spec names the object kind/name by
// reference, or one of its identifiers literally.
func uses(other core.Object, kind, name string, ids []string) bool {
	deleting := !other.GetDeletionTimestamp().IsZero()
	for _, site := range refs.Sites(other) {
		t, ok := refs.TargetOf(site)
		if !ok || t.Kind != kind || !slices.Contains(site.Names(), name) {
			continue
		}
		if t.SkipState && deleting {
			continue
		}
		return true
	}
	if len(ids) == 0 {
		return false
	}
	u, err := runtime.DefaultUnstructuredConverter.ToUnstructured(other)
	if err != nil {
		return false
	}
	spec, _ := u["spec"].(map[string]any)
	// A tag's value is a label, not a use: AWS lets a resource go whatever
	// other resources' tags say about it.
	spec = maps.Clone(spec)
	delete(spec, "tags")
	found := false
	walkStrings(spec, func(s string) {
		if slices.Contains(ids, s) {
			found = true
		}
	})
	return found
}

// walkStrings calls f with every string in v.
func walkStrings(v any, f func(string)) {
	switch x := v.(type) {
	case string:
		f(x)
	case map[string]any:
		for _, e := range x {
			walkStrings(e, f)
		}
	case []any:
		for _, e := range x {
			walkStrings(e, f)
		}
	}
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
