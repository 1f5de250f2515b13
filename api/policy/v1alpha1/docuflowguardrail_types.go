package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// DocuFlowGuardRailSpec is what the stacks of the namespaces bound to this
// guard rail may ask for. Every field is optional: an unset field sets no limit.
type DocuFlowGuardRailSpec struct {
	// AllowedRegions are the AWS regions spec.region may name.
	// +kubebuilder:validation:MaxItems=32
	// +kubebuilder:validation:items:Pattern=`^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-[0-9]$`
	// +kubebuilder:validation:items:MaxLength=32
	// +listType=set
	// +optional
	AllowedRegions []string `json:"allowedRegions,omitempty"`

	// AllowedImageRegistries are the prefixes spec.service.image must start
	// with: a registry host and optionally a repository path, ending in "/",
	// for example 123456789012.dkr.ecr.us-east-1.amazonaws.com/team-docs/.
	// +kubebuilder:validation:MaxItems=32
	// +kubebuilder:validation:items:Pattern=`^[^\s*?@]+/$`
	// +kubebuilder:validation:items:MaxLength=255
	// +listType=set
	// +optional
	AllowedImageRegistries []string `json:"allowedImageRegistries,omitempty"`

	// RequireImageDigest refuses images pinned by tag only: spec.service.image
	// must end in @sha256:<digest>.
	// +optional
	RequireImageDigest bool `json:"requireImageDigest,omitempty"`

	// AllowedInstanceClasses are the RDS instance classes the database may
	// use, its profile's default included when spec.database.instanceClass
	// is unset.
	// +kubebuilder:validation:MaxItems=64
	// +kubebuilder:validation:items:Pattern=`^db\.[a-z0-9-]+\.[a-z0-9]+$`
	// +kubebuilder:validation:items:MaxLength=32
	// +listType=set
	// +optional
	AllowedInstanceClasses []string `json:"allowedInstanceClasses,omitempty"`

	// MaxTaskCPU is the largest spec.service.cpu, in CPU units.
	// +kubebuilder:validation:Minimum=256
	// +kubebuilder:validation:Maximum=16384
	// +optional
	MaxTaskCPU *int32 `json:"maxTaskCPU,omitempty"`

	// MaxTaskMemory is the largest spec.service.memory, in MiB.
	// +kubebuilder:validation:Minimum=512
	// +kubebuilder:validation:Maximum=122880
	// +optional
	MaxTaskMemory *int32 `json:"maxTaskMemory,omitempty"`

	// MaxTasks is the largest spec.autoscaling.maxTasks.
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=1000
	// +optional
	MaxTasks *int32 `json:"maxTasks,omitempty"`

	// MaxStorageGiB is the largest database storage, both
	// spec.database.storageGiB and the autoscaling cap maxStorageGiB (twice
	// storageGiB when unset).
	// +kubebuilder:validation:Minimum=20
	// +kubebuilder:validation:Maximum=65536
	// +optional
	MaxStorageGiB *int32 `json:"maxStorageGiB,omitempty"`

	// AccountID is the AWS account the certificate (spec.loadBalancer.certificateARN)
	// and the alarm topic (spec.observability.alarmTopicARN) must belong to.
	// +kubebuilder:validation:Pattern=`^[0-9]{12}$`
	// +optional
	AccountID string `json:"accountID,omitempty"`

	// AllowedAccessLogBuckets are the S3 buckets
	// spec.loadBalancer.accessLogs.bucket may name. A bucket name does not
	// carry its account, so list the buckets the platform team owns in
	// AccountID.
	// +kubebuilder:validation:MaxItems=64
	// +kubebuilder:validation:items:Pattern=`^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$`
	// +listType=set
	// +optional
	AllowedAccessLogBuckets []string `json:"allowedAccessLogBuckets,omitempty"`
}

// DocuFlowGuardRail is the limits a platform team sets on the DocuFlowStacks
// of some namespaces: the parameter of the docuflow-guard-rails
// ValidatingAdmissionPolicy, chosen per namespace by a
// ValidatingAdmissionPolicyBinding's paramRef and namespace selector.
// +kubebuilder:object:root=true
// +kubebuilder:resource:scope=Cluster,categories=docuflow
type DocuFlowGuardRail struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// Spec is the limits.
	Spec DocuFlowGuardRailSpec `json:"spec"`
}

// DocuFlowGuardRailList is a list of DocuFlowGuardRails.
// +kubebuilder:object:root=true
type DocuFlowGuardRailList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	// Items are the guard rails.
	Items []DocuFlowGuardRail `json:"items"`
}

func init() {
	SchemeBuilder.Register(&DocuFlowGuardRail{}, &DocuFlowGuardRailList{})
}
