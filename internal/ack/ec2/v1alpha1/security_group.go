package v1alpha1

import (
	ackv1alpha1 "github.com/aws-controllers-k8s/runtime/apis/core/v1alpha1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/docuflow/docuflow-operator/internal/ack/core"
)

// SecurityGroupSpec is the desired state of a SecurityGroup. ACK removes AWS's
// default allow-all egress rule at creation, so egress must be declared.
type SecurityGroupSpec struct {
	// Name is the group name; it cannot change.
	// +kubebuilder:validation:Required
	Name *string `json:"name,omitempty"`
	// Description is the group description; it cannot change.
	// +kubebuilder:validation:Required
	Description *string `json:"description,omitempty"`
	// VPCID is the ID of the VPC the group belongs to.
	VPCID *string `json:"vpcID,omitempty"`
	// VPCRef resolves VPCID from a VPC's status.vpcID.
	VPCRef *ackv1alpha1.AWSResourceReferenceWrapper `json:"vpcRef,omitempty"`
	// IngressRules are the inbound rules.
	IngressRules []*IPPermission `json:"ingressRules,omitempty"`
	// EgressRules are the outbound rules.
	EgressRules []*IPPermission `json:"egressRules,omitempty"`
	// Tags are the AWS tags of the group.
	Tags []*Tag `json:"tags,omitempty"`
}

// IPPermission is one security group rule: a protocol and port range and the
// peers it applies to.
type IPPermission struct {
	// IPProtocol is tcp, udp, icmp, -1 (all) or a protocol number.
	IPProtocol *string `json:"ipProtocol,omitempty"`
	// FromPort is the first port of the range (ICMP type for icmp).
	FromPort *int64 `json:"fromPort,omitempty"`
	// ToPort is the last port of the range (ICMP code for icmp).
	ToPort *int64 `json:"toPort,omitempty"`
	// IPRanges are IPv4 CIDR peers.
	IPRanges []*IPRange `json:"ipRanges,omitempty"`
	// PrefixListIDs are managed prefix list peers.
	PrefixListIDs []*PrefixListID `json:"prefixListIDs,omitempty"`
	// UserIDGroupPairs are security group peers.
	UserIDGroupPairs []*UserIDGroupPair `json:"userIDGroupPairs,omitempty"`
}

// IPRange is an IPv4 CIDR peer of a rule.
type IPRange struct {
	// CIDRIP is the IPv4 CIDR, e.g. 10.0.0.0/16.
	CIDRIP *string `json:"cidrIP,omitempty"`
	// Description describes the rule for this peer.
	Description *string `json:"description,omitempty"`
}

// PrefixListID is a managed prefix list peer of a rule.
type PrefixListID struct {
	// PrefixListID is the ID of the prefix list (pl-...).
	PrefixListID *string `json:"prefixListID,omitempty"`
	// Description describes the rule for this peer.
	Description *string `json:"description,omitempty"`
}

// UserIDGroupPair is a security group peer of a rule.
type UserIDGroupPair struct {
	// GroupID is the ID of the peer security group.
	GroupID *string `json:"groupID,omitempty"`
	// GroupRef resolves GroupID from a SecurityGroup's status.id; ACK skips the
	// state checks for it, so groups may reference each other.
	GroupRef *ackv1alpha1.AWSResourceReferenceWrapper `json:"groupRef,omitempty"`
	// Description describes the rule for this peer.
	Description *string `json:"description,omitempty"`
}

// SecurityGroupStatus is what ACK reports about a SecurityGroup.
type SecurityGroupStatus struct {
	core.ResourceStatus `json:",inline"`
	// ID is the AWS ID of the group (sg-...).
	ID *string `json:"id,omitempty"`
}

// SecurityGroup mirrors ACK's ec2 SecurityGroup.
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:path=securitygroups,scope=Namespaced
type SecurityGroup struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec   SecurityGroupSpec   `json:"spec,omitempty"`
	Status SecurityGroupStatus `json:"status,omitempty"`
}

// SecurityGroupList is a list of SecurityGroups.
// +kubebuilder:object:root=true
type SecurityGroupList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []SecurityGroup `json:"items"`
}

// ACKStatus returns the shared ACK status block.
func (r *SecurityGroup) ACKStatus() *core.ResourceStatus { return &r.Status.ResourceStatus }

func init() {
	SchemeBuilder.Register(&SecurityGroup{}, &SecurityGroupList{})
}
