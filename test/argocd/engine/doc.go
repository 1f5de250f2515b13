// Package engine runs config/argocd/health.lua on Argo CD's own code
// (github.com/argoproj/argo-cd/v3 util/lua, util/settings and gitops-engine's
// health), against the stack-state fixtures in ../testdata/health. It is a
// module of its own so Argo CD's dependencies stay out of the operator's
// go.mod; run it with `make test-argocd`. It holds tests only.
package engine
