package acksim

import (
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/types"
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
	// waiters maps a referenced object to the objects whose references wait
	// for it.
	waiters map[objKey]map[objKey]struct{}
	// sinks feed each kind's controllers (one per manager) with objects to
	// reconcile now.
	sinks  map[string][]chan event.GenericEvent
	protos map[string]core.Object
	// passes counts reconciles per object, for tests.
	passes map[objKey]int
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
		opts:    opts,
		objects: map[objKey]*objState{},
		waiters: map[objKey]map[objKey]struct{}{},
		sinks:   map[string][]chan event.GenericEvent{},
		protos:  map[string]core.Object{},
		passes:  map[objKey]int{},
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
// with reason ACK.Terminal, until ClearFault.
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

// ClearFault removes the object's fault and reconciles it at once, so it
// recovers on that pass. It also serves to force a reconcile.
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
	s.delays = map[string]time.Duration{}
	s.deletionDelays = map[string]time.Duration{}
	s.faults = map[objKey]fault{}
	s.retained = map[string]struct{}{}
	s.deleted = map[string]struct{}{}
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
// reports whether it is still provisioning and for how long. alreadySynced
// lets a restarted simulator adopt objects it synced before.
func (s *Sim) provisioning(key objKey, uid types.UID, generation int64, alreadySynced bool, now time.Time) (bool, time.Duration, string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if f, ok := s.faults[key]; ok && f.kind == faultNeverSync {
		return true, 0, neverSyncReason
	}
	st := s.stateLocked(key, uid)
	switch {
	case st.since.IsZero():
		st.generation, st.since, st.synced = generation, now, alreadySynced
	case st.generation != generation:
		st.generation, st.since, st.synced = generation, now, false
	}
	if st.synced {
		return false, 0, ""
	}
	if d := s.delays[key.kind]; now.Sub(st.since) < d {
		return true, d - now.Sub(st.since), provisioningReason
	}
	st.synced = true
	return false, 0, ""
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
