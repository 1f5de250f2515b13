// Package v1alpha1 is the platform.docuflow.io/v1alpha1 API: the DocuFlowStack
// kind, which describes one DocuFlow environment on AWS, with its condition types
// and reasons. All validation lives in the CRD schema (OpenAPI and CEL), so no
// webhook server is needed.
// +kubebuilder:object:generate=true
// +groupName=platform.docuflow.io
package v1alpha1

import (
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/docuflow/docuflow-operator/internal/schemebuilder"
)

var (
	// GroupVersion is the API group and version of DocuFlowStack.
	GroupVersion = schema.GroupVersion{Group: "platform.docuflow.io", Version: "v1alpha1"}

	// SchemeBuilder registers the kinds of this group with a scheme.
	SchemeBuilder = &schemebuilder.Builder{GroupVersion: GroupVersion}

	// AddToScheme adds the kinds of this group to a scheme.
	AddToScheme = SchemeBuilder.AddToScheme
)
