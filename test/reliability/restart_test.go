package reliability

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	ackv1alpha1 "github.com/aws-controllers-k8s/runtime/apis/core/v1alpha1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/controller-runtime/pkg/client"

	platformv1alpha1 "github.com/docuflow/docuflow-operator/api/v1alpha1"
	ackcore "github.com/docuflow/docuflow-operator/internal/ack/core"
	rdsv1alpha1 "github.com/docuflow/docuflow-operator/internal/ack/rds/v1alpha1"
	"github.com/docuflow/docuflow-operator/internal/desired"
	"github.com/docuflow/docuflow-operator/internal/envtestutil"
)

func TestAnOperatorKilledMidCreationIsReplacedAndTheStackConvergesWithoutDuplicates(t *testing.T) {
	ns := newNamespace(t)
	first, key := halfCreatedStack(t, "first", ns)
	first.stop()
	startOperator(t, "second", ns)

	waitReady(t, key, 60*time.Second)
	assertExactlyTheDesiredChildren(t, key)
}

// halfCreatedStack starts an operator named name in ns and creates the
// sample stack with AWS slow to provision the database and the load
// balancer, and returns once part of the stack exists: the database created
// but not synced, the task definition still waiting on its secret.
func halfCreatedStack(t *testing.T, name, ns string, opts ...operatorOption) (*operator, client.ObjectKey) {
	t.Helper()
	resetSimAfter(t)
	sim.SetDelay("DBInstance", 4*time.Second)
	sim.SetDelay("LoadBalancer", 3*time.Second)
	op := startOperator(t, name, ns, opts...)
	key := createStack(t, sampleStack(t, ns))

	eventually(t, 30*time.Second, "the database created but not synced", func() error {
		kids := children(t, key)
		for k, o := range kids {
			if strings.HasPrefix(k, "DBInstance/") {
				if synced(o) {
					return fmt.Errorf("%s already synced", k)
				}
				return nil
			}
		}
		return fmt.Errorf("no DBInstance among %d children", len(kids))
	})
	if err := readyErr(getStack(t, key)); err == nil {
		t.Fatal("the stack is Ready while half created")
	}
	return op, key
}

// synced reports whether ACK says the object is in sync.
func synced(o ackcore.Object) bool {
	c := o.ACKStatus().Condition(ackv1alpha1.ConditionTypeResourceSynced)
	return c != nil && c.Status == corev1.ConditionTrue
}

func TestAnOperatorKilledMidDeletionIsReplacedAndRetainKeepsExactlyTheRetainedSet(t *testing.T) {
	resetSimAfter(t)
	ns := newNamespace(t)
	first := startOperator(t, "first", ns)
	stack := sampleStack(t, ns)
	if p := stack.Spec.Database.DeletionPolicy; p == nil || *p != platformv1alpha1.DeletionPolicyRetain {
		t.Fatalf("the sample's deletionPolicy is %v, want Retain", p)
	}
	key := createStack(t, stack)
	stack = waitReady(t, key, 60*time.Second)
	var db *rdsv1alpha1.DBInstance
	for _, o := range children(t, key) {
		if x, ok := o.(*rdsv1alpha1.DBInstance); ok {
			db = x
		}
	}
	if db == nil {
		t.Fatal("the stack has no DBInstance")
	}
	// ACK takes its time over the database, so the operator is killed while
	// the deletion waits on it.
	sim.SetDeletionDelay("DBInstance", 3*time.Second)
	if err := k8s.Delete(context.Background(), stack); err != nil {
		t.Fatal(err)
	}
	envtestutil.WaitDeleting(t, k8s, db, 30*time.Second) // the database wave under way
	first.stop()
	startOperator(t, "second", ns)

	eventually(t, 60*time.Second, "the stack gone", func() error {
		err := k8s.Get(context.Background(), key, &platformv1alpha1.DocuFlowStack{})
		if apierrors.IsNotFound(err) {
			return nil
		}
		return fmt.Errorf("the stack still exists (%w)", err)
	})
	if left := children(t, key); len(left) != 0 {
		t.Errorf("%d children left after the stack went: %v", len(left), keys(left))
	}

	var want, got []string
	for _, k := range desired.Retained(stack) {
		want = append(want, fmt.Sprintf("%s %s/%s", k.Kind, ns, k.Name))
	}
	for _, r := range sim.Retained() {
		if strings.Contains(r, " "+ns+"/") {
			got = append(got, r)
		}
	}
	slices.Sort(want)
	slices.Sort(got)
	if !slices.Equal(want, got) {
		t.Errorf("retained in AWS:\n got %v\nwant %v", got, want)
	}
	for _, d := range sim.Deleted() {
		if slices.Contains(want, d) {
			t.Errorf("%s was deleted from AWS although deletionPolicy Retain keeps it", d)
		}
	}
}

func keys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
