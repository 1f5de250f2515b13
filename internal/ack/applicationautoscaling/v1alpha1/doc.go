// Package v1alpha1 mirrors the applicationautoscaling.services.k8s.aws/v1alpha1
// kinds of the ACK Application Auto Scaling controller that a DocuFlow stack
// emits. Its kinds carry no tags. Only the fields the operator sets or reads
// are declared; JSON names and types match the upstream CRDs.
// +kubebuilder:object:generate=true
// +groupName=applicationautoscaling.services.k8s.aws
package v1alpha1
