// Package chart tests the Helm chart in dist/chart with Helm's own packages:
// it lints strictly, its default render equals dist/install.yaml object for
// object, and its values reach the objects they configure. It is a module of
// its own so that Helm's dependencies stay out of the operator's go.mod.
package chart
