package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/docuflow/docuflow-operator/internal/ack/core"
)

// ScalingPolicySpec is the desired state of a ScalingPolicy. It has no tags
// and no ref to its ScalableTarget, whose three identifying values it repeats.
type ScalingPolicySpec struct {
	// PolicyName is the policy's name.
	// +kubebuilder:validation:Required
	PolicyName *string `json:"policyName,omitempty"`
	// ServiceNamespace is the scaled service, e.g. ecs.
	// +kubebuilder:validation:Required
	ServiceNamespace *string `json:"serviceNamespace,omitempty"`
	// ResourceID identifies the scaled resource, for ECS
	// service/<cluster>/<service>.
	// +kubebuilder:validation:Required
	ResourceID *string `json:"resourceID,omitempty"`
	// ScalableDimension is the scaled property, e.g. ecs:service:DesiredCount.
	// +kubebuilder:validation:Required
	ScalableDimension *string `json:"scalableDimension,omitempty"`
	// PolicyType is TargetTrackingScaling or StepScaling.
	PolicyType *string `json:"policyType,omitempty"`
	// TargetTrackingScalingPolicyConfiguration configures a target tracking
	// policy.
	TargetTrackingScalingPolicyConfiguration *TargetTrackingScalingPolicyConfiguration `json:"targetTrackingScalingPolicyConfiguration,omitempty"`
}

// TargetTrackingScalingPolicyConfiguration keeps a metric near a target value.
type TargetTrackingScalingPolicyConfiguration struct {
	// TargetValue is the metric value to keep; upstream types it as a number.
	TargetValue *float64 `json:"targetValue,omitempty"`
	// PredefinedMetricSpecification selects a predefined metric.
	PredefinedMetricSpecification *PredefinedMetricSpecification `json:"predefinedMetricSpecification,omitempty"`
	// ScaleInCooldown is the seconds to wait after a scale-in.
	ScaleInCooldown *int64 `json:"scaleInCooldown,omitempty"`
	// ScaleOutCooldown is the seconds to wait after a scale-out.
	ScaleOutCooldown *int64 `json:"scaleOutCooldown,omitempty"`
	// DisableScaleIn stops the policy from scaling in.
	DisableScaleIn *bool `json:"disableScaleIn,omitempty"`
}

// PredefinedMetricSpecification is a predefined target tracking metric.
type PredefinedMetricSpecification struct {
	// PredefinedMetricType is e.g. ECSServiceAverageCPUUtilization or
	// ALBRequestCountPerTarget.
	PredefinedMetricType *string `json:"predefinedMetricType,omitempty"`
	// ResourceLabel is required for ALBRequestCountPerTarget:
	// app/<lb-name>/<lb-id>/targetgroup/<tg-name>/<tg-id>.
	ResourceLabel *string `json:"resourceLabel,omitempty"`
}

// Alarm is a CloudWatch alarm that a target tracking policy created.
type Alarm struct {
	// AlarmName is the alarm's name.
	AlarmName *string `json:"alarmName,omitempty"`
	// AlarmARN is the alarm's ARN.
	AlarmARN *string `json:"alarmARN,omitempty"`
}

// ScalingPolicyStatus is what ACK reports about a ScalingPolicy.
type ScalingPolicyStatus struct {
	core.ResourceStatus `json:",inline"`
	// Alarms are the CloudWatch alarms the policy created.
	Alarms []*Alarm `json:"alarms,omitempty"`
}

// ScalingPolicy mirrors ACK's applicationautoscaling ScalingPolicy.
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:path=scalingpolicies,scope=Namespaced
type ScalingPolicy struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec   ScalingPolicySpec   `json:"spec,omitempty"`
	Status ScalingPolicyStatus `json:"status,omitempty"`
}

// ScalingPolicyList is a list of ScalingPolicies.
// +kubebuilder:object:root=true
type ScalingPolicyList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []ScalingPolicy `json:"items"`
}

// ACKStatus returns the shared ACK status block.
func (r *ScalingPolicy) ACKStatus() *core.ResourceStatus { return &r.Status.ResourceStatus }

func init() {
	SchemeBuilder.Register(&ScalingPolicy{}, &ScalingPolicyList{})
}
