package v1alpha1

import (
	ackv1alpha1 "github.com/aws-controllers-k8s/runtime/apis/core/v1alpha1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/docuflow/docuflow-operator/internal/ack/core"
)

// RoleSpec is the desired state of a Role.
type RoleSpec struct {
	// Name is the AWS name and primary key of the role.
	// +kubebuilder:validation:Required
	Name *string `json:"name,omitempty"`
	// Description describes the role.
	Description *string `json:"description,omitempty"`
	// Path is the IAM path of the role; AWS defaults it to /.
	Path *string `json:"path,omitempty"`
	// AssumeRolePolicyDocument is the trust policy as a JSON string.
	// +kubebuilder:validation:Required
	AssumeRolePolicyDocument *string `json:"assumeRolePolicyDocument,omitempty"`
	// Policies are the ARNs of the attached managed policies.
	Policies []*string `json:"policies,omitempty"`
	// PolicyRefs resolve Policies from iam Policies' ARNs; upstream rejects
	// combining them with Policies.
	PolicyRefs []*ackv1alpha1.AWSResourceReferenceWrapper `json:"policyRefs,omitempty"`
	// InlinePolicies maps inline policy names to JSON policy documents.
	InlinePolicies map[string]*string `json:"inlinePolicies,omitempty"`
	// MaxSessionDuration is the longest session in seconds; AWS defaults it to
	// 3600.
	MaxSessionDuration *int64 `json:"maxSessionDuration,omitempty"`
	// PermissionsBoundary is the ARN of the managed policy that bounds the
	// role's permissions.
	PermissionsBoundary *string `json:"permissionsBoundary,omitempty"`
	// PermissionsBoundaryRef resolves PermissionsBoundary from an iam Policy's
	// ARN.
	PermissionsBoundaryRef *ackv1alpha1.AWSResourceReferenceWrapper `json:"permissionsBoundaryRef,omitempty"`
	// Tags are the AWS tags of the role.
	Tags []*Tag `json:"tags,omitempty"`
}

// RoleStatus is what ACK reports about a Role. Its ARN, the value every ref to
// a role resolves to, is in ackResourceMetadata.arn.
type RoleStatus struct {
	core.ResourceStatus `json:",inline"`
	// RoleID is the stable AWS ID of the role (AROA...).
	RoleID *string `json:"roleID,omitempty"`
}

// Role mirrors ACK's iam Role.
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:path=roles,scope=Namespaced
type Role struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec   RoleSpec   `json:"spec,omitempty"`
	Status RoleStatus `json:"status,omitempty"`
}

// RoleList is a list of Roles.
// +kubebuilder:object:root=true
type RoleList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []Role `json:"items"`
}

// ACKStatus returns the shared ACK status block.
func (r *Role) ACKStatus() *core.ResourceStatus { return &r.Status.ResourceStatus }

func init() {
	SchemeBuilder.Register(&Role{}, &RoleList{})
}
