// Package argocd tests the Argo CD integration in config/argocd: it runs the
// DocuFlowStack health check in gopher-lua the way Argo CD does, for every
// state the status contract allows, and keeps the copy inlined in argocd-cm
// and the example Application honest. It holds tests only.
package argocd
