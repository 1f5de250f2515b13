package acksim

import (
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/types"
	utiljson "k8s.io/apimachinery/pkg/util/json"
	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client/apiutil"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/source"

	"github.com/docuflow/docuflow-operator/internal/ack"
	"github.com/docuflow/docuflow-operator/internal/ack/core"
)

// Defaults for Options.
const (
	// DefaultRegion is the region of resources with no region annotation on
	// the object or its namespace.
	DefaultRegion = "us-east-1"
	// DefaultAccountID is the AWS account that owns every simulated resource.
	DefaultAccountID = "123456789012"
	// DefaultReferenceRequeueInterval is how often an object whose references
	// do not resolve is reconciled again.
	DefaultReferenceRequeueInterval = 500 * time.Millisecond
)

// Options configure a Sim. The zero value is usable.
type Options struct {
	// Region is the region of resources with neither the
	// services.k8s.aws/region annotation nor a services.k8s.aws/default-region
	// annotation on their namespace. Default DefaultRegion.
	Region string
	// AccountID is the owner account in every ARN. Default DefaultAccountID.
	AccountID string
	// ReferenceRequeueInterval is how soon an object with an unresolved
	// reference is reconciled again. The simulator also reconciles it as soon
	// as it writes the referenced object's status, so this is a safety net.
	// Default DefaultReferenceRequeueInterval.
	ReferenceRequeueInterval time.Duration
	// MaxConcurrentReconciles is the number of workers per kind. Default 1.
	MaxConcurrentReconciles int
	// WithoutIgnoreFieldDrift lists the API groups whose controller runs
	// without the IgnoreFieldDrift feature gate. The controllers on ACK
	// runtime v0.62 (ec2, rds, iam, elbv2, cloudwatchlogs, cloudwatch) have
	// it on unless listed; applicationautoscaling (v0.61) and ecs (v0.57)
	// never have it.
	WithoutIgnoreFieldDrift []string
}

// FieldManager is the field manager every write of the simulated ACK
// carries, as every write of a real ACK controller carries its own.
const FieldManager = "acksim"

// gateGroups are the API groups of the controllers built on ACK runtime
// v0.62, which has the IgnoreFieldDrift feature gate.
var gateGroups = []string{
	"ec2.services.k8s.aws", "rds.services.k8s.aws", "iam.services.k8s.aws", "elbv2.services.k8s.aws",
	"cloudwatchlogs.services.k8s.aws", "cloudwatch.services.k8s.aws",
}

// objKey names one object of one kind.
type objKey struct {
	kind, namespace, name string
}

func (k objKey) String() string { return k.kind + " " + k.namespace + "/" + k.name }

// faultKind is the kind of an injected per-object fault.
type faultKind int

const (
	faultTerminal faultKind = iota + 1
	faultRecoverable
	faultNeverSync
)

type fault struct {
	kind    faultKind
	message string
}

// objState is what the simulated AWS remembers about one object.
type objState struct {
	uid types.UID
	// generation is the spec generation the provisioning timer belongs to.
	generation int64
	// since is when the simulated AWS call for generation started.
	since time.Time
	// synced reports that generation has finished provisioning.
	synced bool
	// specHash and revision track TaskDefinition registrations.
	specHash string
	revision int64
	// exists reports that the simulated AWS resource was created.
	exists bool
	// terminalGeneration is the generation that went Terminal: ACK does not
	// retry a Terminal resource until its generation changes.
	terminalGeneration int64
	// desiredCount and taskDefinition are an ECS service's, as AWS has
	// them: Application Auto Scaling and the circuit breaker change them
	// behind ACK's back.
	desiredCount   int64
	taskDefinition string
	// rolledBackFrom is the task definition a circuit-breaker rollback left.
	rolledBackFrom string
	// allocatedStorage is a database's volume as AWS has it; storage
	// autoscaling grows it.
	allocatedStorage int64
	// targetsDeregistered counts the times the elbv2 controller deregistered
	// a target group's targets (it does at every update without the
	// IgnoreFieldDrift gate).
	targetsDeregistered int
	// arnHiddenAt is the generation of a target group created with
	// attributes: the elbv2 controller stores no ARN for it until a resync
	// or a later generation reads it from AWS (0: not hidden).
	arnHiddenAt int64
	// adoptedID is the AWS ID of an adopted EC2 resource: its status
	// reports that ID rather than one of the simulator's making.
	adoptedID string
}

// Sim is the simulated ACK. Its methods are safe for concurrent use; fault
// setters take effect on the next reconcile, which they trigger themselves
// where the change must show promptly.
type Sim struct {
	opts Options

	mu             sync.Mutex
	delays         map[string]time.Duration
	deletionDelays map[string]time.Duration
	faults         map[objKey]fault
	retained       map[string]struct{}
	deleted        map[string]struct{}
	objects        map[objKey]*objState
	// existing are AWS resources made outside ACK (AddExisting), by kind
	// and ID: what an adoption finds.
	existing map[string]map[string]any
	// waiters maps a referenced object to the objects whose references wait
	// for it.
	waiters map[objKey]map[objKey]struct{}
	// sinks feed each kind's controllers (one per manager) with objects to
	// reconcile now.
	sinks  map[string][]chan event.GenericEvent
	protos map[string]core.Object
	// passes counts reconciles per object, for tests.
	passes map[objKey]int
	// refusals counts, per object, the deletions AWS refused because
	// something still used the resource.
	refusals map[objKey]int
}

// New returns a simulator with opts, defaults filled in. Register its
// controllers with SetupWithManager.
func New(opts Options) *Sim {
	if opts.Region == "" {
		opts.Region = DefaultRegion
	}
	if opts.AccountID == "" {
		opts.AccountID = DefaultAccountID
	}
	if opts.ReferenceRequeueInterval <= 0 {
		opts.ReferenceRequeueInterval = DefaultReferenceRequeueInterval
	}
	if opts.MaxConcurrentReconciles <= 0 {
		opts.MaxConcurrentReconciles = 1
	}
	s := &Sim{
		opts:     opts,
		objects:  map[objKey]*objState{},
		waiters:  map[objKey]map[objKey]struct{}{},
		sinks:    map[string][]chan event.GenericEvent{},
		protos:   map[string]core.Object{},
		passes:   map[objKey]int{},
		refusals: map[objKey]int{},
	}
	s.resetLocked()
	return s
}

// SetupWithManager registers one controller per kind in ack.Kinds(), named
// acksim-<lowercase kind>, with the manager. The manager's scheme must know
// the kinds (ack.AddToScheme). It can be called for several managers.
func (s *Sim) SetupWithManager(mgr ctrl.Manager) error {
	kinds := ack.Kinds()
	for _, proto := range kinds {
		gvk, err := apiutil.GVKForObject(proto, mgr.GetScheme())
		if err != nil {
			return fmt.Errorf("setting up the simulated ACK: the manager's scheme lacks the ACK kinds (add ack.AddToScheme): %w", err)
		}
		events := make(chan event.GenericEvent, 1024)
		s.mu.Lock()
		s.protos[gvk.Kind] = proto
		s.sinks[gvk.Kind] = append(s.sinks[gvk.Kind], events)
		s.mu.Unlock()
		r := &reconciler{
			sim:       s,
			kind:      gvk.Kind,
			group:     gvk.Group,
			finalizer: "finalizers." + gvk.Group + "/" + gvk.Kind,
			proto:     proto,
			client:    mgr.GetClient(),
			reader:    mgr.GetAPIReader(),
		}
		err = ctrl.NewControllerManagedBy(mgr).
			For(proto.DeepCopyObject().(core.Object)).
			Named("acksim-" + strings.ToLower(gvk.Kind)).
			WatchesRawSource(source.Channel(events, &handler.EnqueueRequestForObject{})).
			WithOptions(controller.Options{
				SkipNameValidation:      ptr.To(true),
				MaxConcurrentReconciles: s.opts.MaxConcurrentReconciles,
			}).
			Complete(r)
		if err != nil {
			return fmt.Errorf("setting up the simulated ACK controller for %s: %w", gvk.Kind, err)
		}
	}
	mgr.GetLogger().WithName("acksim").Info("SIMULATED ACK: no AWS API is called",
		"kinds", len(kinds), "region", s.opts.Region, "account", s.opts.AccountID)
	return nil
}

// SetDelay makes new and changed objects of kind stay ACK.ResourceSynced=False
// for d after their references resolve, as AWS provisioning would; 0 removes
// the delay. Objects already synced at their current generation stay synced.
func (s *Sim) SetDelay(kind string, d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if d <= 0 {
		delete(s.delays, kind)
		return
	}
	s.delays[kind] = d
}

// SetDeletionDelay makes the simulator keep ACK's finalizer on deleted objects
// of kind for d after their deletion timestamp; 0 removes the delay.
func (s *Sim) SetDeletionDelay(kind string, d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if d <= 0 {
		delete(s.deletionDelays, kind)
		return
	}
	s.deletionDelays[kind] = d
}

// SetTerminal makes the object fail as with a terminal AWS error:
// ACK.Terminal=True with message, ACK.ResourceSynced=False and Ready=False
// with reason ACK.Terminal. Like the real runtime, the simulator does not
// retry a Terminal object until its generation changes: after ClearFault
// (the cause fixed) it stays Terminal until something changes its spec.
func (s *Sim) SetTerminal(kind, namespace, name, message string) {
	s.setFault(objKey{kind, namespace, name}, fault{kind: faultTerminal, message: message})
}

// SetRecoverable makes the object fail as with a retryable AWS error:
// ACK.Recoverable=True with message, ACK.ResourceSynced=Unknown and
// Ready=False with reason ACK.Recoverable, until ClearFault.
func (s *Sim) SetRecoverable(kind, namespace, name, message string) {
	s.setFault(objKey{kind, namespace, name}, fault{kind: faultRecoverable, message: message})
}

// SetNeverSync makes the object stay ACK.ResourceSynced=False (AWS resource
// created but never ready) until ClearFault.
func (s *Sim) SetNeverSync(kind, namespace, name string) {
	s.setFault(objKey{kind, namespace, name}, fault{kind: faultNeverSync})
}

// ClearFault removes the object's fault and reconciles it at once; an
// object that went Terminal stays so until its generation changes. It also
// serves to force a reconcile, as a resync of the real controller does.
func (s *Sim) ClearFault(kind, namespace, name string) {
	key := objKey{kind, namespace, name}
	s.mu.Lock()
	delete(s.faults, key)
	s.mu.Unlock()
	s.enqueue(key)
}

// Reset removes every fault and delay and forgets what was retained and
// deleted. Objects that had a fault are reconciled at once. What the simulated
// AWS remembers about live objects (IDs, TaskDefinition revisions) is kept.
func (s *Sim) Reset() {
	s.mu.Lock()
	var faulted []objKey
	for k := range s.faults {
		faulted = append(faulted, k)
	}
	s.resetLocked()
	s.mu.Unlock()
	for _, k := range faulted {
		s.enqueue(k)
	}
}

func (s *Sim) resetLocked() {
	s.existing = map[string]map[string]any{}
	s.delays = map[string]time.Duration{}
	s.deletionDelays = map[string]time.Duration{}
	s.faults = map[objKey]fault{}
	s.retained = map[string]struct{}{}
	s.deleted = map[string]struct{}{}
}

// AddExisting puts into the simulated AWS a resource made outside ACK (by
// Terraform, say): kind is its ACK kind, id the value of its adoption field
// (a VPC or subnet ID, a DB instance identifier, a cluster name) and spec the
// fields ACK reads back from AWS when it adopts it, in the ACK spec's JSON
// form.
func (s *Sim) AddExisting(kind, id string, spec map[string]any) {
	// Through JSON, so that numbers are what a decoded object holds.
	raw, err := json.Marshal(spec)
	if err != nil {
		panic(fmt.Sprintf("encoding the AWS values of %s %s: %v", kind, id, err))
	}
	var values map[string]any
	if err := utiljson.Unmarshal(raw, &values); err != nil {
		panic(fmt.Sprintf("decoding the AWS values of %s %s: %v", kind, id, err))
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.existing[kind+"/"+id] = values
}

// existingSpec returns what AddExisting put in for kind and id.
func (s *Sim) existingSpec(kind, id string) (map[string]any, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	spec, ok := s.existing[kind+"/"+id]
	return spec, ok
}

// Retained returns "Kind namespace/name" of every object deleted with
// services.k8s.aws/deletion-policy retain, whose AWS resource was left in
// place, sorted.
func (s *Sim) Retained() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return sortedKeys(s.retained)
}

// Deleted returns "Kind namespace/name" of every object whose AWS resource
// the simulator deleted, sorted.
func (s *Sim) Deleted() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return sortedKeys(s.deleted)
}

func sortedKeys(m map[string]struct{}) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func (s *Sim) setFault(key objKey, f fault) {
	s.mu.Lock()
	s.faults[key] = f
	s.mu.Unlock()
	s.enqueue(key)
}

func (s *Sim) faultFor(key objKey) (fault, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f, ok := s.faults[key]
	return f, ok
}

func (s *Sim) deletionDelay(kind string) time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.deletionDelays[kind]
}

// recordDeletion notes what deletion did to the AWS resource.
func (s *Sim) recordDeletion(key objKey, retain bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if retain {
		s.retained[key.String()] = struct{}{}
		return
	}
	s.deleted[key.String()] = struct{}{}
}

// stateLocked returns the remembered state of the object, starting afresh
// when the UID shows a new object under an old name.
func (s *Sim) stateLocked(key objKey, uid types.UID) *objState {
	st, ok := s.objects[key]
	if !ok || st.uid != uid {
		st = &objState{uid: uid}
		s.objects[key] = st
	}
	return st
}

// provisioning runs the simulated AWS clock for the object's generation and
// reports whether it is still provisioning and for how long, and whether
// this pass is the one that calls AWS for the generation (a create or an
// update). alreadySynced lets a restarted simulator adopt objects it synced
// before.
func (s *Sim) provisioning(key objKey, uid types.UID, generation int64, alreadySynced bool, now time.Time) (pending bool, remaining time.Duration, reason string, called bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if f, ok := s.faults[key]; ok && f.kind == faultNeverSync {
		return true, 0, neverSyncReason, false
	}
	st := s.stateLocked(key, uid)
	switch {
	case st.since.IsZero():
		st.generation, st.since, st.synced = generation, now, alreadySynced
		called = !alreadySynced
		st.exists = true
	case st.generation != generation:
		st.generation, st.since, st.synced = generation, now, false
		called = true
	}
	if st.synced {
		return false, 0, "", called
	}
	if d := s.delays[key.kind]; now.Sub(st.since) < d {
		return true, d - now.Sub(st.since), provisioningReason, called
	}
	st.synced = true
	return false, 0, "", called
}

// wroteBack records that the simulator's own write-back moved the object to
// generation: that is no new desired state to call AWS for.
func (s *Sim) wroteBack(key objKey, uid types.UID, generation int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stateLocked(key, uid).generation = generation
}

// revision returns the TaskDefinition revision for a spec: the same while the
// spec hash stays, the next one when it changes. current is the revision in
// status, adopted when the simulator has no memory of the object.
func (s *Sim) revision(key objKey, uid types.UID, hash string, current int64) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.stateLocked(key, uid)
	switch {
	case st.specHash == "":
		st.revision = max(current, 1)
	case st.specHash != hash:
		st.revision = max(st.revision, current) + 1
	}
	st.specHash = hash
	return st.revision
}

// Resync reconciles the object now, as the real controller's periodic
// resync does: AWS is read again and, unless the object is read-only, set
// back to the spec.
func (s *Sim) Resync(kind, namespace, name string) {
	key := objKey{kind, namespace, name}
	s.mu.Lock()
	if st, ok := s.objects[key]; ok {
		st.arnHiddenAt = 0
	}
	s.mu.Unlock()
	s.enqueue(key)
}

// ScaleService changes an ECS service's desired count in the simulated AWS,
// as Application Auto Scaling does, without ACK knowing.
func (s *Sim) ScaleService(namespace, name string, count int64) {
	key := objKey{"Service", namespace, name}
	s.mu.Lock()
	if st, ok := s.objects[key]; ok {
		st.desiredCount = count
	}
	s.mu.Unlock()
}

// RollBack makes ECS's circuit breaker roll an ECS service back to
// taskDefinition, the deployment of the current one having failed.
func (s *Sim) RollBack(namespace, name, taskDefinition string) {
	key := objKey{"Service", namespace, name}
	s.mu.Lock()
	if st, ok := s.objects[key]; ok {
		st.rolledBackFrom = st.taskDefinition
		st.taskDefinition = taskDefinition
	}
	s.mu.Unlock()
}

// GrowStorage grows a database's volume in the simulated AWS, as RDS storage
// autoscaling does.
func (s *Sim) GrowStorage(namespace, name string, gib int64) {
	key := objKey{"DBInstance", namespace, name}
	s.mu.Lock()
	if st, ok := s.objects[key]; ok {
		st.allocatedStorage = gib
	}
	s.mu.Unlock()
}

// AWSState is what the simulated AWS holds for one object.
type AWSState struct {
	// DesiredCount and TaskDefinition are an ECS service's.
	DesiredCount   int64
	TaskDefinition string
	// AllocatedStorage is a database's volume.
	AllocatedStorage int64
	// TargetsDeregistered counts deregistrations of a target group's targets.
	TargetsDeregistered int
	// DeleteRefusals counts deletions refused because the resource was in
	// use.
	DeleteRefusals int
}

// AWS returns what the simulated AWS holds for an object.
func (s *Sim) AWS(kind, namespace, name string) AWSState {
	s.mu.Lock()
	defer s.mu.Unlock()
	key := objKey{kind, namespace, name}
	out := AWSState{DeleteRefusals: s.refusals[key]}
	if st, ok := s.objects[key]; ok {
		out.DesiredCount, out.TaskDefinition, out.AllocatedStorage = st.desiredCount, st.taskDefinition, st.allocatedStorage
		out.TargetsDeregistered = st.targetsDeregistered
	}
	return out
}

// refuse records a refused deletion and returns how many there were.
func (s *Sim) refuse(key objKey) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.refusals[key]++
	return s.refusals[key]
}

// SetIgnoreFieldDrift switches a controller's IgnoreFieldDrift feature gate
// on or off, by API group, as restarting it with or without the flag would;
// objects already answered are not reconciled again.
func (s *Sim) SetIgnoreFieldDrift(group string, on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.opts.WithoutIgnoreFieldDrift = slices.DeleteFunc(s.opts.WithoutIgnoreFieldDrift, func(g string) bool { return g == group })
	if !on {
		s.opts.WithoutIgnoreFieldDrift = append(s.opts.WithoutIgnoreFieldDrift, group)
	}
}

// gateOn reports whether the controller of an API group runs with the
// IgnoreFieldDrift feature gate.
func (s *Sim) gateOn(group string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Contains(gateGroups, group) && !slices.Contains(s.opts.WithoutIgnoreFieldDrift, group)
}

// state runs f on the object's remembered state under the lock.
func (s *Sim) state(key objKey, uid types.UID, f func(*objState)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f(s.stateLocked(key, uid))
}

func (s *Sim) forget(key objKey) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.objects, key)
}

func (s *Sim) countPass(key objKey) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.passes[key]++
}

func (s *Sim) passCount(key objKey) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.passes[key]
}

// wait registers waiter to be reconciled when target's status changes.
func (s *Sim) wait(target, waiter objKey) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.waiters[target] == nil {
		s.waiters[target] = map[objKey]struct{}{}
	}
	s.waiters[target][waiter] = struct{}{}
}

// wake reconciles every object waiting for target.
func (s *Sim) wake(target objKey) {
	s.mu.Lock()
	w := s.waiters[target]
	delete(s.waiters, target)
	s.mu.Unlock()
	for k := range w {
		s.enqueue(k)
	}
}

// enqueue asks every controller of the object's kind to reconcile it now. It
// never blocks the caller: a full channel is fed from a goroutine that gives
// up after a minute (a stopped manager no longer reads it).
func (s *Sim) enqueue(key objKey) {
	s.mu.Lock()
	proto := s.protos[key.kind]
	sinks := append([]chan event.GenericEvent(nil), s.sinks[key.kind]...)
	s.mu.Unlock()
	if proto == nil {
		return
	}
	for _, ch := range sinks {
		obj := proto.DeepCopyObject().(core.Object)
		obj.SetNamespace(key.namespace)
		obj.SetName(key.name)
		ev := event.GenericEvent{Object: obj}
		select {
		case ch <- ev:
		default:
			go func() {
				select {
				case ch <- ev:
				case <-time.After(time.Minute):
				}
			}()
		}
	}
}
