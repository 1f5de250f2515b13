// Package trace shows one DocuFlowStack and its ACK children as a tree, in
// dependency order: per component family, every child the stack renders, with
// ACK's Synced condition, the operator's verdict (ready, or the reason and the
// message that block it, Terminal messages included), its age and its AWS ID
// or ARN. `docuflow trace` and `kubectl docuflow trace` print it; the demo
// shows it too.
//
// The tree holds no judgement of its own: which children a stack has, their
// families, order and dependencies come from the builders (desired.Build,
// exactly as the operator renders them), and each child's verdict from the
// stack's status.resources, which the operator computes. Only what the status
// cannot say (ACK's own Synced condition, age, IDs) is read from the children.
package trace

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	ackv1alpha1 "github.com/aws-controllers-k8s/runtime/apis/core/v1alpha1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	platformv1alpha1 "github.com/docuflow/docuflow-operator/api/v1alpha1"
	"github.com/docuflow/docuflow-operator/internal/ack"
	"github.com/docuflow/docuflow-operator/internal/ack/core"
	"github.com/docuflow/docuflow-operator/internal/desired"
)

// Version is the version of the JSON shape of a Tree.
const Version = 1

// Tree is one stack and its children, grouped by family in dependency order.
type Tree struct {
	// Version is the JSON shape's version, Version.
	Version  int     `json:"version"`
	Stack    Stack   `json:"stack"`
	Families []Group `json:"families"`
	// MissingCRDs are the ACK kinds the stack needs whose CRDs are not
	// installed in the cluster: their controllers are missing.
	MissingCRDs []string `json:"missingCRDs,omitempty"`
	// RenderError says why the stack's spec could not be rendered; the
	// tree then holds only the children that exist.
	RenderError string `json:"renderError,omitempty"`
	// now is when the tree was read, for the children's ages.
	now time.Time
}

// Snapshot is what Read found: the stack, its children, and the ACK kinds
// whose CRDs the cluster does not have.
type Snapshot struct {
	Stack        *platformv1alpha1.DocuFlowStack
	Children     []core.Object
	MissingKinds []string
}

// Stack is the root of the tree: the DocuFlowStack's summary.
type Stack struct {
	Namespace string `json:"namespace"`
	Name      string `json:"name"`
	// Ready is true when the Ready condition is True for the current
	// generation: the answer the exit code gives.
	Ready bool `json:"ready"`
	// Reason and Message are the Ready condition's, or say why there is none.
	Reason  string `json:"reason"`
	Message string `json:"message,omitempty"`
	// Generation and ObservedGeneration tell whether the status describes
	// the current spec.
	Generation         int64     `json:"generation"`
	ObservedGeneration int64     `json:"observedGeneration"`
	Deleting           bool      `json:"deleting,omitempty"`
	Created            time.Time `json:"created"`
	URL                string    `json:"url,omitempty"`
}

// Group is one component family and its condition.
type Group struct {
	// Family is the builders' family label value, for example "network".
	Family string `json:"family"`
	// Condition is the family's condition type on the stack, for example
	// NetworkReady, with its status, reason and message.
	Condition string  `json:"condition"`
	Status    string  `json:"status"`
	Reason    string  `json:"reason,omitempty"`
	Message   string  `json:"message,omitempty"`
	Children  []Child `json:"children"`
}

// Child is one ACK resource of the stack, existing or not yet created.
type Child struct {
	Kind string `json:"kind"`
	Name string `json:"name"`
	// Exists is false for a child the stack renders but has not created
	// (it waits for a dependency).
	Exists bool `json:"exists"`
	// Synced is ACK's ACK.ResourceSynced status: True, False, Unknown, or
	// "" when ACK has not reported it. A gate probe is never synced on
	// purpose; Probe says so.
	Synced string `json:"synced,omitempty"`
	Probe  bool   `json:"probe,omitempty"`
	// Ready, Reason and Message are the operator's verdict from the stack's
	// status.resources: the blocking reason or the Terminal message.
	Ready   bool   `json:"ready"`
	Reason  string `json:"reason,omitempty"`
	Message string `json:"message,omitempty"`
	// Created is the child's creation time; zero when it does not exist.
	Created time.Time `json:"created,omitzero"`
	// ID is the AWS ID the child's status holds (vpc-…, subnet-…), or its
	// ARN when the resource has no shorter one; ARN is the ARN.
	ID  string `json:"awsID,omitempty"`
	ARN string `json:"arn,omitempty"`
	// DependsOn lists the children it needs, "Kind/name".
	DependsOn []string `json:"dependsOn,omitempty"`
	// Deleting is set while the child is being deleted.
	Deleting bool `json:"deleting,omitempty"`
}

// Read fetches a stack and its ACK children (ReadChildren).
func Read(ctx context.Context, c client.Reader, namespace, name string) (Snapshot, error) {
	stack := &platformv1alpha1.DocuFlowStack{}
	if err := c.Get(ctx, client.ObjectKey{Namespace: namespace, Name: name}, stack); err != nil {
		return Snapshot{}, fmt.Errorf("reading DocuFlowStack %s/%s: %w", namespace, name, err)
	}
	children, missing, err := ReadChildren(ctx, c, stack)
	if err != nil {
		return Snapshot{}, err
	}
	return Snapshot{Stack: stack, Children: children, MissingKinds: missing}, nil
}

// ReadChildren lists a stack's ACK children: every object of a mirrored ACK
// kind in the stack's namespace that carries the stack's label and names the
// stack as its controlling owner, in the order of ack.Kinds. A kind whose
// CRD is not installed has no children and is returned in missingKinds.
func ReadChildren(ctx context.Context, c client.Reader, stack *platformv1alpha1.DocuFlowStack) (children []core.Object, missingKinds []string, err error) {
	sel := client.MatchingLabels{desired.LabelStack: desired.Labels(stack)[desired.LabelStack]}
	for _, kind := range ack.Kinds() {
		list, err := ack.NewList(kind)
		if err != nil {
			return nil, nil, err
		}
		if err := c.List(ctx, list, client.InNamespace(stack.Namespace), sel); err != nil {
			if meta.IsNoMatchError(err) {
				missingKinds = append(missingKinds, ack.KindOf(kind))
				continue
			}
			return nil, nil, fmt.Errorf("listing the %s children of DocuFlowStack %s/%s: %w", ack.KindOf(kind), stack.Namespace, stack.Name, err)
		}
		for _, item := range ack.Items(list) {
			if desired.IsChildOf(item, stack) {
				children = append(children, item)
			}
		}
	}
	return children, missingKinds, nil
}

// New builds the tree of a stack from what Read found, at the given time.
func New(snap Snapshot, now time.Time) Tree {
	stack, children := snap.Stack, snap.Children
	t := Tree{Version: Version, now: now, Stack: stackNode(stack), Families: []Group{}}
	res, err := desired.Build(stack, desired.ReadBuildInputs(stack, children))
	if err != nil {
		// The stack cannot be rendered (an invalid spec); its status says
		// why. The children that exist are still shown.
		t.RenderError = err.Error()
		res = desired.Result{}
	}
	missing := map[string]bool{}
	for _, k := range snap.MissingKinds {
		missing[k] = true
	}
	live := map[desired.Key]core.Object{}
	for _, c := range children {
		live[desired.KeyOf(c)] = c
	}
	verdicts := map[desired.Key]platformv1alpha1.ResourceStatus{}
	for _, r := range stack.Status.Resources {
		verdicts[desired.Key{Kind: r.Kind, Name: r.Name}] = r
	}
	groups := map[string]*Group{}
	group := func(family string) *Group {
		if g, ok := groups[family]; ok {
			return g
		}
		g := &Group{Family: family, Condition: desired.FamilyConditions[family]}
		if c := meta.FindStatusCondition(stack.Status.Conditions, g.Condition); c != nil && g.Condition != "" {
			g.Status, g.Reason, g.Message = string(c.Status), c.Reason, c.Message
		}
		groups[family] = g
		return g
	}
	seen := map[desired.Key]bool{}
	add := func(family string, k desired.Key, obj core.Object, waitsFor string) *Child {
		seen[k] = true
		ch := Child{Kind: k.Kind, Name: k.Name}
		switch v, ok := verdicts[k]; {
		case missing[k.Kind]:
			if !slices.Contains(t.MissingCRDs, k.Kind) {
				t.MissingCRDs = append(t.MissingCRDs, k.Kind)
			}
			ch.Reason, ch.Message = ReasonCRDNotInstalled, "the "+k.Kind+" CRD is not installed in this cluster: install its ACK controller."
		case ok:
			ch.Ready, ch.Reason, ch.Message = v.Ready, v.Reason, trimSubject(v.Message, k)
		case waitsFor != "":
			ch.Reason, ch.Message = platformv1alpha1.ReasonWaitingForDependency, "waits for "+waitsFor+"."
		}
		if obj != nil {
			describe(&ch, obj)
			if _, probe := desired.IsProbe(obj); probe {
				ch.Probe = true
			}
		}
		if l := live[k]; l != nil {
			ch.Exists = true
			describe(&ch, l)
			ch.Created = l.GetCreationTimestamp().Time
			if !l.GetDeletionTimestamp().IsZero() {
				ch.Deleting = true
				ch.Ready, ch.Reason, ch.Message = false, ReasonDeleting, "being deleted; ACK deletes it in AWS."
			}
		}
		g := group(family)
		g.Children = append(g.Children, ch)
		return &g.Children[len(g.Children)-1]
	}
	for _, obj := range res.Objects {
		add(obj.GetLabels()[desired.LabelFamily], desired.KeyOf(obj), obj, "")
	}
	for _, w := range res.Waiting {
		add(w.Family, desired.Key{Kind: w.Kind, Name: w.Name}, nil, w.WaitsFor)
	}
	// Children the current spec no longer renders: previous task
	// definitions kept for a rollback, or children on their way out.
	var extra []core.Object
	for _, c := range children {
		if !seen[desired.KeyOf(c)] {
			extra = append(extra, c)
		}
	}
	for _, c := range kindOrder(extra) {
		ch := add(c.GetLabels()[desired.LabelFamily], desired.KeyOf(c), nil, "")
		if ch.Reason == "" {
			ch.Reason, ch.Message = "NotRendered", "the current spec no longer renders it; it is kept or pruned by the operator."
			if slices.Contains(stack.Status.TaskDefinitions, ch.ARN) {
				ch.Reason, ch.Message = "PreviousRevision", "kept for a rollback."
			}
		}
	}
	if t.Stack.Deleting {
		deletingView(groups)
	}
	for _, g := range groups {
		g.Children = dependencyOrder(g.Children)
	}
	for _, f := range desired.Families {
		if g, ok := groups[f]; ok {
			t.Families = append(t.Families, *g)
			delete(groups, f)
		}
	}
	var rest []string
	for f := range groups {
		rest = append(rest, f)
	}
	slices.Sort(rest)
	for _, f := range rest {
		t.Families = append(t.Families, *groups[f])
	}
	return t
}

// Reasons the tree gives children beyond the operator's own.
const (
	// ReasonCRDNotInstalled: the cluster has no CRD for the child's kind.
	ReasonCRDNotInstalled = "CRDNotInstalled"
	// ReasonDeleting: the child is being deleted.
	ReasonDeleting = "Deleting"
	// ReasonAwaitingDeletion: the stack is being deleted and the child
	// waits for its wave.
	ReasonAwaitingDeletion = "AwaitingDeletion"
)

// deletingView shows a stack being deleted as the teardown sees it: the
// status's verdicts describe the stack before the deletion, and children
// already gone are not waiting for anything. Only the children that still
// exist are listed, each deleting or waiting for its wave.
func deletingView(groups map[string]*Group) {
	for f, g := range groups {
		var kept []Child
		for _, c := range g.Children {
			if !c.Exists {
				continue
			}
			if !c.Deleting {
				c.Ready, c.Reason, c.Message = false, ReasonAwaitingDeletion, "deleted once nothing that depends on it is left."
			}
			kept = append(kept, c)
		}
		if len(kept) == 0 {
			delete(groups, f)
			continue
		}
		g.Children = kept
		g.Status, g.Reason, g.Message = string(metav1.ConditionFalse), ReasonDeleting, ""
	}
}

// stackNode summarises the stack in the order config/argocd/health.lua
// reads it, so that trace and Argo CD agree: not yet observed, deleting,
// stalled, suspended, rolled back, then the Ready condition of the current
// generation. Only the last, True, is Ready.
func stackNode(stack *platformv1alpha1.DocuFlowStack) Stack {
	s := Stack{
		Namespace: stack.Namespace, Name: stack.Name,
		Generation: stack.Generation, ObservedGeneration: stack.Status.ObservedGeneration,
		Deleting: !stack.DeletionTimestamp.IsZero(), Created: stack.CreationTimestamp.Time,
		URL: stack.Status.URL,
	}
	conds := stack.Status.Conditions
	isTrue := func(t string) *metav1.Condition {
		if c := meta.FindStatusCondition(conds, t); c != nil && c.Status == metav1.ConditionTrue {
			return c
		}
		return nil
	}
	ready := meta.FindStatusCondition(conds, platformv1alpha1.ConditionReady)
	switch {
	case s.Deleting:
		s.Reason, s.Message = platformv1alpha1.ConditionDeleting, "the stack is being deleted."
		if c := isTrue(platformv1alpha1.ConditionDeleting); c != nil {
			s.Message = c.Message
		}
	case len(conds) == 0:
		s.Reason, s.Message = "NoStatus", "the operator has not reported on this stack yet."
	case stack.Status.ObservedGeneration < stack.Generation:
		s.Reason = "StaleStatus"
		s.Message = fmt.Sprintf("the status describes generation %d; the spec is at %d and the operator has not reported on it yet.", stack.Status.ObservedGeneration, stack.Generation)
	case isTrue(platformv1alpha1.ConditionStalled) != nil:
		c := isTrue(platformv1alpha1.ConditionStalled)
		s.Reason, s.Message = c.Reason, c.Message
	case isTrue(platformv1alpha1.ConditionSuspended) != nil:
		s.Reason, s.Message = platformv1alpha1.ConditionSuspended, isTrue(platformv1alpha1.ConditionSuspended).Message
	case isTrue(platformv1alpha1.ConditionRolledBack) != nil:
		s.Reason, s.Message = platformv1alpha1.ConditionRolledBack, isTrue(platformv1alpha1.ConditionRolledBack).Message
	case ready == nil || ready.ObservedGeneration != stack.Generation && ready.ObservedGeneration != 0:
		s.Reason, s.Message = "StaleStatus", fmt.Sprintf("no Ready condition for generation %d yet.", stack.Generation)
	default:
		s.Ready = ready.Status == metav1.ConditionTrue
		s.Reason, s.Message = ready.Reason, ready.Message
	}
	return s
}

// describe fills what a child's object says of itself: ACK's Synced
// condition, its AWS ID and ARN, its dependencies.
func describe(ch *Child, obj core.Object) {
	st := obj.ACKStatus()
	if c := st.Condition(ackv1alpha1.ConditionTypeResourceSynced); c != nil {
		ch.Synced = string(c.Status)
	}
	if arn := st.ARN(); arn != "" {
		ch.ARN = arn
	}
	if id := awsID(obj); id != "" {
		ch.ID = id
	} else if ch.ARN != "" {
		ch.ID = ch.ARN
	}
	deps := desired.DependenciesOf(obj)
	if len(deps) > 0 {
		ch.DependsOn = ch.DependsOn[:0]
		for _, d := range deps {
			ch.DependsOn = append(ch.DependsOn, d.String())
		}
		slices.Sort(ch.DependsOn)
	}
}

// idFields are the status fields that hold a resource's own AWS ID, for the
// kinds whose ID is not their ARN.
var idFields = []string{"vpcID", "subnetID", "internetGatewayID", "allocationID", "natGatewayID", "routeTableID", "id", "vpcEndpointID", "flowLogID"}

// awsID returns the AWS ID a child's status holds, or "".
func awsID(obj core.Object) string {
	u, err := runtime.DefaultUnstructuredConverter.ToUnstructured(obj)
	if err != nil {
		return ""
	}
	st, _ := u["status"].(map[string]any)
	for _, k := range idFields {
		if v, ok := st[k].(string); ok && v != "" {
			return v
		}
	}
	return ""
}

// trimSubject drops the "Kind name: " or "Kind name " the operator's
// messages start with: the tree already names the child.
func trimSubject(msg string, k desired.Key) string {
	subject := k.Kind + " " + k.Name
	if rest, ok := strings.CutPrefix(msg, subject+": "); ok {
		return rest
	}
	if rest, ok := strings.CutPrefix(msg, subject+" "); ok {
		return rest
	}
	return msg
}

// kindOrder sorts children by the builders' kind order (ack.Kinds(), in which
// an object refers only to objects listed before it), then by name.
func kindOrder(objs []core.Object) []core.Object {
	out := slices.Clone(objs)
	kindRank := map[string]int{}
	for i, k := range ack.Kinds() {
		kindRank[ack.KindOf(k)] = i
	}
	slices.SortStableFunc(out, func(a, b core.Object) int {
		if d := kindRank[ack.KindOf(a)] - kindRank[ack.KindOf(b)]; d != 0 {
			return d
		}
		return strings.Compare(a.GetName(), b.GetName())
	})
	return out
}

// dependencyOrder lists children so that each comes after the ones it
// depends on (the builders' order breaks the cycles AWS allows, such as
// route tables naming NAT gateways in subnets associated with them), keeping
// the given order wherever the graph leaves a choice.
func dependencyOrder(children []Child) []Child {
	index := map[string]int{}
	for i, c := range children {
		index[c.Kind+"/"+c.Name] = i
	}
	placed := make([]bool, len(children))
	out := make([]Child, 0, len(children))
	for len(out) < len(children) {
		next := -1
		for i, c := range children {
			if placed[i] {
				continue
			}
			if next < 0 {
				next = i // the first unplaced child, if a cycle leaves no other
			}
			ready := true
			for _, d := range c.DependsOn {
				if j, ok := index[d]; ok && !placed[j] && j != i {
					ready = false
					break
				}
			}
			if ready {
				next = i
				break
			}
		}
		placed[next] = true
		out = append(out, children[next])
	}
	return out
}

// Ready reports whether the stack is Ready for its current generation.
func (t Tree) Ready() bool { return t.Stack.Ready }

// Children returns every child in the tree's order.
func (t Tree) Children() []Child {
	var out []Child
	for _, g := range t.Families {
		out = append(out, g.Children...)
	}
	return out
}
