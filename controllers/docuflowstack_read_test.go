package controllers

import (
	"context"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	platformv1alpha1 "github.com/docuflow/docuflow-operator/api/v1alpha1"
)

// countingReader counts the reads that reach the API server.
type countingReader struct {
	client.Reader
	gets int
}

func (c *countingReader) Get(ctx context.Context, key client.ObjectKey, obj client.Object, opts ...client.GetOption) error {
	c.gets++
	return c.Reader.Get(ctx, key, obj, opts...)
}

// cacheCopy stands for the cache: it holds one stack, as given.
type cacheCopy struct {
	client.Client
	stack *platformv1alpha1.DocuFlowStack
}

func (c cacheCopy) Get(_ context.Context, _ client.ObjectKey, obj client.Object, _ ...client.GetOption) error {
	c.stack.DeepCopyInto(obj.(*platformv1alpha1.DocuFlowStack))
	return nil
}

// TestAPassReadsItsStackFromTheAPIServerOnlyWhenTheCacheMayLag holds
// readStack to its rule: the cache's copy serves while it holds the
// operator's last write (or nothing was written since the operator
// started); a copy at another resourceVersion, or one whose status another
// writer updated, is read again from the API server.
func TestAPassReadsItsStackFromTheAPIServerOnlyWhenTheCacheMayLag(t *testing.T) {
	key := types.NamespacedName{Namespace: "team", Name: "prod"}
	stackAt := func(rv, tasks string, status ...metav1.ManagedFieldsEntry) *platformv1alpha1.DocuFlowStack {
		s := &platformv1alpha1.DocuFlowStack{ObjectMeta: metav1.ObjectMeta{Namespace: key.Namespace, Name: key.Name, ResourceVersion: rv, ManagedFields: status}}
		s.Status.Tasks = tasks
		return s
	}
	foreign := metav1.ManagedFieldsEntry{Manager: "kubectl-edit", Operation: metav1.ManagedFieldsOperationUpdate, Subresource: "status", APIVersion: platformv1alpha1.GroupVersion.String(), FieldsType: "FieldsV1", FieldsV1: metav1.NewFieldsV1(`{"f:status":{"f:tasks":{}}}`)}
	tests := []struct {
		name      string
		cached    *platformv1alpha1.DocuFlowStack
		written   string
		wantTasks string
		wantGets  int
	}{
		{"nothing written since the start: the cache", stackAt("7", "cache"), "", "cache", 0},
		{"the cache holds the operator's last write", stackAt("7", "cache"), "7", "cache", 0},
		{"the cache lags the operator's last write", stackAt("6", "cache"), "7", "api", 1},
		{"another writer updated the status", stackAt("7", "cache", foreign), "7", "api", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cache := cacheCopy{stack: tt.cached}
			api := &countingReader{Reader: fake.NewClientBuilder().WithScheme(testScheme).WithObjects(stackAt("", "api")).Build()}
			r := &DocuFlowStackReconciler{Client: cache, APIReader: api}
			if tt.written != "" {
				r.written.Store(key, tt.written)
			}
			got := &platformv1alpha1.DocuFlowStack{}
			if err := r.readStack(context.Background(), key, got); err != nil {
				t.Fatal(err)
			}
			if got.Status.Tasks != tt.wantTasks || api.gets != tt.wantGets {
				t.Errorf("read the %s copy with %d API reads, want the %s copy with %d", got.Status.Tasks, api.gets, tt.wantTasks, tt.wantGets)
			}
			if tt.wantGets > 0 && (len(got.ManagedFields) != 0 || got.ResourceVersion == tt.cached.ResourceVersion) {
				t.Errorf("the API server's copy kept the cache's: managedFields %v, resourceVersion %s", got.ManagedFields, got.ResourceVersion)
			}
		})
	}
}

// TestTheStackCacheKeepsOnlyTheStatusManagedFields checks the stack's cache
// transform: the status entries a pass reads stay (the operator's own
// without its field set), the rest go.
func TestTheStackCacheKeepsOnlyTheStatusManagedFields(t *testing.T) {
	now := metav1.Now()
	s := &platformv1alpha1.DocuFlowStack{ObjectMeta: metav1.ObjectMeta{ManagedFields: []metav1.ManagedFieldsEntry{
		{Manager: "kubectl", Operation: metav1.ManagedFieldsOperationApply, FieldsV1: metav1.NewFieldsV1(`{"f:spec":{}}`)},
		{Manager: StatusFieldManager, Operation: metav1.ManagedFieldsOperationApply, Subresource: "status", Time: &now, FieldsV1: metav1.NewFieldsV1(`{"f:status":{}}`)},
		{Manager: "kubectl-edit", Operation: metav1.ManagedFieldsOperationUpdate, Subresource: "status", FieldsV1: metav1.NewFieldsV1(`{"f:status":{"f:url":{}}}`)},
	}}}
	out, err := stackManagedFields(s)
	if err != nil {
		t.Fatal(err)
	}
	got := out.(*platformv1alpha1.DocuFlowStack).ManagedFields
	if len(got) != 2 || got[0].Manager != StatusFieldManager || got[0].FieldsV1 != nil || got[0].Time == nil || got[1].Manager != "kubectl-edit" || got[1].FieldsV1 == nil {
		t.Errorf("kept %+v", got)
	}
	if lastStatusWrite(out.(*platformv1alpha1.DocuFlowStack)).IsZero() || !foreignStatusWriter(out.(*platformv1alpha1.DocuFlowStack)) {
		t.Error("a pass can no longer tell when the operator last wrote the status, or that another writer did")
	}
}
