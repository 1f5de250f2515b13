package apply

import (
	"encoding/json"
	"fmt"
	"reflect"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
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

// NeedsWrite reports whether the live object differs from the desired one in
// any field the desired object sets. live is nil when the object does not
// exist.
func NeedsWrite(desired *unstructured.Unstructured, live runtime.Object) (bool, error) {
	if live == nil || reflect.ValueOf(live).IsNil() {
		return true, nil
	}
	l, err := runtime.DefaultUnstructuredConverter.ToUnstructured(live)
	if err != nil {
		return false, fmt.Errorf("converting the live %T: %w", live, err)
	}
	d := map[string]any{}
	for k, v := range desired.Object {
		if k == "apiVersion" || k == "kind" {
			continue
		}
		d[k] = v
	}
	return !Contains(l, normalize(d)), nil
}

// normalize round-trips through JSON so numbers and nested types compare the
// same way on both sides (int64 versus float64, typed slices versus []any).
func normalize(v any) any {
	b, err := json.Marshal(v)
	if err != nil {
		return v
	}
	var out any
	if err := json.Unmarshal(b, &out); err != nil {
		return v
	}
	return out
}

// Contains reports whether every field set in want has the same value in have:
// maps are compared key by key (extra keys in have are fine, they belong to
// someone else), lists element by element with equal lengths (a list the
// operator sets is atomic, so an extra element is drift), scalars by value.
func Contains(have any, want any) bool {
	return contains(normalize(have), want)
}

func contains(have, want any) bool {
	switch w := want.(type) {
	case map[string]any:
		h, ok := have.(map[string]any)
		if !ok {
			return len(w) == 0 && have == nil
		}
		for k, wv := range w {
			hv, ok := h[k]
			if !ok {
				if isEmpty(wv) {
					continue
				}
				return false
			}
			if !contains(hv, wv) {
				return false
			}
		}
		return true
	case []any:
		h, ok := have.([]any)
		if !ok {
			return len(w) == 0 && have == nil
		}
		if len(h) != len(w) {
			return false
		}
		for i := range w {
			if !contains(h[i], w[i]) {
				return false
			}
		}
		return true
	default:
		return reflect.DeepEqual(have, want)
	}
}

func isEmpty(v any) bool {
	switch x := v.(type) {
	case nil:
		return true
	case map[string]any:
		return len(x) == 0
	case []any:
		return len(x) == 0
	}
	return false
}
