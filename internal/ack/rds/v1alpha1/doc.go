// Package v1alpha1 mirrors the rds.services.k8s.aws/v1alpha1 kinds of the ACK
// RDS controller that a DocuFlow stack emits. The database tier is a
// DBSubnetGroup, a DBParameterGroup and a DBInstance. Only the fields the
// operator sets or reads are declared; JSON names and types match the upstream
// CRDs.
// +kubebuilder:object:generate=true
// +groupName=rds.services.k8s.aws
package v1alpha1
