package v1alpha1

// Condition types on a DocuFlowStack. Ready, Reconciling and Stalled follow
// kstatus; the others are one per component family.
const (
	// ConditionReady is the summary: every applicable family is ready at the
	// current generation.
	ConditionReady = "Ready"
	// ConditionReconciling is True while the operator converges the stack.
	ConditionReconciling = "Reconciling"
	// ConditionStalled is True when the stack cannot progress without a
	// change: invalid input or a child AWS refused for good.
	ConditionStalled = "Stalled"
	// ConditionNetworkReady covers the VPC, subnets, gateways, routes, flow
	// logs, endpoints and security groups.
	ConditionNetworkReady = "NetworkReady"
	// ConditionDatabaseReady covers the DB subnet group, parameter group and
	// instance.
	ConditionDatabaseReady = "DatabaseReady"
	// ConditionLoadBalancerReady covers the load balancer, target group and
	// listeners.
	ConditionLoadBalancerReady = "LoadBalancerReady"
	// ConditionServiceReady covers the roles, log group, cluster, task
	// definition and service.
	ConditionServiceReady = "ServiceReady"
	// ConditionAutoscalingReady covers the scalable target and its policies.
	ConditionAutoscalingReady = "AutoscalingReady"
	// ConditionAlarmsReady covers the CloudWatch alarms, when alarms are used.
	ConditionAlarmsReady = "AlarmsReady"
	// ConditionSuspended is True while spec.suspend stops all changes.
	ConditionSuspended = "Suspended"
	// ConditionDeleting is True while the stack's children are torn down,
	// naming the wave and what it waits on.
	ConditionDeleting = "Deleting"
	// ConditionRolledBack is True when the ECS deployment circuit breaker
	// rolled back the last rollout.
	ConditionRolledBack = "RolledBack"
)

// ConditionTypes are every condition type the operator writes; its status
// carries no other.
var ConditionTypes = []string{
	ConditionReady, ConditionReconciling, ConditionStalled,
	ConditionNetworkReady, ConditionDatabaseReady, ConditionLoadBalancerReady, ConditionServiceReady, ConditionAutoscalingReady, ConditionAlarmsReady,
	ConditionSuspended, ConditionDeleting, ConditionRolledBack,
}

// Condition reasons.
const (
	// ReasonReady says everything the condition covers is in sync with AWS.
	ReasonReady = "Ready"
	// ReasonWaitingForDependency says a child waits for values only another
	// child's creation in AWS provides.
	ReasonWaitingForDependency = "WaitingForDependency"
	// ReasonCreating says ACK is creating or updating a child in AWS.
	ReasonCreating = "Creating"
	// ReasonTerminal says ACK reported a child Terminal: it will not retry
	// without a change.
	ReasonTerminal = "Terminal"
	// ReasonRecoverable says ACK reported an error it retries.
	ReasonRecoverable = "Recoverable"
	// ReasonProgressing says the operator is applying a new generation.
	ReasonProgressing = "Progressing"
	// ReasonApplyFailed says writing a child to the API server failed.
	ReasonApplyFailed = "ApplyFailed"
	// ReasonInvalidSpec says the spec is invalid in a way the schema could
	// not catch.
	ReasonInvalidSpec = "InvalidSpec"
	// ReasonSuspended says spec.suspend is true.
	ReasonSuspended = "Suspended"
	// ReasonDeletingWave says a deletion wave is under way.
	ReasonDeletingWave = "DeletingWave"
	// ReasonCircuitBreaker says ECS's deployment circuit breaker rolled back.
	ReasonCircuitBreaker = "CircuitBreaker"
	// ReasonRolloutHealthy says the last rollout was not rolled back.
	ReasonRolloutHealthy = "RolloutHealthy"
	// ReasonACKFeatureGateMissing says an ACK controller runs without a
	// feature gate the stack needs (IgnoreFieldDrift on elbv2 or rds), as
	// the operator's gate probe found.
	ReasonACKFeatureGateMissing = "ACKFeatureGateMissing"
	// ReasonLostTrack says AWS refuses to create a child because it already
	// exists, while ACK has recorded no AWS ID for it: most likely an ACK
	// controller stopped between creating it and recording it. A person must
	// delete the orphan in AWS; the message says how to find it.
	ReasonLostTrack = "LostTrack"
	// ReasonAdoptionHeld: an adopted resource differs from the spec where
	// it cannot change in place (status.adopted says how); the stack's spec
	// is not applied to it.
	ReasonAdoptionHeld = "AdoptionHeld"
)
