package v1alpha1

import (
	ackv1alpha1 "github.com/aws-controllers-k8s/runtime/apis/core/v1alpha1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/docuflow/docuflow-operator/internal/ack/core"
)

// ServiceSpec is the desired state of a Service.
type ServiceSpec struct {
	// Name is the AWS name and primary key of the service.
	// +kubebuilder:validation:Required
	Name *string `json:"name,omitempty"`
	// Cluster is the name or ARN of the cluster.
	Cluster *string `json:"cluster,omitempty"`
	// ClusterRef resolves Cluster from a Cluster's spec.name.
	ClusterRef *ackv1alpha1.AWSResourceReferenceWrapper `json:"clusterRef,omitempty"`
	// TaskDefinition is the task definition to run; render the revisioned ARN
	// from the TaskDefinition's status.
	TaskDefinition *string `json:"taskDefinition,omitempty"`
	// TaskDefinitionRef resolves TaskDefinition from a TaskDefinition's
	// spec.family, without a revision; upstream then redeploys at every resync,
	// so prefer TaskDefinition.
	TaskDefinitionRef *ackv1alpha1.AWSResourceReferenceWrapper `json:"taskDefinitionRef,omitempty"`
	// DesiredCount is the number of tasks to run; ACK resets autoscaler
	// changes to it.
	DesiredCount *int64 `json:"desiredCount,omitempty"`
	// LaunchType is FARGATE, EC2 or EXTERNAL.
	LaunchType *string `json:"launchType,omitempty"`
	// PlatformVersion is the Fargate platform version, e.g. LATEST.
	PlatformVersion *string `json:"platformVersion,omitempty"`
	// NetworkConfiguration is the awsvpc network configuration of the tasks.
	NetworkConfiguration *NetworkConfiguration `json:"networkConfiguration,omitempty"`
	// LoadBalancers register the tasks with target groups.
	LoadBalancers []*LoadBalancer `json:"loadBalancers,omitempty"`
	// DeploymentConfiguration tunes rolling deployments.
	DeploymentConfiguration *DeploymentConfiguration `json:"deploymentConfiguration,omitempty"`
	// DeploymentController selects the deployment controller.
	DeploymentController *DeploymentController `json:"deploymentController,omitempty"`
	// HealthCheckGracePeriodSeconds is how long load balancer health checks
	// are ignored after a task starts.
	HealthCheckGracePeriodSeconds *int64 `json:"healthCheckGracePeriodSeconds,omitempty"`
	// EnableECSManagedTags adds the ECS-managed tags to tasks.
	EnableECSManagedTags *bool `json:"enableECSManagedTags,omitempty"`
	// PropagateTags is SERVICE, TASK_DEFINITION or NONE.
	PropagateTags *string `json:"propagateTags,omitempty"`
	// EnableExecuteCommand turns on ECS Exec.
	EnableExecuteCommand *bool `json:"enableExecuteCommand,omitempty"`
	// SchedulingStrategy is REPLICA or DAEMON.
	SchedulingStrategy *string `json:"schedulingStrategy,omitempty"`
	// Tags are the AWS tags of the service.
	Tags []*Tag `json:"tags,omitempty"`
}

// NetworkConfiguration is a service's network configuration.
type NetworkConfiguration struct {
	// AWSVPCConfiguration is the awsvpc configuration; upstream spells the
	// JSON key awsVPCConfiguration.
	AWSVPCConfiguration *AWSVPCConfiguration `json:"awsVPCConfiguration,omitempty"`
}

// AWSVPCConfiguration places tasks in subnets and security groups.
type AWSVPCConfiguration struct {
	// Subnets are the IDs of the tasks' subnets.
	Subnets []*string `json:"subnets,omitempty"`
	// SubnetRefs resolve Subnets from Subnets' status.subnetID.
	SubnetRefs []*ackv1alpha1.AWSResourceReferenceWrapper `json:"subnetRefs,omitempty"`
	// SecurityGroups are the IDs of the tasks' security groups.
	SecurityGroups []*string `json:"securityGroups,omitempty"`
	// SecurityGroupRefs resolve SecurityGroups from SecurityGroups' status.id.
	SecurityGroupRefs []*ackv1alpha1.AWSResourceReferenceWrapper `json:"securityGroupRefs,omitempty"`
	// AssignPublicIP is ENABLED or DISABLED.
	AssignPublicIP *string `json:"assignPublicIP,omitempty"`
}

// LoadBalancer registers a service's container port with a target group.
type LoadBalancer struct {
	// TargetGroupARN is the ARN of the target group.
	TargetGroupARN *string `json:"targetGroupARN,omitempty"`
	// TargetGroupRef resolves TargetGroupARN from an elbv2 TargetGroup's ARN.
	TargetGroupRef *ackv1alpha1.AWSResourceReferenceWrapper `json:"targetGroupRef,omitempty"`
	// ContainerName is the container that receives traffic.
	ContainerName *string `json:"containerName,omitempty"`
	// ContainerPort is the container port that receives traffic.
	ContainerPort *int64 `json:"containerPort,omitempty"`
}

// DeploymentConfiguration tunes rolling deployments.
type DeploymentConfiguration struct {
	// MaximumPercent caps running tasks during a deployment, in percent of
	// the desired count.
	MaximumPercent *int64 `json:"maximumPercent,omitempty"`
	// MinimumHealthyPercent is the floor of healthy tasks during a
	// deployment, in percent of the desired count.
	MinimumHealthyPercent *int64 `json:"minimumHealthyPercent,omitempty"`
	// DeploymentCircuitBreaker stops (and optionally rolls back) failing
	// deployments.
	DeploymentCircuitBreaker *DeploymentCircuitBreaker `json:"deploymentCircuitBreaker,omitempty"`
}

// DeploymentCircuitBreaker stops deployments whose tasks keep failing.
type DeploymentCircuitBreaker struct {
	// Enable turns the circuit breaker on.
	Enable *bool `json:"enable,omitempty"`
	// Rollback rolls back to the last completed deployment when it trips.
	Rollback *bool `json:"rollback,omitempty"`
}

// DeploymentController selects who deploys the service.
type DeploymentController struct {
	// Type is ECS, CODE_DEPLOY or EXTERNAL.
	Type *string `json:"type,omitempty"`
}

// Deployment is one deployment of a service as ECS reports it.
type Deployment struct {
	// ID is the deployment's ID.
	ID *string `json:"id,omitempty"`
	// Status is PRIMARY, ACTIVE or INACTIVE.
	Status *string `json:"status,omitempty"`
	// TaskDefinition is the ARN of the deployed task definition.
	TaskDefinition *string `json:"taskDefinition,omitempty"`
	// RolloutState is IN_PROGRESS, COMPLETED or FAILED.
	RolloutState *string `json:"rolloutState,omitempty"`
	// RolloutStateReason explains RolloutState.
	RolloutStateReason *string `json:"rolloutStateReason,omitempty"`
	// DesiredCount is the number of tasks the deployment wants.
	DesiredCount *int64 `json:"desiredCount,omitempty"`
	// RunningCount is the number of running tasks.
	RunningCount *int64 `json:"runningCount,omitempty"`
	// PendingCount is the number of pending tasks.
	PendingCount *int64 `json:"pendingCount,omitempty"`
	// FailedTasks is the number of tasks that failed to start.
	FailedTasks *int64 `json:"failedTasks,omitempty"`
	// CreatedAt is when the deployment started.
	CreatedAt *metav1.Time `json:"createdAt,omitempty"`
	// UpdatedAt is when the deployment last changed.
	UpdatedAt *metav1.Time `json:"updatedAt,omitempty"`
}

// ServiceStatus is what ACK reports about a Service. ACK's readiness does not
// follow rollouts; watch Deployments for that.
type ServiceStatus struct {
	core.ResourceStatus `json:",inline"`
	// Status is ACTIVE, DRAINING or INACTIVE.
	Status *string `json:"status,omitempty"`
	// RunningCount is the number of running tasks.
	RunningCount *int64 `json:"runningCount,omitempty"`
	// PendingCount is the number of pending tasks.
	PendingCount *int64 `json:"pendingCount,omitempty"`
	// Deployments are the service's current deployments.
	Deployments []*Deployment `json:"deployments,omitempty"`
	// ClusterARN is the ARN of the service's cluster.
	ClusterARN *string `json:"clusterARN,omitempty"`
}

// Service mirrors ACK's ecs Service.
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:path=services,scope=Namespaced
type Service struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec   ServiceSpec   `json:"spec,omitempty"`
	Status ServiceStatus `json:"status,omitempty"`
}

// ServiceList is a list of Services.
// +kubebuilder:object:root=true
type ServiceList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []Service `json:"items"`
}

// ACKStatus returns the shared ACK status block.
func (r *Service) ACKStatus() *core.ResourceStatus { return &r.Status.ResourceStatus }

func init() {
	SchemeBuilder.Register(&Service{}, &ServiceList{})
}
