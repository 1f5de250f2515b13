package controllers

import (
	"cmp"
	"fmt"
	"slices"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	platformv1alpha1 "github.com/docuflow/docuflow-operator/api/v1alpha1"
	"github.com/docuflow/docuflow-operator/internal/ack/core"
	"github.com/docuflow/docuflow-operator/internal/desired"
)

// Preview is what one reconcile pass would do to a stack's children, worked
// out by the same steps as Reconcile (the AWS-name record, the render from
// the observed children, the write decision, the dependencies, the pruning
// set) without writing anything. `docuflow plan` compares it with the
// cluster.
type Preview struct {
	// Stack is the stack the pass renders: a copy of the given one with the
	// AWS-name record a first pass writes and the task definition history
	// the pass keeps.
	Stack *platformv1alpha1.DocuFlowStack
	// Desired is the render.
	Desired desired.Result
	// Writes are the desired children the pass applies, and those it
	// creates once what they wait for is synced, in creation order.
	Writes []PreviewWrite
	// Leaving are the live children the stack no longer keeps, in the order
	// of ack.Kinds: the operator deletes them, in this pass or a later one
	// (a child goes once nothing depending on it is left).
	Leaving []desired.Key
	// Kept are the previous task definitions kept for a rollback.
	Kept []desired.Key
	// Held are the adopted children whose take-over is held, because AWS
	// has a value the stack's spec cannot change in place: while one is,
	// the pass writes and prunes nothing.
	Held []platformv1alpha1.AdoptedStatus
}

// PreviewWrite is one desired child a pass applies.
type PreviewWrite struct {
	// Kind and Name name the child.
	Kind, Name string
	// Body is exactly what the operator applies, with its field manager
	// FieldManager and force: the render, the stack as controller, the
	// operator's annotations.
	Body *unstructured.Unstructured
	// Live is the child as listed, nil when it does not exist.
	Live core.Object
	// Why says why it is written: writecheck's reason, or a re-drive.
	Why string
	// WaitsFor is set on a child that does not exist yet and is not created
	// before the children it names are synced.
	WaitsFor string
	// Revokes names what the operator takes away from the live child
	// because the stack does not grant it (desired.ForeignGrants).
	Revokes string
}

// Preview works out what a pass would do to the stack's children, given the
// children as listed from the cluster (desired.IsChildOf). It writes
// nothing and leaves stack unchanged. A stack being deleted has no preview:
// the deletion path writes, in waves, what deletion needs.
func (r *DocuFlowStackReconciler) Preview(stack *platformv1alpha1.DocuFlowStack, children []core.Object) (Preview, error) {
	if !stack.DeletionTimestamp.IsZero() {
		return Preview{}, fmt.Errorf("DocuFlowStack %s/%s is being deleted", stack.Namespace, stack.Name)
	}
	s := &scope{stack: stack.DeepCopy(), before: stack.Status.DeepCopy(), observed: map[childKey]core.Object{},
		blocked: map[childKey]string{}, adoptions: map[childKey]*platformv1alpha1.AdoptedStatus{}}
	for _, c := range children {
		s.observed[childKey{kindOf(c), c.GetName()}] = c
	}
	if _, named := s.stack.Annotations[desired.AnnotationAWSNames]; !named {
		names, err := desired.AWSNamesFor(s.stack, r.InstallationID, s.observedList())
		if err != nil {
			return Preview{}, err
		}
		metav1.SetMetaDataAnnotation(&s.stack.ObjectMeta, desired.AnnotationAWSNames, names)
	}
	var err error
	if s.desired, err = r.render(s); err != nil {
		return Preview{}, err
	}
	r.trackTaskDefinitions(s)
	p := Preview{Stack: s.stack, Desired: s.desired}
	now := time.Now().UTC().Truncate(time.Second).Format(time.RFC3339)
	planned := map[childKey]childWrite{}
	for _, w := range r.childWrites(s) {
		planned[w.key] = w
	}
	for _, a := range s.adoptions {
		if a.State == platformv1alpha1.AdoptionHeld {
			p.Held = append(p.Held, *a)
		}
	}
	slices.SortFunc(p.Held, func(a, b platformv1alpha1.AdoptedStatus) int {
		return cmp.Or(cmp.Compare(a.Kind, b.Kind), cmp.Compare(a.Name, b.Name))
	})
	current := map[childKey]bool{}
	for _, obj := range s.desired.Objects {
		key := childKey{kindOf(obj), obj.GetName()}
		current[key] = true
		live := s.observed[key]
		w, write := planned[key]
		waits, blocked := s.blocked[key]
		// A held adoption creates nothing, even once it would be unblocked.
		blocked = blocked && len(p.Held) == 0
		var revokes string
		if live != nil {
			_, revokes = desired.ForeignGrants(obj, live)
		}
		if !write && !blocked {
			if revokes != "" {
				// Not rewritten, but a grant made by hand is still taken away.
				p.Writes = append(p.Writes, PreviewWrite{Kind: key.Kind, Name: key.Name, Live: live, Revokes: revokes})
			}
			continue
		}
		body, err := r.applyBody(s, obj, now)
		if err != nil {
			return Preview{}, err
		}
		p.Writes = append(p.Writes, PreviewWrite{Kind: key.Kind, Name: key.Name, Body: body, Live: live, Why: string(w.why), WaitsFor: waits, Revokes: revokes})
	}
	want := s.wanted()
	for _, k := range previousTaskDefinitions(s, current) {
		if s.observed[k] != nil {
			p.Kept = append(p.Kept, desired.Key{Kind: k.Kind, Name: k.Name})
		}
	}
	for _, c := range s.observedList() {
		k := childKey{kindOf(c), c.GetName()}
		if !want[k] && len(p.Held) == 0 {
			p.Leaving = append(p.Leaving, desired.Key{Kind: k.Kind, Name: k.Name})
		}
	}
	return p, nil
}

// render builds a pass's desired children from the stack and what its
// observed children report, with what the installation sets.
func (r *DocuFlowStackReconciler) render(s *scope) (desired.Result, error) {
	inputs := desired.ReadBuildInputs(s.stack, s.observedList())
	inputs.Platform = r.Platform
	return desired.Build(s.stack, inputs)
}
