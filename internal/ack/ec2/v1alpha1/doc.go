// Package v1alpha1 mirrors the ec2.services.k8s.aws/v1alpha1 kinds of the ACK
// EC2 controller that a DocuFlow stack emits. Only the fields the operator sets
// or reads are declared; JSON names and types match the upstream CRDs, which
// the conformance test proves.
// +kubebuilder:object:generate=true
// +groupName=ec2.services.k8s.aws
package v1alpha1
