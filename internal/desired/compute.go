package desired

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	ackv1alpha1 "github.com/aws-controllers-k8s/runtime/apis/core/v1alpha1"
	corev1 "k8s.io/api/core/v1"
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
func (b *builder) clusterName() string {
	if a := b.stack.Spec.Adopt; a != nil && a.ECSClusterName != "" {
		return a.ECSClusterName
	}
	return b.awsName(componentCluster, ECSName)
}
func (b *builder) serviceName() string { return b.awsName(componentService, ECSName) }

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

	td, tdMissing := b.taskDefinition()
	if td == nil {
		b.wait(FamilyService, "TaskDefinition", b.name(componentService, KubernetesName), tdMissing...)
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
	var missing []string
	if taskDef == "" {
		what := "TaskDefinition ARN"
		if td != nil {
			what = "TaskDefinition " + td.Name + " ARN"
		}
		missing = append(missing, what)
	}
	subnets, missingSubnets := b.privateSubnetIDs()
	missing = append(missing, missingSubnets...)
	sgName := b.name(componentServiceSG, KubernetesName)
	sg := b.obs.SecurityGroupIDs[sgName]
	if sg == "" {
		missing = append(missing, "SecurityGroup "+sgName+" ID")
	}
	tgName := b.name(componentTargetGroup, KubernetesName)
	if b.obs.TargetGroupARN == "" {
		missing = append(missing, "TargetGroup "+tgName+" ARN")
	}
	if len(missing) > 0 {
		b.wait(FamilyService, "Service", b.name(componentService, KubernetesName), missing...)
		return
	}
	svc := b.service(taskDef, subnets, sg)
	deps := []Key{{"SecurityGroup", sgName}, {"TargetGroup", tgName}, {"TaskDefinition", taskDefinitionFamily(taskDef)}, b.forwardingListener()}
	for _, n := range b.privateSubnetNames() {
		deps = append(deps, Key{"Subnet", n})
	}
	b.uses(svc, deps...)
	b.svc = svc
	b.emit(svc)
}

// privateSubnetIDs returns the IDs of the private subnets, in zone order, or
// what is missing.
func (b *builder) privateSubnetIDs() ([]string, []string) {
	var ids, missing []string
	for _, n := range b.privateSubnetNames() {
		id := b.obs.SubnetIDs[n]
		if id == "" {
			missing = append(missing, "Subnet "+n+" ID")
			continue
		}
		ids = append(ids, id)
	}
	return ids, missing
}

// taskDefinitionFamily returns the family of a revisioned task definition
// ARN, which is the TaskDefinition child's name.
func taskDefinitionFamily(arn string) string {
	_, rest, _ := strings.Cut(arn, ":task-definition/")
	family, _, _ := strings.Cut(rest, ":")
	return family
}

// forwardingListener is the listener that forwards to the target group. ECS
// refuses, with a terminal error, a service whose target group no load
// balancer forwards to yet, so the service is created only after it.
func (b *builder) forwardingListener() Key {
	if b.s.InsecureHTTPOnly {
		return Key{"Listener", b.name(componentHTTPListener, KubernetesName)}
	}
	return Key{"Listener", b.name(componentHTTPSListener, KubernetesName)}
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
	env := make([]*ecsv1alpha1.KeyValuePair, 0, len(plain)+len(b.stack.Spec.Service.Env)+4)
	for _, name := range contract.PlainEnv() {
		env = append(env, &ecsv1alpha1.KeyValuePair{Name: ptrTo(name), Value: ptrTo(plain[name])})
	}
	// The app fetches the database password from the secret each time it
	// opens a connection, so an RDS rotation costs no outage; the injected
	// one below serves only an older image.
	optional := map[string]string{contract.EnvDBSecretARN: b.obs.DBSecretARN}
	if auth := b.stack.Spec.Service.Auth; auth != nil {
		optional[contract.EnvAuthIssuer] = auth.Issuer
		optional[contract.EnvAuthAudience] = auth.Audience
		if auth.AdminGroup != "" {
			optional[contract.EnvAuthAdminGroup] = auth.AdminGroup
		}
	}
	for _, name := range contract.OptionalEnv() {
		if v, ok := optional[name]; ok {
			env = append(env, &ecsv1alpha1.KeyValuePair{Name: ptrTo(name), Value: ptrTo(v)})
		}
	}
	for _, e := range b.stack.Spec.Service.Env {
		// The schema reserves DOCUFLOW_ for the operator; should one slip
		// through, no name the app reads is taken from it.
		if slices.Contains(contract.AllEnv(), e.Name) {
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
		CPU:                     ptrTo(strconv.Itoa(int(b.s.TaskCPU))),
		Memory:                  ptrTo(strconv.Itoa(int(b.s.TaskMemory))),
		NetworkMode:             ptrTo("awsvpc"),
		RequiresCompatibilities: strs("FARGATE"),
		RuntimePlatform:         &ecsv1alpha1.RuntimePlatform{OperatingSystemFamily: ptrTo("LINUX"), CPUArchitecture: ptrTo("X86_64")},
		ExecutionRoleARN:        ptrTo(b.obs.ExecutionRoleARN),
		TaskRoleRef:             ref(b.name(componentTask, KubernetesName)),
		ContainerDefinitions:    []*ecsv1alpha1.ContainerDefinition{container},
		Tags:                    b.ecsTags(componentService),
	}
	// The family is the child's name (taskDefinitionFamily reads one from
	// the other), so both carry the stack's AWS name scope.
	name := b.awsName(componentService+"-"+specHash(spec), KubernetesName)
	spec.Family = ptrTo(name)
	meta := objectMeta(b.stack, FamilyService, componentService)
	meta.Name = name
	td := &ecsv1alpha1.TaskDefinition{TypeMeta: ecsMeta("TaskDefinition"), ObjectMeta: meta, Spec: spec}
	b.uses(td,
		Key{"Role", b.name(componentTaskExecution, KubernetesName)},
		Key{"DBInstance", b.name(componentDB, KubernetesName)},
		Key{"LogGroup", b.name(componentAppLogs, KubernetesName)},
	)
	return td, nil
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
	scope, err := awsNameScope(stack)
	if err != nil {
		return "", false
	}
	b := &builder{stack: stack, s: Resolve(stack), obs: obs, scope: scope}
	td, _ := b.taskDefinition()
	if td == nil {
		return "", false
	}
	return td.Name, true
}

// desiredCount is the service's task count: minTasks for a new service, and
// afterwards the count the autoscaler set (read from the PRIMARY deployment),
// clamped to minTasks..maxTasks. It is not part of the render's hash, so the
// autoscaler moving it never makes the operator write; when the operator
// writes the Service for a change of its own, it carries the count ECS runs
// now. Between such writes the Service is read-only (holdServiceReadOnly),
// so the ECS controller never sends a stale count.
func (b *builder) desiredCount() int64 {
	lo, hi := int64(b.s.MinTasks), int64(b.s.MaxTasks)
	n := b.obs.ServiceDesiredCount
	if n == 0 {
		return lo
	}
	return max(lo, min(n, hi))
}

// service renders the ECS service running the task definition revision
// taskDef in the private subnets behind the target group. The subnets,
// security group and target group are literal IDs and ARNs, not references:
// the ECS controller rebuilds networkConfiguration and loadBalancers from
// AWS's answer without the references and writes that back, and a spec with
// both a reference and its ID is refused by its reference validation, after
// which the Service is never reconciled again.
func (b *builder) service(taskDef string, subnets []string, sg string) *ecsv1alpha1.Service {
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
					Subnets:        strs(subnets...),
					SecurityGroups: strs(sg),
					AssignPublicIP: ptrTo("DISABLED"),
				},
			},
			LoadBalancers: []*ecsv1alpha1.LoadBalancer{{
				TargetGroupARN: ptrTo(b.obs.TargetGroupARN),
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

// holdServiceReadOnly puts ACK's read-only annotation on the Service between
// the operator's own changes. ecs-controller 1.2.1 (ACK runtime v0.57) has no
// ignore-field-drift: every reconcile of a Service, a resync or a restart
// included, sends the spec's desiredCount and taskDefinition to ECS, which
// resets the count Application Auto Scaling chose and undoes a circuit-breaker
// rollback. Read-only, ACK still reads the service into the status but never
// updates it.
//
// The Service is writable while a change of the operator's own is on its
// way: when its render hashes differently from the last one applied (the
// write lifts read-only, carrying the task count ECS runs now), and until ACK
// has reconciled since that write and ECS reports the new task definition as
// the primary deployment's. Then it is read-only again.
func (b *builder) holdServiceReadOnly() {
	if b.svc == nil {
		return
	}
	o := b.obs.Service
	if !o.Exists || o.AppliedHash != RenderHash(b.svc) {
		return
	}
	settled := o.Synced && !o.SyncedAt.Before(o.AppliedAt) && o.PrimaryTaskDefinition == ptrValue(b.svc.Spec.TaskDefinition)
	if o.ReadOnly || settled {
		setAnnotation(b.svc, AnnotationReadOnly, "true")
	}
}

// readService reads what holdServiceReadOnly needs from the live Service.
func readService(o *ecsv1alpha1.Service) ServiceObservation {
	out := ServiceObservation{
		Exists:         true,
		ReadOnly:       strings.EqualFold(o.GetAnnotations()[AnnotationReadOnly], "true"),
		AppliedHash:    o.GetAnnotations()[AnnotationAppliedHash],
		TaskDefinition: ptrValue(o.Spec.TaskDefinition),
	}
	if at, err := time.Parse(time.RFC3339, o.GetAnnotations()[AnnotationAppliedAt]); err == nil {
		out.AppliedAt = at
	}
	if c := o.Status.Condition(ackv1alpha1.ConditionTypeResourceSynced); c != nil {
		out.Synced = c.Status == corev1.ConditionTrue
		if c.LastTransitionTime != nil {
			out.SyncedAt = c.LastTransitionTime.Time
		}
	}
	for _, d := range o.Status.Deployments {
		if d != nil && ptrValue(d.Status) == deploymentPrimary {
			out.PrimaryTaskDefinition = ptrValue(d.TaskDefinition)
		}
	}
	return out
}

// ptrValue returns *p, or the zero value for nil.
func ptrValue[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}
