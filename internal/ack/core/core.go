package core

import (
	ackv1alpha1 "github.com/aws-controllers-k8s/runtime/apis/core/v1alpha1"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// ResourceStatus is the status block that every ACK controller writes on every
// resource: the AWS identity of the resource and ACK's conditions.
type ResourceStatus struct {
	// ACKResourceMetadata is the AWS identity of the resource (ARN, owner account,
	// region), filled by the ACK controller once the resource exists in AWS.
	// +optional
	ACKResourceMetadata *ResourceMetadata `json:"ackResourceMetadata,omitempty"`
	// Conditions are ACK's view of the resource: Ready, ACK.ResourceSynced,
	// ACK.Terminal, ACK.Recoverable, ACK.ReferencesResolved and others.
	// +optional
	Conditions []*ackv1alpha1.Condition `json:"conditions,omitempty"`
}

// ResourceMetadata is ACK's ackv1alpha1.ResourceMetadata without partition:
// the ECS controller's CRDs (runtime v0.57) have no partition, so a mirror
// that declared it would not match them, and the operator never reads it.
type ResourceMetadata struct {
	// ARN is the resource's ARN, the value most refs resolve to.
	// +optional
	ARN *ackv1alpha1.AWSResourceName `json:"arn,omitempty"`
	// OwnerAccountID is the AWS account that owns the resource.
	OwnerAccountID *ackv1alpha1.AWSAccountID `json:"ownerAccountID"`
	// Region is the AWS region of the resource.
	Region *ackv1alpha1.AWSRegion `json:"region"`
}

// Object is any mirrored ACK resource: a Kubernetes object whose status carries
// the shared ACK block.
// +kubebuilder:object:generate=false
type Object interface {
	client.Object
	// ACKStatus returns the shared part of the resource's status, never nil.
	ACKStatus() *ResourceStatus
}

// ARN returns the resource's ARN, or "" while ACK has not reported one.
func (s *ResourceStatus) ARN() string {
	if s.ACKResourceMetadata == nil || s.ACKResourceMetadata.ARN == nil {
		return ""
	}
	return string(*s.ACKResourceMetadata.ARN)
}

// Condition returns the condition of the given type, or nil.
func (s *ResourceStatus) Condition(t ackv1alpha1.ConditionType) *ackv1alpha1.Condition {
	for _, c := range s.Conditions {
		if c != nil && c.Type == t {
			return c
		}
	}
	return nil
}
