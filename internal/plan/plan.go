package plan

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strings"

	ackv1alpha1 "github.com/aws-controllers-k8s/runtime/apis/core/v1alpha1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/docuflow/docuflow-operator/controllers"
	"github.com/docuflow/docuflow-operator/internal/ack"
	"github.com/docuflow/docuflow-operator/internal/ack/core"
	"github.com/docuflow/docuflow-operator/internal/desired"
	"github.com/docuflow/docuflow-operator/internal/writecheck"
)

// Version is the version of the JSON shape of a Plan.
const Version = 1

// Action is what happens to one child.
type Action string

// The actions of a plan.
const (
	// Create: the child does not exist; the operator creates it.
	Create Action = "create"
	// Update: the operator changes it in place.
	Update Action = "update"
	// Replace: the change cannot be made in place: the ACK CRD refuses it,
	// or AWS or ACK keeps the old value until the child is created anew.
	Replace Action = "replace"
	// Delete: the stack no longer has it; the operator deletes it.
	Delete Action = "delete"
)

// Plan is what applying a stack would do, child by child.
type Plan struct {
	// Version is the JSON shape's version, Version.
	Version int `json:"version"`
	// Namespace and Name name the stack.
	Namespace string `json:"namespace"`
	Name      string `json:"name"`
	// Against says what the plan compared with: the cluster's address, or
	// why it planned against an empty cluster.
	Against string `json:"against"`
	// Offline is set when the plan was made against an empty cluster.
	Offline bool `json:"offline,omitempty"`
	// Check says how the stack itself was checked, and that it passed.
	Check string `json:"check,omitempty"`
	// Refused is the API server's refusal of the stack itself (a CEL
	// transition rule, a schema error): the stack cannot be applied. The
	// changes then say what it would have meant.
	Refused string `json:"refused,omitempty"`
	// Notes are sentences about the plan as a whole.
	Notes []string `json:"notes,omitempty"`
	// Changes are the children that change, by family in dependency
	// order.
	Changes []Change `json:"changes"`
	// Unchanged counts the children that stay as they are in AWS.
	Unchanged int `json:"unchanged"`
	// Cost is the monthly cost before and after.
	Cost *CostDelta `json:"cost,omitempty"`
}

// Change is what happens to one child.
type Change struct {
	Action Action `json:"action"`
	Kind   string `json:"kind"`
	Name   string `json:"name"`
	// Family is the child's component family.
	Family string `json:"family"`
	// Means says what the change means in AWS, in sentences.
	Means []string `json:"means,omitempty"`
	// Fields are the fields an update or replacement changes.
	Fields []FieldChange `json:"fields,omitempty"`
	// WaitsFor is set on a create that waits for other children.
	WaitsFor string `json:"waitsFor,omitempty"`
	// Refused is the ACK CRD's refusal of the change in place.
	Refused string `json:"refused,omitempty"`
	// DeletesData is set when data goes with the change.
	DeletesData bool `json:"deletesData,omitempty"`
	// Released is set on a deletion ACK does not carry out in AWS: the
	// child carries ACK's deletion-policy retain.
	Released bool `json:"released,omitempty"`
	// Error says why the API server refused the child's dry run for
	// another reason than an immutable field.
	Error string `json:"error,omitempty"`
}

// DryRun is the API server's answer to the server-side dry run of one
// child: the object as it would be, or why not.
type DryRun struct {
	After map[string]any
	Err   error
	// Live is the child as the API server holds it, with every field of
	// the installed CRD: the mirror types hold only the fields the operator
	// renders or reads, and ACK writes others (an address's network border
	// group, a NAT gateway's VPC) back into the spec. Nil for a child that
	// does not exist, or when it was not read; the plan then compares with
	// the typed live child.
	Live map[string]any
}

// Input is what a plan is made from.
type Input struct {
	// Preview is the operator's pass on the stack to apply.
	Preview controllers.Preview
	// Children are the stack's live children.
	Children []core.Object
	// DryRuns are the answers to the dry runs of Preview.Writes, by kind
	// and name; a write without one is compared with its body.
	DryRuns map[desired.Key]DryRun
}

// Make compares the operator's pass with the live children and words every
// change. It is pure: the dry runs were made by the caller.
func Make(in Input) Plan {
	p := Plan{Version: Version, Namespace: in.Preview.Stack.Namespace, Name: in.Preview.Stack.Name, Changes: []Change{}}
	live := map[desired.Key]core.Object{}
	for _, c := range in.Children {
		live[desired.KeyOf(c)] = c
	}
	order := map[desired.Key]int{}
	for i, o := range in.Preview.Desired.Objects {
		order[desired.KeyOf(o)] = i
	}
	for _, w := range in.Preview.Writes {
		if c, ok := childChange(w, in.DryRuns[desired.Key{Kind: w.Kind, Name: w.Name}]); ok {
			p.Changes = append(p.Changes, c)
		}
	}
	for i, w := range in.Preview.Desired.Waiting {
		k := desired.Key{Kind: w.Kind, Name: w.Name}
		order[k] = len(in.Preview.Desired.Objects) + i
		if live[k] != nil || len(in.Preview.Held) > 0 {
			// Rendered before, waiting again (a value it needs is gone):
			// the operator keeps it as it is. A held adoption creates
			// nothing.
			continue
		}
		p.Changes = append(p.Changes, Change{Action: Create, Kind: w.Kind, Name: w.Name, Family: w.Family, WaitsFor: w.WaitsFor})
	}
	for _, k := range in.Preview.Leaving {
		p.Changes = append(p.Changes, deletion(live[k]))
	}
	serviceMoves(&p, in, live)
	pairRenames(&p, in.Preview)
	changed := map[desired.Key]bool{}
	for _, c := range p.Changes {
		changed[desired.Key{Kind: c.Kind, Name: c.Name}] = true
	}
	for _, o := range in.Preview.Desired.Objects {
		if k := desired.KeyOf(o); live[k] != nil && !changed[k] {
			p.Unchanged++
		}
	}
	sortChanges(p.Changes, order)
	for _, h := range in.Preview.Held {
		p.Notes = append(p.Notes, fmt.Sprintf("The adoption of %s %s is held: %s. The operator writes and deletes nothing else for this stack while it is held.", h.Kind, h.Name, h.Message))
	}
	if in.Preview.Stack.Spec.Suspend {
		p.Notes = append(p.Notes, "The stack is suspended (spec.suspend): the operator changes nothing until it is resumed; this is what it would do then.")
	}
	return p
}

// sortChanges orders changes by family in dependency order; in a family
// what is created or changed in creation order (order, the index of each
// child in the render), then what is deleted, in deletion order.
func sortChanges(changes []Change, order map[desired.Key]int) {
	familyIndex := func(f string) int {
		if i := slices.Index(desired.Families, f); i >= 0 {
			return i
		}
		return len(desired.Families)
	}
	slices.SortStableFunc(changes, func(a, b Change) int {
		if c := cmp.Compare(familyIndex(a.Family), familyIndex(b.Family)); c != 0 {
			return c
		}
		ad, bd := a.Action == Delete, b.Action == Delete
		switch {
		case ad && !bd:
			return 1
		case !ad && bd:
			return -1
		case ad && bd:
			return cmp.Or(cmp.Compare(ack.KindIndex(b.Kind), ack.KindIndex(a.Kind)), cmp.Compare(a.Name, b.Name))
		}
		return cmp.Compare(order[desired.Key{Kind: a.Kind, Name: a.Name}], order[desired.Key{Kind: b.Kind, Name: b.Name}])
	})
}

// childChange words one child the operator writes; false when nothing
// changes in AWS (only the operator's bookkeeping moves).
func childChange(w controllers.PreviewWrite, dr DryRun) (Change, bool) {
	c := Change{Kind: w.Kind, Name: w.Name, Action: Update}
	var body map[string]any
	if w.Body != nil {
		body = w.Body.Object
		c.Family = w.Body.GetLabels()[desired.LabelFamily]
	}
	liveMap := dr.Live
	if w.Live != nil {
		c.Family = cmp.Or(c.Family, w.Live.GetLabels()[desired.LabelFamily])
		if liveMap == nil {
			liveMap = toMap(w.Live)
		}
	}
	if dr.Err != nil {
		if w.Live != nil {
			if field, msg, ok := immutable(dr.Err); ok {
				c.Action, c.Refused = Replace, msg
				c.Means = append(c.Means, "the ACK CRD refuses a change of "+field+" in place: the operator's apply fails until the child is deleted and created again")
				if body != nil {
					// What the apply would have made of the live child: the
					// fields other writers own (the targets ACK reads back)
					// stay.
					merged := overlay(liveMap, body)
					c.Fields = describe(w.Kind, merged, Diff(liveMap, merged))
				}
				return c, true
			}
		} else {
			c.Action = Create
		}
		c.Error = dr.Err.Error()
		if meta.IsNoMatchError(dr.Err) {
			c.Error = "the cluster has no CRD for " + w.Kind + ": install its ACK controller"
		}
		return c, true
	}
	after := dr.After
	if after == nil {
		after = body
	}
	var probe bool
	if w.Body != nil {
		_, probe = w.Body.GetAnnotations()[desired.AnnotationProbe]
	}
	if probe && w.Live != nil {
		// A gate probe is never in AWS: a change of it changes nothing.
		return c, false
	}
	if w.Live == nil {
		c.Action, c.WaitsFor = Create, w.WaitsFor
		if probe {
			c.Means = append(c.Means, "a gate probe: asks its ACK controller whether the IgnoreFieldDrift feature gate is on; never created in AWS")
		} else if fields := adoptionFields(w); fields != "" {
			c.Means = append(c.Means, "adopted, not created: ACK takes over the resource "+fields+" that exists in AWS (and creates nothing if it does not); the stack's spec is then applied to it in place, and status.adopted lists what differed")
		} else if f := createWords[w.Kind]; f != nil && after != nil {
			c.Means = append(c.Means, f(after))
		}
		return c, true
	}
	if after != nil {
		c.Fields = describe(w.Kind, after, Diff(liveMap, after))
	}
	if w.Revokes != "" {
		c.Fields = append(c.Fields, FieldChange{Path: "grants", Old: w.Revokes, AbsentNew: true,
			Means: "revoked: granted by hand, and the stack does not grant it (the operator takes it away with a merge patch)"})
	}
	if w.Why == string(writecheck.Edited) {
		c.Means = append(c.Means, "put back: another writer changed a field the operator sets")
	}
	if len(c.Fields) == 0 {
		return c, false
	}
	for _, f := range c.Fields {
		if f.Replace {
			c.Action = Replace
		}
		c.DeletesData = c.DeletesData || f.DeletesData
	}
	return c, true
}

// deletion words a live child the stack no longer keeps.
func deletion(obj core.Object) Change {
	k := desired.KeyOf(obj)
	c := Change{Action: Delete, Kind: k.Kind, Name: k.Name, Family: obj.GetLabels()[desired.LabelFamily]}
	if _, probe := desired.IsProbe(obj); probe {
		c.Means = append(c.Means, "a gate probe: never in AWS")
		return c
	}
	if !obj.GetDeletionTimestamp().IsZero() {
		// Not this change's doing: it deletes nothing that is not going
		// already, and asks no approval for it.
		c.Means = append(c.Means, "already being deleted")
		return c
	}
	if obj.GetAnnotations()[desired.AnnotationDeletionPolicy] == string(ackv1alpha1.DeletionPolicyRetain) {
		c.Released = true
		what := "released, not deleted: it carries ACK's deletion-policy retain (deletionPolicy Retain), so ACK leaves it in AWS"
		if k.Kind == "DBInstance" {
			what = "the database would be deleted: refused by deletionPolicy Retain; it is released, not deleted: ACK leaves it in AWS, with its data"
		}
		c.Means = append(c.Means, what)
		return c
	}
	if f := deleteWords[k.Kind]; f != nil {
		what, data := f(toMap(obj))
		c.Means, c.DeletesData = append(c.Means, what), data
	}
	return c
}

// serviceMoves adds, when the Service is to run a task definition other
// than the one it runs, that move: the render keeps the running one until
// ACK has registered the new revision, so the dry run cannot show it.
func serviceMoves(p *Plan, in Input, live map[desired.Key]core.Object) {
	var td, svc core.Object
	for _, o := range in.Preview.Desired.Objects {
		switch ack.KindOf(o) {
		case "TaskDefinition":
			td = o
		case "Service":
			svc = o
		}
	}
	if td == nil || svc == nil {
		return
	}
	liveSvc := live[desired.KeyOf(svc)]
	if liveSvc == nil {
		return
	}
	running, _ := nested(toMap(liveSvc), "spec", "taskDefinition").(string)
	if liveTD := live[desired.KeyOf(td)]; running == "" || liveTD != nil && liveTD.ACKStatus().ARN() != "" {
		// Registered already: the render names its ARN, and the Service's
		// dry run shows the move if there is one.
		return
	}
	fc := FieldChange{Path: "taskDefinition", Old: running, New: "TaskDefinition " + td.GetName() + ", once ACK has registered it"}
	fc = describe("Service", toMap(svc), []FieldChange{fc})[0]
	for i := range p.Changes {
		if c := &p.Changes[i]; c.Kind == "Service" && c.Name == svc.GetName() {
			c.Fields = append(c.Fields, fc)
			return
		}
	}
	p.Changes = append(p.Changes, Change{Action: Update, Kind: "Service", Name: svc.GetName(), Family: svc.GetLabels()[desired.LabelFamily], Fields: []FieldChange{fc}})
}

// pairRenames words a child created under a new name next to the one of
// its kind it takes the place of (a task definition's new revision, a
// parameter group for a new major version).
func pairRenames(p *Plan, pv controllers.Preview) {
	byKind := map[string][]int{}
	for i, c := range p.Changes {
		if c.Action == Create || c.Action == Delete {
			byKind[c.Kind] = append(byKind[c.Kind], i)
		}
	}
	kept := map[string]bool{}
	for _, k := range pv.Kept {
		kept[k.Name] = true
	}
	for kind, idx := range byKind {
		var created, deleted []int
		for _, i := range idx {
			if strings.Contains(strings.Join(p.Changes[i].Means, " "), "gate probe") {
				continue
			}
			if p.Changes[i].Action == Create {
				created = append(created, i)
			} else {
				deleted = append(deleted, i)
			}
		}
		if len(created) != 1 {
			continue
		}
		c := &p.Changes[created[0]]
		if kind == "TaskDefinition" {
			var prev []string
			for _, k := range pv.Kept {
				prev = append(prev, k.Name)
			}
			if len(prev) > 0 {
				c.Means = append(c.Means, "the previous revisions stay registered for a rollback: "+strings.Join(prev, ", "))
			}
			continue
		}
		if len(deleted) != 1 {
			continue
		}
		d := &p.Changes[deleted[0]]
		c.Means = append(c.Means, "takes the place of "+d.Kind+" "+d.Name)
		d.Means = append(d.Means, "its place is taken by "+c.Kind+" "+c.Name)
		if kind == "DBParameterGroup" {
			c.Means = append(c.Means, "the parameter group is swapped: the DBInstance moves to it")
		}
	}
}

// immutable reports whether a dry-run error is the CRD refusing a change of
// a field in place (a `self == oldSelf` rule, or a field the API server
// holds immutable), with the field and the API server's message.
func immutable(err error) (field, msg string, ok bool) {
	var status apierrors.APIStatus
	if !errors.As(err, &status) || !apierrors.IsInvalid(err) {
		return "", "", false
	}
	details := status.Status().Details
	if details == nil {
		return "", "", false
	}
	for _, cause := range details.Causes {
		if strings.Contains(strings.ToLower(cause.Message), "immutable") {
			return cause.Field, strings.TrimSpace(cause.Message), true
		}
	}
	return "", "", false
}

// toMap is a typed object as a JSON-shaped map.
func toMap(obj runtime.Object) map[string]any {
	m, err := runtime.DefaultUnstructuredConverter.ToUnstructured(obj)
	if err != nil {
		return map[string]any{}
	}
	return m
}

// Counts is the plan's summary.
type Counts struct {
	Create  int `json:"create"`
	Update  int `json:"update"`
	Replace int `json:"replace"`
	Delete  int `json:"delete"`
	// DataDeletions counts the deletions that take data with them, and
	// DataUpdates the updates that do (a shorter retention).
	DataDeletions int `json:"dataDeletions"`
	DataUpdates   int `json:"dataUpdates"`
	// Errors counts the children the API server refused for another reason
	// than an immutable field.
	Errors int `json:"errors"`
}

// Counts summarises the plan.
func (p Plan) Counts() Counts {
	var n Counts
	for _, c := range p.Changes {
		if c.Error != "" {
			n.Errors++
			continue
		}
		switch c.Action {
		case Create:
			n.Create++
		case Update:
			n.Update++
			if c.DeletesData {
				n.DataUpdates++
			}
		case Replace:
			n.Replace++
		case Delete:
			n.Delete++
			if c.DeletesData {
				n.DataDeletions++
			}
		}
	}
	return n
}

// The exit codes of `docuflow plan`.
const (
	// ExitClean: the plan can be applied and holds no replacement and no
	// deletion of data.
	ExitClean = 0
	// ExitRefused: the stack or a child cannot be applied (or planning
	// failed).
	ExitRefused = 1
	// ExitApproval: the plan holds a replacement or a deletion of data;
	// CI should ask a person.
	ExitApproval = 2
)

// ExitCode is the plan's exit code.
func (p Plan) ExitCode() int {
	n := p.Counts()
	switch {
	case p.Refused != "" || n.Errors > 0:
		return ExitRefused
	case n.Replace > 0 || n.DataDeletions > 0 || n.DataUpdates > 0:
		return ExitApproval
	}
	return ExitClean
}

// Summary is the plan's last line.
func (p Plan) Summary() string {
	n := p.Counts()
	s := fmt.Sprintf("Plan: %d to create, %d to update, %d to replace, %d to delete (%d holding data).", n.Create, n.Update, n.Replace, n.Delete, n.DataDeletions)
	if n.DataUpdates > 0 {
		s += fmt.Sprintf(" %d %s data.", n.DataUpdates, plural(n.DataUpdates, "update deletes", "updates delete"))
	}
	if n.Errors > 0 {
		s += fmt.Sprintf(" %d %s refused by the API server.", n.Errors, plural(n.Errors, "child", "children"))
	}
	return s
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// adoptionFields are the ACK adoption fields of a child the stack adopts, or "".
func adoptionFields(w controllers.PreviewWrite) string {
	if w.Body == nil {
		return ""
	}
	return w.Body.GetAnnotations()[desired.AnnotationAdoptionFields]
}
