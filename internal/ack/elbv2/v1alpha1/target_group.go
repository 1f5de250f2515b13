package v1alpha1

import (
	ackv1alpha1 "github.com/aws-controllers-k8s/runtime/apis/core/v1alpha1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/docuflow/docuflow-operator/internal/ack/core"
)

// TargetGroupSpec is the desired state of a TargetGroup. Tags are only sent at
// creation.
type TargetGroupSpec struct {
	// Name is the AWS name and primary key (at most 32 characters).
	// +kubebuilder:validation:Required
	Name *string `json:"name,omitempty"`
	// TargetType is instance, ip, lambda or alb; ip for Fargate.
	TargetType *string `json:"targetType,omitempty"`
	// Protocol is the protocol to the targets, e.g. HTTP.
	Protocol *string `json:"protocol,omitempty"`
	// ProtocolVersion is HTTP1, HTTP2 or GRPC.
	ProtocolVersion *string `json:"protocolVersion,omitempty"`
	// Port is the port the targets receive traffic on.
	Port *int64 `json:"port,omitempty"`
	// VPCID is the VPC of the targets.
	VPCID *string `json:"vpcID,omitempty"`
	// VPCRef resolves VPCID from a VPC's status.vpcID.
	VPCRef *ackv1alpha1.AWSResourceReferenceWrapper `json:"vpcRef,omitempty"`
	// IPAddressType is ipv4 or ipv6.
	IPAddressType *string `json:"ipAddressType,omitempty"`
	// HealthCheckEnabled turns health checks on.
	HealthCheckEnabled *bool `json:"healthCheckEnabled,omitempty"`
	// HealthCheckPath is the HTTP path of the health check.
	HealthCheckPath *string `json:"healthCheckPath,omitempty"`
	// HealthCheckPort is a port number or traffic-port, as a string.
	HealthCheckPort *string `json:"healthCheckPort,omitempty"`
	// HealthCheckProtocol is the protocol of the health check, e.g. HTTP.
	HealthCheckProtocol *string `json:"healthCheckProtocol,omitempty"`
	// HealthCheckIntervalSeconds is the time between health checks.
	HealthCheckIntervalSeconds *int64 `json:"healthCheckIntervalSeconds,omitempty"`
	// HealthCheckTimeoutSeconds is how long one health check may take.
	HealthCheckTimeoutSeconds *int64 `json:"healthCheckTimeoutSeconds,omitempty"`
	// HealthyThresholdCount is how many successes make a target healthy.
	HealthyThresholdCount *int64 `json:"healthyThresholdCount,omitempty"`
	// UnhealthyThresholdCount is how many failures make a target unhealthy.
	UnhealthyThresholdCount *int64 `json:"unhealthyThresholdCount,omitempty"`
	// Matcher is the set of healthy response codes.
	Matcher *Matcher `json:"matcher,omitempty"`
	// Attributes are target group attributes, e.g.
	// deregistration_delay.timeout_seconds; only declared keys are managed.
	Attributes []*TargetGroupAttribute `json:"attributes,omitempty"`
	// Targets are registered targets. The operator never sets it: ECS
	// registers the tasks, and upstream deregisters targets missing here.
	Targets []*TargetDescription `json:"targets,omitempty"`
	// Tags are the AWS tags of the target group.
	Tags []*Tag `json:"tags,omitempty"`
}

// Matcher is the set of response codes that count as healthy.
type Matcher struct {
	// HTTPCode is a code, list or range, e.g. 200-399.
	HTTPCode *string `json:"httpCode,omitempty"`
}

// TargetGroupAttribute is one target group attribute.
type TargetGroupAttribute struct {
	// Key is the attribute's name.
	Key *string `json:"key,omitempty"`
	// Value is the attribute's value, always a string.
	Value *string `json:"value,omitempty"`
}

// TargetDescription is one registered target.
type TargetDescription struct {
	// ID is the target's instance ID, IP address or ARN.
	ID *string `json:"id,omitempty"`
	// Port is the target's port.
	Port *int64 `json:"port,omitempty"`
	// AvailabilityZone is the target's zone, or all.
	AvailabilityZone *string `json:"availabilityZone,omitempty"`
}

// TargetGroupStatus is what ACK reports about a TargetGroup.
type TargetGroupStatus struct {
	core.ResourceStatus `json:",inline"`
	// LoadBalancerARNs are the load balancers that route to the group.
	LoadBalancerARNs []*string `json:"loadBalancerARNs,omitempty"`
}

// TargetGroup mirrors ACK's elbv2 TargetGroup.
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:path=targetgroups,scope=Namespaced
type TargetGroup struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec   TargetGroupSpec   `json:"spec,omitempty"`
	Status TargetGroupStatus `json:"status,omitempty"`
}

// TargetGroupList is a list of TargetGroups.
// +kubebuilder:object:root=true
type TargetGroupList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []TargetGroup `json:"items"`
}

// ACKStatus returns the shared ACK status block.
func (r *TargetGroup) ACKStatus() *core.ResourceStatus { return &r.Status.ResourceStatus }

func init() {
	SchemeBuilder.Register(&TargetGroup{}, &TargetGroupList{})
}
