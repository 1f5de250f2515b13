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
	assertRetainedEvent(t, stack)
}

// assertRetainedEvent finds the stack's event listing the resources
// deletionPolicy Retain kept: every one desired.Retained names.
func assertRetainedEvent(t *testing.T, stack *platformv1alpha1.DocuFlowStack) {
	t.Helper()
	eventually(t, 10*time.Second, "retained event", func() error {
		list := &eventsv1.EventList{}
		if err := k8s.List(context.Background(), list, client.InNamespace(stack.Namespace)); err != nil {
			return err
		}
		for _, e := range list.Items {
			if e.Regarding.Name != stack.Name || e.Reason != "Retained" {
				continue
			}
			var missing []string
			for _, k := range desired.Retained(stack) {
				if !strings.Contains(e.Note, k.Kind+" "+k.Name) {
					missing = append(missing, k.Kind+" "+k.Name)
				}
			}
			if len(missing) > 0 {
				return fmt.Errorf("the Retained event leaves out %v: %s", missing, e.Note)
			}
			return nil
		}
		return fmt.Errorf("no Retained event among %d events", len(list.Items))
	})
}

// readyStackWithPolicy creates the sample stack with the database's deletion
// policy in a namespace of its own and waits until it is ready.
func readyStackWithPolicy(t *testing.T, policy platformv1alpha1.DeletionPolicy) (client.ObjectKey, *rdsv1alpha1.DBInstance) {
	t.Helper()
	stack := sampleStack(t, newNamespace(t))
	stack.Spec.Database.DeletionPolicy = &policy
	key := createStack(t, stack)
	waitReady(t, key)
	return key, only[*rdsv1alpha1.DBInstance](t, key)
}

func TestDeletePolicySwitchesOffDeletionProtectionBeforeDeletingTheDatabase(t *testing.T) {
	key, db := readyStackWithPolicy(t, platformv1alpha1.DeletionPolicyDelete)
	ns := key.Namespace
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
	stack := waitReady(t, key)
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
	// The children released before the restart are in the status, not in
	// the memory of the operator that released them.
	assertRetainedEvent(t, stack)
}

// waveSince is the start of the deletion wave the stack's Deleting
// condition reports, when that wave includes the database.
func waveSince(stack *platformv1alpha1.DocuFlowStack, db string) (string, bool) {
	c := meta.FindStatusCondition(stack.Status.Conditions, platformv1alpha1.ConditionDeleting)
	if c == nil || !strings.Contains(c.Message, "DBInstance "+db) {
		return "", false
	}
	_, rest, ok := strings.Cut(c.Message, "this wave since ")
	const layout = "2006-01-02T15:04:05Z"
	if !ok || len(rest) < len(layout) {
		return "", false
	}
	return rest[:len(layout)], true
}

// TestARestartedOperatorReportsTheSameWaveStart restarts the operator in the
// middle of the database's deletion wave. The wave began when the operator
// switched off the database's deletion protection, seconds before it asked
// for the deletion; a successor that kept that start in memory, or read it
// from the deletion requests, would report a later one.
func TestARestartedOperatorReportsTheSameWaveStart(t *testing.T) {
	key, db := readyStackWithPolicy(t, platformv1alpha1.DeletionPolicySnapshot)
	// The deletion is asked for 2 s after ACK reports deletion protection
	// switched off, which takes it 3 s; the deletion takes 6 s.
	withDeletionGrace(t, 2*time.Second)
	sim.SetDelay("DBInstance", 3*time.Second)
	sim.SetDeletionDelay("DBInstance", 6*time.Second)
	t.Cleanup(func() {
		sim.SetDelay("DBInstance", 0)
		sim.SetDeletionDelay("DBInstance", 0)
	})

	if err := k8s.Delete(context.Background(), getStack(t, key)); err != nil {
		t.Fatal(err)
	}
	var before string
	eventually(t, 60*time.Second, "the database's wave reported", func() error {
		since, ok := waveSince(getStack(t, key), db.Name)
		if !ok {
			return fmt.Errorf("the Deleting condition does not name DBInstance %s yet", db.Name)
		}
		before = since
		return nil
	})
	envtestutil.WaitDeleting(t, k8s, db, 30*time.Second)
	// The premise: the wave started before the deletion was asked for.
	if err := k8s.Get(context.Background(), client.ObjectKeyFromObject(db), db); err != nil {
		t.Fatal(err)
	}
	if start, _ := time.Parse(time.RFC3339, before); !db.DeletionTimestamp.After(start) {
		t.Fatalf("the database's deletion was asked for at %s, not after its wave started (%s): the test cannot tell a wave start read from deletion requests", db.DeletionTimestamp.UTC().Format(time.RFC3339), before)
	}
	restartOperator(t)

	seen := 0
	eventually(t, 60*time.Second, "the stack gone", func() error {
		stack := &platformv1alpha1.DocuFlowStack{}
		err := k8s.Get(context.Background(), key, stack)
		if apierrors.IsNotFound(err) {
			return nil
		}
		if err != nil {
			return err
		}
		if since, ok := waveSince(stack, db.Name); ok {
			seen++
			if since != before {
				t.Fatalf("the restarted operator reports the database's wave since %s; the one before it said %s", since, before)
			}
		}
		return fmt.Errorf("the stack still exists")
	})
	if seen == 0 {
		t.Fatal("never saw the database's wave after the restart")
	}
	t.Logf("the database's wave since %s, before and after the restart (%d reads after it)", before, seen)
}
