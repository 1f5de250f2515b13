package writecheck

import (
	"bytes"
	"fmt"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/structured-merge-diff/v6/fieldpath"

	"github.com/docuflow/docuflow-operator/internal/ack/core"
)

// Annotations the operator writes on children to remember what it applied.
const (
	// AnnotationAppliedHash is a hash of the labels, annotations and spec the
	// operator rendered for the child when it last applied it. The operator
	// writes a child only when its render hashes differently (or the child
	// is missing, or someone other than ACK changed a field it sets): ACK
	// writes AWS's answer back into the spec, in AWS's own spelling, and
	// comparing with the live spec would re-apply the operator's spelling
	// after every such write-back, a fight without end.
	AnnotationAppliedHash = "platform.docuflow.io/applied-hash"
	// AnnotationAppliedAt is when the operator last applied the child, in
	// RFC 3339. ACK reports no observed generation, so this is how the
	// operator tells whether ACK has reconciled since its last write.
	AnnotationAppliedAt = "platform.docuflow.io/applied-at"
	// AnnotationReadOnly is ACK's read-only switch.
	AnnotationReadOnly = "services.k8s.aws/read-only"
)

// ToUnstructured converts a typed object into the body of a server-side apply:
// no status, no server-set metadata, nothing the operator has no opinion on
// (the typed mirrors use omitempty everywhere, so unset fields vanish).
func ToUnstructured(obj runtime.Object) (*unstructured.Unstructured, error) {
	m, err := runtime.DefaultUnstructuredConverter.ToUnstructured(obj)
	if err != nil {
		return nil, fmt.Errorf("converting %T to unstructured: %w", obj, err)
	}
	u := &unstructured.Unstructured{Object: m}
	delete(u.Object, "status")
	for _, f := range []string{"creationTimestamp", "resourceVersion", "uid", "generation", "managedFields", "selfLink", "deletionTimestamp", "deletionGracePeriodSeconds"} {
		unstructured.RemoveNestedField(u.Object, "metadata", f)
	}
	if md, ok := u.Object["metadata"].(map[string]any); ok && len(md) == 0 {
		delete(u.Object, "metadata")
	}
	return u, nil
}

// Why says why a child must be written.
type Why string

// The reasons to write a child.
const (
	// Missing: the child does not exist.
	Missing Why = "missing"
	// Changed: the render differs from the one last applied.
	Changed Why = "render changed"
	// Hold: the render is the same, but ACK's read-only switch goes on or
	// off (the ECS Service between deliberate changes).
	Hold Why = "read-only switched"
	// Edited: another writer than ACK changed a field the operator sets.
	Edited Why = "edited by another writer"
)

// NeedsWrite reports whether a desired child must be applied, and why. The
// decision comes from what the operator last applied, never from the fields
// ACK rewrites: ACK writes AWS's answer back into the spec after every create
// and update, in AWS's spelling, and re-applying the operator's spelling in
// reply would start the fight again. So a child is written when it is
// missing, when its render's hash (AnnotationAppliedHash) differs
// from the one on the live child, when ACK's read-only switch must flip, or
// when a writer other than the operator and ACK (a person with kubectl, a
// stray script) took a field the operator sets: that change is put back.
func NeedsWrite(want, live core.Object) (bool, Why) {
	if live == nil {
		return true, Missing
	}
	la, wa := live.GetAnnotations(), want.GetAnnotations()
	if la[AnnotationAppliedHash] != wa[AnnotationAppliedHash] {
		return true, Changed
	}
	if strings.EqualFold(la[AnnotationReadOnly], "true") != strings.EqualFold(wa[AnnotationReadOnly], "true") {
		return true, Hold
	}
	if len(ForeignFields(want, live)) > 0 {
		return true, Edited
	}
	return false, ""
}

// The operator's own field managers.
const (
	// FieldManager writes every child's render.
	FieldManager = "docuflow-operator"
	// DeletionFieldManager writes what a deletion changes on a child.
	DeletionFieldManager = "docuflow-operator-deletion"
)

// ackManagers returns the field managers of an object that are its ACK
// controller: every manager that writes the status subresource, and every
// manager that added an ACK finalizer (the first thing ACK writes, before
// its first status).
func ackManagers(entries []metav1.ManagedFieldsEntry) map[string]bool {
	out := map[string]bool{}
	for _, e := range entries {
		if e.Manager == FieldManager || e.Manager == DeletionFieldManager {
			continue
		}
		if e.Subresource == "status" {
			out[e.Manager] = true
			continue
		}
		if raw := e.FieldsV1.GetRawBytes(); bytes.Contains(raw, []byte(`"v:\"finalizers.`)) && bytes.Contains(raw, []byte(`services.k8s.aws/`)) {
			out[e.Manager] = true
		}
	}
	return out
}

// foreign reports whether a managed-fields entry is neither the operator's
// nor ACK's.
func foreign(e metav1.ManagedFieldsEntry, ack map[string]bool) bool {
	return e.Manager != FieldManager && e.Manager != DeletionFieldManager && !ack[e.Manager] && e.Subresource == ""
}

// ForeignFields returns the fields the operator renders for want that a
// foreign writer owns on live, as "manager: path".
func ForeignFields(want, live core.Object) []string {
	entries := live.GetManagedFields()
	if len(entries) == 0 {
		return nil
	}
	ack := ackManagers(entries)
	var body map[string]any
	var out []string
	for _, e := range entries {
		if !foreign(e, ack) || e.FieldsV1 == nil {
			continue
		}
		if body == nil {
			u, err := ToUnstructured(want)
			if err != nil {
				return nil
			}
			body = u.Object
		}
		set := &fieldpath.Set{}
		if err := set.FromJSON(bytes.NewReader(e.FieldsV1.GetRawBytes())); err != nil {
			continue
		}
		set.Leaves().Iterate(func(p fieldpath.Path) {
			if rendered(body, p) {
				out = append(out, e.Manager+": "+p.String())
			}
		})
	}
	return out
}

// rendered reports whether the render sets the field at p (or a list that
// contains it: lists are atomic in the ACK CRDs).
func rendered(body map[string]any, p fieldpath.Path) bool {
	if len(p) == 0 || p[0].FieldName == nil {
		return false
	}
	switch *p[0].FieldName {
	case "spec":
	case "metadata":
		// Of the metadata, only labels and annotations are the operator's
		// opinion; owner references and finalizers are shared.
		if len(p) < 3 || p[1].FieldName == nil || (*p[1].FieldName != "labels" && *p[1].FieldName != "annotations") {
			return false
		}
	default:
		return false
	}
	var cur any = body
	for _, el := range p {
		if el.FieldName == nil {
			// A list element or map key: the operator sets the list whole.
			return true
		}
		m, ok := cur.(map[string]any)
		if !ok {
			return false
		}
		next, ok := m[*el.FieldName]
		if !ok {
			return false
		}
		if _, isList := next.([]any); isList {
			return true
		}
		cur = next
	}
	return true
}

// StripManagedFields is a cache transform for ACK children: it drops the
// managed-fields entries of the operator and of ACK, which are most of an
// object's size and which NeedsWrite never reads, and keeps any other
// writer's entry for NeedsWrite to find.
func StripManagedFields(obj any) (any, error) {
	o, ok := obj.(interface {
		GetManagedFields() []metav1.ManagedFieldsEntry
		SetManagedFields([]metav1.ManagedFieldsEntry)
	})
	if !ok {
		return obj, nil
	}
	entries := o.GetManagedFields()
	if len(entries) == 0 {
		return obj, nil
	}
	ack := ackManagers(entries)
	var kept []metav1.ManagedFieldsEntry
	for _, e := range entries {
		if foreign(e, ack) {
			kept = append(kept, e)
		}
	}
	o.SetManagedFields(kept)
	return obj, nil
}
