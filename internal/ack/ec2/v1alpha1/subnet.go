package v1alpha1

import (
	ackv1alpha1 "github.com/aws-controllers-k8s/runtime/apis/core/v1alpha1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/docuflow/docuflow-operator/internal/ack/core"
)

// SubnetSpec is the desired state of a Subnet.
type SubnetSpec struct {
	// VPCID is the ID of the VPC the subnet belongs to.
	VPCID *string `json:"vpcID,omitempty"`
	// VPCRef resolves VPCID from a VPC's status.vpcID.
	VPCRef *ackv1alpha1.AWSResourceReferenceWrapper `json:"vpcRef,omitempty"`
	// CIDRBlock is the subnet's IPv4 CIDR; AWS ignores changes after creation.
	CIDRBlock *string `json:"cidrBlock,omitempty"`
	// AvailabilityZone is the zone of the subnet, e.g. eu-west-1a.
	AvailabilityZone *string `json:"availabilityZone,omitempty"`
	// MapPublicIPOnLaunch gives network interfaces in the subnet a public IPv4
	// address.
	MapPublicIPOnLaunch *bool `json:"mapPublicIPOnLaunch,omitempty"`
	// RouteTables are the IDs of the route tables associated with the subnet.
	RouteTables []*string `json:"routeTables,omitempty"`
	// AssignIPv6AddressOnCreation gives new network interfaces an IPv6
	// address.
	AssignIPv6AddressOnCreation *bool `json:"assignIPv6AddressOnCreation,omitempty"`
	// EnableDNS64 answers IPv6-only clients with synthesised addresses.
	EnableDNS64 *bool `json:"enableDNS64,omitempty"`
	// EnableResourceNameDNSAAAARecord answers resource-name DNS queries
	// with AAAA records.
	EnableResourceNameDNSAAAARecord *bool `json:"enableResourceNameDNSAAAARecord,omitempty"`
	// EnableResourceNameDNSARecord answers resource-name DNS queries with A
	// records.
	EnableResourceNameDNSARecord *bool `json:"enableResourceNameDNSARecord,omitempty"`
	// HostnameType is ip-name or resource-name.
	HostnameType *string `json:"hostnameType,omitempty"`
	// IPv6Native makes an IPv6-only subnet.
	IPv6Native *bool `json:"ipv6Native,omitempty"`
	// RouteTableRefs resolve RouteTables from RouteTables' status.routeTableID.
	RouteTableRefs []*ackv1alpha1.AWSResourceReferenceWrapper `json:"routeTableRefs,omitempty"`
	// Tags are the AWS tags of the subnet.
	Tags []*Tag `json:"tags,omitempty"`
}

// SubnetStatus is what ACK reports about a Subnet.
type SubnetStatus struct {
	core.ResourceStatus `json:",inline"`
	// SubnetID is the AWS ID of the subnet (subnet-...).
	SubnetID *string `json:"subnetID,omitempty"`
	// State is pending or available.
	State *string `json:"state,omitempty"`
}

// Subnet mirrors ACK's ec2 Subnet.
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:path=subnets,scope=Namespaced
type Subnet struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec   SubnetSpec   `json:"spec,omitempty"`
	Status SubnetStatus `json:"status,omitempty"`
}

// SubnetList is a list of Subnets.
// +kubebuilder:object:root=true
type SubnetList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []Subnet `json:"items"`
}

// ACKStatus returns the shared ACK status block.
func (r *Subnet) ACKStatus() *core.ResourceStatus { return &r.Status.ResourceStatus }

func init() {
	SchemeBuilder.Register(&Subnet{}, &SubnetList{})
}
