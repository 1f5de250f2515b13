package writecheck

import (
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/utils/ptr"

	rdsv1alpha1 "github.com/docuflow/docuflow-operator/internal/ack/rds/v1alpha1"
)

// db is a DBInstance as the operator renders it, with hash h.
func db(h string) *rdsv1alpha1.DBInstance {
	return &rdsv1alpha1.DBInstance{
		ObjectMeta: metav1.ObjectMeta{Name: "prod-db", Namespace: "team", Annotations: map[string]string{AnnotationAppliedHash: h}},
		Spec: rdsv1alpha1.DBInstanceSpec{
			DBInstanceIdentifier: ptr.To("prod-db"),
			PubliclyAccessible:   ptr.To(false),
			AllocatedStorage:     ptr.To(int64(50)),
		},
	}
}

// entry is a managed-fields entry of manager over fields (FieldsV1 JSON).
func entry(manager, subresource, fields string) metav1.ManagedFieldsEntry {
	op := metav1.ManagedFieldsOperationUpdate
	if manager == FieldManager {
		op = metav1.ManagedFieldsOperationApply
	}
	return metav1.ManagedFieldsEntry{Manager: manager, Operation: op, APIVersion: "rds.services.k8s.aws/v1alpha1", FieldsType: "FieldsV1",
		Subresource: subresource, FieldsV1: metav1.NewFieldsV1(fields)}
}

// ackEntries are what the rds controller leaves: its finalizer, a spec
// write-back and its status.
func ackEntries(manager string) []metav1.ManagedFieldsEntry {
	return []metav1.ManagedFieldsEntry{
		entry(FieldManager, "", `{"f:metadata":{"f:annotations":{"f:platform.docuflow.io/applied-hash":{}}},"f:spec":{"f:allocatedStorage":{},"f:dbInstanceIdentifier":{},"f:publiclyAccessible":{}}}`),
		entry(manager, "", `{"f:metadata":{"f:finalizers":{".":{},"v:\"finalizers.rds.services.k8s.aws/DBInstance\"":{}}},"f:spec":{"f:allocatedStorage":{},"f:caCertificateIdentifier":{}}}`),
		entry(manager, "status", `{"f:status":{"f:conditions":{}}}`),
	}
}

func TestNeedsWrite(t *testing.T) {
	withFields := func(o *rdsv1alpha1.DBInstance, entries ...metav1.ManagedFieldsEntry) *rdsv1alpha1.DBInstance {
		o.ManagedFields = entries
		return o
	}
	readOnly := func(o *rdsv1alpha1.DBInstance) *rdsv1alpha1.DBInstance {
		o.Annotations[AnnotationReadOnly] = "true"
		return o
	}
	tests := []struct {
		name string
		want *rdsv1alpha1.DBInstance
		live *rdsv1alpha1.DBInstance
		need bool
		why  Why
	}{
		{"a missing child is written", db("h1"), nil, true, Missing},
		{"a child whose render hashes the same is left alone", db("h1"), db("h1"), false, ""},
		{"a child whose render changed is written", db("h2"), db("h1"), true, Changed},
		{"a child whose render changed is written even when nothing else did", db("h2"), withFields(db("h1"), ackEntries("controller")...), true, Changed},
		{"ACK writing AWS's answer back into fields the operator sets is no reason to write",
			db("h1"), withFields(func() *rdsv1alpha1.DBInstance { o := db("h1"); o.Spec.AllocatedStorage = ptr.To(int64(80)); return o }(), ackEntries("rds-controller")...), false, ""},
		{"switching ACK's read-only hold on is a write", readOnly(db("h1")), db("h1"), true, Hold},
		{"switching ACK's read-only hold off is a write", db("h1"), readOnly(db("h1")), true, Hold},
		{"a hand edit of a field the operator sets is put back",
			db("h1"), withFields(db("h1"), append(ackEntries("controller"), entry("kubectl-edit", "", `{"f:spec":{"f:publiclyAccessible":{}}}`))...), true, Edited},
		{"a hand edit of one of the operator's annotations is put back",
			db("h1"), withFields(db("h1"), entry("kubectl-annotate", "", `{"f:metadata":{"f:annotations":{"f:platform.docuflow.io/applied-hash":{}}}}`)), true, Edited},
		{"a hand edit of a field the operator does not set is left alone",
			db("h1"), withFields(db("h1"), entry("kubectl-edit", "", `{"f:spec":{"f:preferredBackupWindow":{}},"f:metadata":{"f:labels":{"f:team":{}}}}`)), false, ""},
		{"another writer's owner reference is left alone",
			db("h1"), withFields(db("h1"), entry("other-controller", "", `{"f:metadata":{"f:ownerReferences":{"k:{\"uid\":\"1\"}":{}}}}`)), false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			need, why := NeedsWrite(tt.want, nil)
			if tt.live != nil {
				need, why = NeedsWrite(tt.want, tt.live)
			}
			if need != tt.need || why != tt.why {
				t.Errorf("NeedsWrite = %v, %q; want %v, %q", need, why, tt.need, tt.why)
			}
		})
	}
}

func TestStripManagedFieldsKeepsOnlyOtherWriters(t *testing.T) {
	o := db("h1")
	o.ManagedFields = append(ackEntries("controller"),
		entry(DeletionFieldManager, "", `{"f:metadata":{"f:annotations":{"f:services.k8s.aws/deletion-policy":{}}}}`),
		entry("kubectl-edit", "", `{"f:spec":{"f:publiclyAccessible":{}}}`))
	if _, err := StripManagedFields(o); err != nil {
		t.Fatal(err)
	}
	if len(o.ManagedFields) != 1 || o.ManagedFields[0].Manager != "kubectl-edit" {
		t.Fatalf("kept %+v, want only kubectl-edit's entry", o.ManagedFields)
	}
	// The hand edit is still found on the stripped object.
	if need, why := NeedsWrite(db("h1"), o); !need || why != Edited {
		t.Errorf("after stripping, NeedsWrite = %v, %q; want true, %q", need, why, Edited)
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
