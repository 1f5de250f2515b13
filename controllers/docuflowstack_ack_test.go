package controllers

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	"sigs.k8s.io/controller-runtime/pkg/client"

	platformv1alpha1 "github.com/docuflow/docuflow-operator/api/v1alpha1"
	ecsv1alpha1 "github.com/docuflow/docuflow-operator/internal/ack/ecs/v1alpha1"
	elbv2v1alpha1 "github.com/docuflow/docuflow-operator/internal/ack/elbv2/v1alpha1"
	rdsv1alpha1 "github.com/docuflow/docuflow-operator/internal/ack/rds/v1alpha1"
	"github.com/docuflow/docuflow-operator/internal/desired"
)

// These tests hold the operator to what the real ACK controllers do, which
// the simulated ACK now plays: it writes AWS's answer back into the spec,
// resets what differs from the spec at every reconcile unless the object is
// read-only, and refuses a Terminal retry without a spec change.

// update changes the stack with f and writes it.
func update(t *testing.T, key client.ObjectKey, f func(*platformv1alpha1.DocuFlowStack)) {
	t.Helper()
	stack := getStack(t, key)
	f(stack)
	if err := k8s.Update(context.Background(), stack); err != nil {
		t.Fatal(err)
	}
}

// resyncAll makes every child's controller reconcile it, as ACK's periodic
// resync does, twice.
func resyncAll(t *testing.T, key client.ObjectKey) {
	t.Helper()
	for range 2 {
		for _, o := range children(t, key) {
			sim.Resync(kindOf(o), key.Namespace, o.GetName())
		}
		time.Sleep(300 * time.Millisecond)
	}
}

func TestTheTaskCountTheAutoscalerChoseSurvivesResyncsAndAnImageChange(t *testing.T) {
	t.Parallel()
	ns := newNamespace(t)
	key := createStack(t, sampleStack(t, ns))
	waitReady(t, key)
	svc := only[*ecsv1alpha1.Service](t, key)
	eventually(t, 20*time.Second, "the service held read-only", func() error {
		svc = only[*ecsv1alpha1.Service](t, key)
		if svc.Annotations[desired.AnnotationReadOnly] != "true" {
			return fmt.Errorf("annotations %v", svc.Annotations)
		}
		return nil
	})

	// Application Auto Scaling scales out behind ACK's back.
	sim.ScaleService(ns, svc.Name, 7)
	resyncAll(t, key)
	if got := sim.AWS("Service", ns, svc.Name).DesiredCount; got != 7 {
		t.Fatalf("after two resyncs the service runs %d tasks, want the 7 the autoscaler chose", got)
	}

	// A deliberate change carries the count ECS runs now.
	oldTD := *svc.Spec.TaskDefinition
	update(t, key, func(s *platformv1alpha1.DocuFlowStack) { s.Spec.Service.Image = "public.ecr.aws/docuflow/api:1.5.0" })
	eventually(t, 30*time.Second, "the new task definition deployed and the hold back on", func() error {
		aws := sim.AWS("Service", ns, svc.Name)
		if aws.TaskDefinition == oldTD || aws.TaskDefinition == "" {
			return fmt.Errorf("ECS still runs %s", aws.TaskDefinition)
		}
		if aws.DesiredCount != 7 {
			return fmt.Errorf("the deployment set the service to %d tasks, want 7", aws.DesiredCount)
		}
		now := only[*ecsv1alpha1.Service](t, key)
		if now.Annotations[desired.AnnotationReadOnly] != "true" {
			return fmt.Errorf("the service is not held read-only again")
		}
		return nil
	})
	sim.ScaleService(ns, svc.Name, 4)
	resyncAll(t, key)
	if got := sim.AWS("Service", ns, svc.Name).DesiredCount; got != 4 {
		t.Errorf("after the image change, a resync set the service to %d tasks, want the autoscaler's 4", got)
	}
}

func TestACircuitBreakerRollbackIsReportedAndNotUndone(t *testing.T) {
	t.Parallel()
	ns := newNamespace(t)
	key := createStack(t, sampleStack(t, ns))
	waitReady(t, key)
	first := *only[*ecsv1alpha1.Service](t, key).Spec.TaskDefinition
	update(t, key, func(s *platformv1alpha1.DocuFlowStack) { s.Spec.Service.Image = "public.ecr.aws/docuflow/api:1.5.0" })
	var svc *ecsv1alpha1.Service
	eventually(t, 30*time.Second, "the new revision deployed and held", func() error {
		svc = only[*ecsv1alpha1.Service](t, key)
		if *svc.Spec.TaskDefinition == first || svc.Annotations[desired.AnnotationReadOnly] != "true" {
			return fmt.Errorf("service on %s, annotations %v", *svc.Spec.TaskDefinition, svc.Annotations)
		}
		return nil
	})

	// The new tasks fail; ECS's circuit breaker rolls back to the first.
	sim.RollBack(ns, svc.Name, first)
	resyncAll(t, key)
	if got := sim.AWS("Service", ns, svc.Name).TaskDefinition; got != first {
		t.Fatalf("after resyncs ECS runs %s: the rollback to %s was undone", got, first)
	}
	eventually(t, 20*time.Second, "RolledBack=True", func() error {
		stack := getStack(t, key)
		if c := meta.FindStatusCondition(stack.Status.Conditions, platformv1alpha1.ConditionRolledBack); c == nil || c.Status != "True" {
			return fmt.Errorf("RolledBack = %+v", c)
		}
		return nil
	})
}

func TestAVolumeGrownByRDSIsNeverShrunk(t *testing.T) {
	t.Parallel()
	ns := newNamespace(t)
	key := createStack(t, sampleStack(t, ns))
	waitReady(t, key)
	db := only[*rdsv1alpha1.DBInstance](t, key)
	if db.Annotations[desired.AnnotationIgnoreFieldDrift] != "spec.allocatedStorage" {
		t.Fatalf("the database does not ignore the drift of its storage: %v", db.Annotations)
	}
	sim.GrowStorage(ns, db.Name, 180)
	// A change of the database's spec makes the rds controller update it.
	update(t, key, func(s *platformv1alpha1.DocuFlowStack) { s.Spec.Database.BackupRetentionDays = ptrTo(int32(21)) })
	eventually(t, 30*time.Second, "the database updated", func() error {
		now := only[*rdsv1alpha1.DBInstance](t, key)
		if *now.Spec.BackupRetentionPeriod != 21 {
			return fmt.Errorf("backupRetentionPeriod %d", *now.Spec.BackupRetentionPeriod)
		}
		return nil
	})
	resyncAll(t, key)
	stack := waitReady(t, key)
	if meta.IsStatusConditionTrue(stack.Status.Conditions, platformv1alpha1.ConditionStalled) {
		t.Fatal("the stack stalled")
	}
	if got := sim.AWS("DBInstance", ns, db.Name).AllocatedStorage; got != 180 {
		t.Errorf("the volume is %d GiB, want the 180 RDS grew it to", got)
	}
}

func TestWithoutTheELBv2GateTheTargetGroupIsNotCreatedAndTheStackSaysWhy(t *testing.T) {
	sim.SetIgnoreFieldDrift("elbv2.services.k8s.aws", false)
	t.Cleanup(func() { sim.SetIgnoreFieldDrift("elbv2.services.k8s.aws", true) })
	ns := newNamespace(t)
	key := createStack(t, sampleStack(t, ns))
	eventually(t, 30*time.Second, "Stalled naming the gate", func() error {
		stack := getStack(t, key)
		c := meta.FindStatusCondition(stack.Status.Conditions, platformv1alpha1.ConditionStalled)
		if c == nil || c.Status != "True" || !strings.Contains(c.Message, "IgnoreFieldDrift") || !strings.Contains(c.Message, "elbv2") {
			return fmt.Errorf("Stalled = %+v", c)
		}
		return nil
	})
	for _, o := range children(t, key) {
		if tg, ok := o.(*elbv2v1alpha1.TargetGroup); ok {
			if _, probe := desired.IsProbe(tg); !probe {
				t.Errorf("TargetGroup %s was created without the gate", tg.Name)
			}
		}
	}
}

func TestSwitchingAwayFromRetainTakesTheRetainAnnotationOff(t *testing.T) {
	t.Parallel()
	ns := newNamespace(t)
	key := createStack(t, sampleStack(t, ns))
	waitReady(t, key)
	retained := 0
	for _, o := range children(t, key) {
		if _, probe := desired.IsProbe(o); !probe && o.GetAnnotations()[desired.AnnotationDeletionPolicy] == "retain" {
			retained++
		}
	}
	if retained == 0 {
		t.Fatal("no child carries the retain annotation under Retain")
	}
	update(t, key, func(s *platformv1alpha1.DocuFlowStack) {
		p := platformv1alpha1.DeletionPolicySnapshot
		s.Spec.Database.DeletionPolicy = &p
	})
	eventually(t, 30*time.Second, "no child retained", func() error {
		for name, o := range children(t, key) {
			if _, probe := desired.IsProbe(o); probe {
				continue
			}
			if o.GetAnnotations()[desired.AnnotationDeletionPolicy] == "retain" {
				return fmt.Errorf("%s still carries the retain annotation", name)
			}
		}
		return nil
	})
	db := only[*rdsv1alpha1.DBInstance](t, key)
	stack := getStack(t, key)
	want := desired.FinalSnapshotIdentifier(stack, *db.Spec.DBInstanceIdentifier)
	if got := db.Annotations[desired.AnnotationFinalSnapshotIdentifier]; got != want || !strings.Contains(got, "-final-") {
		t.Errorf("final snapshot %q, want %q, named for this stack", got, want)
	}
}

func ptrTo[T any](v T) *T { return &v }
