// Package v1alpha1 mirrors the ecs.services.k8s.aws/v1alpha1 kinds of the ACK
// ECS controller that a DocuFlow stack emits. The compute tier is a Cluster,
// TaskDefinitions and Services on Fargate. Only the fields the operator sets or
// reads are declared; JSON names and types match the upstream CRDs.
// +kubebuilder:object:generate=true
// +groupName=ecs.services.k8s.aws
package v1alpha1
