package v1alpha1

import (
	ackv1alpha1 "github.com/aws-controllers-k8s/runtime/apis/core/v1alpha1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/docuflow/docuflow-operator/internal/ack/core"
)

// RouteTableSpec is the desired state of a RouteTable. Subnet associations are
// declared on the Subnet (routeTables/routeTableRefs), not here.
type RouteTableSpec struct {
	// VPCID is the ID of the VPC the route table belongs to.
	VPCID *string `json:"vpcID,omitempty"`
	// VPCRef resolves VPCID from a VPC's status.vpcID.
	VPCRef *ackv1alpha1.AWSResourceReferenceWrapper `json:"vpcRef,omitempty"`
	// Routes are the table's routes besides the implicit local route.
	Routes []*Route `json:"routes,omitempty"`
	// Tags are the AWS tags of the route table.
	Tags []*Tag `json:"tags,omitempty"`
}

// Route is one route: a destination and exactly one target.
type Route struct {
	// DestinationCIDRBlock is the IPv4 destination, e.g. 0.0.0.0/0.
	DestinationCIDRBlock *string `json:"destinationCIDRBlock,omitempty"`
	// GatewayID is the ID of an internet gateway or gateway VPC endpoint target.
	GatewayID *string `json:"gatewayID,omitempty"`
	// GatewayRef resolves GatewayID from an InternetGateway's
	// status.internetGatewayID.
	GatewayRef *ackv1alpha1.AWSResourceReferenceWrapper `json:"gatewayRef,omitempty"`
	// NATGatewayID is the ID of a NAT gateway target.
	NATGatewayID *string `json:"natGatewayID,omitempty"`
	// NATGatewayRef resolves NATGatewayID from a NATGateway's status.natGatewayID.
	NATGatewayRef *ackv1alpha1.AWSResourceReferenceWrapper `json:"natGatewayRef,omitempty"`
	// VPCEndpointID is the ID of a VPC endpoint target.
	VPCEndpointID *string `json:"vpcEndpointID,omitempty"`
	// VPCEndpointRef resolves VPCEndpointID from a VPCEndpoint's
	// status.vpcEndpointID.
	VPCEndpointRef *ackv1alpha1.AWSResourceReferenceWrapper `json:"vpcEndpointRef,omitempty"`
}

// RouteTableStatus is what ACK reports about a RouteTable.
type RouteTableStatus struct {
	core.ResourceStatus `json:",inline"`
	// RouteTableID is the AWS ID of the route table (rtb-...).
	RouteTableID *string `json:"routeTableID,omitempty"`
	// RouteStatuses are the table's routes as AWS lists them, those AWS
	// added itself included (a gateway endpoint's route to its service's
	// prefix list), as of the controller's last read of the table.
	RouteStatuses []*RouteState `json:"routeStatuses,omitempty"`
}

// RouteState is one route as AWS lists it.
type RouteState struct {
	// DestinationCIDRBlock is the IPv4 destination, if the route has one.
	DestinationCIDRBlock *string `json:"destinationCIDRBlock,omitempty"`
	// DestinationPrefixListID is the managed prefix list destination
	// (pl-...) of a gateway endpoint's route.
	DestinationPrefixListID *string `json:"destinationPrefixListID,omitempty"`
	// GatewayID is the target: local, an internet gateway or a gateway
	// endpoint (vpce-...).
	GatewayID *string `json:"gatewayID,omitempty"`
	// NATGatewayID is the NAT gateway target.
	NATGatewayID *string `json:"natGatewayID,omitempty"`
	// Origin is how the route came to be: CreateRouteTable, CreateRoute or
	// EnableVgwRoutePropagation.
	Origin *string `json:"origin,omitempty"`
	// State is active or blackhole.
	State *string `json:"state,omitempty"`
}

// RouteTable mirrors ACK's ec2 RouteTable.
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:path=routetables,scope=Namespaced
type RouteTable struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec   RouteTableSpec   `json:"spec,omitempty"`
	Status RouteTableStatus `json:"status,omitempty"`
}

// RouteTableList is a list of RouteTables.
// +kubebuilder:object:root=true
type RouteTableList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []RouteTable `json:"items"`
}

// ACKStatus returns the shared ACK status block.
func (r *RouteTable) ACKStatus() *core.ResourceStatus { return &r.Status.ResourceStatus }

func init() {
	SchemeBuilder.Register(&RouteTable{}, &RouteTableList{})
}
