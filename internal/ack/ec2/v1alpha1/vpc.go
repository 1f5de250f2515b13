package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/docuflow/docuflow-operator/internal/ack/core"
)

// VPCSpec is the desired state of a VPC.
type VPCSpec struct {
	// CIDRBlocks are the VPC's IPv4 CIDRs; the first is the primary one.
	// +kubebuilder:validation:Required
	CIDRBlocks []*string `json:"cidrBlocks,omitempty"`
	// EnableDNSHostnames gives instances in the VPC public DNS hostnames.
	EnableDNSHostnames *bool `json:"enableDNSHostnames,omitempty"`
	// EnableDNSSupport turns on the Amazon-provided DNS server.
	EnableDNSSupport *bool `json:"enableDNSSupport,omitempty"`
	// DisallowSecurityGroupDefaultRules makes ACK remove the rules of the VPC's
	// default security group.
	DisallowSecurityGroupDefaultRules *bool `json:"disallowSecurityGroupDefaultRules,omitempty"`
	// InstanceTenancy is default or dedicated.
	InstanceTenancy *string `json:"instanceTenancy,omitempty"`
	// EnableNetworkAddressUsageMetrics publishes network address usage
	// metrics.
	EnableNetworkAddressUsageMetrics *bool `json:"enableNetworkAddressUsageMetrics,omitempty"`
	// Tags are the AWS tags of the VPC.
	Tags []*Tag `json:"tags,omitempty"`
}

// VPCStatus is what ACK reports about a VPC.
type VPCStatus struct {
	core.ResourceStatus `json:",inline"`
	// VPCID is the AWS ID of the VPC (vpc-...).
	VPCID *string `json:"vpcID,omitempty"`
	// State is pending or available.
	State *string `json:"state,omitempty"`
	// SecurityGroupDefaultRulesExist reports whether the default security group
	// still has rules.
	SecurityGroupDefaultRulesExist *bool `json:"securityGroupDefaultRulesExist,omitempty"`
}

// VPC mirrors ACK's ec2 VPC.
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:path=vpcs,scope=Namespaced
type VPC struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec   VPCSpec   `json:"spec,omitempty"`
	Status VPCStatus `json:"status,omitempty"`
}

// VPCList is a list of VPCs.
// +kubebuilder:object:root=true
type VPCList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []VPC `json:"items"`
}

// ACKStatus returns the shared ACK status block.
func (r *VPC) ACKStatus() *core.ResourceStatus { return &r.Status.ResourceStatus }

func init() {
	SchemeBuilder.Register(&VPC{}, &VPCList{})
}
