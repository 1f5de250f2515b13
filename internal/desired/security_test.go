package desired

import (
	"fmt"
	"reflect"
	"testing"

	platformv1alpha1 "github.com/docuflow/docuflow-operator/api/v1alpha1"
	ec2v1alpha1 "github.com/docuflow/docuflow-operator/internal/ack/ec2/v1alpha1"
)

// namedStack is a stack shape with a phrase describing it.
type namedStack struct {
	name  string
	stack *platformv1alpha1.DocuFlowStack
}

// stacksUnderTest are the stack shapes the cross-cutting tests run over.
func stacksUnderTest() []namedStack {
	return []namedStack{
		{"production with three zones", newStack("prod", withAZs(3))},
		{"development over plain HTTP", newStack("dev", withDevelopment())},
		{"production limited to office ranges", newStack("prod", withAllowedCIDRs("203.0.113.0/24", "198.51.100.0/24"))},
		{"production with a long name", newStack("customer-documents-production-eu-central", withAZs(3))},
		{"development with endpoints and flow logs", newStack("dev", withDevelopment(), withPrivateEndpoints(true), withFlowLogs(true))},
		{"production deleting its database outright", newStack("prod", withDeletionPolicy(platformv1alpha1.DeletionPolicyDelete))},
		{"production with alarms, access logs and every scaling signal", newStack("prod", withAlarmTopic(alarmTopic), withAccessLogs("docuflow-prod-alb-logs", "docuflow"),
			withTargetMemoryPercent(70), withRequestsPerTarget(500), withEnv("LOG_LEVEL=info", "FEATURE_FLAGS=ocr,search"))},
		{"a stack named internal, whose load balancer name AWS would reject", newStack("internal", withAlarmTopic(alarmTopic))},
		{"production on shard team-b", newStack("prod", withShard("team-b"))},
	}
}

// rules flattens security group rules to comparable strings.
func rules(perms []*ec2v1alpha1.IPPermission) []string {
	var out []string
	for _, p := range perms {
		head := fmt.Sprintf("%s %d-%d", *p.IPProtocol, *p.FromPort, *p.ToPort)
		for _, r := range p.IPRanges {
			out = append(out, head+" cidr "+*r.CIDRIP)
		}
		for _, g := range p.UserIDGroupPairs {
			out = append(out, head+" sg "+refTo(g.GroupRef))
		}
		for _, pl := range p.PrefixListIDs {
			out = append(out, head+" pl "+*pl.PrefixListID)
		}
		if len(p.IPRanges) == 0 && len(p.UserIDGroupPairs) == 0 && len(p.PrefixListIDs) == 0 {
			out = append(out, head+" self")
		}
	}
	return out
}

func TestSecurityGroupInvariants(t *testing.T) {
	for _, c := range stacksUnderTest() {
		stack := c.stack
		t.Run("with "+c.name+" no rule is all-protocol and only the load balancer is open to the world", func(t *testing.T) {
			r := mustBuild(t, stack, observedAll())
			lb := Name(stack.Name, componentLoadBalancerSG, KubernetesName)
			svc := Name(stack.Name, componentServiceSG, KubernetesName)
			db := Name(stack.Name, componentDatabaseSG, KubernetesName)
			groups := byName[*ec2v1alpha1.SecurityGroup](r.Objects)
			for _, n := range []string{lb, svc, db} {
				if _, ok := groups[n]; !ok {
					t.Fatalf("security group %s is not rendered", n)
				}
			}
			for _, sg := range groups {
				if refTo(sg.Spec.VPCRef) != Name(stack.Name, componentVPC, KubernetesName) {
					t.Errorf("security group %s is not in the stack's VPC", sg.Name)
				}
				for _, p := range append(append([]*ec2v1alpha1.IPPermission{}, sg.Spec.IngressRules...), sg.Spec.EgressRules...) {
					if p.IPProtocol == nil || *p.IPProtocol != "tcp" {
						t.Errorf("security group %s has a rule with protocol %v, want tcp only", sg.Name, p.IPProtocol)
					}
					if p.FromPort == nil || p.ToPort == nil || *p.FromPort != *p.ToPort {
						t.Errorf("security group %s has a rule over a port range, want single ports", sg.Name)
					}
				}
				for _, p := range sg.Spec.IngressRules {
					for _, rg := range p.IPRanges {
						if *rg.CIDRIP != anywhere {
							continue
						}
						if sg.Name != lb || (*p.FromPort != portHTTP && *p.FromPort != portHTTPS) {
							t.Errorf("security group %s admits 0.0.0.0/0 on port %d", sg.Name, *p.FromPort)
						}
					}
				}
			}
			if got, want := rules(groups[db].Spec.IngressRules), []string{"tcp 5432-5432 sg " + svc}; !reflect.DeepEqual(got, want) {
				t.Errorf("database ingress = %v, want %v", got, want)
			}
			if len(groups[db].Spec.EgressRules) != 0 {
				t.Errorf("database egress = %v, want none", rules(groups[db].Spec.EgressRules))
			}
			if got, want := rules(groups[svc].Spec.IngressRules), []string{"tcp 8080-8080 sg " + lb}; !reflect.DeepEqual(got, want) {
				t.Errorf("service ingress = %v, want %v", got, want)
			}
			want := []string{"tcp 5432-5432 sg " + db, "tcp 443-443 cidr 0.0.0.0/0"}
			if s := Resolve(stack); s.PrivateEndpoints && ecrRegion(stack.Spec.Service.Image) == s.Region {
				want = []string{"tcp 5432-5432 sg " + db, "tcp 443-443 cidr " + s.VPCCIDR, "tcp 443-443 pl " + observedAll().S3PrefixListID}
			}
			if got := rules(groups[svc].Spec.EgressRules); !reflect.DeepEqual(got, want) {
				t.Errorf("service egress = %v, want %v", got, want)
			}
			if got, want := rules(groups[lb].Spec.EgressRules), []string{"tcp 8080-8080 sg " + svc}; !reflect.DeepEqual(got, want) {
				t.Errorf("load balancer egress = %v, want %v", got, want)
			}
		})
	}
}

func TestLoadBalancerIngress(t *testing.T) {
	tests := []struct {
		name  string
		stack *platformv1alpha1.DocuFlowStack
		want  []string
	}{
		{
			name:  "an HTTPS stack opens 443 and the redirect port 80 to everyone",
			stack: newStack("prod"),
			want:  []string{"tcp 443-443 cidr 0.0.0.0/0", "tcp 80-80 cidr 0.0.0.0/0"},
		},
		{
			name:  "an HTTPS stack limited to ranges opens both ports to each range only",
			stack: newStack("prod", withAllowedCIDRs("203.0.113.0/24", "198.51.100.0/24")),
			want: []string{
				"tcp 443-443 cidr 198.51.100.0/24", "tcp 443-443 cidr 203.0.113.0/24",
				"tcp 80-80 cidr 198.51.100.0/24", "tcp 80-80 cidr 203.0.113.0/24",
			},
		},
		{
			name:  "a plain HTTP development stack opens port 80 only",
			stack: newStack("dev", withDevelopment()),
			want:  []string{"tcp 80-80 cidr 0.0.0.0/0"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := mustBuild(t, tt.stack, observedAll())
			lb := byName[*ec2v1alpha1.SecurityGroup](r.Objects)[Name(tt.stack.Name, componentLoadBalancerSG, KubernetesName)]
			if got := rules(lb.Spec.IngressRules); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("load balancer ingress = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestEndpointSecurityGroupAdmitsOnlyTheVPC(t *testing.T) {
	r := mustBuild(t, newStack("prod"), observedAll())
	sg := byName[*ec2v1alpha1.SecurityGroup](r.Objects)["prod-vpce-sg"]
	if sg == nil {
		t.Fatal("the endpoint security group is not rendered")
	}
	if got, want := rules(sg.Spec.IngressRules), []string{"tcp 443-443 cidr 10.40.0.0/16"}; !reflect.DeepEqual(got, want) {
		t.Errorf("endpoint ingress = %v, want %v", got, want)
	}
	if len(sg.Spec.EgressRules) != 0 {
		t.Errorf("endpoint egress = %v, want none", rules(sg.Spec.EgressRules))
	}
}
