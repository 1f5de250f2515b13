package controllers

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	eventsv1 "k8s.io/api/events/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	"sigs.k8s.io/cli-utils/pkg/kstatus/status"
	"sigs.k8s.io/controller-runtime/pkg/client"

	platformv1alpha1 "github.com/docuflow/docuflow-operator/api/v1alpha1"
	"github.com/docuflow/docuflow-operator/internal/ack"
	"github.com/docuflow/docuflow-operator/internal/ack/core"
	rdsv1alpha1 "github.com/docuflow/docuflow-operator/internal/ack/rds/v1alpha1"
	"github.com/docuflow/docuflow-operator/internal/desired"
	"github.com/docuflow/docuflow-operator/internal/envtestutil"
)

// deletionOrder deletes the stack and watches its children go, returning the
// children in the order their deletion was first seen, until the stack itself
// is gone. The simulated ACK is slowed so that every wave is visible.
func deletionOrder(t *testing.T, key client.ObjectKey, onPoll func()) []string {
	t.Helper()
	stack := getStack(t, key)
	if !slices.Contains(stack.Finalizers, Finalizer) {
		t.Fatalf("the stack has no finalizer: %v", stack.Finalizers)
	}
	before := children(t, key)
	if err := k8s.Delete(context.Background(), stack); err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	var order []string
	deadline := time.Now().Add(90 * time.Second)
	for time.Now().Before(deadline) {
		now := children(t, key)
		for name := range before {
			obj, present := now[name]
			if (!present || !obj.GetDeletionTimestamp().IsZero()) && !seen[name] {
				seen[name] = true
				order = append(order, name)
			}
		}
		if onPoll != nil {
			onPoll()
		}
		err := k8s.Get(context.Background(), key, &platformv1alpha1.DocuFlowStack{})
		if apierrors.IsNotFound(err) {
			// Listed again: the poll above may predate the last deletions.
			now = children(t, key)
			for name := range before {
				if !seen[name] {
					seen[name] = true
					order = append(order, name)
				}
			}
			if len(now) != 0 {
				var left []string
				for n, o := range now {
					left = append(left, fmt.Sprintf("%s (owners %d, deleting %v)", n, len(o.GetOwnerReferences()), !o.GetDeletionTimestamp().IsZero()))
				}
				t.Fatalf("the stack went before its children: %v", left)
			}
			return order
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("the stack was not deleted within 90s; seen %d of %d children go", len(order), len(before))
	return nil
}

func slowDeletions(t *testing.T) {
	t.Helper()
	for _, k := range ack.Kinds() {
		sim.SetDeletionDelay(kindOf(k), 150*time.Millisecond)
	}
	t.Cleanup(func() {
		for _, k := range ack.Kinds() {
			sim.SetDeletionDelay(kindOf(k), 0)
		}
	})
}

// assertNothingRefused fails for every child of the stack whose deletion the
// simulated AWS refused because another resource still used it: the
// operator must never ask for one. The simulated AWS decides what is in use
// from the references and literal IDs in the children's specs, not from the
// operator's dependency graph.
func assertNothingRefused(t *testing.T, ns string, kids map[string]core.Object) {
	t.Helper()
	for name, o := range kids {
		if n := sim.AWS(kindOf(o), ns, o.GetName()).DeleteRefusals; n > 0 {
			t.Errorf("AWS refused to delete %s %d times: it was still in use", name, n)
		}
	}
}

func TestDeletionNeverAsksAWSToDeleteWhatIsStillInUseAndRetainsTheDatabase(t *testing.T) {
	ns := newNamespace(t)
	key := createStack(t, sampleStack(t, ns))
	stack := waitReady(t, key)
	kids := children(t, key)
	slowDeletions(t)
	log := watchDeletions(ns)

	var sawDeleting bool
	order := deletionOrder(t, key, func() {
		s := &platformv1alpha1.DocuFlowStack{}
		if err := k8s.Get(context.Background(), key, s); err == nil {
			if c := meta.FindStatusCondition(s.Status.Conditions, platformv1alpha1.ConditionDeleting); c != nil && c.Status == "True" {
				sawDeleting = true
				if !strings.Contains(c.Message, "children left in") || !strings.Contains(c.Message, "waiting for") {
					t.Errorf("Deleting message %q does not say what is left and what it waits on", c.Message)
				}
				// kstatus reports any object with a deletion timestamp as Terminating.
				assertKStatus(t, s, status.TerminatingStatus)
			}
		}
	})
	if !sawDeleting {
		t.Error("never saw Deleting=True")
	}
	for name := range kids {
		if !slices.Contains(order, name) {
			t.Errorf("%s was never seen going", name)
		}
	}
	assertNothingRefused(t, ns, kids)
	// Subnets go before the route tables they are associated with: AWS
	// refuses the route table otherwise, for ever.
	log.mu.Lock()
	at := map[string]int{}
	for i, n := range log.order {
		at[n] = i
	}
	log.mu.Unlock()
	for name, o := range kids {
		if kindOf(o) != "Subnet" {
			continue
		}
		for _, d := range desired.DependenciesOf(o) {
			if d.Kind == "RouteTable" && at[name] > at[d.String()] {
				t.Errorf("%s was deleted after its route table %s", name, d)
			}
		}
	}

	retained := map[string]bool{}
	for _, r := range sim.Retained() {
		retained[r] = true
	}
	for _, k := range desired.Retained(stack) {
		if !retained[fmt.Sprintf("%s %s/%s", k.Kind, ns, k.Name)] {
			t.Errorf("%s %s was not retained in AWS; retained: %v", k.Kind, k.Name, sim.Retained())
		}
	}
	for _, d := range sim.Deleted() {
		if strings.HasPrefix(d, "DBInstance "+ns+"/") || strings.HasPrefix(d, "VPC "+ns+"/") {
			t.Errorf("%s was deleted from AWS under deletionPolicy Retain", d)
		}
	}
	// The ECS service was held read-only; it must still be deleted in AWS,
	// not left there unmanaged.
	if !slices.Contains(sim.Deleted(), "Service "+ns+"/"+stack.Name+"-api") {
		t.Errorf("the ECS service was not deleted from AWS: %v", sim.Deleted())
	}
	assertRetainedEvent(t, ns, stack.Name)
}

// assertRetainedEvent finds the stack's last event listing the retained
// resources.
func assertRetainedEvent(t *testing.T, ns, name string) {
	t.Helper()
	eventually(t, 10*time.Second, "retained event", func() error {
		list := &eventsv1.EventList{}
		if err := k8s.List(context.Background(), list, client.InNamespace(ns)); err != nil {
			return err
		}
		for _, e := range list.Items {
			if e.Regarding.Name == name && e.Reason == "Retained" && strings.Contains(e.Note, "DBInstance "+name+"-db") && strings.Contains(e.Note, "VPC "+name+"-vpc") {
				return nil
			}
		}
		return fmt.Errorf("no Retained event listing the database and the VPC among %d events", len(list.Items))
	})
}

func TestDeletePolicySwitchesOffDeletionProtectionBeforeDeletingTheDatabase(t *testing.T) {
	ns := newNamespace(t)
	stack := sampleStack(t, ns)
	policy := platformv1alpha1.DeletionPolicyDelete
	stack.Spec.Database.DeletionPolicy = &policy
	key := createStack(t, stack)
	waitReady(t, key)
	db := only[*rdsv1alpha1.DBInstance](t, key)
	if db.Spec.DeletionProtection == nil || !*db.Spec.DeletionProtection {
		t.Fatalf("a production database starts without deletion protection")
	}
	slowDeletions(t)
	log := watchDeletions(ns)

	deletionOrder(t, key, nil)
	// The database as the API server had it when the operator deleted it.
	log.mu.Lock()
	at, checked := log.atDelete["DBInstance/"+db.Name].(*rdsv1alpha1.DBInstance)
	log.mu.Unlock()
	if !checked {
		t.Fatal("never saw the database being deleted")
	}
	if at.Spec.DeletionProtection == nil || *at.Spec.DeletionProtection {
		t.Errorf("the database was deleted with deletion protection still on")
	}
	if at.Annotations[desired.AnnotationSkipFinalSnapshot] != "true" {
		t.Errorf("skip-final-snapshot = %q under deletionPolicy Delete", at.Annotations[desired.AnnotationSkipFinalSnapshot])
	}
	if !slices.Contains(sim.Deleted(), "DBInstance "+ns+"/"+db.Name) {
		t.Errorf("the database was not deleted from AWS: %v", sim.Deleted())
	}
}

func TestARestartedOperatorFinishesADeletion(t *testing.T) {
	ns := newNamespace(t)
	key := createStack(t, sampleStack(t, ns))
	waitReady(t, key)
	db := only[*rdsv1alpha1.DBInstance](t, key)
	// The database takes its time, so the operator is restarted mid-deletion.
	sim.SetDeletionDelay("DBInstance", 3*time.Second)
	t.Cleanup(func() { sim.SetDeletionDelay("DBInstance", 0) })

	if err := k8s.Delete(context.Background(), getStack(t, key)); err != nil {
		t.Fatal(err)
	}
	envtestutil.WaitDeleting(t, k8s, db, 30*time.Second) // the database wave under way
	restartOperator(t)
	eventually(t, 60*time.Second, "the stack gone", func() error {
		err := k8s.Get(context.Background(), key, &platformv1alpha1.DocuFlowStack{})
		if apierrors.IsNotFound(err) {
			return nil
		}
		return fmt.Errorf("the stack still exists (%w)", err)
	})
	if left := children(t, key); len(left) != 0 {
		t.Errorf("%d children left after the stack went", len(left))
	}
}
