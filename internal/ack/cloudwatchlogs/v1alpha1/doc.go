// Package v1alpha1 mirrors the cloudwatchlogs.services.k8s.aws/v1alpha1 kinds
// of the ACK CloudWatch Logs controller that a DocuFlow stack emits. LogGroup
// is the only kind here whose tags are a map. Only the fields the operator sets
// or reads are declared; JSON names and types match the upstream CRDs.
// +kubebuilder:object:generate=true
// +groupName=cloudwatchlogs.services.k8s.aws
package v1alpha1
