package controllers

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"time"

	"golang.org/x/sync/errgroup"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"

	platformv1alpha1 "github.com/docuflow/docuflow-operator/api/v1alpha1"
	"github.com/docuflow/docuflow-operator/internal/ack"
	"github.com/docuflow/docuflow-operator/internal/ack/core"
	"github.com/docuflow/docuflow-operator/internal/desired"
	"github.com/docuflow/docuflow-operator/internal/writecheck"
)

// DefaultApplyConcurrency is how many child writes one pass has in flight
// unless ApplyConcurrency says otherwise.
const DefaultApplyConcurrency = 8

// kindOf returns the Kind of a mirrored object from the ack scheme.
func kindOf(obj core.Object) string { return ack.KindOf(obj) }

// listChildren lists, from the cache, every ACK object labelled as a child
// of the stack. The objects are the cache's own, not copies (a pass lists
// every child of its stack, and the copies were a sixth of a pass's CPU):
// nothing may modify them; a write that decodes the server's answer into
// its object gets a copy (revokeForeignGrants).
func (r *DocuFlowStackReconciler) listChildren(ctx context.Context, stack *platformv1alpha1.DocuFlowStack) (map[childKey]core.Object, error) {
	out := map[childKey]core.Object{}
	sel := client.MatchingLabels{desired.LabelStack: desired.Labels(stack)[desired.LabelStack]}
	for _, kind := range ack.Kinds() {
		list, err := ack.NewList(kind)
		if err != nil {
			return nil, err
		}
		if err := r.List(ctx, list, client.InNamespace(stack.Namespace), sel, client.UnsafeDisableDeepCopy); err != nil {
			return nil, fmt.Errorf("listing %s children of DocuFlowStack %s/%s: %w", kindOf(kind), stack.Namespace, stack.Name, err)
		}
		for _, item := range ack.Items(list) {
			if !desired.IsChildOf(item, stack) {
				continue
			}
			out[childKey{kindOf(kind), item.GetName()}] = item
		}
	}
	return out, nil
}

// applyChildren server-side applies every desired child that needs it
// (childWrites) and takes away what a live child grants beyond the render
// (revokeForeignGrants) first.
func (r *DocuFlowStackReconciler) applyChildren(ctx context.Context, s *scope) error {
	now := time.Now().UTC().Truncate(time.Second).Format(time.RFC3339)
	planned := r.childWrites(s)
	for _, obj := range s.desired.Objects {
		if live := s.observed[childKey{kindOf(obj), obj.GetName()}]; live != nil {
			if err := r.revokeForeignGrants(ctx, s.stack, obj, live); err != nil {
				return err
			}
		}
	}
	writes := make([]*unstructured.Unstructured, 0, len(planned))
	for _, w := range planned {
		if err := r.clearShadowed(ctx, w.live, w.shadowed); err != nil {
			return err
		}
		u, err := r.applyBody(s, w.obj, now)
		if err != nil {
			return err
		}
		ctrl.LoggerFrom(ctx).V(1).Info("Writing a child", "kind", w.key.Kind, "name", w.key.Name, "why", string(w.why))
		writes = append(writes, u)
	}
	// The writes are independent (what depends on what is settled in
	// childWrites), so a few go out at once: a stack created into a busy API
	// server has its first children sooner. docs/benchmarks.md measures what
	// this buys and costs. The first failure in time is the one reported.
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(cmp.Or(r.ApplyConcurrency, DefaultApplyConcurrency))
	for _, u := range writes {
		g.Go(func() error {
			if err := r.Apply(gctx, client.ApplyConfigurationFromUnstructured(u), client.FieldOwner(FieldManager), client.ForceOwnership); err != nil {
				return fmt.Errorf("applying %s %s: %w", u.GetKind(), u.GetName(), err)
			}
			return nil
		})
	}
	return g.Wait()
}

// childWrite is one desired child a pass writes, and why.
type childWrite struct {
	key  childKey
	obj  core.Object
	live core.Object
	why  writecheck.Why
	// shadowed are the IDs ACK wrote beside the render's references when
	// it adopted the child, removed before the write (clearShadowed).
	shadowed []string
}

// childWrites decides, without writing, which desired children a pass
// applies: those that need it (writecheck.NeedsWrite: missing, its render
// changed, its read-only hold flips, or another writer took one of its
// fields) and whose dependencies allow it. A child is created only once
// every child it depends on is synced, so ACK never meets an unresolvable
// reference (which it retries with a back-off of up to 17 minutes) and ECS
// never a target group no listener forwards to; the others are recorded in
// s.blocked. A Terminal child whose inputs changed since it failed is
// re-driven. Every desired child that is not blocked gets the pass's inputs
// annotation.
func (r *DocuFlowStackReconciler) childWrites(s *scope) []childWrite {
	inputs := r.inputsOf(s)
	var out []childWrite
	adoptionsSettled := true
	for _, a := range desired.Adoptions(s.stack) {
		key := childKey{a.Kind, a.Name}
		if !tookOver(s, key) && !desired.AdoptionSettled(s.observed[key]) {
			adoptionsSettled = false
		}
	}
	for _, obj := range s.desired.Objects {
		key := childKey{kindOf(obj), obj.GetName()}
		live := s.observed[key]
		if live == nil {
			if waits := blockedBy(s, obj); waits != "" {
				s.blocked[key] = waits
				continue
			}
		}
		setAnnotation(obj, annotationInputs, inputs(obj))
		need, why := writecheck.NeedsWrite(obj, live)
		var shadowed []string
		if obj.GetAnnotations()[desired.AnnotationAdoptionPolicy] != "" && !tookOver(s, key) && live != nil {
			if !desired.AdoptionSettled(live) {
				continue
			}
			// ACK adopted it and wrote AWS's values into its spec: the
			// stack's spec goes back on, in place, unless a difference
			// cannot change in place. All adopted resources are taken over
			// in one pass, once ACK has adopted each: one that is held
			// holds them all (below).
			if !takeOverAdopted(s, key, obj, live) {
				continue
			}
			if !adoptionsSettled {
				e := s.adoptions[key]
				e.State, e.AdoptedAt = platformv1alpha1.AdoptionAdopting, nil
				e.Message = "Adopted by ACK; the stack's spec goes on once ACK has adopted every resource spec.adopt names."
				continue
			}
			need, why, shadowed = true, "adopted: the stack's spec applied in place", desired.ShadowedLiterals(obj, live)
		}
		if !need && live != nil && desired.IsTerminal(live) && live.GetAnnotations()[annotationInputs] != obj.GetAnnotations()[annotationInputs] {
			// ACK retries a Terminal resource only when its generation
			// changes: a spec change brings it back to AWS.
			need, why = true, "re-driven: its inputs changed since it turned Terminal"
			redrive(obj, obj.GetAnnotations()[annotationInputs])
		}
		if need {
			out = append(out, childWrite{key: key, obj: obj, live: live, why: why, shadowed: shadowed})
		}
	}
	if held(s) {
		// A held adoption stops every write of the stack: what else it
		// would create or change (NAT gateways and security groups in a VPC
		// of another range, a database moved to other groups) depends on
		// the resource that must not be taken over. The other take-overs
		// of this pass wait too.
		for _, a := range s.adoptions {
			if a.State != platformv1alpha1.AdoptionHeld {
				a.State, a.AdoptedAt, a.Differences = platformv1alpha1.AdoptionAdopting, nil, nil
				a.Message = "Waits: another adopted resource is held (see its entry)."
			}
		}
		return nil
	}
	return out
}

// applyBody is the body a pass applies for a desired child: the render with
// the stack as its controller and the time of the write.
func (r *DocuFlowStackReconciler) applyBody(s *scope, obj core.Object, now string) (*unstructured.Unstructured, error) {
	if err := controllerutil.SetControllerReference(s.stack, obj, r.Scheme); err != nil {
		return nil, fmt.Errorf("owning %s %s: %w", kindOf(obj), obj.GetName(), err)
	}
	setAnnotation(obj, desired.AnnotationAppliedAt, now)
	return writecheck.ToUnstructured(obj)
}

// tookOver reports whether the operator has applied the stack's spec to an
// adopted child already (status.adopted records when).
func tookOver(s *scope, key childKey) bool {
	if s.before == nil {
		return false
	}
	for _, a := range s.before.Adopted {
		if a.Kind == key.Kind && a.Name == key.Name && a.State == platformv1alpha1.AdoptionAdopted && a.AdoptedAt != nil {
			return true
		}
	}
	return false
}

// takeOverAdopted records, in s.adoptions, what AWS had that differs from
// the stack's spec on a child ACK just adopted, and reports whether the spec
// may be applied to it: not when a difference cannot change in place.
func takeOverAdopted(s *scope, key childKey, want, live core.Object) bool {
	entry := &platformv1alpha1.AdoptedStatus{Kind: key.Kind, Name: key.Name, Differences: desired.AdoptionDifferences(want, live)}
	s.adoptions[key] = entry
	if hold := desired.AdoptionHold(s.stack, want, live); hold != "" {
		entry.State, entry.Message = platformv1alpha1.AdoptionHeld, hold
		return false
	}
	now := metav1.Now()
	entry.State, entry.AdoptedAt = platformv1alpha1.AdoptionAdopted, &now
	return true
}

// held reports whether an adopted child of the pass is held.
func held(s *scope) bool {
	for _, a := range s.adoptions {
		if a.State == platformv1alpha1.AdoptionHeld {
			return true
		}
	}
	return false
}

// clearShadowed removes from an adopted child the IDs ACK wrote beside the
// render's references (ACK refuses a reference and its ID side by side), by
// a JSON merge patch: server-side apply leaves another writer's fields
// alone.
func (r *DocuFlowStackReconciler) clearShadowed(ctx context.Context, live core.Object, fields []string) error {
	if live == nil || len(fields) == 0 {
		return nil
	}
	spec := map[string]any{}
	for _, f := range fields {
		spec[f] = nil
	}
	raw, err := json.Marshal(map[string]any{"spec": spec})
	if err != nil {
		return fmt.Errorf("encoding the IDs to remove from %s: %w", childName(live), err)
	}
	// A copy: live is the cache's object, and the answer is decoded into it.
	if err := r.Patch(ctx, live.DeepCopyObject().(client.Object), client.RawPatch(types.MergePatchType, raw), client.FieldOwner(FieldManager)); err != nil {
		return fmt.Errorf("removing the IDs ACK wrote beside the references of adopted %s: %w", childName(live), err)
	}
	ctrl.LoggerFrom(ctx).Info("Applying the stack's spec to an adopted resource", "kind", kindOf(live), "name", live.GetName(), "removed", fields)
	return nil
}

// revokeForeignGrants takes away what a live child grants beyond the stack's
// rendering (desired.ForeignGrants): a merge patch, because server-side
// apply leaves the fields of other writers alone. It is recorded as a
// warning event on the stack.
func (r *DocuFlowStackReconciler) revokeForeignGrants(ctx context.Context, stack *platformv1alpha1.DocuFlowStack, want, live core.Object) error {
	patch, what := desired.ForeignGrants(want, live)
	if patch == nil {
		return nil
	}
	raw, err := json.Marshal(patch)
	if err != nil {
		return fmt.Errorf("encoding the revocation for %s: %w", childName(live), err)
	}
	// A copy: live is the cache's object, and the answer is decoded into it.
	if err := r.Patch(ctx, live.DeepCopyObject().(client.Object), client.RawPatch(types.MergePatchType, raw), client.FieldOwner(FieldManager)); err != nil {
		return fmt.Errorf("revoking %s on %s: %w", what, childName(live), err)
	}
	ctrl.LoggerFrom(ctx).Info("Revoked a grant the stack does not make", "kind", kindOf(live), "name", live.GetName(), "grant", what)
	r.Recorder.Eventf(stack, nil, "Warning", "GrantRevoked", "Apply", "%s", eventNote(fmt.Sprintf("%s carried %s, which the stack does not grant; removed.", childName(live), what)))
	return nil
}

// annotationInputs records, on every child, a fingerprint of what it was
// last written against: the identity and readiness of the children it
// depends on, and the stack's re-drive token. A Terminal child whose
// fingerprint moves is written again.
const annotationInputs = "platform.docuflow.io/inputs"

// AnnotationRedrive, set on a DocuFlowStack to any new value, re-drives every
// Terminal child: for a fault fixed outside the stack (a certificate issued,
// a bucket policy corrected), since ACK retries a Terminal resource only when
// its spec changes.
const AnnotationRedrive = "platform.docuflow.io/redrive"

// tagRedrive is the AWS tag a re-drive changes: the one spec field every
// child kind has.
const tagRedrive = "docuflow.io/redrive"

// inputsOf returns the fingerprint function of this pass.
func (r *DocuFlowStackReconciler) inputsOf(s *scope) func(core.Object) string {
	token := s.stack.GetAnnotations()[AnnotationRedrive]
	return func(obj core.Object) string {
		h := sha256.New()
		fmt.Fprintf(h, "redrive=%s\n", token)
		for _, d := range desired.DependenciesOf(obj) {
			dep := s.observed[childKey{d.Kind, d.Name}]
			if dep == nil {
				fmt.Fprintf(h, "%s absent\n", d)
				continue
			}
			fmt.Fprintf(h, "%s uid=%s arn=%s ready=%t\n", d, dep.GetUID(), dep.ACKStatus().ARN(), readinessOf(childFacts{Kind: d.Kind, Name: d.Name, Live: dep}).Ready)
		}
		return hex.EncodeToString(h.Sum(nil))[:16]
	}
}

// blockedBy returns what a child that does not exist yet waits for among the
// children it depends on, or "" when it can be created. A gate probe is
// never held back: it names a child that never exists, on purpose.
func blockedBy(s *scope, obj core.Object) string {
	if _, probe := desired.IsProbe(obj); probe {
		return ""
	}
	var waits []string
	for _, d := range desired.DependenciesOf(obj) {
		dep := s.observed[childKey{d.Kind, d.Name}]
		switch {
		case dep == nil:
			waits = append(waits, d.Kind+" "+d.Name+" to be created")
		case !dep.GetDeletionTimestamp().IsZero():
			waits = append(waits, d.Kind+" "+d.Name+" to be deleted and created again")
		case !readinessOf(childFacts{Kind: d.Kind, Name: d.Name, Live: dep}).Ready:
			waits = append(waits, d.Kind+" "+d.Name+" to be synced")
		}
	}
	return strings.Join(waits, " and ")
}

// redrive puts the re-drive tag, valued token, into a child's tags.
func redrive(obj core.Object, token string) {
	v := reflect.ValueOf(obj).Elem().FieldByName("Spec").FieldByName("Tags")
	if !v.IsValid() {
		return
	}
	switch v.Kind() {
	case reflect.Map:
		if v.IsNil() {
			v.Set(reflect.MakeMap(v.Type()))
		}
		v.SetMapIndex(reflect.ValueOf(tagRedrive), reflect.ValueOf(&token))
	case reflect.Slice:
		elem := v.Type().Elem().Elem()
		for i := range v.Len() {
			t := v.Index(i).Elem()
			if k := t.FieldByName("Key"); k.IsValid() && !k.IsNil() && k.Elem().String() == tagRedrive {
				t.FieldByName("Value").Set(reflect.ValueOf(&token))
				return
			}
		}
		tag := reflect.New(elem)
		key := tagRedrive
		tag.Elem().FieldByName("Key").Set(reflect.ValueOf(&key))
		tag.Elem().FieldByName("Value").Set(reflect.ValueOf(&token))
		v.Set(reflect.Append(v, tag))
	}
}

// setAnnotation sets one annotation on a child.
func setAnnotation(obj core.Object, key, value string) {
	ann := obj.GetAnnotations()
	if ann == nil {
		ann = map[string]string{}
	}
	ann[key] = value
	obj.SetAnnotations(ann)
}

// childFactsOf lists the desired and the waiting children with what was
// observed of them, in dependency order. A child ACK has not written on yet
// sets s.silenceDue, so a pass runs when its silence becomes worth reporting.
func childFactsOf(s *scope, now time.Time) []childFacts {
	var out []childFacts
	for _, obj := range s.desired.Objects {
		k := childKey{kindOf(obj), obj.GetName()}
		out = append(out, childFacts{Family: familyOf(obj), Kind: k.Kind, Name: k.Name, Live: s.observed[k]})
	}
	for _, w := range s.desired.Waiting {
		out = append(out, childFacts{Family: Family(w.Family), Kind: w.Kind, Name: w.Name, WaitsFor: w.WaitsFor, Live: s.observed[childKey{w.Kind, w.Name}]})
	}
	for i := range out {
		out[i].Stack = s.stack.Name
		if w, ok := s.blocked[childKey{out[i].Kind, out[i].Name}]; ok && out[i].WaitsFor == "" {
			out[i].WaitsFor = w
		}
		if a := s.adoptions[childKey{out[i].Kind, out[i].Name}]; a != nil && a.State == platformv1alpha1.AdoptionHeld {
			out[i].Held = a.Message
		}
		var due time.Duration
		out[i].Silent, due = desired.Silence(out[i].Live, now)
		if due > 0 && (s.silenceDue == 0 || due < s.silenceDue) {
			s.silenceDue = due
		}
	}
	return out
}

// familyOf reads the family label the builders put on every child.
func familyOf(obj core.Object) Family {
	return Family(obj.GetLabels()[desired.LabelFamily])
}

// familiesOf lists the families that apply to the stack.
func familiesOf(stack *platformv1alpha1.DocuFlowStack) []Family {
	f := []Family{FamilyNetwork, FamilyDatabase, FamilyLoadBalancer, FamilyService, FamilyAutoscaling}
	if stack.Spec.Observability.AlarmTopicARN != nil {
		f = append(f, FamilyAlarms)
	}
	return f
}

// keptTaskDefinitions is how many task definitions besides the current one a
// stack keeps, so a rollback to a recent revision needs no rebuild.
const keptTaskDefinitions = 3

// pruneChildren deletes children that are no longer desired (for example the
// VPC endpoints after privateEndpoints is switched off), except the previous
// task definitions kept for rollback and children that only wait to be
// rendered again. Like a stack's deletion, it follows the dependencies: a
// child goes only once no other child depends on it (the endpoints before
// their security group; groups whose rules name each other together), the
// rest on a later pass.
func (r *DocuFlowStackReconciler) pruneChildren(ctx context.Context, s *scope) error {
	if held(s) {
		return nil
	}
	want := s.wanted()
	leaving := func(k desired.Key) bool {
		obj := s.observed[childKey{k.Kind, k.Name}]
		return !want[childKey{k.Kind, k.Name}] || (obj != nil && !obj.GetDeletionTimestamp().IsZero())
	}
	for _, k := range desired.Removable(s.observedList(), leaving) {
		key := childKey{k.Kind, k.Name}
		obj := s.observed[key]
		if obj == nil || !obj.GetDeletionTimestamp().IsZero() {
			continue
		}
		if err := r.Delete(ctx, obj); err != nil && !apierrors.IsNotFound(err) {
			return fmt.Errorf("pruning %s %s: %w", key.Kind, key.Name, err)
		}
		log := ctrl.LoggerFrom(ctx)
		log.Info("Pruned a child that is no longer desired", "kind", key.Kind, "name", key.Name)
	}
	return nil
}

// wanted is the set of children a pass keeps: the desired ones, those that
// only wait to be rendered again, and the previous task definitions kept
// for a rollback. Every other child is pruned.
func (s *scope) wanted() map[childKey]bool {
	want := map[childKey]bool{}
	for _, obj := range s.desired.Objects {
		want[childKey{kindOf(obj), obj.GetName()}] = true
	}
	for _, w := range s.desired.Waiting {
		want[childKey{w.Kind, w.Name}] = true
	}
	for _, k := range previousTaskDefinitions(s, want) {
		want[k] = true
	}
	return want
}

// trackTaskDefinitions records the desired task definition at the head of
// the stack's history, newest first, keeping the current one and
// keptTaskDefinitions previous ones. Creation timestamps have a one-second
// resolution, so the order is kept in status rather than read from them.
func (r *DocuFlowStackReconciler) trackTaskDefinitions(s *scope) {
	history := s.stack.Status.TaskDefinitions
	var current string
	for _, obj := range s.desired.Objects {
		if kindOf(obj) == "TaskDefinition" {
			current = obj.GetName()
		}
	}
	if current == "" {
		s.stack.Status.TaskDefinitions = history
		return
	}
	next := []string{current}
	for _, name := range history {
		if name != current && len(next) <= keptTaskDefinitions {
			next = append(next, name)
		}
	}
	s.stack.Status.TaskDefinitions = next
}

// previousTaskDefinitions returns the previous task definitions the history
// keeps, so pruning leaves them for a rollback.
func previousTaskDefinitions(s *scope, want map[childKey]bool) []childKey {
	var keep []childKey
	for _, name := range s.stack.Status.TaskDefinitions {
		k := childKey{"TaskDefinition", name}
		if !want[k] {
			keep = append(keep, k)
		}
	}
	return keep
}
