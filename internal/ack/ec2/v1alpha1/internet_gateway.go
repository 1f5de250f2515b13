package v1alpha1

import (
	ackv1alpha1 "github.com/aws-controllers-k8s/runtime/apis/core/v1alpha1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/docuflow/docuflow-operator/internal/ack/core"
)

// InternetGatewaySpec is the desired state of an InternetGateway.
type InternetGatewaySpec struct {
	// VPC is the ID of the VPC the gateway is attached to. Upstream names this
	// field vpc, not vpcID.
	VPC *string `json:"vpc,omitempty"`
	// VPCRef resolves VPC from a VPC's status.vpcID.
	VPCRef *ackv1alpha1.AWSResourceReferenceWrapper `json:"vpcRef,omitempty"`
	// Tags are the AWS tags of the internet gateway.
	Tags []*Tag `json:"tags,omitempty"`
}

// InternetGatewayAttachment is the attachment of an internet gateway to a VPC.
type InternetGatewayAttachment struct {
	// VPCID is the ID of the attached VPC.
	VPCID *string `json:"vpcID,omitempty"`
	// State is attaching, attached, detaching or detached.
	State *string `json:"state,omitempty"`
}

// InternetGatewayStatus is what ACK reports about an InternetGateway.
type InternetGatewayStatus struct {
	core.ResourceStatus `json:",inline"`
	// InternetGatewayID is the AWS ID of the gateway (igw-...).
	InternetGatewayID *string `json:"internetGatewayID,omitempty"`
	// Attachments are the VPCs the gateway is attached to.
	Attachments []*InternetGatewayAttachment `json:"attachments,omitempty"`
}

// InternetGateway mirrors ACK's ec2 InternetGateway.
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:path=internetgateways,scope=Namespaced
type InternetGateway struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec   InternetGatewaySpec   `json:"spec,omitempty"`
	Status InternetGatewayStatus `json:"status,omitempty"`
}

// InternetGatewayList is a list of InternetGateways.
// +kubebuilder:object:root=true
type InternetGatewayList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []InternetGateway `json:"items"`
}

// ACKStatus returns the shared ACK status block.
func (r *InternetGateway) ACKStatus() *core.ResourceStatus { return &r.Status.ResourceStatus }

func init() {
	SchemeBuilder.Register(&InternetGateway{}, &InternetGatewayList{})
}
