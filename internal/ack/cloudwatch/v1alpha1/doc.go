// Package v1alpha1 mirrors the cloudwatch.services.k8s.aws/v1alpha1 kinds of
// the ACK CloudWatch controller that a DocuFlow stack emits. MetricAlarm's
// status carries no alarm state, only ACK's conditions. Only the fields the
// operator sets or reads are declared; JSON names and types match the upstream
// CRDs.
// +kubebuilder:object:generate=true
// +groupName=cloudwatch.services.k8s.aws
package v1alpha1
