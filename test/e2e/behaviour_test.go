package e2e

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	ackv1alpha1 "github.com/aws-controllers-k8s/runtime/apis/core/v1alpha1"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	"github.com/docuflow/docuflow-operator/internal/ack"
	cloudwatchlogsv1alpha1 "github.com/docuflow/docuflow-operator/internal/ack/cloudwatchlogs/v1alpha1"
	"github.com/docuflow/docuflow-operator/internal/ack/core"
	ec2v1alpha1 "github.com/docuflow/docuflow-operator/internal/ack/ec2/v1alpha1"
	ecsv1alpha1 "github.com/docuflow/docuflow-operator/internal/ack/ecs/v1alpha1"
	elbv2v1alpha1 "github.com/docuflow/docuflow-operator/internal/ack/elbv2/v1alpha1"
	"github.com/docuflow/docuflow-operator/internal/acksim"
	"github.com/docuflow/docuflow-operator/internal/controlplane"
	"github.com/docuflow/docuflow-operator/internal/desired"
	"github.com/docuflow/docuflow-operator/internal/envtestutil"
)

// backend is one ACK the behaviour scenarios run on: the real controllers
// over the local AWS, or the simulated ACK the fast tests use.
type backend struct {
	name string
	c    client.Client
	ns   string
	// refuse makes the backend's AWS refuse to create the object, as AWS
	// refuses invalid input with a terminal error code. On the real side the
	// scenario's input is itself invalid for AWS, so this does nothing.
	refuse func(kind, name, message string)
	// fix removes what refuse set up (the real side's cause is fixed by the
	// spec change itself).
	fix func(kind, name string)
	// existingVPC makes a VPC outside ACK, as Terraform would, and returns
	// its ID.
	existingVPC func(t *testing.T, cidr string) string
}

// TestTheSimulatorBehavesLikeTheRealControllers runs the same scenarios on the
// simulated ACK and on the real controllers and compares what each left in
// the cluster: the conditions ACK sets, the spec ACK writes back, what AWS
// refuses to delete, what ACK retries. The fast tests trust the simulator;
// this keeps it honest.
func TestTheSimulatorBehavesLikeTheRealControllers(t *testing.T) {
	sim := startSimBackend(t)
	real := backend{name: "real", c: suite.k8s, ns: newNamespace(t), refuse: func(string, string, string) {}, fix: func(string, string) {},
		existingVPC: func(t *testing.T, cidr string) string {
			out, err := suite.awsClients.ec2.CreateVpc(context.Background(), &ec2.CreateVpcInput{CidrBlock: aws.String(cidr)})
			if err != nil {
				t.Errorf("CreateVpc: %v", err)
				return ""
			}
			return aws.ToString(out.Vpc.VpcId)
		}}
	var wg sync.WaitGroup
	facts := map[string]map[string]string{}
	var mu sync.Mutex
	for _, b := range []backend{real, sim} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			f := behaviours(t, b)
			mu.Lock()
			facts[b.name] = f
			mu.Unlock()
		}()
	}
	wg.Wait()
	if t.Failed() {
		return
	}
	var keys []string
	for k := range facts["real"] {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		r, s := facts["real"][k], facts["sim"][k]
		if r != s {
			t.Errorf("%s:\n  real controllers: %s\n  simulated ACK:    %s", k, r, s)
		} else {
			t.Logf("%s: %s (both)", k, r)
		}
	}
	if len(facts["sim"]) != len(facts["real"]) {
		t.Errorf("the backends reported %d and %d facts", len(facts["real"]), len(facts["sim"]))
	}
}

// startSimBackend starts a second control plane with the upstream CRDs and
// the simulated ACK on it.
func startSimBackend(t *testing.T) backend {
	t.Helper()
	env, err := controlplane.Environment()
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := env.Start()
	if err != nil {
		t.Fatalf("starting the simulator's control plane: %v", err)
	}
	t.Cleanup(func() { _ = env.Stop() })
	scheme := runtime.NewScheme()
	for _, add := range []func(*runtime.Scheme) error{clientgoscheme.AddToScheme, ack.AddToScheme} {
		if err := add(scheme); err != nil {
			t.Fatal(err)
		}
	}
	mgr, err := ctrl.NewManager(cfg, ctrl.Options{Scheme: scheme, Metrics: metricsserver.Options{BindAddress: "0"}})
	if err != nil {
		t.Fatal(err)
	}
	sim := acksim.New(acksim.Options{ReferenceRequeueInterval: 200 * time.Millisecond})
	if err := sim.SetupWithManager(mgr); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = mgr.Start(ctx)
	}()
	t.Cleanup(func() { cancel(); <-done })
	c, err := client.New(cfg, client.Options{Scheme: scheme})
	if err != nil {
		t.Fatal(err)
	}
	ns := envtestutil.NewNamespace(t, c)
	return backend{
		name: "sim", c: c, ns: ns,
		refuse: func(kind, name, message string) { sim.SetTerminal(kind, ns, name, message) },
		fix:    func(kind, name string) { sim.ClearFault(kind, ns, name) },
		existingVPC: func(_ *testing.T, cidr string) string {
			id := "vpc-0b" + fmt.Sprintf("%015x", time.Now().UnixNano()&0xfffffffffffff)
			sim.AddExisting("VPC", id, map[string]any{"cidrBlocks": []any{cidr}, "enableDNSSupport": true, "enableDNSHostnames": false, "instanceTenancy": "default"})
			return id
		},
	}
}

func from(name string) *ackv1alpha1.AWSResourceReferenceWrapper {
	return &ackv1alpha1.AWSResourceReferenceWrapper{From: &ackv1alpha1.AWSResourceReference{Name: ptr.To(name)}}
}

func objMeta(b backend, name string, annotations map[string]string) metav1.ObjectMeta {
	return metav1.ObjectMeta{Name: name, Namespace: b.ns, Annotations: annotations}
}

// behaviours runs every scenario on one backend and returns what it saw,
// as comparable facts.
func behaviours(t *testing.T, b backend) map[string]string {
	ctx := context.Background()
	facts := map[string]string{}
	fail := func(format string, args ...any) {
		t.Errorf("%s: "+format, append([]any{b.name}, args...)...)
	}
	var made []client.Object
	create := func(o client.Object) bool {
		if err := b.c.Create(ctx, o); err != nil {
			fail("creating %s: %v", o.GetName(), err)
			return false
		}
		made = append(made, o)
		return true
	}
	// Everything a scenario made is deleted at the end, so that nothing of
	// it is left resyncing (and calling AWS) while the other tests count
	// calls; the backends retry what AWS refuses until the users are gone.
	defer func() {
		for i := len(made) - 1; i >= 0; i-- {
			if err := b.c.Delete(ctx, made[i]); err != nil && !apierrors.IsNotFound(err) {
				fail("deleting %s: %v", made[i].GetName(), err)
			}
		}
		deadline := time.Now().Add(5 * time.Minute)
		for _, o := range made {
			for !isGone(ctx, b.c, o) {
				if time.Now().After(deadline) {
					fresh := o.DeepCopyObject().(core.Object)
					_ = b.c.Get(ctx, client.ObjectKeyFromObject(o), fresh)
					fail("%T %s still there 5 minutes after its deletion: %s", o, o.GetName(), conditionShape(fresh))
					return
				}
				time.Sleep(time.Second)
			}
		}
	}()
	get := func(o core.Object) core.Object {
		fresh := o.DeepCopyObject().(core.Object)
		_ = b.c.Get(ctx, client.ObjectKeyFromObject(o), fresh)
		return fresh
	}
	until := func(what string, timeout time.Duration, cond func() bool) bool {
		deadline := time.Now().Add(timeout)
		for time.Now().Before(deadline) {
			if cond() {
				return true
			}
			time.Sleep(time.Second)
		}
		fail("%s: not within %s", what, timeout)
		return false
	}
	synced := func(o core.Object) func() bool {
		return func() bool { return conditionStatus(get(o), ackv1alpha1.ConditionTypeResourceSynced) == "True" }
	}

	// 1. A reference to a child that does not exist.
	orphan := &ec2v1alpha1.Subnet{ObjectMeta: objMeta(b, "orphan", nil), Spec: ec2v1alpha1.SubnetSpec{
		VPCRef: from("missing"), CIDRBlock: ptr.To("10.70.9.0/24"), AvailabilityZone: ptr.To("us-east-1a")}}
	if create(orphan) && until("the orphan subnet reports its reference", 2*time.Minute, func() bool { return len(get(orphan).ACKStatus().Conditions) > 0 }) {
		o := get(orphan)
		facts["an unresolved reference: conditions"] = conditionShape(o)
		c := o.ACKStatus().Condition(ackv1alpha1.ConditionTypeReferencesResolved)
		facts["an unresolved reference: the cause is in the reason"] = fmt.Sprint(c != nil && strings.Contains(ptr.Deref(c.Reason, ""), `"missing" not found`))
	}

	// 2. The IgnoreFieldDrift gate probe.
	probe := &elbv2v1alpha1.TargetGroup{ObjectMeta: objMeta(b, "probe", map[string]string{
		desired.AnnotationReadOnly: "true", desired.AnnotationIgnoreFieldDrift: "spec..probe", desired.AnnotationDeletionPolicy: "retain",
	}), Spec: elbv2v1alpha1.TargetGroupSpec{Name: ptr.To(b.ns[:min(20, len(b.ns))] + "-probe"), TargetType: ptr.To("ip"), Protocol: ptr.To("HTTP"), Port: ptr.To(int64(80)), VPCRef: from("missing")}}
	if create(probe) && until("the probe answered", 2*time.Minute, func() bool { return len(get(probe).ACKStatus().Conditions) > 0 }) {
		o := get(probe)
		facts["the gate probe: conditions"] = conditionShape(o)
		facts["the gate probe: the gate reads on"] = fmt.Sprint(desired.ProbeResult(o) == desired.GateOn)
	}

	// 3. A network to hang the rest on.
	vpc := &ec2v1alpha1.VPC{ObjectMeta: objMeta(b, "vpc", nil), Spec: ec2v1alpha1.VPCSpec{CIDRBlocks: []*string{ptr.To("10.70.0.0/16")}}}
	rtb := &ec2v1alpha1.RouteTable{ObjectMeta: objMeta(b, "rtb", nil), Spec: ec2v1alpha1.RouteTableSpec{VPCRef: from("vpc")}}
	subA := &ec2v1alpha1.Subnet{ObjectMeta: objMeta(b, "sub-a", nil), Spec: ec2v1alpha1.SubnetSpec{VPCRef: from("vpc"), CIDRBlock: ptr.To("10.70.0.0/24"),
		AvailabilityZone: ptr.To("us-east-1a"), RouteTableRefs: []*ackv1alpha1.AWSResourceReferenceWrapper{from("rtb")}}}
	subB := &ec2v1alpha1.Subnet{ObjectMeta: objMeta(b, "sub-b", nil), Spec: ec2v1alpha1.SubnetSpec{VPCRef: from("vpc"), CIDRBlock: ptr.To("10.70.1.0/24"), AvailabilityZone: ptr.To("us-east-1b")}}
	sg := &ec2v1alpha1.SecurityGroup{ObjectMeta: objMeta(b, "sg", nil), Spec: ec2v1alpha1.SecurityGroupSpec{Name: ptr.To(b.ns[:min(20, len(b.ns))] + "-sg"), Description: ptr.To("behaviour"), VPCRef: from("vpc")}}
	for _, o := range []core.Object{vpc, rtb, subA, subB, sg} {
		if !create(o) || !until(o.GetName()+" synced", 3*time.Minute, synced(o)) {
			return facts
		}
	}

	// 4. A listener forwarding by reference: the controller writes AWS's
	// form back.
	name := b.ns[:min(20, len(b.ns))]
	lb := &elbv2v1alpha1.LoadBalancer{ObjectMeta: objMeta(b, "lb", nil), Spec: elbv2v1alpha1.LoadBalancerSpec{Name: ptr.To(name + "-lb"), Type: ptr.To("application"), Scheme: ptr.To("internal"),
		SubnetRefs: []*ackv1alpha1.AWSResourceReferenceWrapper{from("sub-a"), from("sub-b")}, SecurityGroupRefs: []*ackv1alpha1.AWSResourceReferenceWrapper{from("sg")}}}
	tg := &elbv2v1alpha1.TargetGroup{ObjectMeta: objMeta(b, "tg", map[string]string{desired.AnnotationIgnoreFieldDrift: "spec.targets"}), Spec: elbv2v1alpha1.TargetGroupSpec{
		Name: ptr.To(name + "-tg"), TargetType: ptr.To("ip"), Protocol: ptr.To("HTTP"), Port: ptr.To(int64(8080)), VPCRef: from("vpc")}}
	listener := &elbv2v1alpha1.Listener{ObjectMeta: objMeta(b, "listener", nil), Spec: elbv2v1alpha1.ListenerSpec{LoadBalancerRef: from("lb"), Port: ptr.To(int64(80)), Protocol: ptr.To("HTTP"),
		DefaultActions: []*elbv2v1alpha1.Action{{Type: ptr.To("forward"), TargetGroupRef: from("tg")}}}}
	for _, o := range []core.Object{lb, tg, listener} {
		if !create(o) || !until(o.GetName()+" synced", 3*time.Minute, synced(o)) {
			return facts
		}
	}
	if until("the listener's spec written back", time.Minute, func() bool {
		return get(listener).(*elbv2v1alpha1.Listener).Spec.DefaultActions[0].TargetGroupRef == nil
	}) {
		a := get(listener).(*elbv2v1alpha1.Listener).Spec.DefaultActions[0]
		tgARN := get(tg).ACKStatus().ARN()
		facts["a forward by reference, written back: the target group by ARN"] = fmt.Sprint(ptr.Deref(a.TargetGroupARN, "") == tgARN)
		fc := "none"
		if a.ForwardConfig != nil && len(a.ForwardConfig.TargetGroups) == 1 && a.ForwardConfig.TargetGroupStickinessConfig != nil {
			fc = fmt.Sprintf("one target group (same ARN %v), weight %d, stickiness %v", ptr.Deref(a.ForwardConfig.TargetGroups[0].TargetGroupARN, "") == tgARN,
				ptr.Deref(a.ForwardConfig.TargetGroups[0].Weight, 0), ptr.Deref(a.ForwardConfig.TargetGroupStickinessConfig.Enabled, true))
		}
		facts["a forward by reference, written back: forwardConfig"] = fc
	}

	// 4b. A target group created with attributes and every other field as
	// AWS answers it (as the operator renders it): the elbv2 controller
	// stores no ARN for it until a resync (10 hours by default).
	tgAttrs := &elbv2v1alpha1.TargetGroup{ObjectMeta: objMeta(b, "tg-attrs", nil), Spec: elbv2v1alpha1.TargetGroupSpec{
		Name: ptr.To(name + "-tga"), TargetType: ptr.To("ip"), Protocol: ptr.To("HTTP"), ProtocolVersion: ptr.To("HTTP1"), Port: ptr.To(int64(8080)),
		VPCRef: from("vpc"), IPAddressType: ptr.To("ipv4"), HealthCheckEnabled: ptr.To(true), HealthCheckPath: ptr.To("/"), HealthCheckPort: ptr.To("traffic-port"),
		HealthCheckProtocol: ptr.To("HTTP"), HealthCheckIntervalSeconds: ptr.To(int64(30)), HealthCheckTimeoutSeconds: ptr.To(int64(5)),
		HealthyThresholdCount: ptr.To(int64(5)), UnhealthyThresholdCount: ptr.To(int64(2)), Matcher: &elbv2v1alpha1.Matcher{HTTPCode: ptr.To("200")},
		Attributes: []*elbv2v1alpha1.TargetGroupAttribute{{Key: ptr.To("deregistration_delay.timeout_seconds"), Value: ptr.To("30")}}}}
	if create(tgAttrs) && until("the target group with attributes synced", 3*time.Minute, synced(tgAttrs)) {
		time.Sleep(15 * time.Second)
		facts["a target group created with attributes: its ARN in status 15 s after it synced"] = fmt.Sprint(get(tgAttrs).ACKStatus().ARN() != "")
	}

	// 5. An ECS service naming its network and target group by reference.
	cluster := &ecsv1alpha1.Cluster{ObjectMeta: objMeta(b, "cluster", nil), Spec: ecsv1alpha1.ClusterSpec{Name: ptr.To(name + "-cluster")}}
	td := &ecsv1alpha1.TaskDefinition{ObjectMeta: objMeta(b, "td", nil), Spec: ecsv1alpha1.TaskDefinitionSpec{Family: ptr.To(name + "-td"), CPU: ptr.To("256"), Memory: ptr.To("512"),
		NetworkMode: ptr.To("awsvpc"), RequiresCompatibilities: []*string{ptr.To("FARGATE")},
		ContainerDefinitions: []*ecsv1alpha1.ContainerDefinition{{Name: ptr.To("api"), Image: ptr.To("public.ecr.aws/docuflow/api:1.4.2"), Essential: ptr.To(true),
			PortMappings: []*ecsv1alpha1.PortMapping{{ContainerPort: ptr.To(int64(8080))}}}}}}
	for _, o := range []core.Object{cluster, td} {
		if !create(o) || !until(o.GetName()+" synced", 3*time.Minute, synced(o)) {
			return facts
		}
	}
	svc := &ecsv1alpha1.Service{ObjectMeta: objMeta(b, "svc", nil), Spec: ecsv1alpha1.ServiceSpec{Name: ptr.To(name + "-svc"), ClusterRef: from("cluster"),
		TaskDefinition: ptr.To(get(td).ACKStatus().ARN()), DesiredCount: ptr.To(int64(1)), LaunchType: ptr.To("FARGATE"),
		NetworkConfiguration: &ecsv1alpha1.NetworkConfiguration{AWSVPCConfiguration: &ecsv1alpha1.AWSVPCConfiguration{
			SubnetRefs: []*ackv1alpha1.AWSResourceReferenceWrapper{from("sub-a"), from("sub-b")}, SecurityGroupRefs: []*ackv1alpha1.AWSResourceReferenceWrapper{from("sg")}, AssignPublicIP: ptr.To("DISABLED")}},
		LoadBalancers: []*ecsv1alpha1.LoadBalancer{{TargetGroupRef: from("tg"), ContainerName: ptr.To("api"), ContainerPort: ptr.To(int64(8080))}}}}
	if create(svc) && until("the service synced", 3*time.Minute, synced(svc)) {
		s := get(svc).(*ecsv1alpha1.Service).Spec
		c := s.NetworkConfiguration.AWSVPCConfiguration
		facts["a service by reference, written back: network configuration"] = fmt.Sprintf("%d subnet refs, %d subnets, %d group refs, %d groups",
			len(c.SubnetRefs), len(c.Subnets), len(c.SecurityGroupRefs), len(c.SecurityGroups))
		facts["a service by reference, written back: load balancer"] = fmt.Sprintf("ref kept %v, ARN written %v",
			s.LoadBalancers[0].TargetGroupRef != nil, ptr.Deref(s.LoadBalancers[0].TargetGroupARN, "") == get(tg).ACKStatus().ARN())
	}

	// 6. AWS refuses to delete a route table a subnet is associated with.
	lone := &ec2v1alpha1.RouteTable{ObjectMeta: objMeta(b, "rtb-lone", nil), Spec: ec2v1alpha1.RouteTableSpec{VPCRef: from("vpc")}}
	loneSub := &ec2v1alpha1.Subnet{ObjectMeta: objMeta(b, "sub-lone", nil), Spec: ec2v1alpha1.SubnetSpec{VPCRef: from("vpc"), CIDRBlock: ptr.To("10.70.5.0/24"),
		AvailabilityZone: ptr.To("us-east-1c"), RouteTableRefs: []*ackv1alpha1.AWSResourceReferenceWrapper{from("rtb-lone")}}}
	for _, o := range []core.Object{lone, loneSub} {
		if !create(o) || !until(o.GetName()+" synced", 3*time.Minute, synced(o)) {
			return facts
		}
	}
	if err := b.c.Delete(ctx, lone); err != nil {
		fail("deleting the route table: %v", err)
	}
	refused := until("the route table's deletion refused", 2*time.Minute, func() bool {
		return conditionStatus(get(lone), ackv1alpha1.ConditionTypeRecoverable) == "True"
	})
	facts["a route table deleted before its associated subnet: refused"] = fmt.Sprint(refused)
	if refused {
		o := get(lone)
		facts["a route table deleted before its associated subnet: conditions"] = conditionShape(o)
		c := o.ACKStatus().Condition(ackv1alpha1.ConditionTypeRecoverable)
		facts["a route table deleted before its associated subnet: the message names DependencyViolation"] = fmt.Sprint(strings.Contains(ptr.Deref(c.Message, ""), "DependencyViolation"))
	}
	facts["a route table deleted before its associated subnet: still there"] = fmt.Sprint(!isGone(ctx, b.c, lone))
	_ = b.c.Delete(ctx, loneSub)
	facts["a route table deleted before its associated subnet: gone once the subnet is"] = fmt.Sprint(until("the route table gone", 5*time.Minute, func() bool { return isGone(ctx, b.c, lone) }))

	// 7. A Terminal resource is not retried until its spec changes.
	group := &cloudwatchlogsv1alpha1.LogGroup{ObjectMeta: objMeta(b, "bad-group", nil), Spec: cloudwatchlogsv1alpha1.LogGroupSpec{Name: ptr.To(strings.Repeat("x", 513))}}
	b.refuse("LogGroup", group.Name, "InvalidParameterException: logGroupName: Member must have length less than or equal to 512")
	if create(group) && until("the log group Terminal", 2*time.Minute, func() bool { return conditionStatus(get(group), ackv1alpha1.ConditionTypeTerminal) == "True" }) {
		b.fix("LogGroup", group.Name)
		time.Sleep(20 * time.Second)
		facts["a Terminal resource, its cause gone, no spec change: still Terminal 20 s later"] = fmt.Sprint(conditionStatus(get(group), ackv1alpha1.ConditionTypeTerminal) == "True")
		fresh := get(group).(*cloudwatchlogsv1alpha1.LogGroup)
		fresh.Spec.Name = ptr.To("/behaviour/" + b.ns)
		if err := b.c.Update(ctx, fresh); err != nil {
			fail("fixing the log group: %v", err)
		}
		facts["a Terminal resource after a spec change: synced"] = fmt.Sprint(until("the log group synced", 2*time.Minute, synced(group)))
	}

	// 7. Adoption: a VPC made outside ACK, adopted by its ID, and an ID that
	// finds nothing.
	adoptedID := b.existingVPC(t, "10.71.0.0/16")
	adoption := func(name, id string) *ec2v1alpha1.VPC {
		return &ec2v1alpha1.VPC{ObjectMeta: objMeta(b, name, map[string]string{
			desired.AnnotationAdoptionPolicy: desired.AdoptionPolicyAdopt, desired.AnnotationAdoptionFields: `{"vpcID":"` + id + `"}`, desired.AnnotationDeletionPolicy: "retain",
		}), Spec: ec2v1alpha1.VPCSpec{CIDRBlocks: []*string{ptr.To("10.72.0.0/16")}}}
	}
	adopted := adoption("adopted", adoptedID)
	if create(adopted) && until("the VPC adopted", 2*time.Minute, func() bool { return desired.AdoptionSettled(get(adopted)) }) {
		o := get(adopted).(*ec2v1alpha1.VPC)
		facts["adoption: AWS's range written into the spec"] = fmt.Sprint(len(o.Spec.CIDRBlocks) == 1 && ptr.Deref(o.Spec.CIDRBlocks[0], "") == "10.71.0.0/16")
		facts["adoption: the adopted ID in the status"] = fmt.Sprint(ptr.Deref(o.Status.VPCID, "") == adoptedID)
		// Without ACK.LateInitialized, which the simulator does not model
		// (the operator never reads it).
		facts["adoption: conditions"] = strings.TrimPrefix(conditionShape(o), "ACK.LateInitialized=True, ")
	}
	missing := adoption("adopted-missing", "vpc-0123456789abcdef0")
	if create(missing) {
		// What ACK shows for an ID that finds nothing, once it has tried.
		deadline := time.Now().Add(time.Minute)
		for time.Now().Before(deadline) && len(get(missing).ACKStatus().Conditions) == 0 {
			time.Sleep(time.Second)
		}
		o := get(missing)
		facts["adoption of an ID that finds nothing: conditions"] = conditionShape(o)
		facts["adoption of an ID that finds nothing: adopted"] = fmt.Sprint(desired.IsAdoptedByACK(o))
		c := o.ACKStatus().Condition(ackv1alpha1.ConditionTypeResourceSynced)
		facts["adoption of an ID that finds nothing: the reason says so"] = fmt.Sprint(c != nil && strings.Contains(ptr.Deref(c.Reason, "")+ptr.Deref(c.Message, ""), "adopted resource not found"))
	}
	return facts
}

// conditionShape is an object's ACK conditions as "Type=Status", sorted:
// which conditions the runtime sets, and how.
func conditionShape(o core.Object) string {
	var out []string
	for _, c := range o.ACKStatus().Conditions {
		if c != nil {
			out = append(out, fmt.Sprintf("%s=%s", c.Type, c.Status))
		}
	}
	sort.Strings(out)
	return strings.Join(out, ", ")
}

func conditionStatus(o core.Object, t ackv1alpha1.ConditionType) corev1.ConditionStatus {
	if c := o.ACKStatus().Condition(t); c != nil {
		return c.Status
	}
	return ""
}

func isGone(ctx context.Context, c client.Client, o client.Object) bool {
	err := c.Get(ctx, client.ObjectKeyFromObject(o), o.DeepCopyObject().(client.Object))
	return apierrors.IsNotFound(err)
}
