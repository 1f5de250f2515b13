// Package v1alpha1 mirrors the elbv2.services.k8s.aws/v1alpha1 kinds of the ACK
// ELBv2 controller that a DocuFlow stack emits. The load-balancing tier is a
// LoadBalancer, TargetGroups and Listeners. Only the fields the operator sets
// or reads are declared; JSON names and types match the upstream CRDs.
// +kubebuilder:object:generate=true
// +groupName=elbv2.services.k8s.aws
package v1alpha1
