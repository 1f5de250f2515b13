package admission

import (
	"context"
	"fmt"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// deletingStack creates the production sample held by a finalizer of the
// test's own, and deletes it, so it stays with a deletionTimestamp.
func deletingStack(t *testing.T) *unstructured.Unstructured {
	t.Helper()
	ctx := context.Background()
	obj := sample(t, namespace(t, nil))
	obj.SetFinalizers([]string{"test.docuflow.io/hold"})
	if err := k8s.Create(ctx, obj); err != nil {
		t.Fatal(err)
	}
	if err := k8s.Delete(ctx, obj); err != nil {
		t.Fatal(err)
	}
	if err := k8s.Get(ctx, client.ObjectKeyFromObject(obj), obj); err != nil {
		t.Fatal(err)
	}
	if obj.GetDeletionTimestamp() == nil {
		t.Fatal("the stack has no deletionTimestamp")
	}
	return obj
}

func TestNoSpecChangeWhileTheStackIsDeleted(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(o *unstructured.Unstructured)
	}{
		{"switching to Delete, confirmed, while deleting", func(o *unstructured.Unstructured) {
			set(o.Object, "spec.database.deletionPolicy", "Delete")
			set(o.Object, "spec.database.confirmDataDeletion", o.GetName())
		}},
		{"upgrading the engine while deleting", func(o *unstructured.Unstructured) {
			set(o.Object, "spec.database.engineVersion", "17.2")
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			obj := deletingStack(t)
			eventually(t, "the refusal", func() error {
				edit := obj.DeepCopy()
				tt.mutate(edit)
				return refusedNaming(k8s.Update(context.Background(), edit), "spec", "cannot change while the stack is being deleted")
			})
		})
	}
}

func TestMetadataAndStatusStillChangeWhileTheStackIsDeleted(t *testing.T) {
	ctx := context.Background()
	obj := deletingStack(t)
	eventually(t, "the policy to take effect", func() error {
		edit := obj.DeepCopy()
		set(edit.Object, "spec.autoscaling.maxTasks", int64(30))
		return refusedNaming(k8s.Update(ctx, edit), "spec", "cannot change while the stack is being deleted")
	})
	eventually(t, "the label", func() error {
		if err := k8s.Get(ctx, client.ObjectKeyFromObject(obj), obj); err != nil {
			return err
		}
		obj.SetLabels(map[string]string{"docuflow.io/note": "leaving"})
		return k8s.Update(ctx, obj)
	})
	// The operator's status writes go to the status subresource, which the
	// policy does not match.
	set(obj.Object, "status.url", "https://docuflow.example.com")
	if err := k8s.Status().Update(ctx, obj); err != nil {
		t.Fatalf("a status write was refused: %v", err)
	}
	obj.SetFinalizers(nil)
	if err := k8s.Update(ctx, obj); err != nil {
		t.Fatalf("removing the last finalizer was refused: %v", err)
	}
}

// recordKey is the annotation the operator records a deletion's policy in.
const recordKey = "platform.docuflow.io/deleting-with-policy"

func TestTheDeletionRecordIsWrittenOnceAndOnlyWhileDeleting(t *testing.T) {
	ctx := context.Background()
	t.Run("it cannot be set before the deletion", func(t *testing.T) {
		obj := sample(t, namespace(t, nil))
		if err := k8s.Create(ctx, obj); err != nil {
			t.Fatal(err)
		}
		eventually(t, "the refusal", func() error {
			edit := obj.DeepCopy()
			if err := k8s.Get(ctx, client.ObjectKeyFromObject(obj), edit); err != nil {
				return err
			}
			edit.SetAnnotations(map[string]string{recordKey: "Delete"})
			return refusedNaming(k8s.Update(ctx, edit), "metadata.annotations", "it cannot be set before")
		})
	})
	t.Run("only a policy can be written", func(t *testing.T) {
		obj := deletingStack(t)
		eventually(t, "the refusal", func() error {
			edit := obj.DeepCopy()
			edit.SetAnnotations(map[string]string{recordKey: "Never"})
			return refusedNaming(k8s.Update(ctx, edit), "metadata.annotations", "must be Retain, Snapshot or Delete")
		})
	})
	t.Run("once written it cannot change or go", func(t *testing.T) {
		obj := deletingStack(t)
		obj.SetAnnotations(map[string]string{recordKey: "Retain"})
		if err := k8s.Update(ctx, obj); err != nil {
			t.Fatalf("the first write of the record, as the operator makes it, was refused: %v", err)
		}
		for _, value := range []string{"Delete", ""} {
			eventually(t, fmt.Sprintf("the refusal of %q", value), func() error {
				edit := obj.DeepCopy()
				if value == "" {
					edit.SetAnnotations(nil)
				} else {
					edit.SetAnnotations(map[string]string{recordKey: value})
				}
				return refusedNaming(k8s.Update(ctx, edit), "metadata.annotations", "cannot change or go while the stack is being deleted")
			})
		}
	})
}

func TestTagValuesFollowTheAWSGrammar(t *testing.T) {
	ctx := context.Background()
	for _, value := range []string{`"documents"`, "docs*", "a\tb", "50%"} {
		t.Run(fmt.Sprintf("%q is refused", value), func(t *testing.T) {
			eventually(t, "the refusal", func() error {
				obj := sample(t, namespace(t, nil))
				set(obj.Object, "spec.tags", map[string]any{"team": value})
				return refusedNaming(k8s.Create(ctx, obj), "spec.tags", "the value of team may only hold")
			})
		})
	}
	t.Run("letters of any script, spaces, the allowed punctuation and empty values are accepted", func(t *testing.T) {
		obj := sample(t, namespace(t, nil))
		set(obj.Object, "spec.tags", map[string]any{"Kostenstelle": "Büro 4711", "owner": "docs+search@example.com", "path": "a/b:c=d_e.f-g", "empty": ""})
		if err := k8s.Create(ctx, obj); err != nil {
			t.Fatalf("rejected: %v", err)
		}
	})
}

func TestTheShardLabelNamesAShard(t *testing.T) {
	ctx := context.Background()
	const shardLabel = "platform.docuflow.io/shard"
	for _, value := range []string{"", "Team_B", "team.b"} {
		t.Run(fmt.Sprintf("%q is refused", value), func(t *testing.T) {
			eventually(t, "the refusal", func() error {
				obj := sample(t, namespace(t, nil))
				obj.SetLabels(map[string]string{shardLabel: value})
				return refusedNaming(k8s.Create(ctx, obj), "metadata.labels", "must name a shard")
			})
		})
	}
	t.Run("a shard name and no label at all are accepted", func(t *testing.T) {
		obj := sample(t, namespace(t, nil))
		obj.SetLabels(map[string]string{shardLabel: "shard1"})
		if err := k8s.Create(ctx, obj); err != nil {
			t.Fatalf("rejected: %v", err)
		}
		if err := k8s.Create(ctx, sample(t, namespace(t, nil))); err != nil {
			t.Fatalf("rejected: %v", err)
		}
	})
}
