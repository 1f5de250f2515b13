package reliability

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	platformv1alpha1 "github.com/docuflow/docuflow-operator/api/v1alpha1"
	rdsv1alpha1 "github.com/docuflow/docuflow-operator/internal/ack/rds/v1alpha1"
	"github.com/docuflow/docuflow-operator/internal/desired"
)

// childName returns the name the builders give the stack's only child of
// type T (gate probes aside), from a rendering with nothing observed yet but
// the gate probes' answers.
func childName[T any](t *testing.T, stack *platformv1alpha1.DocuFlowStack) string {
	t.Helper()
	r, err := desired.Build(stack, desired.Observed{ELBv2IgnoreFieldDrift: desired.GateOn, RDSIgnoreFieldDrift: desired.GateOn})
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range r.Objects {
		if _, probe := desired.IsProbe(o); probe {
			continue
		}
		if _, ok := any(o).(T); ok {
			return o.GetName()
		}
	}
	var zero T
	t.Fatalf("the stack renders no %T", zero)
	return ""
}

// assertNotStalled fails when the stack says it is Stalled.
func assertNotStalled(stack *platformv1alpha1.DocuFlowStack) error {
	if c := meta.FindStatusCondition(stack.Status.Conditions, platformv1alpha1.ConditionStalled); c != nil && c.Status == metav1.ConditionTrue {
		return fmt.Errorf("Stalled=True: %s", c.Message)
	}
	return nil
}

func TestARecoverableChildMakesTheStackNotReadyUntilItRecovers(t *testing.T) {
	resetSimAfter(t)
	ns := newNamespace(t)
	startOperator(t, "operator", ns)
	stack := sampleStack(t, ns)
	key := createStack(t, stack)
	waitReady(t, key, 60*time.Second)
	db := childName[*rdsv1alpha1.DBInstance](t, stack)

	sim.SetRecoverable("DBInstance", ns, db, "Throttling: Rate exceeded")
	eventually(t, 30*time.Second, "Ready=False naming the database", func() error {
		s := getStack(t, key)
		c := meta.FindStatusCondition(s.Status.Conditions, platformv1alpha1.ConditionReady)
		if c == nil || c.Status != metav1.ConditionFalse {
			return fmt.Errorf("Ready=%+v", c)
		}
		if c.Reason != platformv1alpha1.ReasonRecoverable || !strings.Contains(c.Message, "DBInstance "+db) {
			return fmt.Errorf("Ready reason %q message %q: want reason Recoverable naming DBInstance %s", c.Reason, c.Message, db)
		}
		return assertNotStalled(s)
	})
	if err := assertNotStalled(getStack(t, key)); err != nil {
		t.Error(err)
	}

	sim.ClearFault("DBInstance", ns, db)
	waitReady(t, key, 30*time.Second)
}

func TestAChildThatNeverSyncsHoldsTheStackBackWithoutStallingIt(t *testing.T) {
	resetSimAfter(t)
	ns := newNamespace(t)
	stack := sampleStack(t, ns)
	db := childName[*rdsv1alpha1.DBInstance](t, stack)
	// AWS creates the database but it never becomes available.
	sim.SetNeverSync("DBInstance", ns, db)
	startOperator(t, "operator", ns)
	key := createStack(t, stack)

	eventually(t, 30*time.Second, "DatabaseReady=False naming the database", func() error {
		if !childExists(t, ns, db) {
			return fmt.Errorf("DBInstance %s not created yet", db)
		}
		s := getStack(t, key)
		if err := readyErr(s); err == nil {
			return fmt.Errorf("the stack is Ready with a database that never synced")
		}
		c := meta.FindStatusCondition(s.Status.Conditions, platformv1alpha1.ConditionDatabaseReady)
		if c == nil || c.Status != metav1.ConditionFalse || !strings.Contains(c.Message, "DBInstance "+db) {
			return fmt.Errorf("DatabaseReady=%+v, want False naming DBInstance %s", c, db)
		}
		return assertNotStalled(s)
	})
	// Everything else converges meanwhile; the stack still waits, unstalled.
	s := getStack(t, key)
	if err := readyErr(s); err == nil {
		t.Fatal("the stack is Ready with a database that never synced")
	}
	if err := assertNotStalled(s); err != nil {
		t.Error(err)
	}

	sim.ClearFault("DBInstance", ns, db)
	waitReady(t, key, 60*time.Second)
}

// childExists reports whether the DBInstance exists.
func childExists(t *testing.T, ns, name string) bool {
	t.Helper()
	err := k8s.Get(context.Background(), clientKey(ns, name), &rdsv1alpha1.DBInstance{})
	if err != nil && !apierrors.IsNotFound(err) {
		t.Fatal(err)
	}
	return err == nil
}

func TestASlowDeletionIsNamedAndTheStatusKeepsMoving(t *testing.T) {
	resetSimAfter(t)
	ns := newNamespace(t)
	startOperator(t, "operator", ns)
	stack := sampleStack(t, ns)
	key := createStack(t, stack)
	stack = waitReady(t, key, 60*time.Second)
	db := childName[*rdsv1alpha1.DBInstance](t, stack)

	sim.SetDeletionDelay("DBInstance", 3*time.Second)
	if err := k8s.Delete(context.Background(), stack); err != nil {
		t.Fatal(err)
	}
	// Every Deleting message seen until the stack is gone, in order.
	var messages []string
	var namedDB bool
	eventually(t, 60*time.Second, "the stack gone", func() error {
		s := &platformv1alpha1.DocuFlowStack{}
		err := k8s.Get(context.Background(), key, s)
		if apierrors.IsNotFound(err) {
			return nil
		}
		if err != nil {
			return err
		}
		if c := meta.FindStatusCondition(s.Status.Conditions, platformv1alpha1.ConditionDeleting); c != nil && c.Status == metav1.ConditionTrue {
			if len(messages) == 0 || messages[len(messages)-1] != c.Message {
				messages = append(messages, c.Message)
			}
			if strings.Contains(c.Message, "DBInstance "+db) {
				namedDB = true
			}
		}
		return fmt.Errorf("the stack still exists")
	})
	if !namedDB {
		t.Errorf("no Deleting message named DBInstance %s while ACK took 3s over it: %q", db, messages)
	}
	if len(messages) < 2 {
		t.Errorf("the Deleting message never changed during the deletion: %q", messages)
	}
}
