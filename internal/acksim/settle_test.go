package acksim

import (
	"context"
	"strings"
	"testing"

	ackv1alpha1 "github.com/aws-controllers-k8s/runtime/apis/core/v1alpha1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/docuflow/docuflow-operator/internal/ack/core"
	ec2v1alpha1 "github.com/docuflow/docuflow-operator/internal/ack/ec2/v1alpha1"
)

func TestSettleResolvesReferencesWithoutACluster(t *testing.T) {
	vpc := &ec2v1alpha1.VPC{ObjectMeta: metav1.ObjectMeta{Name: "net", Namespace: "ns"}}
	vpc.Spec.CIDRBlocks = []*string{ptr.To("10.0.0.0/16")}
	subnet := &ec2v1alpha1.Subnet{ObjectMeta: metav1.ObjectMeta{Name: "sub", Namespace: "ns"}}
	subnet.Spec.VPCRef = &ackv1alpha1.AWSResourceReferenceWrapper{From: &ackv1alpha1.AWSResourceReference{Name: ptr.To("net")}}
	subnet.Spec.CIDRBlock = ptr.To("10.0.0.0/20")

	// The subnet comes first: Settle must still sync it once its VPC is.
	out, err := Settle(context.Background(), []core.Object{subnet, vpc}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	got := out[0].(*ec2v1alpha1.Subnet)
	if id := ptr.Deref(got.Status.SubnetID, ""); !strings.HasPrefix(id, "subnet-") {
		t.Errorf("subnet ID %q", id)
	}
	if subnet.Status.SubnetID != nil {
		t.Error("Settle changed its input")
	}
}

func TestSettleReportsReferencesThatCannotResolve(t *testing.T) {
	subnet := &ec2v1alpha1.Subnet{ObjectMeta: metav1.ObjectMeta{Name: "sub", Namespace: "ns"}}
	subnet.Spec.VPCRef = &ackv1alpha1.AWSResourceReferenceWrapper{From: &ackv1alpha1.AWSResourceReference{Name: ptr.To("missing")}}
	if _, err := Settle(context.Background(), []core.Object{subnet}, Options{}); err == nil {
		t.Fatal("a subnet whose VPC does not exist settled")
	}
}
