package controllers

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	platformv1alpha1 "github.com/docuflow/docuflow-operator/api/v1alpha1"
	iamv1alpha1 "github.com/docuflow/docuflow-operator/internal/ack/iam/v1alpha1"
	rdsv1alpha1 "github.com/docuflow/docuflow-operator/internal/ack/rds/v1alpha1"
	"github.com/docuflow/docuflow-operator/internal/desired"
)

// TestAGrantAddedToARoleIsRevoked: anyone who may edit ACK objects could
// attach a managed policy or add an inline one to the task role; server-side
// apply would leave both alone, since another writer owns them. The operator
// owns a role's grants whole and takes them away (security review M3).
func TestAGrantAddedToARoleIsRevoked(t *testing.T) {
	t.Parallel()
	ns := newNamespace(t)
	key := createStack(t, sampleStack(t, ns))
	waitReady(t, key)
	var role *iamv1alpha1.Role
	for _, o := range children(t, key) {
		if r, ok := o.(*iamv1alpha1.Role); ok && r.Spec.InlinePolicies["task-execution"] != nil {
			role = r
		}
	}
	if role == nil {
		t.Fatal("no task execution role")
	}

	patch := []byte(`{"spec":{"policies":["arn:aws:iam::aws:policy/AdministratorAccess"],"inlinePolicies":{"backdoor":"{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"*\",\"Resource\":\"*\"}]}"},"permissionsBoundary":"arn:aws:iam::123456789012:policy/open"}}`)
	if err := k8s.Patch(context.Background(), role, client.RawPatch(types.MergePatchType, patch), client.FieldOwner("intruder")); err != nil {
		t.Fatal(err)
	}
	eventually(t, 30*time.Second, "the added grants revoked", func() error {
		now := &iamv1alpha1.Role{}
		if err := k8s.Get(context.Background(), client.ObjectKeyFromObject(role), now); err != nil {
			return err
		}
		if len(now.Spec.Policies) > 0 || now.Spec.InlinePolicies["backdoor"] != nil || now.Spec.PermissionsBoundary != nil {
			return fmt.Errorf("policies %v, inline policies %d, boundary %v", now.Spec.Policies, len(now.Spec.InlinePolicies), now.Spec.PermissionsBoundary)
		}
		if now.Spec.InlinePolicies["task-execution"] == nil {
			return fmt.Errorf("the stack's own inline policy went too")
		}
		return nil
	})
	if _, what := desired.ForeignGrants(role, role); what != "" {
		t.Errorf("a role grants beyond itself: %s", what)
	}
	waitReady(t, key)
}

// TestDroppingTheAWSNamesRecordRenamesNothing: a tool that replaces whole
// objects (kubectl replace, Argo CD's Replace=true) drops the annotation the
// operator recorded the stack's AWS name scope in. The operator reads the
// scope back from the children, not from its installation ID, so no AWS
// name changes (a rename would replace the database).
func TestDroppingTheAWSNamesRecordRenamesNothing(t *testing.T) {
	t.Parallel()
	ns := newNamespace(t)
	key := createStack(t, sampleStack(t, ns))
	waitReady(t, key)
	recorded := getStack(t, key).Annotations[desired.AnnotationAWSNames]
	if recorded == "" || recorded == desired.AWSNamesLegacy {
		t.Fatalf("a new stack recorded AWS names %q, want its scope", recorded)
	}
	db := only[*rdsv1alpha1.DBInstance](t, key)

	drop := []byte(`{"metadata":{"annotations":{"` + desired.AnnotationAWSNames + `":null}}}`)
	if err := k8s.Patch(context.Background(), getStack(t, key), client.RawPatch(types.MergePatchType, drop)); err != nil {
		t.Fatal(err)
	}
	eventually(t, 30*time.Second, "the record written back", func() error {
		if got, ok := getStack(t, key).Annotations[desired.AnnotationAWSNames]; !ok || got != recorded {
			return fmt.Errorf("annotation %q (present %t), want %q", got, ok, recorded)
		}
		return nil
	})
	if now := only[*rdsv1alpha1.DBInstance](t, key); *now.Spec.DBInstanceIdentifier != *db.Spec.DBInstanceIdentifier {
		t.Errorf("the database was renamed from %s to %s", *db.Spec.DBInstanceIdentifier, *now.Spec.DBInstanceIdentifier)
	}
	waitReady(t, key)
}

// TestAnEditAfterTheDeletionStartedCannotDestroyTheDatabase: a production
// stack with deletionPolicy Retain is deleted, and its policy edited to
// Delete (confirmed) while the deletion runs. The deletion follows the policy
// it started with: the database is released with its protection on and its
// final snapshot asked for, never switched to "skip the snapshot, drop the
// backups" (security review M1).
func TestAnEditAfterTheDeletionStartedCannotDestroyTheDatabase(t *testing.T) {
	key, db := readyStackWithPolicy(t, platformv1alpha1.DeletionPolicyRetain)
	ns := key.Namespace
	slowDeletions(t)
	log := watchDeletions(ns)

	edited := false
	deletionOrder(t, key, func() {
		s := &platformv1alpha1.DocuFlowStack{}
		if edited || k8s.Get(context.Background(), key, s) != nil || s.DeletionTimestamp.IsZero() {
			return
		}
		patch := []byte(`{"spec":{"database":{"deletionPolicy":"Delete","confirmDataDeletion":"` + key.Name + `"}}}`)
		if err := k8s.Patch(context.Background(), s, client.RawPatch(types.MergePatchType, patch)); err != nil {
			t.Errorf("editing the deletion policy: %v", err)
		}
		edited = true
	})
	if !edited {
		t.Fatal("the stack was never seen deleting")
	}
	requireReleasedWithProtection(t, log, ns, db.Name, "after the edit")
}

// TestAForgedDeletionRecordCannotDestroyTheDatabase: the record of the policy
// a deletion follows is an annotation on the stack, which a tenant who may
// edit the stack can write too. Forged to Delete on a production stack with
// deletionPolicy Retain before the stack is deleted, it must not make the
// deletion destroy the database: while the database child exists, its own
// record bounds the stack's.
func TestAForgedDeletionRecordCannotDestroyTheDatabase(t *testing.T) {
	key, db := readyStackWithPolicy(t, platformv1alpha1.DeletionPolicyRetain)
	ns := key.Namespace
	slowDeletions(t)
	log := watchDeletions(ns)

	s := &platformv1alpha1.DocuFlowStack{}
	if err := k8s.Get(context.Background(), key, s); err != nil {
		t.Fatal(err)
	}
	forged := []byte(`{"metadata":{"annotations":{"platform.docuflow.io/deleting-with-policy":"Delete"}}}`)
	if err := k8s.Patch(context.Background(), s, client.RawPatch(types.MergePatchType, forged)); err != nil {
		t.Fatalf("forging the deletion record: %v", err)
	}
	deletionOrder(t, key, func() {})
	requireReleasedWithProtection(t, log, ns, db.Name, "with a forged record")
}

// requireReleasedWithProtection fails unless the database child was released
// (ACK told to retain it) with its protection on and its final snapshot and
// backups kept, and never deleted from AWS.
func requireReleasedWithProtection(t *testing.T, log *deletionLog, ns, db, when string) {
	t.Helper()
	log.mu.Lock()
	at, seen := log.atDelete["DBInstance/"+db].(*rdsv1alpha1.DBInstance)
	log.mu.Unlock()
	if !seen {
		t.Fatal("never saw the database being released")
	}
	if at.Spec.DeletionProtection == nil || !*at.Spec.DeletionProtection {
		t.Errorf("the database's deletion protection was switched off %s", when)
	}
	for k, want := range map[string]string{desired.AnnotationSkipFinalSnapshot: "false", desired.AnnotationDeletionPolicy: "retain"} {
		if got := at.Annotations[k]; got != want {
			t.Errorf("%s = %q %s, want %q", k, got, when, want)
		}
	}
	if v, ok := at.Annotations[desired.AnnotationDeleteAutomatedBackups]; ok && v != "false" {
		t.Errorf("%s = %q %s", desired.AnnotationDeleteAutomatedBackups, v, when)
	}
	if slices.Contains(sim.Deleted(), "DBInstance "+ns+"/"+db) {
		t.Errorf("the database was deleted from AWS %s", when)
	}
}
