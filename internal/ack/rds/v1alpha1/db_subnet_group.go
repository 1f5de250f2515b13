package v1alpha1

import (
	ackv1alpha1 "github.com/aws-controllers-k8s/runtime/apis/core/v1alpha1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/docuflow/docuflow-operator/internal/ack/core"
)

// DBSubnetGroupSpec is the desired state of a DBSubnetGroup.
type DBSubnetGroupSpec struct {
	// Name is the AWS name and primary key of the group.
	// +kubebuilder:validation:Required
	Name *string `json:"name,omitempty"`
	// Description describes the group.
	// +kubebuilder:validation:Required
	Description *string `json:"description,omitempty"`
	// SubnetIDs are the group's subnets; they must cover at least two zones.
	SubnetIDs []*string `json:"subnetIDs,omitempty"`
	// SubnetRefs resolve SubnetIDs from Subnets' status.subnetID.
	SubnetRefs []*ackv1alpha1.AWSResourceReferenceWrapper `json:"subnetRefs,omitempty"`
	// Tags are the AWS tags of the group.
	Tags []*Tag `json:"tags,omitempty"`
}

// DBSubnetGroupStatus is what ACK reports about a DBSubnetGroup.
type DBSubnetGroupStatus struct {
	core.ResourceStatus `json:",inline"`
	// SubnetGroupStatus is AWS's status of the group, e.g. Complete.
	SubnetGroupStatus *string `json:"subnetGroupStatus,omitempty"`
	// VPCID is the VPC of the group's subnets.
	VPCID *string `json:"vpcID,omitempty"`
}

// DBSubnetGroup mirrors ACK's rds DBSubnetGroup.
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:path=dbsubnetgroups,scope=Namespaced
type DBSubnetGroup struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec   DBSubnetGroupSpec   `json:"spec,omitempty"`
	Status DBSubnetGroupStatus `json:"status,omitempty"`
}

// DBSubnetGroupList is a list of DBSubnetGroups.
// +kubebuilder:object:root=true
type DBSubnetGroupList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []DBSubnetGroup `json:"items"`
}

// ACKStatus returns the shared ACK status block.
func (r *DBSubnetGroup) ACKStatus() *core.ResourceStatus { return &r.Status.ResourceStatus }

func init() {
	SchemeBuilder.Register(&DBSubnetGroup{}, &DBSubnetGroupList{})
}
