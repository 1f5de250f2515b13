package desired

import (
	"encoding/json"
	"fmt"
	"maps"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"

	platformv1alpha1 "github.com/docuflow/docuflow-operator/api/v1alpha1"
	"github.com/docuflow/docuflow-operator/app/contract"
	applicationautoscalingv1alpha1 "github.com/docuflow/docuflow-operator/internal/ack/applicationautoscaling/v1alpha1"
	"github.com/docuflow/docuflow-operator/internal/ack/core"
	ecsv1alpha1 "github.com/docuflow/docuflow-operator/internal/ack/ecs/v1alpha1"
)

// secretLooking is the pattern the API rejects in plain environment names.
var secretLooking = regexp.MustCompile(`(?i)(PASSWORD|PASSWD|SECRET|TOKEN|API_?KEY|PRIVATE_?KEY|CREDENTIAL|ACCESS_?KEY)`)

// only returns the single object of type T or fails the test.
func only[T core.Object](t *testing.T, objs []core.Object) T {
	t.Helper()
	got := ofKind[T](objs)
	if len(got) != 1 {
		var zero T
		t.Fatalf("rendered %d objects of %T, want 1", len(got), zero)
	}
	return got[0]
}

// apiContainer is the task definition's only container.
func apiContainer(t *testing.T, td *ecsv1alpha1.TaskDefinition) *ecsv1alpha1.ContainerDefinition {
	t.Helper()
	if len(td.Spec.ContainerDefinitions) != 1 {
		t.Fatalf("TaskDefinition %s has %d containers, want 1", td.Name, len(td.Spec.ContainerDefinitions))
	}
	return td.Spec.ContainerDefinitions[0]
}

// jsonByObject serializes every object, keyed by kind and name.
func jsonByObject(t *testing.T, objs []core.Object) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, o := range objs {
		raw, err := json.Marshal(o)
		if err != nil {
			t.Fatal(err)
		}
		out[o.GetObjectKind().GroupVersionKind().Kind+" "+o.GetName()] = string(raw)
	}
	return out
}

// changedObjects lists the objects whose JSON differs between two
// renderings, plus those only one of them has.
func changedObjects(a, b map[string]string) []string {
	var out []string
	for k, v := range a {
		if b[k] != v {
			out = append(out, k)
		}
	}
	for k := range b {
		if _, ok := a[k]; !ok {
			out = append(out, k)
		}
	}
	slices.Sort(out)
	return out
}

func TestTaskDefinitionEnvironmentFollowsTheContract(t *testing.T) {
	stack := newStack("prod", withEnv("LOG_LEVEL=debug", "FEATURE_FLAGS=ocr"))
	obs := observedAll()
	c := apiContainer(t, only[*ecsv1alpha1.TaskDefinition](t, mustBuild(t, stack, obs).Objects))

	env := map[string]string{}
	var names []string
	for _, e := range c.Environment {
		env[*e.Name] = *e.Value
		names = append(names, *e.Name)
	}
	wantNames := append(contract.PlainEnv(), contract.EnvDBSecretARN, "LOG_LEVEL", "FEATURE_FLAGS")
	slices.Sort(wantNames)
	if !reflect.DeepEqual(names, wantNames) {
		t.Errorf("environment names = %v, want exactly the contract's plain variables plus the user's, sorted: %v", names, wantNames)
	}
	wantValues := map[string]string{
		contract.EnvListenPort:  "8080",
		contract.EnvDBHost:      obs.DBEndpointAddress,
		contract.EnvDBPort:      "5432",
		contract.EnvDBName:      "docuflow",
		contract.EnvDBSecretARN: obs.DBSecretARN,
		"LOG_LEVEL":             "debug",
		"FEATURE_FLAGS":         "ocr",
	}
	if !maps.Equal(env, wantValues) {
		t.Errorf("environment = %v, want %v", env, wantValues)
	}
	for name, value := range env {
		if name == contract.EnvDBSecretARN {
			// An ARN names the secret; the app reads the password through
			// it at each connection (rotation), under the task role.
			continue
		}
		if secretLooking.MatchString(name) {
			t.Errorf("plain environment variable %s looks like a secret", name)
		}
		if strings.Contains(value, obs.DBSecretARN) {
			t.Errorf("plain environment variable %s carries the secret ARN", name)
		}
	}

	secrets := map[string]string{}
	for _, s := range c.Secrets {
		secrets[*s.Name] = *s.ValueFrom
	}
	wantSecrets := map[string]string{}
	for name, key := range contract.SecretEnv() {
		wantSecrets[name] = obs.DBSecretARN + ":" + key + "::"
	}
	if !maps.Equal(secrets, wantSecrets) {
		t.Errorf("secrets = %v, want %v", secrets, wantSecrets)
	}
	if !slices.IsSortedFunc(c.Secrets, func(a, b *ecsv1alpha1.Secret) int { return strings.Compare(*a.Name, *b.Name) }) {
		t.Errorf("secrets are not sorted by name")
	}
}

func TestContainerIsHardened(t *testing.T) {
	for _, c := range stacksUnderTest() {
		t.Run("with "+c.name+" the container runs as non-root on a read-only root filesystem without capabilities", func(t *testing.T) {
			td := only[*ecsv1alpha1.TaskDefinition](t, mustBuild(t, c.stack, observedAll()).Objects)
			ct := apiContainer(t, td)
			user := fmt.Sprintf("%d:%d", contract.RunAsUID, contract.RunAsGID)
			checks := []struct {
				what string
				ok   bool
			}{
				{"running as the contract's non-root user", *ct.User == user && contract.RunAsUID != 0 && contract.RunAsGID != 0},
				{"on a read-only root filesystem", *ct.ReadonlyRootFilesystem},
				{"unprivileged", ct.Privileged != nil && !*ct.Privileged},
				{"dropping every capability", reflect.DeepEqual(derefAll(ct.LinuxParameters.Capabilities.Drop), []string{"ALL"}) && len(ct.LinuxParameters.Capabilities.Add) == 0},
				{"with an init process", *ct.LinuxParameters.InitProcessEnabled},
				{"checked with the contract's health check", reflect.DeepEqual(derefAll(ct.HealthCheck.Command), contract.HealthCheckCommand())},
				{"essential and named api", *ct.Essential && *ct.Name == "api"},
				{"with ECS's defaults written out", *ct.CPU == 0 && *ct.PortMappings[0].HostPort == *ct.PortMappings[0].ContainerPort && *ct.PortMappings[0].Protocol == "tcp"},
				{"logging to the application log group", *ct.LogConfiguration.LogDriver == "awslogs" && *ct.LogConfiguration.Options["awslogs-group"] == "/docuflow/team-docs/"+c.stack.Name+"/app"},
				{"a Fargate task on awsvpc", *td.Spec.NetworkMode == "awsvpc" && reflect.DeepEqual(derefAll(td.Spec.RequiresCompatibilities), []string{"FARGATE"})},
				{"started with the observed execution role and running as the task role", *td.Spec.ExecutionRoleARN == observedAll().ExecutionRoleARN && refTo(td.Spec.TaskRoleRef) == Name(c.stack.Name, componentTask, KubernetesName) && td.Spec.TaskRoleARN == nil},
				{"named like its family, <stack>-api-<hash>", *td.Spec.Family == td.Name && strings.HasPrefix(td.Name, c.stack.Name+"-api-") && len(td.Name) == len(c.stack.Name)+len("-api-")+hashLength},
			}
			for _, ch := range checks {
				if !ch.ok {
					t.Errorf("TaskDefinition %s: container is not %s", td.Name, ch.what)
				}
			}
		})
	}
}

func TestImageChangeCreatesANewTaskDefinitionOnly(t *testing.T) {
	oldStack := newStack("prod")
	newStk := newStack("prod", withImage("123456789012.dkr.ecr.us-east-1.amazonaws.com/docuflow/api:1.5.0"))
	running := observedFor(t, oldStack, observedAll())
	running.ServiceTaskDefinitionARN = running.TaskDefinitionARN

	// What Observe reports right after the image change: the new task
	// definition has no ARN yet, the service still runs the old revision.
	registering := running
	registering.TaskDefinitionARN = ""

	before := mustBuild(t, oldStack, running)
	after := mustBuild(t, newStk, registering)
	oldTD := only[*ecsv1alpha1.TaskDefinition](t, before.Objects)
	newTD := only[*ecsv1alpha1.TaskDefinition](t, after.Objects)
	if oldTD.Name == newTD.Name || *oldTD.Spec.Family == *newTD.Spec.Family {
		t.Fatalf("the new image kept the task definition name %s and family %s", newTD.Name, *newTD.Spec.Family)
	}
	if *newTD.Spec.Family != newTD.Name {
		t.Errorf("family %s differs from the name %s", *newTD.Spec.Family, newTD.Name)
	}
	oldCopy, newCopy := oldTD.DeepCopy(), newTD.DeepCopy()
	apiContainer(t, oldCopy).Image = apiContainer(t, newCopy).Image
	newCopy.Spec.Family = oldCopy.Spec.Family
	if !reflect.DeepEqual(oldCopy.Spec, newCopy.Spec) {
		t.Errorf("the task definitions differ beyond the image and the family")
	}
	if len(after.Waiting) != 0 {
		t.Errorf("while the new revision registers, %v wait; the service should keep running the old one", after.Waiting)
	}

	// Until the new revision is observed only the task definition changes:
	// the service keeps running the old revision.
	got := changedObjects(jsonByObject(t, before.Objects), jsonByObject(t, after.Objects))
	want := []string{"TaskDefinition " + oldTD.Name, "TaskDefinition " + newTD.Name}
	slices.Sort(want)
	if !reflect.DeepEqual(got, want) {
		t.Errorf("an image change changed %v, want only %v", got, want)
	}

	// Once it is, the service switches to it and nothing else changes.
	switchedObs := observedFor(t, newStk, registering)
	switched := mustBuild(t, newStk, switchedObs)
	got = changedObjects(jsonByObject(t, after.Objects), jsonByObject(t, switched.Objects))
	if !reflect.DeepEqual(got, []string{"Service prod-api"}) {
		t.Errorf("observing the new revision changed %v, want only the Service", got)
	}
	svc := only[*ecsv1alpha1.Service](t, switched.Objects)
	if *svc.Spec.TaskDefinition != switchedObs.TaskDefinitionARN || svc.Spec.TaskDefinitionRef != nil {
		t.Errorf("service runs %s (ref %v), want the literal ARN %s", *svc.Spec.TaskDefinition, svc.Spec.TaskDefinitionRef, switchedObs.TaskDefinitionARN)
	}
	if !strings.Contains(switchedObs.TaskDefinitionARN, ":task-definition/"+newTD.Name+":") {
		t.Errorf("observed ARN %s is not a revision of %s", switchedObs.TaskDefinitionARN, newTD.Name)
	}
}

func TestTaskDefinitionNameDependsOnEveryRevisionInput(t *testing.T) {
	base := observedAll()
	name := func(stack *platformv1alpha1.DocuFlowStack, obs Observed) string {
		n, ok := taskDefinitionName(stack, obs)
		if !ok {
			t.Fatalf("no task definition name")
		}
		return n
	}
	ref := name(newStack("prod"), base)
	changes := map[string]string{
		"image":          name(newStack("prod", withImage("public.ecr.aws/docuflow/api:2.0.0")), base),
		"cpu and memory": name(newStack("prod", func(s *platformv1alpha1.DocuFlowStack) { s.Spec.Service.CPU, s.Spec.Service.Memory = 1024, 2048 }), base),
		"environment":    name(newStack("prod", withEnv("LOG_LEVEL=debug")), base),
		"container port": name(newStack("prod", func(s *platformv1alpha1.DocuFlowStack) { s.Spec.Service.ContainerPort = 9090 }), base),
		"secret ARN":     name(newStack("prod"), func() Observed { o := base; o.DBSecretARN += "2"; return o }()),
		"database host":  name(newStack("prod"), func() Observed { o := base; o.DBEndpointAddress = "other." + o.DBEndpointAddress; return o }()),
		"execution role": name(newStack("prod"), func() Observed { o := base; o.ExecutionRoleARN += "2"; return o }()),
	}
	for what, n := range changes {
		if n == ref {
			t.Errorf("changing the %s kept the task definition name %s", what, n)
		}
	}
	unrelated := func() Observed { o := base; o.ServiceDesiredCount, o.LoadBalancerARN = 7, ""; return o }()
	if got := name(newStack("prod", withMaxTasks(30)), unrelated); got != ref {
		t.Errorf("values outside the task definition changed its name to %s, want %s", got, ref)
	}
}

func TestDesiredCount(t *testing.T) {
	tests := []struct {
		name     string
		stack    *platformv1alpha1.DocuFlowStack
		observed int64
		want     int64
	}{
		{name: "a new production service starts with minTasks", stack: newStack("prod"), observed: 0, want: 2},
		{name: "a new development service starts with one task", stack: newStack("dev", withDevelopment()), observed: 0, want: 1},
		{name: "afterwards the count the autoscaler set is kept", stack: newStack("prod"), observed: 5, want: 5},
		{name: "an observed count above maxTasks is clamped to it", stack: newStack("prod", withMaxTasks(4)), observed: 9, want: 4},
		{name: "an observed count below minTasks is raised to it", stack: newStack("prod", withMinTasks(3)), observed: 1, want: 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			obs := observedAll()
			obs.ServiceDesiredCount = tt.observed
			svc := only[*ecsv1alpha1.Service](t, mustBuild(t, tt.stack, obs).Objects)
			if *svc.Spec.DesiredCount != tt.want {
				t.Errorf("desiredCount = %d, want %d", *svc.Spec.DesiredCount, tt.want)
			}
		})
	}
}

func TestChangingMaxTasksChangesOnlyTheScalableTarget(t *testing.T) {
	obs := observedAll()
	a := mustBuild(t, newStack("prod", withMaxTasks(10)), obs)
	b := mustBuild(t, newStack("prod", withMaxTasks(20)), obs)
	if got := changedObjects(jsonByObject(t, a.Objects), jsonByObject(t, b.Objects)); !reflect.DeepEqual(got, []string{"ScalableTarget prod-api"}) {
		t.Fatalf("changing maxTasks changed %v, want only the ScalableTarget", got)
	}
	sa := only[*applicationautoscalingv1alpha1.ScalableTarget](t, a.Objects)
	sb := only[*applicationautoscalingv1alpha1.ScalableTarget](t, b.Objects)
	if *sb.Spec.MaxCapacity != 20 {
		t.Errorf("maxCapacity = %d, want 20", *sb.Spec.MaxCapacity)
	}
	sb.Spec.MaxCapacity = sa.Spec.MaxCapacity
	if !reflect.DeepEqual(sa.Spec, sb.Spec) {
		t.Errorf("the scalable target changed beyond maxCapacity")
	}
}

func TestComputeWaits(t *testing.T) {
	tests := []struct {
		name string
		obs  func(o *Observed)
		want []string // "<kind> <waitsFor prefix>" of the service family
	}{
		{
			name: "without the execution role, the database endpoint and the secret the task definition waits, and the service with it",
			obs: func(o *Observed) {
				o.ExecutionRoleARN, o.DBEndpointAddress, o.DBSecretARN, o.TaskDefinitionARN = "", "", "", ""
			},
			want: []string{
				"Role DBInstance prod-db master user secret ARN",
				"Role DBInstance prod-db master user secret ARN",
				"TaskDefinition Role prod-task-execution ARN and DBInstance prod-db endpoint and DBInstance prod-db master user secret ARN",
				"Service TaskDefinition ARN",
			},
		},
		{
			name: "a rendered task definition whose ARN is not observed yet holds back a new service",
			obs:  func(o *Observed) { o.TaskDefinitionARN = "" },
			want: []string{"Service TaskDefinition prod-api-"},
		},
		{
			name: "with everything observed nothing of the service waits",
			obs:  func(*Observed) {},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			obs := observedAll()
			tt.obs(&obs)
			var got []string
			for _, w := range mustBuild(t, newStack("prod"), obs).Waiting {
				if w.Family == FamilyService {
					got = append(got, w.Kind+" "+w.WaitsFor)
				}
			}
			if len(got) != len(tt.want) {
				t.Fatalf("service waits = %q, want %q", got, tt.want)
			}
			for i := range got {
				if !strings.HasPrefix(got[i], tt.want[i]) {
					t.Errorf("wait %d = %q, want %q", i, got[i], tt.want[i])
				}
			}
		})
	}
}

func TestClusterAndService(t *testing.T) {
	obs := observedAll()
	r := mustBuild(t, newStack("prod"), obs)
	cl := only[*ecsv1alpha1.Cluster](t, r.Objects)
	if *cl.Spec.Name != "prod-cluster" || *cl.Spec.Settings[0].Name != "containerInsights" || *cl.Spec.Settings[0].Value != "enabled" ||
		!reflect.DeepEqual(derefAll(cl.Spec.CapacityProviders), []string{"FARGATE"}) {
		t.Errorf("cluster spec = %+v", cl.Spec)
	}
	svc := only[*ecsv1alpha1.Service](t, r.Objects)
	s := svc.Spec
	vpc := s.NetworkConfiguration.AWSVPCConfiguration
	subnets := derefAll(vpc.Subnets)
	ids := withNetworkUp(newStack("prod"), obs)
	checks := []struct {
		what string
		ok   bool
	}{
		{"named prod-api in cluster prod-cluster", *s.Name == "prod-api" && refTo(s.ClusterRef) == "prod-cluster" && s.Cluster == nil},
		{"running the observed revision", *s.TaskDefinition == obs.TaskDefinitionARN && s.TaskDefinitionRef == nil},
		{"on Fargate LATEST", *s.LaunchType == "FARGATE" && *s.PlatformVersion == "LATEST"},
		// Literal IDs, not references: the ECS controller writes AWS's
		// answer back without them, and a reference beside its ID is refused.
		{"in the private subnets, by ID, without public IPs", reflect.DeepEqual(subnets, []string{ids.SubnetIDs["prod-private-us-east-1a"], ids.SubnetIDs["prod-private-us-east-1b"]}) && len(vpc.SubnetRefs) == 0 && *vpc.AssignPublicIP == "DISABLED"},
		{"behind the service security group, by ID", reflect.DeepEqual(derefAll(vpc.SecurityGroups), []string{ids.SecurityGroupIDs["prod-service-sg"]}) && len(vpc.SecurityGroupRefs) == 0},
		{"registered in the target group, by ARN", len(s.LoadBalancers) == 1 && s.LoadBalancers[0].TargetGroupRef == nil && *s.LoadBalancers[0].TargetGroupARN == obs.TargetGroupARN && *s.LoadBalancers[0].ContainerName == "api" && *s.LoadBalancers[0].ContainerPort == 8080},
		{"created after its subnets, security group, target group, task definition and forwarding listener", strings.Contains(svc.Annotations[AnnotationDependsOn], "Listener/prod-https") &&
			strings.Contains(svc.Annotations[AnnotationDependsOn], "Subnet/prod-private-us-east-1a") && strings.Contains(svc.Annotations[AnnotationDependsOn], "SecurityGroup/prod-service-sg") &&
			strings.Contains(svc.Annotations[AnnotationDependsOn], "TargetGroup/prod-api") && strings.Contains(svc.Annotations[AnnotationDependsOn], "TaskDefinition/prod-api-")},
		{"rolling back failed deployments", *s.DeploymentConfiguration.DeploymentCircuitBreaker.Enable && *s.DeploymentConfiguration.DeploymentCircuitBreaker.Rollback && *s.DeploymentConfiguration.MinimumHealthyPercent == 100 && *s.DeploymentConfiguration.MaximumPercent == 200},
		{"without ECS Exec", !*s.EnableExecuteCommand},
		{"with managed, propagated tags", *s.EnableECSManagedTags && *s.PropagateTags == "SERVICE"},
		{"a replica service deployed by ECS", *s.SchedulingStrategy == "REPLICA" && *s.DeploymentController.Type == "ECS" && *s.HealthCheckGracePeriodSeconds == 60},
	}
	for _, ch := range checks {
		if !ch.ok {
			t.Errorf("Service is not %s", ch.what)
		}
	}
}

// TestTheAPIAuthenticatesAgainstTheStacksIssuer: spec.service.auth reaches
// the app as the contract's variables; without it none is set and the app
// refuses every /api/ request.
func TestTheAPIAuthenticatesAgainstTheStacksIssuer(t *testing.T) {
	envOf := func(stack *platformv1alpha1.DocuFlowStack) map[string]string {
		c := apiContainer(t, only[*ecsv1alpha1.TaskDefinition](t, mustBuild(t, stack, observedAll()).Objects))
		env := map[string]string{}
		for _, e := range c.Environment {
			env[*e.Name] = *e.Value
		}
		return env
	}
	stack := newStack("prod", withEnv(contract.EnvAuthIssuer+"=https://evil.example.com"))
	stack.Spec.Service.Auth = &platformv1alpha1.ServiceAuthSpec{Issuer: "https://login.example.com", Audience: "docuflow", AdminGroup: "docs-admins"}
	env := envOf(stack)
	for name, want := range map[string]string{
		contract.EnvAuthIssuer:     "https://login.example.com",
		contract.EnvAuthAudience:   "docuflow",
		contract.EnvAuthAdminGroup: "docs-admins",
	} {
		if env[name] != want {
			t.Errorf("%s = %q, want %q", name, env[name], want)
		}
	}
	none := envOf(newStack("prod"))
	for _, name := range []string{contract.EnvAuthIssuer, contract.EnvAuthAudience, contract.EnvAuthAdminGroup} {
		if v, ok := none[name]; ok {
			t.Errorf("a stack without auth sets %s=%q", name, v)
		}
	}
}
