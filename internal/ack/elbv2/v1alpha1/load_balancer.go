package v1alpha1

import (
	ackv1alpha1 "github.com/aws-controllers-k8s/runtime/apis/core/v1alpha1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/docuflow/docuflow-operator/internal/ack/core"
)

// LoadBalancerSpec is the desired state of a LoadBalancer. Subnet, scheme and
// type changes are not applied after creation.
type LoadBalancerSpec struct {
	// Name is the AWS name and primary key (at most 32 characters).
	Name *string `json:"name,omitempty"`
	// Type is application, network or gateway.
	Type *string `json:"type,omitempty"`
	// Scheme is internet-facing or internal.
	Scheme *string `json:"scheme,omitempty"`
	// IPAddressType is ipv4 or dualstack.
	IPAddressType *string `json:"ipAddressType,omitempty"`
	// Subnets are the IDs of the load balancer's subnets.
	Subnets []*string `json:"subnets,omitempty"`
	// SubnetRefs resolve Subnets from Subnets' status.subnetID.
	SubnetRefs []*ackv1alpha1.AWSResourceReferenceWrapper `json:"subnetRefs,omitempty"`
	// SecurityGroups are the IDs of the load balancer's security groups.
	SecurityGroups []*string `json:"securityGroups,omitempty"`
	// SecurityGroupRefs resolve SecurityGroups from SecurityGroups' status.id.
	SecurityGroupRefs []*ackv1alpha1.AWSResourceReferenceWrapper `json:"securityGroupRefs,omitempty"`
	// Attributes are load balancer attributes; only declared keys are managed.
	Attributes []*LoadBalancerAttribute `json:"attributes,omitempty"`
	// Tags are the AWS tags of the load balancer.
	Tags []*Tag `json:"tags,omitempty"`
}

// LoadBalancerAttribute is one load balancer attribute, e.g.
// idle_timeout.timeout_seconds.
type LoadBalancerAttribute struct {
	// Key is the attribute's name.
	Key *string `json:"key,omitempty"`
	// Value is the attribute's value, always a string.
	Value *string `json:"value,omitempty"`
}

// LoadBalancerState is the provisioning state of a load balancer.
type LoadBalancerState struct {
	// Code is provisioning, active, active_impaired or failed.
	Code *string `json:"code,omitempty"`
	// Reason explains Code.
	Reason *string `json:"reason,omitempty"`
}

// LoadBalancerStatus is what ACK reports about a LoadBalancer. ACK's Synced
// does not wait for State to be active.
type LoadBalancerStatus struct {
	core.ResourceStatus `json:",inline"`
	// DNSName is the load balancer's public DNS name.
	DNSName *string `json:"dnsName,omitempty"`
	// CanonicalHostedZoneID is the Route 53 zone for alias records.
	CanonicalHostedZoneID *string `json:"canonicalHostedZoneID,omitempty"`
	// State is the provisioning state.
	State *LoadBalancerState `json:"state,omitempty"`
	// VPCID is the VPC of the load balancer.
	VPCID *string `json:"vpcID,omitempty"`
}

// LoadBalancer mirrors ACK's elbv2 LoadBalancer.
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:path=loadbalancers,scope=Namespaced
type LoadBalancer struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec   LoadBalancerSpec   `json:"spec,omitempty"`
	Status LoadBalancerStatus `json:"status,omitempty"`
}

// LoadBalancerList is a list of LoadBalancers.
// +kubebuilder:object:root=true
type LoadBalancerList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []LoadBalancer `json:"items"`
}

// ACKStatus returns the shared ACK status block.
func (r *LoadBalancer) ACKStatus() *core.ResourceStatus { return &r.Status.ResourceStatus }

func init() {
	SchemeBuilder.Register(&LoadBalancer{}, &LoadBalancerList{})
}
