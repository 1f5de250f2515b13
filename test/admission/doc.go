// Package admission checks the ValidatingAdmissionPolicies the operator ships
// on a real API server (envtest): config/default's policy, which refuses spec
// changes while a stack is deleted and tag values outside the AWS grammar, and
// config/policy's guard rails, with the example DocuFlowGuardRail bound to a
// namespace. Each refusal must name the field; each rule has an accepted case.
package admission
