package v1alpha1

import (
	ackv1alpha1 "github.com/aws-controllers-k8s/runtime/apis/core/v1alpha1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/docuflow/docuflow-operator/internal/ack/core"
)

// ScalableTargetSpec is the desired state of a ScalableTarget. It has no tags.
type ScalableTargetSpec struct {
	// ServiceNamespace is the scaled service, e.g. ecs.
	// +kubebuilder:validation:Required
	ServiceNamespace *string `json:"serviceNamespace,omitempty"`
	// ResourceID identifies the scaled resource, for ECS
	// service/<cluster>/<service>; it has no ref.
	// +kubebuilder:validation:Required
	ResourceID *string `json:"resourceID,omitempty"`
	// ScalableDimension is the scaled property, e.g. ecs:service:DesiredCount.
	// +kubebuilder:validation:Required
	ScalableDimension *string `json:"scalableDimension,omitempty"`
	// MinCapacity is the lower bound of the dimension.
	MinCapacity *int64 `json:"minCapacity,omitempty"`
	// MaxCapacity is the upper bound of the dimension.
	MaxCapacity *int64 `json:"maxCapacity,omitempty"`
	// RoleARN is the role Application Auto Scaling uses; AWS fills in the
	// service-linked role.
	RoleARN *string `json:"roleARN,omitempty"`
	// RoleRef resolves RoleARN from a Role's ARN.
	RoleRef *ackv1alpha1.AWSResourceReferenceWrapper `json:"roleRef,omitempty"`
	// SuspendedState suspends scaling activities.
	SuspendedState *SuspendedState `json:"suspendedState,omitempty"`
}

// SuspendedState says which scaling activities are suspended.
type SuspendedState struct {
	// DynamicScalingInSuspended suspends scale-in by scaling policies.
	DynamicScalingInSuspended *bool `json:"dynamicScalingInSuspended,omitempty"`
	// DynamicScalingOutSuspended suspends scale-out by scaling policies.
	DynamicScalingOutSuspended *bool `json:"dynamicScalingOutSuspended,omitempty"`
	// ScheduledScalingSuspended suspends scheduled actions.
	ScheduledScalingSuspended *bool `json:"scheduledScalingSuspended,omitempty"`
}

// ScalableTargetStatus is what ACK reports about a ScalableTarget.
type ScalableTargetStatus struct {
	core.ResourceStatus `json:",inline"`
	// CreationTime is when the target was registered.
	CreationTime *metav1.Time `json:"creationTime,omitempty"`
	// LastModifiedTime is when the target last changed.
	LastModifiedTime *metav1.Time `json:"lastModifiedTime,omitempty"`
}

// ScalableTarget mirrors ACK's applicationautoscaling ScalableTarget.
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:path=scalabletargets,scope=Namespaced
type ScalableTarget struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec   ScalableTargetSpec   `json:"spec,omitempty"`
	Status ScalableTargetStatus `json:"status,omitempty"`
}

// ScalableTargetList is a list of ScalableTargets.
// +kubebuilder:object:root=true
type ScalableTargetList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []ScalableTarget `json:"items"`
}

// ACKStatus returns the shared ACK status block.
func (r *ScalableTarget) ACKStatus() *core.ResourceStatus { return &r.Status.ResourceStatus }

func init() {
	SchemeBuilder.Register(&ScalableTarget{}, &ScalableTargetList{})
}
