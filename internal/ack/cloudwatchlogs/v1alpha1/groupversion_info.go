package v1alpha1

import (
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/docuflow/docuflow-operator/internal/schemebuilder"
)

var (
	// GroupVersion is the API group and version of the ACK CloudWatch Logs controller.
	GroupVersion = schema.GroupVersion{Group: "cloudwatchlogs.services.k8s.aws", Version: "v1alpha1"}

	// SchemeBuilder registers the mirrored kinds with a scheme.
	SchemeBuilder = &schemebuilder.Builder{GroupVersion: GroupVersion}

	// AddToScheme adds the mirrored kinds to a scheme.
	AddToScheme = SchemeBuilder.AddToScheme
)
