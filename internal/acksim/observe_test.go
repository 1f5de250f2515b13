package acksim

import (
	"reflect"
	"regexp"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/docuflow/docuflow-operator/internal/ack"
	applicationautoscalingv1alpha1 "github.com/docuflow/docuflow-operator/internal/ack/applicationautoscaling/v1alpha1"
	"github.com/docuflow/docuflow-operator/internal/ack/core"
	ecsv1alpha1 "github.com/docuflow/docuflow-operator/internal/ack/ecs/v1alpha1"
	elbv2v1alpha1 "github.com/docuflow/docuflow-operator/internal/ack/elbv2/v1alpha1"
)

// arnFormats are the ARN shapes of every kind for object "web" in namespace
// "prod", region eu-west-1, account 123456789012.
var arnFormats = map[string]string{
	"Role":             `^arn:aws:iam::123456789012:role/web$`,
	"LogGroup":         `^arn:aws:logs:eu-west-1:123456789012:log-group:web$`,
	"VPC":              `^arn:aws:ec2:eu-west-1:123456789012:vpc/vpc-[0-9a-f]{17}$`,
	"InternetGateway":  `^arn:aws:ec2:eu-west-1:123456789012:internet-gateway/igw-[0-9a-f]{17}$`,
	"ElasticIPAddress": `^arn:aws:ec2:eu-west-1:123456789012:elastic-ip/eipalloc-[0-9a-f]{17}$`,
	"RouteTable":       `^arn:aws:ec2:eu-west-1:123456789012:route-table/rtb-[0-9a-f]{17}$`,
	"Subnet":           `^arn:aws:ec2:eu-west-1:123456789012:subnet/subnet-[0-9a-f]{17}$`,
	"NATGateway":       `^arn:aws:ec2:eu-west-1:123456789012:natgateway/nat-[0-9a-f]{17}$`,
	"SecurityGroup":    `^arn:aws:ec2:eu-west-1:123456789012:security-group/sg-[0-9a-f]{17}$`,
	"VPCEndpoint":      `^arn:aws:ec2:eu-west-1:123456789012:vpc-endpoint/vpce-[0-9a-f]{17}$`,
	"FlowLog":          `^arn:aws:ec2:eu-west-1:123456789012:vpc-flow-log/fl-[0-9a-f]{17}$`,
	"DBSubnetGroup":    `^arn:aws:rds:eu-west-1:123456789012:subgrp:web$`,
	"DBParameterGroup": `^arn:aws:rds:eu-west-1:123456789012:pg:web$`,
	"DBInstance":       `^arn:aws:rds:eu-west-1:123456789012:db:web$`,
	"LoadBalancer":     `^arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/web/[0-9a-f]{16}$`,
	"TargetGroup":      `^arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/web/[0-9a-f]{16}$`,
	"Listener":         `^arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener/app/web/[0-9a-f]{16}/[0-9a-f]{16}$`,
	"Cluster":          `^arn:aws:ecs:eu-west-1:123456789012:cluster/web$`,
	"TaskDefinition":   `^arn:aws:ecs:eu-west-1:123456789012:task-definition/web:3$`,
	"Service":          `^arn:aws:ecs:eu-west-1:123456789012:service/default/web$`,
	"ScalableTarget":   `^arn:aws:application-autoscaling:eu-west-1:123456789012:scalable-target/[0-9a-f]{32}$`,
	"ScalingPolicy":    `^arn:aws:autoscaling:eu-west-1:123456789012:scalingPolicy:[0-9a-f-]{36}:resource//:policyName/web$`,
	"MetricAlarm":      `^arn:aws:cloudwatch:eu-west-1:123456789012:alarm:web$`,
}

func testObservation(kind string) observation {
	return observation{kind: kind, namespace: "prod", name: "web", region: "eu-west-1", account: "123456789012", ready: true, revision: 3}
}

func TestObserveGivesEveryKindARealFormatARN(t *testing.T) {
	for _, proto := range ack.Kinds() {
		kind := reflect.TypeOf(proto).Elem().Name()
		t.Run(kind, func(t *testing.T) {
			want, ok := arnFormats[kind]
			if !ok {
				t.Fatalf("no ARN format for %s", kind)
			}
			obj := proto.DeepCopyObject().(core.Object)
			describe(obj, testObservation(kind))
			md := obj.ACKStatus().ACKResourceMetadata
			if md == nil || ptrValue(md.OwnerAccountID) != "123456789012" || ptrValue(md.Region) != "eu-west-1" {
				t.Fatalf("ackResourceMetadata = %+v", md)
			}
			if got := obj.ACKStatus().ARN(); !regexp.MustCompile(want).MatchString(got) {
				t.Errorf("ARN = %q, want match %s", got, want)
			}
			again := proto.DeepCopyObject().(core.Object)
			describe(again, testObservation(kind))
			if !reflect.DeepEqual(statusOf(obj), statusOf(again)) {
				t.Error("observing twice gave different status")
			}
		})
	}
}

func TestObserveLoadBalancerAndListener(t *testing.T) {
	lb := &elbv2v1alpha1.LoadBalancer{Spec: elbv2v1alpha1.LoadBalancerSpec{Name: ptr.To("docuflow-prod"), Scheme: ptr.To("internet-facing")}}
	o := testObservation("LoadBalancer")
	describe(lb, o)
	if got := ptrValue(lb.Status.DNSName); !regexp.MustCompile(`^docuflow-prod-[0-9]{10}\.eu-west-1\.elb\.amazonaws\.com$`).MatchString(got) {
		t.Errorf("dnsName = %q", got)
	}
	if got := ptrValue(lb.Status.CanonicalHostedZoneID); got != "Z32O12XQLNTSW2" {
		t.Errorf("canonicalHostedZoneID = %q", got)
	}
	if lb.Status.State == nil || ptrValue(lb.Status.State.Code) != "active" {
		t.Errorf("state = %+v, want active", lb.Status.State)
	}

	listener := &elbv2v1alpha1.Listener{}
	lo := testObservation("Listener")
	lo.resolved = map[string][]string{"spec.loadBalancerRef": {lb.Status.ARN()}}
	describe(listener, lo)
	lbPart := lb.Status.ARN()[len("arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/"):]
	if got := listener.Status.ARN(); !regexp.MustCompile(`^arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener/` + regexp.QuoteMeta(lbPart) + `/[0-9a-f]{16}$`).MatchString(got) {
		t.Errorf("listener ARN = %q, want it under %s", got, lbPart)
	}
}

func TestObserveWhileProvisioning(t *testing.T) {
	o := testObservation("LoadBalancer")
	o.ready = false
	o.created = metav1.Now()
	lb := &elbv2v1alpha1.LoadBalancer{}
	describe(lb, o)
	if lb.Status.State == nil || ptrValue(lb.Status.State.Code) != "provisioning" {
		t.Errorf("state = %+v, want provisioning", lb.Status.State)
	}
}

func TestObserveServiceReportsACompletedPrimaryDeployment(t *testing.T) {
	svc := &ecsv1alpha1.Service{Spec: ecsv1alpha1.ServiceSpec{
		Name: ptr.To("api"), DesiredCount: ptr.To(int64(3)),
		TaskDefinition: ptr.To("arn:aws:ecs:eu-west-1:123456789012:task-definition/docuflow-api:7"),
	}}
	o := testObservation("Service")
	o.resolved = map[string][]string{"spec.clusterRef": {"docuflow"}}
	describe(svc, o)
	if got := svc.Status.ARN(); got != "arn:aws:ecs:eu-west-1:123456789012:service/docuflow/api" {
		t.Errorf("ARN = %q", got)
	}
	if ptrValue(svc.Status.Status) != "ACTIVE" || ptrValue(svc.Status.RunningCount) != 3 || ptrValue(svc.Status.ClusterARN) != "arn:aws:ecs:eu-west-1:123456789012:cluster/docuflow" {
		t.Errorf("status = %s, running %d, cluster %s", ptrValue(svc.Status.Status), ptrValue(svc.Status.RunningCount), ptrValue(svc.Status.ClusterARN))
	}
	if len(svc.Status.Deployments) != 1 {
		t.Fatalf("deployments = %d, want 1", len(svc.Status.Deployments))
	}
	d := svc.Status.Deployments[0]
	if ptrValue(d.Status) != "PRIMARY" || ptrValue(d.RolloutState) != "COMPLETED" || ptrValue(d.TaskDefinition) != *svc.Spec.TaskDefinition ||
		ptrValue(d.DesiredCount) != 3 || ptrValue(d.RunningCount) != 3 {
		t.Errorf("deployment = %+v", d)
	}
}

func TestObserveTargetTrackingPolicyHasItsAlarms(t *testing.T) {
	policy := &applicationautoscalingv1alpha1.ScalingPolicy{Spec: applicationautoscalingv1alpha1.ScalingPolicySpec{
		PolicyName: ptr.To("cpu"), ServiceNamespace: ptr.To("ecs"), ResourceID: ptr.To("service/docuflow/api"),
		ScalableDimension: ptr.To("ecs:service:DesiredCount"), PolicyType: ptr.To("TargetTrackingScaling"),
	}}
	describe(policy, testObservation("ScalingPolicy"))
	if len(policy.Status.Alarms) != 2 {
		t.Fatalf("alarms = %d, want AlarmHigh and AlarmLow", len(policy.Status.Alarms))
	}
	for _, a := range policy.Status.Alarms {
		if !regexp.MustCompile(`^arn:aws:cloudwatch:eu-west-1:123456789012:alarm:TargetTracking-service/docuflow/api-Alarm(High|Low)-[0-9a-f-]{36}$`).MatchString(ptrValue(a.AlarmARN)) {
			t.Errorf("alarm ARN = %q", ptrValue(a.AlarmARN))
		}
	}
	if got := policy.Status.ARN(); !regexp.MustCompile(`^arn:aws:autoscaling:eu-west-1:123456789012:scalingPolicy:[0-9a-f-]{36}:resource/ecs/service/docuflow/api:policyName/cpu$`).MatchString(got) {
		t.Errorf("ARN = %q", got)
	}
}
