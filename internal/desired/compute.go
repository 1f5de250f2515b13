package desired

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	platformv1alpha1 "github.com/docuflow/docuflow-operator/api/v1alpha1"
	"github.com/docuflow/docuflow-operator/app/contract"
	ecsv1alpha1 "github.com/docuflow/docuflow-operator/internal/ack/ecs/v1alpha1"
)

// Components of the service family that run the API.
const (
	componentCluster = "cluster"
	// componentService names the ECS Service; the TaskDefinition is named
	// componentService plus a content hash.
	componentService = "api"
)

// Fixed task and service settings.
const (
	// containerName is the API container's name in the task definition and
	// in the service's load balancer mapping.
	containerName = "api"
	// logStreamPrefix is the awslogs stream prefix of the API container.
	logStreamPrefix = "api"
	// deploymentPrimary is the status of an ECS service's current deployment.
	deploymentPrimary = "PRIMARY"

	stopTimeoutSeconds            = 30
	containerHealthInterval       = 15
	containerHealthTimeout        = 5
	containerHealthRetries        = 3
	containerHealthStartPeriod    = 30
	healthCheckGracePeriodSeconds = 60
	defaultTaskCPU                = 512
	defaultTaskMemory             = 1024
)

// ecsMeta is the TypeMeta of an ECS kind.
func ecsMeta(kind string) metav1.TypeMeta {
	return metav1.TypeMeta{APIVersion: ecsv1alpha1.GroupVersion.String(), Kind: kind}
}

// ecsTags are the component's tags as ECS tags.
func (b *builder) ecsTags(component string) []*ecsv1alpha1.Tag {
	tags := Tags(b.stack, component)
	out := make([]*ecsv1alpha1.Tag, 0, len(tags))
	for _, t := range tags {
		out = append(out, &ecsv1alpha1.Tag{Key: ptrTo(t.Key), Value: ptrTo(t.Value)})
	}
	return out
}

// strs returns pointers to copies of the strings.
func strs(in ...string) []*string {
	out := make([]*string, 0, len(in))
	for _, s := range in {
		out = append(out, ptrTo(s))
	}
	return out
}

// clusterName and serviceName are the AWS names of the ECS cluster and
// service; the scalable target's resource ID and the alarms repeat them.
func (b *builder) clusterName() string { return b.name(componentCluster, KubernetesName) }
func (b *builder) serviceName() string { return b.name(componentService, KubernetesName) }

// compute renders the ECS cluster, the task definition of the current
// content and the service running it.
func (b *builder) compute() {
	b.emit(&ecsv1alpha1.Cluster{
		TypeMeta:   ecsMeta("Cluster"),
		ObjectMeta: objectMeta(b.stack, FamilyService, componentCluster),
		Spec: ecsv1alpha1.ClusterSpec{
			Name:              ptrTo(b.clusterName()),
			Settings:          []*ecsv1alpha1.ClusterSetting{{Name: ptrTo("containerInsights"), Value: ptrTo("enabled")}},
			CapacityProviders: strs("FARGATE"),
			Tags:              b.ecsTags(componentCluster),
		},
	})

	td, missing := b.taskDefinition()
	if td == nil {
		b.wait(FamilyService, "TaskDefinition", b.name(componentService, KubernetesName), missing...)
	} else {
		b.emit(td)
	}

	// A new task definition's ARN appears only once ACK has registered it;
	// until then an existing service keeps running its current revision
	// (and keeps being applied), and a new service waits.
	taskDef := b.obs.TaskDefinitionARN
	if taskDef == "" {
		taskDef = b.obs.ServiceTaskDefinitionARN
	}
	if taskDef == "" {
		what := "TaskDefinition ARN"
		if td != nil {
			what = "TaskDefinition " + td.Name + " ARN"
		}
		b.wait(FamilyService, "Service", b.serviceName(), what)
		return
	}
	b.emit(b.service(taskDef))
}

// taskDefinitionInputs lists the observed values the task definition needs
// that are still missing.
func (b *builder) taskDefinitionInputs() []string {
	var missing []string
	if b.obs.ExecutionRoleARN == "" {
		missing = append(missing, "Role "+b.name(componentTaskExecution, KubernetesName)+" ARN")
	}
	if b.obs.DBEndpointAddress == "" {
		missing = append(missing, "DBInstance "+b.name(componentDB, KubernetesName)+" endpoint")
	}
	if b.obs.DBSecretARN == "" {
		missing = append(missing, "DBInstance "+b.name(componentDB, KubernetesName)+" master user secret ARN")
	}
	return missing
}

// taskDefinition renders the task definition, or returns nil and the missing
// values. Its metadata.name and family are "<stack>-api-<hash>", the hash
// covering the whole spec: ACK registers a revision for every spec change and
// deregisters every revision of a family on delete, so each content gets its
// own object and family, and the old one can be deleted once unused.
func (b *builder) taskDefinition() (*ecsv1alpha1.TaskDefinition, []string) {
	if missing := b.taskDefinitionInputs(); len(missing) > 0 {
		return nil, missing
	}
	port := int64(b.s.ContainerPort)
	dbPort := b.obs.DBEndpointPort
	if dbPort == 0 {
		dbPort = portPostgres
	}
	plain := map[string]string{
		contract.EnvListenPort: strconv.FormatInt(port, 10),
		contract.EnvDBHost:     b.obs.DBEndpointAddress,
		contract.EnvDBPort:     strconv.FormatInt(dbPort, 10),
		contract.EnvDBName:     b.s.DatabaseName,
	}
	env := make([]*ecsv1alpha1.KeyValuePair, 0, len(plain)+len(b.stack.Spec.Service.Env))
	for _, name := range contract.PlainEnv() {
		env = append(env, &ecsv1alpha1.KeyValuePair{Name: ptrTo(name), Value: ptrTo(plain[name])})
	}
	for _, e := range b.stack.Spec.Service.Env {
		// The schema reserves DOCUFLOW_ for the operator; should one slip
		// through, the operator's value wins.
		if _, reserved := plain[e.Name]; reserved {
			continue
		}
		if _, secret := contract.SecretEnv()[e.Name]; secret {
			continue
		}
		env = append(env, &ecsv1alpha1.KeyValuePair{Name: ptrTo(e.Name), Value: ptrTo(e.Value)})
	}
	// ECS may hand the list back in another order; a sorted list is what
	// the spec compares against.
	slices.SortStableFunc(env, func(x, y *ecsv1alpha1.KeyValuePair) int {
		switch {
		case *x.Name < *y.Name:
			return -1
		case *x.Name > *y.Name:
			return 1
		}
		return 0
	})

	secretNames := make([]string, 0, len(contract.SecretEnv()))
	for name := range contract.SecretEnv() {
		secretNames = append(secretNames, name)
	}
	slices.Sort(secretNames)
	secrets := make([]*ecsv1alpha1.Secret, 0, len(secretNames))
	for _, name := range secretNames {
		// <secret ARN>:<JSON key>:<version stage>:<version id>, the last two
		// empty for the current version.
		secrets = append(secrets, &ecsv1alpha1.Secret{
			Name:      ptrTo(name),
			ValueFrom: ptrTo(b.obs.DBSecretARN + ":" + contract.SecretEnv()[name] + "::"),
		})
	}

	svc := b.stack.Spec.Service
	container := &ecsv1alpha1.ContainerDefinition{
		Name:      ptrTo(containerName),
		Image:     ptrTo(svc.Image),
		Essential: ptrTo(true),
		// ECS writes cpu 0, hostPort and protocol back when they are left
		// out, which would look like drift and register a new revision.
		CPU: ptrTo(int64(0)),
		PortMappings: []*ecsv1alpha1.PortMapping{{
			ContainerPort: ptrTo(port),
			HostPort:      ptrTo(port),
			Protocol:      ptrTo("tcp"),
			Name:          ptrTo("http"),
			AppProtocol:   ptrTo("http"),
		}},
		Environment:            env,
		Secrets:                secrets,
		ReadonlyRootFilesystem: ptrTo(true),
		User:                   ptrTo(fmt.Sprintf("%d:%d", contract.RunAsUID, contract.RunAsGID)),
		Privileged:             ptrTo(false),
		LinuxParameters: &ecsv1alpha1.LinuxParameters{
			InitProcessEnabled: ptrTo(true),
			Capabilities:       &ecsv1alpha1.KernelCapabilities{Drop: strs("ALL")},
		},
		StopTimeout: ptrTo(int64(stopTimeoutSeconds)),
		LogConfiguration: &ecsv1alpha1.LogConfiguration{
			LogDriver: ptrTo("awslogs"),
			Options: map[string]*string{
				"awslogs-group":         ptrTo(b.logGroupName(componentAppLogs)),
				"awslogs-region":        ptrTo(b.s.Region),
				"awslogs-stream-prefix": ptrTo(logStreamPrefix),
			},
		},
		HealthCheck: &ecsv1alpha1.HealthCheck{
			Command:     strs(contract.HealthCheckCommand()...),
			Interval:    ptrTo(int64(containerHealthInterval)),
			Timeout:     ptrTo(int64(containerHealthTimeout)),
			Retries:     ptrTo(int64(containerHealthRetries)),
			StartPeriod: ptrTo(int64(containerHealthStartPeriod)),
		},
	}
	spec := ecsv1alpha1.TaskDefinitionSpec{
		CPU:                     ptrTo(strconv.Itoa(int(orDefault(svc.CPU, defaultTaskCPU)))),
		Memory:                  ptrTo(strconv.Itoa(int(orDefault(svc.Memory, defaultTaskMemory)))),
		NetworkMode:             ptrTo("awsvpc"),
		RequiresCompatibilities: strs("FARGATE"),
		RuntimePlatform:         &ecsv1alpha1.RuntimePlatform{OperatingSystemFamily: ptrTo("LINUX"), CPUArchitecture: ptrTo("X86_64")},
		ExecutionRoleARN:        ptrTo(b.obs.ExecutionRoleARN),
		TaskRoleRef:             ref(b.name(componentTask, KubernetesName)),
		ContainerDefinitions:    []*ecsv1alpha1.ContainerDefinition{container},
		Tags:                    b.ecsTags(componentService),
	}
	name := Name(b.stack.Name, componentService+"-"+specHash(spec), KubernetesName)
	spec.Family = ptrTo(name)
	meta := objectMeta(b.stack, FamilyService, componentService)
	meta.Name = name
	return &ecsv1alpha1.TaskDefinition{TypeMeta: ecsMeta("TaskDefinition"), ObjectMeta: meta, Spec: spec}, nil
}

// specHash is the first hashLength hex characters of the SHA-256 of the
// spec's JSON; encoding/json writes struct fields in order and map keys
// sorted, so equal specs hash equally.
func specHash(spec ecsv1alpha1.TaskDefinitionSpec) string {
	raw, err := json.Marshal(spec)
	if err != nil {
		panic("encoding a task definition spec: " + err.Error())
	}
	sum := sha256.Sum256(raw)
	return hex.EncodeToString(sum[:])[:hashLength]
}

// taskDefinitionName is the metadata.name the stack's task definition has
// with the observed values, and false while values it needs are missing.
func taskDefinitionName(stack *platformv1alpha1.DocuFlowStack, obs Observed) (string, bool) {
	b := &builder{stack: stack, s: Resolve(stack), obs: obs}
	td, _ := b.taskDefinition()
	if td == nil {
		return "", false
	}
	return td.Name, true
}

// desiredCount is the service's task count: minTasks for a new service, and
// afterwards the count the autoscaler set (read from the PRIMARY deployment),
// clamped to minTasks..maxTasks. The ECS controller resets desiredCount to
// the spec at every resync, so the spec follows the autoscaler.
func (b *builder) desiredCount() int64 {
	lo, hi := int64(b.s.MinTasks), int64(b.s.MaxTasks)
	n := b.obs.ServiceDesiredCount
	if n == 0 {
		return lo
	}
	return max(lo, min(n, hi))
}

// service renders the ECS service running the task definition revision
// taskDef in the private subnets behind the target group.
func (b *builder) service(taskDef string) *ecsv1alpha1.Service {
	return &ecsv1alpha1.Service{
		TypeMeta:   ecsMeta("Service"),
		ObjectMeta: objectMeta(b.stack, FamilyService, componentService),
		Spec: ecsv1alpha1.ServiceSpec{
			Name:       ptrTo(b.serviceName()),
			ClusterRef: ref(b.name(componentCluster, KubernetesName)),
			// The revisioned ARN, not taskDefinitionRef: the ref resolves to
			// the bare family, which differs from what ECS reports and makes
			// every resync redeploy.
			TaskDefinition:  ptrTo(taskDef),
			DesiredCount:    ptrTo(b.desiredCount()),
			LaunchType:      ptrTo("FARGATE"),
			PlatformVersion: ptrTo("LATEST"),
			NetworkConfiguration: &ecsv1alpha1.NetworkConfiguration{
				AWSVPCConfiguration: &ecsv1alpha1.AWSVPCConfiguration{
					SubnetRefs:        refs(b.privateSubnetNames()...),
					SecurityGroupRefs: refs(b.name(componentServiceSG, KubernetesName)),
					AssignPublicIP:    ptrTo("DISABLED"),
				},
			},
			LoadBalancers: []*ecsv1alpha1.LoadBalancer{{
				TargetGroupRef: ref(b.name(componentTargetGroup, KubernetesName)),
				ContainerName:  ptrTo(containerName),
				ContainerPort:  ptrTo(int64(b.s.ContainerPort)),
			}},
			DeploymentConfiguration: &ecsv1alpha1.DeploymentConfiguration{
				MaximumPercent:        ptrTo(int64(200)),
				MinimumHealthyPercent: ptrTo(int64(100)),
				DeploymentCircuitBreaker: &ecsv1alpha1.DeploymentCircuitBreaker{
					Enable:   ptrTo(true),
					Rollback: ptrTo(true),
				},
			},
			DeploymentController:          &ecsv1alpha1.DeploymentController{Type: ptrTo("ECS")},
			HealthCheckGracePeriodSeconds: ptrTo(int64(healthCheckGracePeriodSeconds)),
			EnableECSManagedTags:          ptrTo(true),
			PropagateTags:                 ptrTo("SERVICE"),
			EnableExecuteCommand:          ptrTo(false),
			SchedulingStrategy:            ptrTo("REPLICA"),
			Tags:                          b.ecsTags(componentService),
		},
	}
}
