package controllers

import (
	"testing"

	"k8s.io/apimachinery/pkg/labels"

	platformv1alpha1 "github.com/docuflow/docuflow-operator/api/v1alpha1"
	"github.com/docuflow/docuflow-operator/internal/ack"
	"github.com/docuflow/docuflow-operator/internal/desired"
)

func TestShardSelectorTakesExactlyTheShardsObjects(t *testing.T) {
	unlabelled := labels.Set{desired.LabelStack: "prod"}
	onB := labels.Set{desired.LabelStack: "prod", desired.LabelShard: "b"}
	onC := labels.Set{desired.LabelStack: "prod", desired.LabelShard: "c"}
	tests := []struct {
		name  string
		shard string
		set   labels.Set
		want  bool
	}{
		{"the default shard takes an unlabelled object", "", unlabelled, true},
		{"the default shard leaves an object of shard b", "", onB, false},
		{"shard b takes its own object", "b", onB, true},
		{"shard b leaves an unlabelled object to the default shard", "b", unlabelled, false},
		{"shard b leaves an object of shard c", "b", onC, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ShardSelector(tt.shard).Matches(tt.set); got != tt.want {
				t.Errorf("ShardSelector(%q).Matches(%v) = %t, want %t", tt.shard, tt.set, got, tt.want)
			}
		})
	}
}

func TestShardCacheHoldsOnlyTheShardsStacksAndTheirChildren(t *testing.T) {
	child := labels.Set{desired.LabelManagedBy: desired.ManagedByValue, desired.LabelStack: "prod", desired.LabelShard: "b"}
	foreign := labels.Set{desired.LabelStack: "prod", desired.LabelShard: "b"}
	for _, shard := range []string{"", "b"} {
		opts := CacheOptions(shard)
		// ByObject is keyed by pointer: the stacks' entry is found by type.
		var stacks labels.Selector
		for obj, by := range opts.ByObject {
			if _, isStack := obj.(*platformv1alpha1.DocuFlowStack); isStack {
				stacks = by.Label
			}
		}
		if stacks == nil {
			t.Fatalf("CacheOptions(%q) caches every DocuFlowStack", shard)
		}
		if got, want := stacks.Matches(labels.Set{desired.LabelShard: "b"}), shard == "b"; got != want {
			t.Errorf("CacheOptions(%q) caches a stack of shard b: %t, want %t", shard, got, want)
		}
		kinds := 0
		for obj, by := range opts.ByObject {
			if _, isStack := obj.(*platformv1alpha1.DocuFlowStack); isStack {
				continue
			}
			kinds++
			if got, want := by.Label.Matches(child), shard == "b"; got != want {
				t.Errorf("CacheOptions(%q) caches a %T child of shard b: %t, want %t", shard, obj, got, want)
			}
			if by.Label.Matches(foreign) {
				t.Errorf("CacheOptions(%q) caches a %T without the operator's managed-by label", shard, obj)
			}
		}
		if kinds != len(ack.Kinds()) {
			t.Errorf("CacheOptions(%q) selects %d ACK kinds, want all %d", shard, kinds, len(ack.Kinds()))
		}
	}
}
