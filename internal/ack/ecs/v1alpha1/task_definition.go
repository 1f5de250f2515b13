package v1alpha1

import (
	ackv1alpha1 "github.com/aws-controllers-k8s/runtime/apis/core/v1alpha1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/docuflow/docuflow-operator/internal/ack/core"
)

// TaskDefinitionSpec is the desired state of a TaskDefinition. Every change
// registers a new revision, and ACK writes AWS's defaults back into spec, so
// render them explicitly.
type TaskDefinitionSpec struct {
	// Family is the AWS name and primary key of the task definition.
	// +kubebuilder:validation:Required
	Family *string `json:"family,omitempty"`
	// CPU is the task-level CPU in units, as a string, e.g. "512".
	CPU *string `json:"cpu,omitempty"`
	// Memory is the task-level memory in MiB, as a string, e.g. "1024".
	Memory *string `json:"memory,omitempty"`
	// NetworkMode is awsvpc for Fargate.
	NetworkMode *string `json:"networkMode,omitempty"`
	// RequiresCompatibilities are the launch types, e.g. FARGATE.
	RequiresCompatibilities []*string `json:"requiresCompatibilities,omitempty"`
	// ExecutionRoleARN is the role ECS uses to pull images, read secrets and
	// write logs; it has no ref.
	ExecutionRoleARN *string `json:"executionRoleARN,omitempty"`
	// TaskRoleARN is the role the containers run as.
	TaskRoleARN *string `json:"taskRoleARN,omitempty"`
	// TaskRoleRef resolves TaskRoleARN from a Role's ARN.
	TaskRoleRef *ackv1alpha1.AWSResourceReferenceWrapper `json:"taskRoleRef,omitempty"`
	// RuntimePlatform is the CPU architecture and operating system.
	RuntimePlatform *RuntimePlatform `json:"runtimePlatform,omitempty"`
	// ContainerDefinitions are the task's containers.
	// +kubebuilder:validation:Required
	ContainerDefinitions []*ContainerDefinition `json:"containerDefinitions,omitempty"`
	// Tags are the AWS tags of the task definition.
	Tags []*Tag `json:"tags,omitempty"`
}

// RuntimePlatform is the platform a task runs on.
type RuntimePlatform struct {
	// CPUArchitecture is X86_64 or ARM64.
	CPUArchitecture *string `json:"cpuArchitecture,omitempty"`
	// OperatingSystemFamily is e.g. LINUX.
	OperatingSystemFamily *string `json:"operatingSystemFamily,omitempty"`
}

// ContainerDefinition is one container of a task.
type ContainerDefinition struct {
	// Name is the container's name.
	Name *string `json:"name,omitempty"`
	// Image is the container image reference.
	Image *string `json:"image,omitempty"`
	// Essential stops the task when this container stops.
	Essential *bool `json:"essential,omitempty"`
	// CPU is the container's CPU units; unlike the task's, an integer.
	CPU *int64 `json:"cpu,omitempty"`
	// Memory is the container's hard memory limit in MiB.
	Memory *int64 `json:"memory,omitempty"`
	// MemoryReservation is the container's soft memory limit in MiB.
	MemoryReservation *int64 `json:"memoryReservation,omitempty"`
	// PortMappings are the ports the container exposes.
	PortMappings []*PortMapping `json:"portMappings,omitempty"`
	// Environment are plain environment variables.
	Environment []*KeyValuePair `json:"environment,omitempty"`
	// Secrets are environment variables read from Secrets Manager or SSM.
	Secrets []*Secret `json:"secrets,omitempty"`
	// LogConfiguration is where the container's output goes.
	LogConfiguration *LogConfiguration `json:"logConfiguration,omitempty"`
	// HealthCheck is the container's health check command.
	HealthCheck *HealthCheck `json:"healthCheck,omitempty"`
	// ReadonlyRootFilesystem mounts the root filesystem read-only.
	ReadonlyRootFilesystem *bool `json:"readonlyRootFilesystem,omitempty"`
	// User is the user (and group) the container runs as, e.g. 1000:1000.
	User *string `json:"user,omitempty"`
	// Privileged gives the container root privileges on the host; Fargate
	// rejects it.
	Privileged *bool `json:"privileged,omitempty"`
	// LinuxParameters are Linux-specific options.
	LinuxParameters *LinuxParameters `json:"linuxParameters,omitempty"`
	// StopTimeout is the grace period in seconds before the container is
	// killed.
	StopTimeout *int64 `json:"stopTimeout,omitempty"`
	// Command overrides the image's CMD.
	Command []*string `json:"command,omitempty"`
	// EntryPoint overrides the image's ENTRYPOINT.
	EntryPoint []*string `json:"entryPoint,omitempty"`
}

// PortMapping is a port a container exposes.
type PortMapping struct {
	// ContainerPort is the port inside the container.
	ContainerPort *int64 `json:"containerPort,omitempty"`
	// HostPort equals ContainerPort under awsvpc.
	HostPort *int64 `json:"hostPort,omitempty"`
	// Protocol is tcp or udp.
	Protocol *string `json:"protocol,omitempty"`
	// Name names the mapping for Service Connect.
	Name *string `json:"name,omitempty"`
	// AppProtocol is http, http2 or grpc.
	AppProtocol *string `json:"appProtocol,omitempty"`
}

// KeyValuePair is a plain environment variable.
type KeyValuePair struct {
	// Name is the variable's name.
	Name *string `json:"name,omitempty"`
	// Value is the variable's value.
	Value *string `json:"value,omitempty"`
}

// Secret is an environment variable whose value ECS reads at task start.
type Secret struct {
	// Name is the variable's name.
	Name *string `json:"name,omitempty"`
	// ValueFrom is the secret's ARN, optionally with :json-key:stage:version.
	ValueFrom *string `json:"valueFrom,omitempty"`
}

// LogConfiguration is a container's log driver and its options.
type LogConfiguration struct {
	// LogDriver is e.g. awslogs.
	LogDriver *string `json:"logDriver,omitempty"`
	// Options are the driver's options, e.g. awslogs-group.
	Options map[string]*string `json:"options,omitempty"`
}

// HealthCheck is a container health check; durations are in seconds.
type HealthCheck struct {
	// Command is the check, e.g. ["CMD-SHELL", "curl -f http://localhost/"].
	Command []*string `json:"command,omitempty"`
	// Interval is the time between checks.
	Interval *int64 `json:"interval,omitempty"`
	// Timeout is how long one check may take.
	Timeout *int64 `json:"timeout,omitempty"`
	// Retries is how many failures make the container unhealthy.
	Retries *int64 `json:"retries,omitempty"`
	// StartPeriod is the grace period before failures count.
	StartPeriod *int64 `json:"startPeriod,omitempty"`
}

// LinuxParameters are Linux-specific container options.
type LinuxParameters struct {
	// InitProcessEnabled runs an init process that reaps zombies.
	InitProcessEnabled *bool `json:"initProcessEnabled,omitempty"`
	// Capabilities are the Linux capabilities added and dropped.
	Capabilities *KernelCapabilities `json:"capabilities,omitempty"`
}

// KernelCapabilities are Linux capabilities added to or dropped from the
// Docker default set.
type KernelCapabilities struct {
	// Add are the capabilities to add, e.g. NET_BIND_SERVICE.
	Add []*string `json:"add,omitempty"`
	// Drop are the capabilities to drop, e.g. ALL.
	Drop []*string `json:"drop,omitempty"`
}

// TaskDefinitionStatus is what ACK reports about a TaskDefinition. Its
// ackResourceMetadata.arn is the revisioned ARN.
type TaskDefinitionStatus struct {
	core.ResourceStatus `json:",inline"`
	// Revision is the latest active revision of the family.
	Revision *int64 `json:"revision,omitempty"`
	// Status is ACTIVE, INACTIVE or DELETE_IN_PROGRESS.
	Status *string `json:"status,omitempty"`
}

// TaskDefinition mirrors ACK's ecs TaskDefinition.
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:path=taskdefinitions,scope=Namespaced
type TaskDefinition struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec   TaskDefinitionSpec   `json:"spec,omitempty"`
	Status TaskDefinitionStatus `json:"status,omitempty"`
}

// TaskDefinitionList is a list of TaskDefinitions.
// +kubebuilder:object:root=true
type TaskDefinitionList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []TaskDefinition `json:"items"`
}

// ACKStatus returns the shared ACK status block.
func (r *TaskDefinition) ACKStatus() *core.ResourceStatus { return &r.Status.ResourceStatus }

func init() {
	SchemeBuilder.Register(&TaskDefinition{}, &TaskDefinitionList{})
}
