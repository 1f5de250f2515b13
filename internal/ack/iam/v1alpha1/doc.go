// Package v1alpha1 mirrors the iam.services.k8s.aws/v1alpha1 kinds of the ACK
// IAM controller that a DocuFlow stack emits. Roles are the identities of ECS
// tasks, flow logs and RDS monitoring. Only the fields the operator sets or
// reads are declared; JSON names and types match the upstream CRDs.
// +kubebuilder:object:generate=true
// +groupName=iam.services.k8s.aws
package v1alpha1
