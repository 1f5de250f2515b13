// Package install checks the release bundle dist/install.yaml on a real API
// server (envtest): every object is accepted by server-side apply with strict
// field validation, re-applying it changes nothing, the operator's pod passes
// the restricted Pod Security Standard, and the bundle is pinned to the
// image the Makefile builds.
package install
