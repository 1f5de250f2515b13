package v1alpha1

import (
	ackv1alpha1 "github.com/aws-controllers-k8s/runtime/apis/core/v1alpha1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/docuflow/docuflow-operator/internal/ack/core"
)

// LogGroupSpec is the desired state of a LogGroup.
type LogGroupSpec struct {
	// Name is the AWS name and primary key of the group, e.g. /ecs/docuflow/api.
	// +kubebuilder:validation:Required
	Name *string `json:"name,omitempty"`
	// RetentionDays is how long events are kept; empty keeps them forever.
	RetentionDays *int64 `json:"retentionDays,omitempty"`
	// KMSKeyID is the ARN of the KMS key that encrypts the group.
	KMSKeyID *string `json:"kmsKeyID,omitempty"`
	// KMSKeyRef resolves KMSKeyID from a kms Key's ARN.
	KMSKeyRef *ackv1alpha1.AWSResourceReferenceWrapper `json:"kmsKeyRef,omitempty"`
	// Tags are the AWS tags of the group; unlike other kinds they are a map.
	Tags map[string]*string `json:"tags,omitempty"`
}

// LogGroupStatus is what ACK reports about a LogGroup.
type LogGroupStatus struct {
	core.ResourceStatus `json:",inline"`
	// RetentionInDays is the retention AWS applies.
	RetentionInDays *int64 `json:"retentionInDays,omitempty"`
}

// LogGroup mirrors ACK's cloudwatchlogs LogGroup.
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:path=loggroups,scope=Namespaced
type LogGroup struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec   LogGroupSpec   `json:"spec,omitempty"`
	Status LogGroupStatus `json:"status,omitempty"`
}

// LogGroupList is a list of LogGroups.
// +kubebuilder:object:root=true
type LogGroupList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []LogGroup `json:"items"`
}

// ACKStatus returns the shared ACK status block.
func (r *LogGroup) ACKStatus() *core.ResourceStatus { return &r.Status.ResourceStatus }

func init() {
	SchemeBuilder.Register(&LogGroup{}, &LogGroupList{})
}
