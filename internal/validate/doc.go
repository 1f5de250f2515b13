// Package validate checks a DocuFlowStack manifest offline the way the API
// server checks it on create: it prunes and reports unknown fields, applies the
// CRD's schema defaults, then runs the OpenAPI schema, the list-type rules and
// the CEL x-kubernetes-validations of the embedded CRD with the same
// apiextensions-apiserver code the server runs.
package validate
