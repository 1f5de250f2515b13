package v1alpha1

import (
	ackv1alpha1 "github.com/aws-controllers-k8s/runtime/apis/core/v1alpha1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/docuflow/docuflow-operator/internal/ack/core"
)

// VPCEndpointSpec is the desired state of a VPCEndpoint.
type VPCEndpointSpec struct {
	// VPCID is the ID of the VPC the endpoint belongs to.
	VPCID *string `json:"vpcID,omitempty"`
	// VPCRef resolves VPCID from a VPC's status.vpcID.
	VPCRef *ackv1alpha1.AWSResourceReferenceWrapper `json:"vpcRef,omitempty"`
	// ServiceName is the AWS service, e.g. com.amazonaws.eu-west-1.s3.
	ServiceName *string `json:"serviceName,omitempty"`
	// VPCEndpointType is Interface, Gateway or GatewayLoadBalancer.
	VPCEndpointType *string `json:"vpcEndpointType,omitempty"`
	// SubnetIDs are the subnets of an Interface endpoint.
	SubnetIDs []*string `json:"subnetIDs,omitempty"`
	// SubnetRefs resolve SubnetIDs from Subnets' status.subnetID.
	SubnetRefs []*ackv1alpha1.AWSResourceReferenceWrapper `json:"subnetRefs,omitempty"`
	// SecurityGroupIDs are the security groups of an Interface endpoint.
	SecurityGroupIDs []*string `json:"securityGroupIDs,omitempty"`
	// SecurityGroupRefs resolve SecurityGroupIDs from SecurityGroups' status.id.
	SecurityGroupRefs []*ackv1alpha1.AWSResourceReferenceWrapper `json:"securityGroupRefs,omitempty"`
	// RouteTableIDs are the route tables of a Gateway endpoint.
	RouteTableIDs []*string `json:"routeTableIDs,omitempty"`
	// RouteTableRefs resolve RouteTableIDs from RouteTables'
	// status.routeTableID.
	RouteTableRefs []*ackv1alpha1.AWSResourceReferenceWrapper `json:"routeTableRefs,omitempty"`
	// PrivateDNSEnabled associates a private hosted zone with the VPC
	// (Interface endpoints).
	PrivateDNSEnabled *bool `json:"privateDNSEnabled,omitempty"`
	// PolicyDocument is the endpoint policy as a JSON string.
	PolicyDocument *string `json:"policyDocument,omitempty"`
	// Tags are the AWS tags of the endpoint.
	Tags []*Tag `json:"tags,omitempty"`
}

// VPCEndpointStatus is what ACK reports about a VPCEndpoint.
type VPCEndpointStatus struct {
	core.ResourceStatus `json:",inline"`
	// VPCEndpointID is the AWS ID of the endpoint (vpce-...).
	VPCEndpointID *string `json:"vpcEndpointID,omitempty"`
	// State is the endpoint state, e.g. pending or available.
	State *string `json:"state,omitempty"`
}

// VPCEndpoint mirrors ACK's ec2 VPCEndpoint.
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:path=vpcendpoints,scope=Namespaced
type VPCEndpoint struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec   VPCEndpointSpec   `json:"spec,omitempty"`
	Status VPCEndpointStatus `json:"status,omitempty"`
}

// VPCEndpointList is a list of VPCEndpoints.
// +kubebuilder:object:root=true
type VPCEndpointList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []VPCEndpoint `json:"items"`
}

// ACKStatus returns the shared ACK status block.
func (r *VPCEndpoint) ACKStatus() *core.ResourceStatus { return &r.Status.ResourceStatus }

func init() {
	SchemeBuilder.Register(&VPCEndpoint{}, &VPCEndpointList{})
}
