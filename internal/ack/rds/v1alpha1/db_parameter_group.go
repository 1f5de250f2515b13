package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/docuflow/docuflow-operator/internal/ack/core"
)

// DBParameterGroupSpec is the desired state of a DBParameterGroup.
type DBParameterGroupSpec struct {
	// Name is the AWS name and primary key of the group.
	// +kubebuilder:validation:Required
	Name *string `json:"name,omitempty"`
	// Family is the engine family, e.g. postgres16.
	// +kubebuilder:validation:Required
	Family *string `json:"family,omitempty"`
	// Description describes the group.
	// +kubebuilder:validation:Required
	Description *string `json:"description,omitempty"`
	// ParameterOverrides maps parameter names to values; parameters left out
	// are reset to the family defaults.
	ParameterOverrides map[string]*string `json:"parameterOverrides,omitempty"`
	// Tags are the AWS tags of the group.
	Tags []*Tag `json:"tags,omitempty"`
}

// DBParameterGroupStatus is what ACK reports about a DBParameterGroup.
type DBParameterGroupStatus struct {
	core.ResourceStatus `json:",inline"`
}

// DBParameterGroup mirrors ACK's rds DBParameterGroup.
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:path=dbparametergroups,scope=Namespaced
type DBParameterGroup struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec   DBParameterGroupSpec   `json:"spec,omitempty"`
	Status DBParameterGroupStatus `json:"status,omitempty"`
}

// DBParameterGroupList is a list of DBParameterGroups.
// +kubebuilder:object:root=true
type DBParameterGroupList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []DBParameterGroup `json:"items"`
}

// ACKStatus returns the shared ACK status block.
func (r *DBParameterGroup) ACKStatus() *core.ResourceStatus { return &r.Status.ResourceStatus }

func init() {
	SchemeBuilder.Register(&DBParameterGroup{}, &DBParameterGroupList{})
}
