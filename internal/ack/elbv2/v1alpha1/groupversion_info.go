package v1alpha1

import (
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/docuflow/docuflow-operator/internal/schemebuilder"
)

var (
	// GroupVersion is the API group and version of the ACK ELBv2 controller.
	GroupVersion = schema.GroupVersion{Group: "elbv2.services.k8s.aws", Version: "v1alpha1"}

	// SchemeBuilder registers the mirrored kinds with a scheme.
	SchemeBuilder = &schemebuilder.Builder{GroupVersion: GroupVersion}

	// AddToScheme adds the mirrored kinds to a scheme.
	AddToScheme = SchemeBuilder.AddToScheme
)

// Tag is a key/value pair attached to an AWS resource.
type Tag struct {
	// Key is the tag's key.
	Key *string `json:"key,omitempty"`
	// Value is the tag's value.
	Value *string `json:"value,omitempty"`
}
