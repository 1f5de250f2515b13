package acksim

import (
	"context"
	"testing"
	"time"

	ackv1alpha1 "github.com/aws-controllers-k8s/runtime/apis/core/v1alpha1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	"github.com/docuflow/docuflow-operator/internal/ack"
	ec2v1alpha1 "github.com/docuflow/docuflow-operator/internal/ack/ec2/v1alpha1"
)

// staleGets answers the next Get with a snapshot taken earlier, as a
// manager's cache does while it has not yet seen the last write.
type staleGets struct {
	client.Client
	stale client.Object
}

func (c *staleGets) Get(ctx context.Context, key client.ObjectKey, obj client.Object, opts ...client.GetOption) error {
	if c.stale != nil {
		c.stale.(runtime.Object).DeepCopyObject().(*ec2v1alpha1.VPC).DeepCopyInto(obj.(*ec2v1alpha1.VPC))
		c.stale = nil
		return nil
	}
	return c.Client.Get(ctx, key, obj, opts...)
}

// TestAPassOnAStaleReadWritesNothing is the CI failure of 2026-12-02
// (TestSteadyStateMakesNoStatusWrites, resourceVersion 412 to 413 with the
// same conditions): a pass that read the object from before the simulator's
// own last status write computed the same conditions with a later
// transition time and wrote them.
func TestAPassOnAStaleReadWritesNothing(t *testing.T) {
	ctx := context.Background()
	scheme := runtime.NewScheme()
	if err := ack.AddToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	if err := corev1.AddToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	vpc := newVPC("prod", "main")
	// With ACK's finalizer already on it, the stale read differs from the
	// last write in its status only.
	vpc.Finalizers = []string{"finalizers.ec2.services.k8s.aws/VPC"}
	c := fake.NewClientBuilder().WithScheme(scheme).WithStatusSubresource(&ec2v1alpha1.VPC{}).WithObjects(vpc).Build()
	reads := &staleGets{Client: c}
	s := New(Options{})
	r := &reconciler{sim: s, kind: "VPC", group: "ec2.services.k8s.aws", finalizer: "finalizers.ec2.services.k8s.aws/VPC", proto: &ec2v1alpha1.VPC{}, client: reads, reader: c}
	req := ctrl.Request{NamespacedName: types.NamespacedName{Namespace: "prod", Name: "main"}}

	var before *ec2v1alpha1.VPC
	for range 5 {
		got := &ec2v1alpha1.VPC{}
		if err := c.Get(ctx, req.NamespacedName, got); err != nil {
			t.Fatal(err)
		}
		if status(got, ackv1alpha1.ConditionTypeResourceSynced) == corev1.ConditionTrue {
			break
		}
		before = got
		if _, err := r.Reconcile(ctx, req); err != nil {
			t.Fatal(err)
		}
	}
	synced := &ec2v1alpha1.VPC{}
	if err := c.Get(ctx, req.NamespacedName, synced); err != nil {
		t.Fatal(err)
	}
	if status(synced, ackv1alpha1.ConditionTypeResourceSynced) != corev1.ConditionTrue || before == nil {
		t.Fatalf("the VPC did not sync in 5 passes: %s", conditionsOf(synced))
	}

	// The next second, so that conditions computed again carry another
	// transition time (the API server drops a write that changes nothing).
	time.Sleep(time.Until(time.Now().Truncate(time.Second).Add(time.Second)))
	reads.stale = before
	res, err := r.Reconcile(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	after := &ec2v1alpha1.VPC{}
	if err := c.Get(ctx, req.NamespacedName, after); err != nil {
		t.Fatal(err)
	}
	if after.ResourceVersion != synced.ResourceVersion {
		t.Errorf("a pass on the read from before the last write moved resourceVersion from %s to %s", synced.ResourceVersion, after.ResourceVersion)
	}
	if res.RequeueAfter <= 0 {
		t.Errorf("the refused pass asked for no rerun: %+v", res)
	}

	// Run again on a fresh read, it finds nothing to write.
	if _, err := r.Reconcile(ctx, req); err != nil {
		t.Fatal(err)
	}
	if err := c.Get(ctx, req.NamespacedName, after); err != nil {
		t.Fatal(err)
	}
	if after.ResourceVersion != synced.ResourceVersion {
		t.Errorf("the rerun on a fresh read moved resourceVersion from %s to %s", synced.ResourceVersion, after.ResourceVersion)
	}
}
