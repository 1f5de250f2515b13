package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/docuflow/docuflow-operator/internal/ack/core"
)

// ClusterSpec is the desired state of a Cluster.
type ClusterSpec struct {
	// Name is the AWS name of the cluster; the schema leaves it optional but
	// ACK reads the cluster by it, so always set it.
	Name *string `json:"name,omitempty"`
	// Settings are cluster settings such as containerInsights.
	Settings []*ClusterSetting `json:"settings,omitempty"`
	// CapacityProviders are the capacity providers, e.g. FARGATE and
	// FARGATE_SPOT; ACK only sends them at creation.
	CapacityProviders []*string `json:"capacityProviders,omitempty"`
	// DefaultCapacityProviderStrategy is the strategy for services without
	// a launch type; ACK only sends it at creation.
	DefaultCapacityProviderStrategy []*CapacityProviderStrategyItem `json:"defaultCapacityProviderStrategy,omitempty"`
	// Tags are the AWS tags of the cluster.
	Tags []*Tag `json:"tags,omitempty"`
}

// ClusterSetting is a named cluster setting.
type ClusterSetting struct {
	// Name is the setting, e.g. containerInsights.
	Name *string `json:"name,omitempty"`
	// Value is the setting's value, e.g. enabled, enhanced or disabled.
	Value *string `json:"value,omitempty"`
}

// CapacityProviderStrategyItem weighs one capacity provider in a strategy.
type CapacityProviderStrategyItem struct {
	// CapacityProvider is the provider's name, e.g. FARGATE.
	CapacityProvider *string `json:"capacityProvider,omitempty"`
	// Weight is the provider's relative share of tasks.
	Weight *int64 `json:"weight,omitempty"`
	// Base is the minimum number of tasks placed on the provider.
	Base *int64 `json:"base,omitempty"`
}

// ClusterStatus is what ACK reports about a Cluster.
type ClusterStatus struct {
	core.ResourceStatus `json:",inline"`
	// Status is ACTIVE, PROVISIONING, DEPROVISIONING, FAILED or INACTIVE.
	Status *string `json:"status,omitempty"`
}

// Cluster mirrors ACK's ecs Cluster.
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:path=clusters,scope=Namespaced
type Cluster struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec   ClusterSpec   `json:"spec,omitempty"`
	Status ClusterStatus `json:"status,omitempty"`
}

// ClusterList is a list of Clusters.
// +kubebuilder:object:root=true
type ClusterList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []Cluster `json:"items"`
}

// ACKStatus returns the shared ACK status block.
func (r *Cluster) ACKStatus() *core.ResourceStatus { return &r.Status.ResourceStatus }

func init() {
	SchemeBuilder.Register(&Cluster{}, &ClusterList{})
}
