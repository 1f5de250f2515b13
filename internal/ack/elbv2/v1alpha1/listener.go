package v1alpha1

import (
	ackv1alpha1 "github.com/aws-controllers-k8s/runtime/apis/core/v1alpha1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/docuflow/docuflow-operator/internal/ack/core"
)

// ListenerSpec is the desired state of a Listener. Tags are only sent at
// creation.
type ListenerSpec struct {
	// LoadBalancerARN is the ARN of the listener's load balancer.
	LoadBalancerARN *string `json:"loadBalancerARN,omitempty"`
	// LoadBalancerRef resolves LoadBalancerARN from a LoadBalancer's ARN.
	LoadBalancerRef *ackv1alpha1.AWSResourceReferenceWrapper `json:"loadBalancerRef,omitempty"`
	// Port is the port the listener accepts traffic on.
	Port *int64 `json:"port,omitempty"`
	// Protocol is e.g. HTTP or HTTPS.
	Protocol *string `json:"protocol,omitempty"`
	// SSLPolicy is the TLS policy of an HTTPS listener.
	SSLPolicy *string `json:"sslPolicy,omitempty"`
	// Certificates are the server certificates of an HTTPS listener; they have
	// no ref.
	Certificates []*Certificate `json:"certificates,omitempty"`
	// DefaultActions are what the listener does with traffic no rule matches.
	// +kubebuilder:validation:Required
	DefaultActions []*Action `json:"defaultActions,omitempty"`
	// Tags are the AWS tags of the listener.
	Tags []*Tag `json:"tags,omitempty"`
}

// Certificate is a server certificate of a listener.
type Certificate struct {
	// CertificateARN is the ARN of the ACM certificate.
	CertificateARN *string `json:"certificateARN,omitempty"`
	// IsDefault marks the default certificate.
	IsDefault *bool `json:"isDefault,omitempty"`
}

// Action is a listener action.
type Action struct {
	// Type is forward, redirect, fixed-response, authenticate-oidc or
	// authenticate-cognito.
	Type *string `json:"type,omitempty"`
	// Order is the action's position when there are several.
	Order *int64 `json:"order,omitempty"`
	// TargetGroupARN is the target group of a forward action.
	TargetGroupARN *string `json:"targetGroupARN,omitempty"`
	// TargetGroupRef resolves TargetGroupARN from a TargetGroup's ARN.
	TargetGroupRef *ackv1alpha1.AWSResourceReferenceWrapper `json:"targetGroupRef,omitempty"`
	// ForwardConfig spreads a forward action over target groups; AWS
	// answers with it even for a single target group.
	ForwardConfig *ForwardActionConfig `json:"forwardConfig,omitempty"`
	// RedirectConfig configures a redirect action.
	RedirectConfig *RedirectActionConfig `json:"redirectConfig,omitempty"`
	// FixedResponseConfig configures a fixed-response action.
	FixedResponseConfig *FixedResponseActionConfig `json:"fixedResponseConfig,omitempty"`
}

// ForwardActionConfig is the target groups of a forward action.
type ForwardActionConfig struct {
	// TargetGroups are the target groups and their weights.
	TargetGroups []*TargetGroupTuple `json:"targetGroups,omitempty"`
	// TargetGroupStickinessConfig sets stickiness across the target groups.
	TargetGroupStickinessConfig *TargetGroupStickinessConfig `json:"targetGroupStickinessConfig,omitempty"`
}

// TargetGroupTuple is one target group of a forward action.
type TargetGroupTuple struct {
	// TargetGroupARN is the target group's ARN.
	TargetGroupARN *string `json:"targetGroupARN,omitempty"`
	// TargetGroupRef resolves TargetGroupARN from a TargetGroup's ARN.
	TargetGroupRef *ackv1alpha1.AWSResourceReferenceWrapper `json:"targetGroupRef,omitempty"`
	// Weight is the share of traffic the target group gets.
	Weight *int64 `json:"weight,omitempty"`
}

// TargetGroupStickinessConfig is stickiness across a forward action's target
// groups.
type TargetGroupStickinessConfig struct {
	// DurationSeconds is how long a client sticks to a target group.
	DurationSeconds *int64 `json:"durationSeconds,omitempty"`
	// Enabled turns stickiness on.
	Enabled *bool `json:"enabled,omitempty"`
}

// RedirectActionConfig is a redirect; unset parts keep the request's values.
type RedirectActionConfig struct {
	// Protocol is HTTP, HTTPS or #{protocol}.
	Protocol *string `json:"protocol,omitempty"`
	// Port is the port, as a string, e.g. "443".
	Port *string `json:"port,omitempty"`
	// Host is the host name.
	Host *string `json:"host,omitempty"`
	// Path is the absolute path.
	Path *string `json:"path,omitempty"`
	// Query is the query string without the leading ?.
	Query *string `json:"query,omitempty"`
	// StatusCode is HTTP_301 or HTTP_302.
	StatusCode *string `json:"statusCode,omitempty"`
}

// FixedResponseActionConfig is a fixed response.
type FixedResponseActionConfig struct {
	// StatusCode is the HTTP status code, as a string, e.g. "404".
	StatusCode *string `json:"statusCode,omitempty"`
	// ContentType is e.g. text/plain or application/json.
	ContentType *string `json:"contentType,omitempty"`
	// MessageBody is the response body.
	MessageBody *string `json:"messageBody,omitempty"`
}

// ListenerStatus is what ACK reports about a Listener: its ARN and conditions.
type ListenerStatus struct {
	core.ResourceStatus `json:",inline"`
}

// Listener mirrors ACK's elbv2 Listener.
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:path=listeners,scope=Namespaced
type Listener struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec   ListenerSpec   `json:"spec,omitempty"`
	Status ListenerStatus `json:"status,omitempty"`
}

// ListenerList is a list of Listeners.
// +kubebuilder:object:root=true
type ListenerList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []Listener `json:"items"`
}

// ACKStatus returns the shared ACK status block.
func (r *Listener) ACKStatus() *core.ResourceStatus { return &r.Status.ResourceStatus }

func init() {
	SchemeBuilder.Register(&Listener{}, &ListenerList{})
}
