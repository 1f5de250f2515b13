package apply

import (
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

func TestContains(t *testing.T) {
	tests := []struct {
		name string
		have any
		want any
		ok   bool
	}{
		{"an identical map is contained", map[string]any{"a": "x"}, map[string]any{"a": "x"}, true},
		{"extra keys owned by someone else are ignored", map[string]any{"a": "x", "b": 1}, map[string]any{"a": "x"}, true},
		{"a changed value is drift", map[string]any{"a": "y"}, map[string]any{"a": "x"}, false},
		{"a missing key is drift", map[string]any{}, map[string]any{"a": "x"}, false},
		{"numbers compare across int and float", map[string]any{"n": int64(3)}, map[string]any{"n": float64(3)}, true},
		{"list items may carry defaults ACK added", []any{map[string]any{"p": 1, "proto": "tcp"}}, []any{map[string]any{"p": 1}}, true},
		{"an extra list item is drift", []any{"a", "b"}, []any{"a"}, false},
		{"a reordered list is drift", []any{"b", "a"}, []any{"a", "b"}, false},
		{"nested drift is found", map[string]any{"s": map[string]any{"t": []any{map[string]any{"k": "v2"}}}}, map[string]any{"s": map[string]any{"t": []any{map[string]any{"k": "v"}}}}, false},
		{"an empty wanted map is satisfied by nothing", map[string]any{}, map[string]any{"m": map[string]any{}}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Contains(tt.have, normalize(tt.want)); got != tt.ok {
				t.Fatalf("Contains(%v, %v) = %v, want %v", tt.have, tt.want, got, tt.ok)
			}
		})
	}
}

func TestToUnstructuredDropsStatusAndServerMetadata(t *testing.T) {
	u := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "v1", "kind": "ConfigMap",
		"metadata": map[string]any{"name": "x", "creationTimestamp": nil, "resourceVersion": "7"},
		"status":   map[string]any{"phase": "x"},
	}}
	got, err := ToUnstructured(u)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := got.Object["status"]; ok {
		t.Error("status survived")
	}
	md := got.Object["metadata"].(map[string]any)
	for _, f := range []string{"creationTimestamp", "resourceVersion"} {
		if _, ok := md[f]; ok {
			t.Errorf("metadata.%s survived", f)
		}
	}
}
