// Package manifests checks the shipped kustomize manifests: the operator's
// Deployment must pass the restricted Pod Security Standard, as the cluster's
// admission would evaluate it, and keep its hardening settings.
package manifests
