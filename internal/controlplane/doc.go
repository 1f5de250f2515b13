// Package controlplane starts an embedded Kubernetes control plane (envtest's
// kube-apiserver and etcd, built from source into bin/k8s) with the
// DocuFlowStack CRD and the ACK CRDs installed. Tests and `docuflow-dev demo`
// share it so they all see the same cluster shape.
package controlplane
