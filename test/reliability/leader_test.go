package reliability

import (
	"context"
	"fmt"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	appautoscalingv1alpha1 "github.com/docuflow/docuflow-operator/internal/ack/applicationautoscaling/v1alpha1"
)

// elected waits until one of the operators is the leader and returns it and
// the other one.
func elected(t *testing.T, a, b *operator) (leader, follower *operator) {
	t.Helper()
	select {
	case <-a.mgr.Elected():
		return a, b
	case <-b.mgr.Elected():
		return b, a
	case <-time.After(30 * time.Second):
		t.Fatal("no operator was elected leader within 30s")
	}
	return nil, nil
}

func TestOnlyTheLeaderWritesAndTheOtherTakesOverWhenItStops(t *testing.T) {
	resetSimAfter(t)
	ns := newNamespace(t)
	id := "docuflow-operator-" + ns
	a := startOperator(t, "a", ns, withLeaderElection(id, ns))
	b := startOperator(t, "b", ns, withLeaderElection(id, ns))
	leader, follower := elected(t, a, b)

	key := createStack(t, sampleStack(t, ns))
	waitReady(t, key, 60*time.Second)
	if leader.writes.Load() == 0 {
		t.Fatalf("the leader %s made no writes converging the stack", leader.name)
	}
	if n := follower.writes.Load(); n != 0 {
		t.Fatalf("the follower %s made %d writes while %s led", follower.name, n, leader.name)
	}

	leader.stop()
	leaderWrites := leader.writes.Load()
	select {
	case <-follower.mgr.Elected():
	case <-time.After(30 * time.Second):
		t.Fatalf("%s did not take over within 30s of the leader stopping", follower.name)
	}

	patch := []byte(`{"spec":{"autoscaling":{"maxTasks":30}}}`)
	if err := k8s.Patch(context.Background(), getStack(t, key), client.RawPatch(types.MergePatchType, patch)); err != nil {
		t.Fatal(err)
	}
	eventually(t, 30*time.Second, "scalable target raised to 30", func() error {
		list := &appautoscalingv1alpha1.ScalableTargetList{}
		if err := k8s.List(context.Background(), list, client.InNamespace(ns)); err != nil {
			return err
		}
		if len(list.Items) != 1 {
			return fmt.Errorf("%d scalable targets", len(list.Items))
		}
		if m := list.Items[0].Spec.MaxCapacity; m == nil || *m != 30 {
			return fmt.Errorf("maxCapacity %v", m)
		}
		return nil
	})
	waitReady(t, key, 30*time.Second)
	if follower.writes.Load() == 0 {
		t.Errorf("the new leader %s converged the change without writing", follower.name)
	}
	if n := leader.writes.Load(); n != leaderWrites {
		t.Errorf("the stopped leader %s went on writing: %d -> %d", leader.name, leaderWrites, n)
	}
}
