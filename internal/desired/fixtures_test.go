package desired

import (
	"fmt"
	"strings"

	ackv1alpha1 "github.com/aws-controllers-k8s/runtime/apis/core/v1alpha1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	platformv1alpha1 "github.com/docuflow/docuflow-operator/api/v1alpha1"
	"github.com/docuflow/docuflow-operator/internal/ack/core"
)

// stackOption changes a test stack.
type stackOption func(*platformv1alpha1.DocuFlowStack)

// newStack returns a production stack in us-east-1 with two zones, VPC
// 10.40.0.0/16 and an HTTPS certificate, changed by the options.
func newStack(name string, opts ...stackOption) *platformv1alpha1.DocuFlowStack {
	s := &platformv1alpha1.DocuFlowStack{
		TypeMeta: metav1.TypeMeta{APIVersion: platformv1alpha1.GroupVersion.String(), Kind: "DocuFlowStack"},
		// Legacy AWS names ("<stack>-<component>") keep the expected names in
		// these tests readable; TestAWSNamesAreScopedToTheStack covers the
		// scoped names every new stack gets.
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "team-docs", Annotations: map[string]string{AnnotationAWSNames: AWSNamesLegacy}},
		Spec: platformv1alpha1.DocuFlowStackSpec{
			Region:  "us-east-1",
			Profile: platformv1alpha1.ProfileProduction,
			Tags:    map[string]string{"cost-center": "cc-42", "owner": "docs-team"},
			Network: platformv1alpha1.NetworkSpec{
				VPCCIDR:           "10.40.0.0/16",
				AvailabilityZones: []string{"us-east-1a", "us-east-1b"},
				FlowLogs:          platformv1alpha1.FlowLogsSpec{RetentionDays: 90},
			},
			Database: platformv1alpha1.DatabaseSpec{
				EngineVersion: "16.4",
				StorageGiB:    20,
				DatabaseName:  "docuflow",
			},
			Service: platformv1alpha1.ServiceSpec{
				Image:           "123456789012.dkr.ecr.us-east-1.amazonaws.com/docuflow/api:1.4.2",
				ContainerPort:   8080,
				CPU:             512,
				Memory:          1024,
				HealthCheckPath: "/readyz",
			},
			LoadBalancer: platformv1alpha1.LoadBalancerSpec{
				CertificateARN: ptrTo("arn:aws:acm:us-east-1:123456789012:certificate/0b1c2d3e-1111-2222-3333-444455556666"),
				AllowedCIDRs:   []string{"0.0.0.0/0"},
			},
			Autoscaling: platformv1alpha1.AutoscalingSpec{MaxTasks: 10, TargetCPUPercent: 60},
		},
	}
	for _, o := range opts {
		o(s)
	}
	return s
}

// withAZs spreads the stack over the first n zones of us-east-1.
func withAZs(n int) stackOption {
	return func(s *platformv1alpha1.DocuFlowStack) {
		s.Spec.Network.AvailabilityZones = nil
		for i := range n {
			s.Spec.Network.AvailabilityZones = append(s.Spec.Network.AvailabilityZones, fmt.Sprintf("us-east-1%c", 'a'+i))
		}
	}
}

// withZones sets the zones literally, in the given order.
func withZones(zones ...string) stackOption {
	return func(s *platformv1alpha1.DocuFlowStack) { s.Spec.Network.AvailabilityZones = zones }
}

// withDevelopment makes the stack a development stack served over plain HTTP.
func withDevelopment() stackOption {
	return func(s *platformv1alpha1.DocuFlowStack) {
		s.Spec.Profile = platformv1alpha1.ProfileDevelopment
		s.Spec.LoadBalancer.CertificateARN = nil
		s.Spec.LoadBalancer.InsecureHTTPOnly = true
	}
}

// withNATGateways sets the NAT gateway mode.
func withNATGateways(m platformv1alpha1.NATGatewayMode) stackOption {
	return func(s *platformv1alpha1.DocuFlowStack) { s.Spec.Network.NATGateways = &m }
}

// withEgressCIDRs sets network.egressCIDRs.
func withEgressCIDRs(cidrs ...string) stackOption {
	return func(s *platformv1alpha1.DocuFlowStack) { s.Spec.Network.EgressCIDRs = cidrs }
}

// withPrivateEndpoints sets privateEndpoints.
func withPrivateEndpoints(on bool) stackOption {
	return func(s *platformv1alpha1.DocuFlowStack) { s.Spec.Network.PrivateEndpoints = &on }
}

// withFlowLogs sets flowLogs.enabled.
func withFlowLogs(on bool) stackOption {
	return func(s *platformv1alpha1.DocuFlowStack) { s.Spec.Network.FlowLogs.Enabled = &on }
}

// withDeletionPolicy sets the database deletion policy.
func withDeletionPolicy(p platformv1alpha1.DeletionPolicy) stackOption {
	return func(s *platformv1alpha1.DocuFlowStack) { s.Spec.Database.DeletionPolicy = &p }
}

// withAllowedCIDRs sets the load balancer's allowed ranges.
func withAllowedCIDRs(cidrs ...string) stackOption {
	return func(s *platformv1alpha1.DocuFlowStack) { s.Spec.LoadBalancer.AllowedCIDRs = cidrs }
}

// withImage sets the container image.
func withImage(image string) stackOption {
	return func(s *platformv1alpha1.DocuFlowStack) { s.Spec.Service.Image = image }
}

// withEmptySpecDefaults clears every field the CRD schema defaults, as a
// stack built in Go without the API server would have them.
func withEmptySpecDefaults() stackOption {
	return func(s *platformv1alpha1.DocuFlowStack) {
		s.Spec.Profile = ""
		s.Spec.Network.VPCCIDR = ""
		s.Spec.Network.FlowLogs.RetentionDays = 0
		s.Spec.Database = platformv1alpha1.DatabaseSpec{}
		s.Spec.Service.ContainerPort = 0
		s.Spec.LoadBalancer.AllowedCIDRs = nil
		s.Spec.Autoscaling = platformv1alpha1.AutoscalingSpec{}
	}
}

// withMinTasks sets autoscaling.minTasks.
func withMinTasks(n int32) stackOption {
	return func(s *platformv1alpha1.DocuFlowStack) { s.Spec.Autoscaling.MinTasks = &n }
}

// withMaxTasks sets autoscaling.maxTasks.
func withMaxTasks(n int32) stackOption {
	return func(s *platformv1alpha1.DocuFlowStack) { s.Spec.Autoscaling.MaxTasks = n }
}

// withTargetMemoryPercent also scales on memory.
func withTargetMemoryPercent(p int32) stackOption {
	return func(s *platformv1alpha1.DocuFlowStack) { s.Spec.Autoscaling.TargetMemoryPercent = &p }
}

// withRequestsPerTarget also scales on requests per task.
func withRequestsPerTarget(n int32) stackOption {
	return func(s *platformv1alpha1.DocuFlowStack) { s.Spec.Autoscaling.RequestsPerTarget = &n }
}

// withAlarmTopic turns the alarms on.
func withAlarmTopic(arn string) stackOption {
	return func(s *platformv1alpha1.DocuFlowStack) { s.Spec.Observability.AlarmTopicARN = &arn }
}

// withEnv adds plain environment variables, name=value.
func withEnv(pairs ...string) stackOption {
	return func(s *platformv1alpha1.DocuFlowStack) {
		for _, p := range pairs {
			name, value, _ := strings.Cut(p, "=")
			s.Spec.Service.Env = append(s.Spec.Service.Env, platformv1alpha1.EnvVar{Name: name, Value: value})
		}
	}
}

// withAccessLogs sends the load balancer's access logs to a bucket.
func withShard(shard string) stackOption {
	return func(s *platformv1alpha1.DocuFlowStack) {
		metav1.SetMetaDataLabel(&s.ObjectMeta, LabelShard, shard)
	}
}

func withAccessLogs(bucket, prefix string) stackOption {
	return func(s *platformv1alpha1.DocuFlowStack) {
		s.Spec.LoadBalancer.AccessLogs = &platformv1alpha1.AccessLogsSpec{Bucket: bucket, Prefix: prefix}
	}
}

// alarmTopic is the SNS topic the alarm tests notify.
const alarmTopic = "arn:aws:sns:us-east-1:123456789012:docuflow-alarms"

// observedAll is a snapshot in which every child has reported its values.
func observedAll() Observed {
	return Observed{
		VPCID:                "vpc-0123456789abcdef0",
		VPCAccount:           "123456789012",
		S3EndpointID:         "vpce-0a1b2c3d4e5f60718",
		EndpointsSynced:      true,
		S3PrefixListID:       "pl-63a5400a",
		FlowLogGroupARN:      "arn:aws:logs:us-east-1:123456789012:log-group:/docuflow/team-docs/prod/vpc-flow-logs:*",
		AppLogGroupARN:       "arn:aws:logs:us-east-1:123456789012:log-group:/docuflow/team-docs/prod/app:*",
		DBSecretARN:          "arn:aws:secretsmanager:us-east-1:123456789012:secret:rds!db-0a1b2c3d-AbCdEf",
		ExecutionRoleARN:     "arn:aws:iam::123456789012:role/prod-task-execution",
		DBEndpointAddress:    "prod-db.c1a2b3c4d5e6.us-east-1.rds.amazonaws.com",
		DBEndpointPort:       5432,
		TaskDefinitionARN:    "arn:aws:ecs:us-east-1:123456789012:task-definition/prod-api-0a1b2c3d:1",
		ServiceARN:           "arn:aws:ecs:us-east-1:123456789012:service/prod-cluster/prod-api",
		ServiceDesiredCount:  3,
		ScalableTargetSynced: true,
		LoadBalancerARN:      "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/prod-alb/50dc6c495c0c9188",
		TargetGroupARN:       "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/prod-api/73e2d6bc24d8a067",
	}
}

// observedFor is observedAll with the ARN of the stack's current task
// definition, as Observe would report it.
func observedFor(t interface {
	Helper()
	Fatalf(string, ...any)
}, stack *platformv1alpha1.DocuFlowStack, obs Observed) Observed {
	t.Helper()
	name, ok := taskDefinitionName(stack, obs)
	if !ok {
		t.Fatalf("the task definition of %s cannot be named with %+v", stack.Name, obs)
	}
	obs.TaskDefinitionARN = "arn:aws:ecs:" + stack.Spec.Region + ":123456789012:task-definition/" + name + ":1"
	return obs
}

// mustBuild renders the stack or fails the test. An observed snapshot in
// which the VPC is known (observedAll and its variants) is completed with the
// IDs of the stack's own subnets and security groups and with both gate
// probes answered On, as a stack whose network is up would report them.
func mustBuild(t interface {
	Helper()
	Fatalf(string, ...any)
}, stack *platformv1alpha1.DocuFlowStack, obs Observed) Result {
	t.Helper()
	if obs.VPCID != "" {
		obs = withNetworkUp(stack, obs)
	}
	r, err := Build(stack, obs)
	if err != nil {
		t.Fatalf("Build: %v", err)
	}
	return r
}

// withNetworkUp adds what a stack whose network is up reports: the IDs of its
// subnets and security groups, and both IgnoreFieldDrift gates on. Maps
// already set are kept.
func withNetworkUp(stack *platformv1alpha1.DocuFlowStack, obs Observed) Observed {
	b := &builder{stack: stack, s: Resolve(stack)}
	zones, err := carveZones(b.s.VPCCIDR, b.s.AvailabilityZones)
	if err != nil {
		return obs
	}
	b.zones = zones
	if obs.SubnetIDs == nil {
		obs.SubnetIDs = map[string]string{}
		for i, n := range append(b.privateSubnetNames(), b.publicSubnetNames()...) {
			obs.SubnetIDs[n] = fmt.Sprintf("subnet-0%016x", i+1)
		}
	}
	if obs.SecurityGroupIDs == nil {
		obs.SecurityGroupIDs = map[string]string{}
		for i, c := range []string{componentLoadBalancerSG, componentServiceSG, componentDatabaseSG, componentEndpointSG} {
			obs.SecurityGroupIDs[b.name(c, KubernetesName)] = fmt.Sprintf("sg-0%016x", i+1)
		}
	}
	if obs.ELBv2IgnoreFieldDrift == GateUnknown {
		obs.ELBv2IgnoreFieldDrift = GateOn
	}
	if obs.RDSIgnoreFieldDrift == GateUnknown {
		obs.RDSIgnoreFieldDrift = GateOn
	}
	return obs
}

// ofKind returns the rendered objects of one mirrored type, in order, gate
// probes left out (probes returns those).
func ofKind[T core.Object](objs []core.Object) []T {
	var out []T
	for _, o := range objs {
		if _, probe := IsProbe(o); probe {
			continue
		}
		if t, ok := o.(T); ok {
			out = append(out, t)
		}
	}
	return out
}

// probes returns the rendered gate probes by the controller they probe.
func probes(objs []core.Object) map[string]core.Object {
	out := map[string]core.Object{}
	for _, o := range objs {
		if c, ok := IsProbe(o); ok {
			out[c] = o
		}
	}
	return out
}

// byName indexes objects of one type by metadata.name.
func byName[T core.Object](objs []core.Object) map[string]T {
	out := map[string]T{}
	for _, o := range ofKind[T](objs) {
		out[o.GetName()] = o
	}
	return out
}

// kindCounts counts the rendered objects by kind.
func kindCounts(objs []core.Object) map[string]int {
	out := map[string]int{}
	for _, o := range objs {
		out[o.GetObjectKind().GroupVersionKind().Kind]++
	}
	return out
}

// refTo returns the name a reference points at, or "".
func refTo(w *ackv1alpha1.AWSResourceReferenceWrapper) string {
	if w == nil || w.From == nil || w.From.Name == nil {
		return ""
	}
	return *w.From.Name
}
