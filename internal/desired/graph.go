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
	var out []Key
	for _, s := range strings.Split(obj.GetAnnotations()[AnnotationDependsOn], ",") {
		if k, ok := parseKey(s); ok && !slices.Contains(out, k) {
			out = append(out, k)
		}
	}
	for _, k := range referenceDependencies(obj) {
		if !slices.Contains(out, k) {
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

// DeletionLayers orders children for deletion: each layer holds the children
// nothing in a later layer depends on, so deleting layer by layer never asks
// AWS to delete something still in use (a route table before the subnets
// associated with it, a security group before the load balancer in it).
// Dependencies on children outside objs are ignored. Should the graph hold a
// cycle, its members form the last layer together rather than never.
func DeletionLayers(objs []core.Object) [][]core.Object {
	dependents := map[Key]int{}
	present := map[Key]bool{}
	for _, o := range objs {
		present[KeyOf(o)] = true
	}
	deps := map[Key][]Key{}
	for _, o := range objs {
		k := KeyOf(o)
		for _, d := range DependenciesOf(o) {
			if present[d] && d != k {
				deps[k] = append(deps[k], d)
				dependents[d]++
			}
		}
	}
	left := slices.Clone(objs)
	var layers [][]core.Object
	for len(left) > 0 {
		var layer, rest []core.Object
		for _, o := range left {
			if dependents[KeyOf(o)] == 0 {
				layer = append(layer, o)
			} else {
				rest = append(rest, o)
			}
		}
		if len(layer) == 0 {
			layers = append(layers, rest)
			break
		}
		for _, o := range layer {
			for _, d := range deps[KeyOf(o)] {
				dependents[d]--
			}
		}
		slices.SortFunc(layer, func(a, b core.Object) int { return strings.Compare(KeyOf(a).String(), KeyOf(b).String()) })
		layers = append(layers, layer)
		left = rest
	}
	return layers
}
