package main

import (
	"os"

	platformv1alpha1 "github.com/docuflow/docuflow-operator/api/v1alpha1"
	"github.com/docuflow/docuflow-operator/internal/validate"
)

// sampleStack is the sample stack as the API server would store it.
func sampleStack() (*platformv1alpha1.DocuFlowStack, error) {
	b, err := os.ReadFile("../../config/samples/platform_v1alpha1_docuflowstack.yaml")
	if err != nil {
		return nil, err
	}
	return validate.DocuFlowStack(b)
}
