// Package v1alpha1 is the policy.docuflow.io/v1alpha1 API: DocuFlowGuardRail,
// the cluster-scoped parameter of the docuflow-guard-rails
// ValidatingAdmissionPolicy (config/policy). A platform team writes one per
// tenant and binds it to the tenant's namespaces; the operator never reads it.
// +kubebuilder:object:generate=true
// +groupName=policy.docuflow.io
package v1alpha1

import (
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/docuflow/docuflow-operator/internal/schemebuilder"
)

var (
	// GroupVersion is the API group and version of DocuFlowGuardRail.
	GroupVersion = schema.GroupVersion{Group: "policy.docuflow.io", Version: "v1alpha1"}

	// SchemeBuilder registers the kinds of this group with a scheme.
	SchemeBuilder = &schemebuilder.Builder{GroupVersion: GroupVersion}

	// AddToScheme adds the kinds of this group to a scheme.
	AddToScheme = SchemeBuilder.AddToScheme
)
