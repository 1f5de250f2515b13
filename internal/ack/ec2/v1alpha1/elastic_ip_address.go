package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/docuflow/docuflow-operator/internal/ack/core"
)

// ElasticIPAddressSpec is the desired state of an ElasticIPAddress. The address
// is always allocated in the VPC domain.
type ElasticIPAddressSpec struct {
	// Tags are the AWS tags of the address.
	Tags []*Tag `json:"tags,omitempty"`
}

// ElasticIPAddressStatus is what ACK reports about an ElasticIPAddress.
type ElasticIPAddressStatus struct {
	core.ResourceStatus `json:",inline"`
	// AllocationID is the AWS ID of the allocation (eipalloc-...).
	AllocationID *string `json:"allocationID,omitempty"`
	// PublicIP is the allocated public IPv4 address.
	PublicIP *string `json:"publicIP,omitempty"`
}

// ElasticIPAddress mirrors ACK's ec2 ElasticIPAddress.
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:path=elasticipaddresses,scope=Namespaced
type ElasticIPAddress struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec   ElasticIPAddressSpec   `json:"spec,omitempty"`
	Status ElasticIPAddressStatus `json:"status,omitempty"`
}

// ElasticIPAddressList is a list of ElasticIPAddresses.
// +kubebuilder:object:root=true
type ElasticIPAddressList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []ElasticIPAddress `json:"items"`
}

// ACKStatus returns the shared ACK status block.
func (r *ElasticIPAddress) ACKStatus() *core.ResourceStatus { return &r.Status.ResourceStatus }

func init() {
	SchemeBuilder.Register(&ElasticIPAddress{}, &ElasticIPAddressList{})
}
