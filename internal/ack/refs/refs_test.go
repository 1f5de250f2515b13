package refs

import (
	"reflect"
	"slices"
	"testing"

	ackv1alpha1 "github.com/aws-controllers-k8s/runtime/apis/core/v1alpha1"
	"k8s.io/utils/ptr"

	"github.com/docuflow/docuflow-operator/internal/ack"
	"github.com/docuflow/docuflow-operator/internal/ack/acktest"
	"github.com/docuflow/docuflow-operator/internal/ack/core"
	ec2v1alpha1 "github.com/docuflow/docuflow-operator/internal/ack/ec2/v1alpha1"
	ecsv1alpha1 "github.com/docuflow/docuflow-operator/internal/ack/ecs/v1alpha1"
	elbv2v1alpha1 "github.com/docuflow/docuflow-operator/internal/ack/elbv2/v1alpha1"
)

func TestEveryReferenceFieldHasATargetAndALiteral(t *testing.T) {
	total := 0
	for _, proto := range ack.Kinds() {
		obj := proto.DeepCopyObject().(core.Object)
		acktest.Populate(obj)
		kind := reflect.TypeOf(obj).Elem().Name()
		for _, site := range Sites(obj) {
			total++
			if _, ok := Targets[site.Base]; !ok {
				t.Errorf("%s %s: no target for reference base %q", kind, site.Path, site.Base)
			}
			if site.Literal == "" || !site.LiteralSet {
				t.Errorf("%s %s: no literal value field found beside it", kind, site.Path)
			}
			if len(site.Refs) == 0 {
				t.Errorf("%s %s: populated reference not collected", kind, site.Path)
			}
		}
	}
	if total == 0 {
		t.Fatal("no reference fields found in any kind")
	}
}

func TestReferenceSitesFindNestedReferences(t *testing.T) {
	tests := []struct {
		name string
		obj  core.Object
		want map[string]string // path -> literal
	}{
		{
			name: "route gateway refs inside routes",
			obj: &ec2v1alpha1.RouteTable{Spec: ec2v1alpha1.RouteTableSpec{
				VPCRef: ref("main"),
				Routes: []*ec2v1alpha1.Route{{}, {GatewayRef: ref("igw")}},
			}},
			want: map[string]string{"spec.vpcRef": "vpcID", "spec.routes[1].gatewayRef": "gatewayID"},
		},
		{
			name: "security group pairs inside rules",
			obj: &ec2v1alpha1.SecurityGroup{Spec: ec2v1alpha1.SecurityGroupSpec{
				IngressRules: []*ec2v1alpha1.IPPermission{{UserIDGroupPairs: []*ec2v1alpha1.UserIDGroupPair{{GroupRef: ref("alb")}}}},
			}},
			want: map[string]string{"spec.ingressRules[0].userIDGroupPairs[0].groupRef": "groupID"},
		},
		{
			name: "ECS awsVPCConfiguration subnet refs",
			obj: &ecsv1alpha1.Service{Spec: ecsv1alpha1.ServiceSpec{
				NetworkConfiguration: &ecsv1alpha1.NetworkConfiguration{AWSVPCConfiguration: &ecsv1alpha1.AWSVPCConfiguration{
					SubnetRefs: []*ackv1alpha1.AWSResourceReferenceWrapper{ref("a"), ref("b")},
				}},
			}},
			want: map[string]string{"spec.networkConfiguration.awsVPCConfiguration.subnetRefs": "subnets"},
		},
		{
			name: "listener default action target group ref",
			obj: &elbv2v1alpha1.Listener{Spec: elbv2v1alpha1.ListenerSpec{
				LoadBalancerRef: ref("alb"),
				DefaultActions:  []*elbv2v1alpha1.Action{{Type: ptr.To("forward"), TargetGroupRef: ref("api")}},
			}},
			want: map[string]string{"spec.loadBalancerRef": "loadBalancerARN", "spec.defaultActions[0].targetGroupRef": "targetGroupARN"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := map[string]string{}
			for _, s := range Sites(tt.obj) {
				if len(s.Refs) > 0 {
					got[s.Path] = s.Literal
				}
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("reference sites = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestReferenceSitesIgnoreEmptyWrappersAndSeeLiterals(t *testing.T) {
	subnet := &ec2v1alpha1.Subnet{Spec: ec2v1alpha1.SubnetSpec{
		VPCID:          ptr.To("vpc-0123456789abcdef0"),
		VPCRef:         ref("main"),
		RouteTableRefs: []*ackv1alpha1.AWSResourceReferenceWrapper{{}, {From: &ackv1alpha1.AWSResourceReference{Name: ptr.To("")}}},
	}}
	var vpc, rtb *Site
	sites := Sites(subnet)
	for i := range sites {
		switch sites[i].Field {
		case "vpcRef":
			vpc = &sites[i]
		case "routeTableRefs":
			rtb = &sites[i]
		}
	}
	if vpc == nil || !vpc.LiteralSet || len(vpc.Refs) != 1 {
		t.Errorf("vpcRef site = %+v, want one ref and its literal set", vpc)
	}
	if rtb == nil || len(rtb.Refs) != 0 || rtb.Literal != "routeTables" {
		t.Errorf("routeTableRefs site = %+v, want no refs and literal routeTables", rtb)
	}
	if !slices.ContainsFunc(sites, func(s Site) bool { return s.Base == "vpc" }) {
		t.Errorf("sites = %+v", sites)
	}
}

func ref(name string) *ackv1alpha1.AWSResourceReferenceWrapper {
	return &ackv1alpha1.AWSResourceReferenceWrapper{From: &ackv1alpha1.AWSResourceReference{Name: ptr.To(name)}}
}
