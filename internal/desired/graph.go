package desired

import (
	"slices"
	"strings"

	"github.com/docuflow/docuflow-operator/internal/ack"
	"github.com/docuflow/docuflow-operator/internal/ack/core"
	ackrefs "github.com/docuflow/docuflow-operator/internal/ack/refs"
)

// AnnotationDependsOn lists, on every child, the children it depends on, as
// "Kind/name" separated by commas: the targets of its ACK references and the
// children whose IDs, ARNs or state it was rendered from. It is the one
// dependency graph of a stack: a child is created only once everything it
// depends on is synced, and deleted only once nothing that depends on it is
// left. It lives on the child so that a deletion, a restarted operator or a
// newer version reads the graph the children were made with.
const AnnotationDependsOn = "platform.docuflow.io/depends-on"

// Key names one child by kind and name.
type Key struct {
	// Kind is the child's ACK kind.
	Kind string
	// Name is the child's metadata.name.
	Name string
}

// String returns "Kind/name", the form AnnotationDependsOn uses.
func (k Key) String() string { return k.Kind + "/" + k.Name }

// KeyOf returns the key of a child.
func KeyOf(obj core.Object) Key { return Key{ack.KindOf(obj), obj.GetName()} }

// parseKey reads "Kind/name".
func parseKey(s string) (Key, bool) {
	kind, name, ok := strings.Cut(strings.TrimSpace(s), "/")
	if !ok || kind == "" || name == "" {
		return Key{}, false
	}
	return Key{kind, name}, true
}

// DependenciesOf returns what a child depends on: the entries of its
// AnnotationDependsOn, and, for children written before the annotation
// existed, the targets of the references in its spec.
func DependenciesOf(obj core.Object) []Key {
	out := annotatedDependencies(obj)
	for _, k := range referenceDependencies(obj) {
		if !slices.Contains(out, k) {
			out = append(out, k)
		}
	}
	return out
}

// annotatedDependencies are the entries of obj's AnnotationDependsOn: all of
// its dependencies for an object Build rendered, which markDependencies
// annotated with its references' targets too.
func annotatedDependencies(obj core.Object) []Key {
	var out []Key
	for _, s := range strings.Split(obj.GetAnnotations()[AnnotationDependsOn], ",") {
		if k, ok := parseKey(s); ok && !slices.Contains(out, k) {
			out = append(out, k)
		}
	}
	return out
}

// referenceDependencies are the children a spec's ACK references name. A
// reference whose target ACK resolves without waiting for it to be synced
// (a security group rule naming another group) is no dependency: the groups
// of a stack name each other, and ACK creates them all before their rules.
func referenceDependencies(obj core.Object) []Key {
	var out []Key
	for _, site := range ackrefs.Sites(obj) {
		t, ok := ackrefs.TargetOf(site)
		if !ok || t.SkipState {
			continue
		}
		for _, n := range site.Names() {
			k := Key{t.Kind, n}
			if !slices.Contains(out, k) {
				out = append(out, k)
			}
		}
	}
	return out
}

// uses records that obj was rendered from values of the given children.
func (b *builder) uses(obj core.Object, deps ...Key) {
	if b.deps == nil {
		b.deps = map[core.Object][]Key{}
	}
	b.deps[obj] = append(b.deps[obj], deps...)
}

// markDependencies writes AnnotationDependsOn on every rendered object: its
// references' targets plus what it was rendered from, sorted.
func (b *builder) markDependencies(objs []core.Object) {
	for _, o := range objs {
		deps := referenceDependencies(o)
		for _, k := range b.deps[o] {
			if !slices.Contains(deps, k) {
				deps = append(deps, k)
			}
		}
		if len(deps) == 0 {
			continue
		}
		names := make([]string, 0, len(deps))
		for _, k := range deps {
			names = append(names, k.String())
		}
		slices.Sort(names)
		setAnnotation(o, AnnotationDependsOn, strings.Join(names, ","))
	}
}

// setAnnotation sets one annotation on an object.
func setAnnotation(o core.Object, key, value string) {
	ann := o.GetAnnotations()
	if ann == nil {
		ann = map[string]string{}
	}
	ann[key] = value
	o.SetAnnotations(ann)
}

// DeletionDependenciesOf returns what a child's AWS resource must outlive:
// its DependenciesOf plus the targets of references ACK resolves without
// waiting (a security group rule naming another group). Those never hold
// back a creation, but AWS refuses to delete a group another group's rules
// still name, so they order deletion.
func DeletionDependenciesOf(obj core.Object) []Key {
	out := DependenciesOf(obj)
	for _, site := range ackrefs.Sites(obj) {
		t, ok := ackrefs.TargetOf(site)
		if !ok || !t.SkipState {
			continue
		}
		for _, n := range site.Names() {
			if k := (Key{t.Kind, n}); !slices.Contains(out, k) {
				out = append(out, k)
			}
		}
	}
	return out
}

// DeletionLayers orders children for deletion: each layer holds the children
// nothing in a later layer depends on (DeletionDependenciesOf), so deleting
// layer by layer never asks AWS to delete something still in use (a route
// table before the subnets associated with it, a security group before the
// load balancer in it). Children that depend on each other (security groups
// whose rules name each other) go in the same layer, once nothing else
// depends on any of them: each revokes its own rules as ACK deletes it, and
// AWS then lets the others go. Dependencies on children outside objs are
// ignored.
func DeletionLayers(objs []core.Object) [][]core.Object {
	byKey := map[Key]core.Object{}
	var keys []Key
	for _, o := range objs {
		k := KeyOf(o)
		if _, dup := byKey[k]; !dup {
			keys = append(keys, k)
		}
		byKey[k] = o
	}
	deps := map[Key][]Key{}
	for _, k := range keys {
		for _, d := range DeletionDependenciesOf(byKey[k]) {
			if _, ok := byKey[d]; ok && d != k {
				deps[k] = append(deps[k], d)
			}
		}
	}
	// Collapse every cycle into one group, then peel the groups nothing
	// left depends on, layer by layer.
	group := stronglyConnected(keys, deps)
	dependents := map[int]int{}
	for _, k := range keys {
		for _, d := range deps[k] {
			if group[d] != group[k] {
				dependents[group[d]]++
			}
		}
	}
	left := keys
	var layers [][]core.Object
	for len(left) > 0 {
		var layer []core.Object
		var rest []Key
		for _, k := range left {
			if dependents[group[k]] == 0 {
				layer = append(layer, byKey[k])
			} else {
				rest = append(rest, k)
			}
		}
		for _, o := range layer {
			k := KeyOf(o)
			for _, d := range deps[k] {
				if group[d] != group[k] {
					dependents[group[d]]--
				}
			}
		}
		slices.SortFunc(layer, func(a, b core.Object) int { return strings.Compare(KeyOf(a).String(), KeyOf(b).String()) })
		layers = append(layers, layer)
		left = rest
	}
	return layers
}

// creationOrder lists objs, as markDependencies annotated them, so that every
// child comes after each child it depends on, the security groups whose rules name each
// other together; among the children free to come next, the kind order of
// ack.Kinds() and then the given order decide. Dependencies on children not
// in objs are ignored.
func creationOrder(objs []core.Object) []core.Object {
	byKind := sortByKind(objs)
	keys := make([]Key, 0, len(byKind))
	present := map[Key]bool{}
	for _, o := range byKind {
		keys = append(keys, KeyOf(o))
		present[KeyOf(o)] = true
	}
	deps := map[Key][]Key{}
	for _, o := range byKind {
		// Rendered objects carry every dependency in their annotation (walking
		// the references again costs a reflection pass per object).
		for _, d := range annotatedDependencies(o) {
			if present[d] {
				deps[KeyOf(o)] = append(deps[KeyOf(o)], d)
			}
		}
	}
	group := stronglyConnected(keys, deps)
	done := map[Key]bool{}
	out := make([]core.Object, 0, len(byKind))
	pending := byKind
	for len(pending) > 0 {
		next := 0
		for i, o := range pending {
			k := KeyOf(o)
			if !slices.ContainsFunc(deps[k], func(d Key) bool { return !done[d] && group[d] != group[k] }) {
				next = i
				break
			}
		}
		o := pending[next]
		out = append(out, o)
		done[KeyOf(o)] = true
		pending = slices.Delete(slices.Clone(pending), next, next+1)
	}
	return out
}

// stronglyConnected numbers the strongly connected components of the graph
// (Tarjan's algorithm): two keys share a number exactly when each depends,
// directly or not, on the other.
func stronglyConnected(keys []Key, deps map[Key][]Key) map[Key]int {
	index := map[Key]int{}
	low := map[Key]int{}
	onStack := map[Key]bool{}
	group := map[Key]int{}
	var stack []Key
	next, groups := 0, 0
	var visit func(k Key)
	visit = func(k Key) {
		index[k], low[k] = next, next
		next++
		stack = append(stack, k)
		onStack[k] = true
		for _, d := range deps[k] {
			if _, seen := index[d]; !seen {
				visit(d)
				low[k] = min(low[k], low[d])
			} else if onStack[d] {
				low[k] = min(low[k], index[d])
			}
		}
		if low[k] == index[k] {
			for {
				top := stack[len(stack)-1]
				stack = stack[:len(stack)-1]
				onStack[top] = false
				group[top] = groups
				if top == k {
					break
				}
			}
			groups++
		}
	}
	for _, k := range keys {
		if _, seen := index[k]; !seen {
			visit(k)
		}
	}
	return group
}

// Removable returns, of the children leaving (no longer wanted, or already
// being deleted), those that can be deleted now: every child that depends on
// one (DeletionDependenciesOf) is leaving too and depends on it only through
// a cycle they share, as security groups whose rules name each other do.
func Removable(objs []core.Object, leaving func(Key) bool) []Key {
	present := map[Key]bool{}
	var keys []Key
	for _, o := range objs {
		if k := KeyOf(o); !present[k] {
			present[k] = true
			keys = append(keys, k)
		}
	}
	deps := map[Key][]Key{}
	for _, o := range objs {
		k := KeyOf(o)
		for _, d := range DeletionDependenciesOf(o) {
			if present[d] && d != k {
				deps[k] = append(deps[k], d)
			}
		}
	}
	group := stronglyConnected(keys, deps)
	held := map[int]bool{}
	for _, k := range keys {
		if !leaving(k) {
			held[group[k]] = true
		}
		for _, d := range deps[k] {
			if group[d] != group[k] {
				held[group[d]] = true
			}
		}
	}
	var out []Key
	for _, k := range keys {
		if leaving(k) && !held[group[k]] {
			out = append(out, k)
		}
	}
	return out
}
