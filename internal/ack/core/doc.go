// Package core holds what every mirrored ACK kind shares: the status block ACK
// fills on every resource (resource metadata and conditions) and the Object
// interface the operator uses to read any child without knowing its kind.
// +kubebuilder:object:generate=true
package core
