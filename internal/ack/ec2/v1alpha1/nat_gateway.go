package v1alpha1

import (
	ackv1alpha1 "github.com/aws-controllers-k8s/runtime/apis/core/v1alpha1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/docuflow/docuflow-operator/internal/ack/core"
)

// NATGatewaySpec is the desired state of a NATGateway.
type NATGatewaySpec struct {
	// SubnetID is the ID of the (public) subnet the gateway lives in.
	SubnetID *string `json:"subnetID,omitempty"`
	// SubnetRef resolves SubnetID from a Subnet's status.subnetID.
	SubnetRef *ackv1alpha1.AWSResourceReferenceWrapper `json:"subnetRef,omitempty"`
	// AllocationID is the Elastic IP allocation of a public gateway.
	AllocationID *string `json:"allocationID,omitempty"`
	// AllocationRef resolves AllocationID from an ElasticIPAddress's
	// status.allocationID.
	AllocationRef *ackv1alpha1.AWSResourceReferenceWrapper `json:"allocationRef,omitempty"`
	// ConnectivityType is public or private.
	ConnectivityType *string `json:"connectivityType,omitempty"`
	// Tags are the AWS tags of the gateway; the only updatable field.
	Tags []*Tag `json:"tags,omitempty"`
}

// NATGatewayStatus is what ACK reports about a NATGateway.
type NATGatewayStatus struct {
	core.ResourceStatus `json:",inline"`
	// NATGatewayID is the AWS ID of the gateway (nat-...).
	NATGatewayID *string `json:"natGatewayID,omitempty"`
	// State is pending, failed, available, deleting or deleted; ACK reports
	// the resource synced only once it is available.
	State *string `json:"state,omitempty"`
	// FailureCode is AWS's error code when State is failed.
	FailureCode *string `json:"failureCode,omitempty"`
	// FailureMessage is AWS's error message when State is failed.
	FailureMessage *string `json:"failureMessage,omitempty"`
}

// NATGateway mirrors ACK's ec2 NATGateway.
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:path=natgateways,scope=Namespaced
type NATGateway struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec   NATGatewaySpec   `json:"spec,omitempty"`
	Status NATGatewayStatus `json:"status,omitempty"`
}

// NATGatewayList is a list of NATGateways.
// +kubebuilder:object:root=true
type NATGatewayList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []NATGateway `json:"items"`
}

// ACKStatus returns the shared ACK status block.
func (r *NATGateway) ACKStatus() *core.ResourceStatus { return &r.Status.ResourceStatus }

func init() {
	SchemeBuilder.Register(&NATGateway{}, &NATGatewayList{})
}
