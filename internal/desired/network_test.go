package desired

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	platformv1alpha1 "github.com/docuflow/docuflow-operator/api/v1alpha1"
	ec2v1alpha1 "github.com/docuflow/docuflow-operator/internal/ack/ec2/v1alpha1"
)

// subnetCIDRs maps each rendered subnet's name to its CIDR.
func subnetCIDRs(r Result) map[string]string {
	out := map[string]string{}
	for _, s := range ofKind[*ec2v1alpha1.Subnet](r.Objects) {
		out[s.Name] = *s.Spec.CIDRBlock
	}
	return out
}

func TestSubnetCIDRs(t *testing.T) {
	tests := []struct {
		name  string
		stack *platformv1alpha1.DocuFlowStack
		want  map[string]string
	}{
		{
			name:  "three zones get the first private blocks and the public blocks from the middle",
			stack: newStack("prod", withAZs(3)),
			want: map[string]string{
				"prod-private-us-east-1a": "10.40.0.0/20",
				"prod-private-us-east-1b": "10.40.16.0/20",
				"prod-private-us-east-1c": "10.40.32.0/20",
				"prod-public-us-east-1a":  "10.40.128.0/20",
				"prod-public-us-east-1b":  "10.40.144.0/20",
				"prod-public-us-east-1c":  "10.40.160.0/20",
			},
		},
		{
			name:  "a zone's blocks follow its letter, not its position in the list",
			stack: newStack("prod", withZones("us-east-1f", "us-east-1b")),
			want: map[string]string{
				"prod-private-us-east-1b": "10.40.16.0/20",
				"prod-private-us-east-1f": "10.40.80.0/20",
				"prod-public-us-east-1b":  "10.40.144.0/20",
				"prod-public-us-east-1f":  "10.40.208.0/20",
			},
		},
		{
			name: "a /22 VPC is carved into /26 subnets",
			stack: newStack("prod", func(s *platformv1alpha1.DocuFlowStack) {
				s.Spec.Network.VPCCIDR = "192.168.4.0/22"
			}, withZones("eu-west-1a", "eu-west-1h"), func(s *platformv1alpha1.DocuFlowStack) { s.Spec.Region = "eu-west-1" }),
			want: map[string]string{
				"prod-private-eu-west-1a": "192.168.4.0/26",
				"prod-private-eu-west-1h": "192.168.5.192/26",
				"prod-public-eu-west-1a":  "192.168.6.0/26",
				"prod-public-eu-west-1h":  "192.168.7.192/26",
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := subnetCIDRs(mustBuild(t, tt.stack, observedAll()))
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("subnet CIDRs = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestAddingAZoneMovesNoExistingSubnet(t *testing.T) {
	before := subnetCIDRs(mustBuild(t, newStack("prod", withAZs(2)), observedAll()))
	after := subnetCIDRs(mustBuild(t, newStack("prod", withAZs(3)), observedAll()))
	for name, cidr := range before {
		if after[name] != cidr {
			t.Errorf("subnet %s moved from %s to %q when a zone was added", name, cidr, after[name])
		}
	}
	if len(after) != len(before)+2 {
		t.Errorf("adding a zone added %d subnets, want 2", len(after)-len(before))
	}
}

func TestNoSubnetMapsPublicIPs(t *testing.T) {
	for _, stack := range []*platformv1alpha1.DocuFlowStack{newStack("prod", withAZs(3)), newStack("dev", withDevelopment())} {
		for _, s := range ofKind[*ec2v1alpha1.Subnet](mustBuild(t, stack, Observed{}).Objects) {
			if s.Spec.MapPublicIPOnLaunch == nil || *s.Spec.MapPublicIPOnLaunch {
				t.Errorf("subnet %s maps public IPs on launch (or leaves it to AWS)", s.Name)
			}
		}
	}
}

func TestPrivateRoutes(t *testing.T) {
	tests := []struct {
		name  string
		stack *platformv1alpha1.DocuFlowStack
		want  map[string]string // private route table → NAT gateway
	}{
		{
			name:  "with a NAT gateway per zone each private table routes to its own zone's NAT",
			stack: newStack("prod", withAZs(3)),
			want: map[string]string{
				"prod-private-routes-us-east-1a": "prod-nat-us-east-1a",
				"prod-private-routes-us-east-1b": "prod-nat-us-east-1b",
				"prod-private-routes-us-east-1c": "prod-nat-us-east-1c",
			},
		},
		{
			name:  "with a single NAT gateway every private table routes to the first zone's NAT",
			stack: newStack("prod", withAZs(3), withNATGateways(platformv1alpha1.NATGatewaysSingle)),
			want: map[string]string{
				"prod-private-routes-us-east-1a": "prod-nat-us-east-1a",
				"prod-private-routes-us-east-1b": "prod-nat-us-east-1a",
				"prod-private-routes-us-east-1c": "prod-nat-us-east-1a",
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := mustBuild(t, tt.stack, observedAll())
			nats := byName[*ec2v1alpha1.NATGateway](r.Objects)
			got := map[string]string{}
			for _, rt := range ofKind[*ec2v1alpha1.RouteTable](r.Objects) {
				if rt.Name == "prod-public" {
					if len(rt.Spec.Routes) != 1 || refTo(rt.Spec.Routes[0].GatewayRef) != "prod-igw" {
						t.Errorf("public route table routes = %v, want one default route to prod-igw", rt.Spec.Routes)
					}
					continue
				}
				if len(rt.Spec.Routes) != 1 || *rt.Spec.Routes[0].DestinationCIDRBlock != "0.0.0.0/0" {
					t.Fatalf("route table %s has routes %v, want one default route", rt.Name, rt.Spec.Routes)
				}
				nat := refTo(rt.Spec.Routes[0].NATGatewayRef)
				if _, ok := nats[nat]; !ok {
					t.Errorf("route table %s routes to NAT gateway %q, which is not rendered", rt.Name, nat)
				}
				got[rt.Name] = nat
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("private routes = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestSubnetsAssociateWithTheirRouteTables(t *testing.T) {
	r := mustBuild(t, newStack("prod", withAZs(3)), observedAll())
	for _, s := range ofKind[*ec2v1alpha1.Subnet](r.Objects) {
		want := "prod-public"
		if s.Name[len("prod-"):len("prod-private")] == "private" {
			want = "prod-private-routes-" + *s.Spec.AvailabilityZone
		}
		if len(s.Spec.RouteTableRefs) != 1 || refTo(s.Spec.RouteTableRefs[0]) != want {
			t.Errorf("subnet %s is associated with %v, want %s", s.Name, s.Spec.RouteTableRefs, want)
		}
	}
	for _, n := range ofKind[*ec2v1alpha1.NATGateway](r.Objects) {
		zone := n.Name[len("prod-nat-"):]
		if got := refTo(n.Spec.SubnetRef); got != "prod-public-"+zone {
			t.Errorf("NAT gateway %s sits in %s, want the public subnet of its zone", n.Name, got)
		}
		if got := refTo(n.Spec.AllocationRef); got != "prod-nat-eip-"+zone {
			t.Errorf("NAT gateway %s uses Elastic IP %s, want its own", n.Name, got)
		}
	}
}

func TestFlowLog(t *testing.T) {
	tests := []struct {
		name        string
		stack       *platformv1alpha1.DocuFlowStack
		obs         Observed
		wantFlowLog bool
		wantWaits   []Wait
	}{
		{
			name:        "a production stack waits for the VPC ID and the log group ARN before its flow log",
			stack:       newStack("prod"),
			obs:         Observed{},
			wantFlowLog: false,
			wantWaits: []Wait{
				{Family: FamilyNetwork, Kind: "Role", Name: "prod-vpc-flow-logs", WaitsFor: "LogGroup prod-vpc-flow-logs ARN"},
				{Family: FamilyNetwork, Kind: "FlowLog", Name: "prod-vpc-flow-log", WaitsFor: "VPC prod-vpc ID and LogGroup prod-vpc-flow-logs ARN"},
			},
		},
		{
			name:        "a production stack whose log group is known still waits for the VPC ID",
			stack:       newStack("prod"),
			obs:         Observed{FlowLogGroupARN: observedAll().FlowLogGroupARN},
			wantFlowLog: false,
			wantWaits:   []Wait{{Family: FamilyNetwork, Kind: "FlowLog", Name: "prod-vpc-flow-log", WaitsFor: "VPC prod-vpc ID"}},
		},
		{
			name:        "a production stack with everything observed renders its flow log",
			stack:       newStack("prod"),
			obs:         observedAll(),
			wantFlowLog: true,
		},
		{
			name:        "a development stack has no flow log and waits for nothing of it",
			stack:       newStack("dev", withDevelopment()),
			obs:         Observed{},
			wantFlowLog: false,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := mustBuild(t, tt.stack, tt.obs)
			logs := ofKind[*ec2v1alpha1.FlowLog](r.Objects)
			if (len(logs) == 1) != tt.wantFlowLog || len(logs) > 1 {
				t.Fatalf("rendered %d flow logs, want flow log %v", len(logs), tt.wantFlowLog)
			}
			var waits []Wait
			for _, w := range r.Waiting {
				if w.Kind == "FlowLog" || w.Name == "prod-vpc-flow-logs" {
					waits = append(waits, w)
				}
			}
			if !reflect.DeepEqual(waits, tt.wantWaits) {
				t.Errorf("flow log waits = %v, want %v", waits, tt.wantWaits)
			}
			if !tt.wantFlowLog {
				return
			}
			fl := logs[0]
			if *fl.Spec.ResourceID != tt.obs.VPCID || *fl.Spec.ResourceType != "VPC" || *fl.Spec.TrafficType != "ALL" {
				t.Errorf("flow log records %s %s traffic of %s, want ALL traffic of VPC %s", *fl.Spec.TrafficType, *fl.Spec.ResourceType, *fl.Spec.ResourceID, tt.obs.VPCID)
			}
			if refTo(fl.Spec.LogGroupRef) != "prod-vpc-flow-logs" || refTo(fl.Spec.DeliverLogsPermissionRef) != "prod-vpc-flow-logs" {
				t.Errorf("flow log writes to %q as %q, want the stack's flow-log group and role", refTo(fl.Spec.LogGroupRef), refTo(fl.Spec.DeliverLogsPermissionRef))
			}
		})
	}
}

func TestEndpoints(t *testing.T) {
	tests := []struct {
		name          string
		stack         *platformv1alpha1.DocuFlowStack
		wantInterface int
		wantGateway   int
	}{
		{name: "a production stack reaches S3, ECR, logs and secrets privately", stack: newStack("prod", withAZs(3)), wantInterface: 4, wantGateway: 1},
		{name: "a development stack has no endpoints", stack: newStack("dev", withDevelopment())},
		{name: "a development stack can turn endpoints on", stack: newStack("dev", withDevelopment(), withPrivateEndpoints(true)), wantInterface: 4, wantGateway: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := mustBuild(t, tt.stack, observedAll())
			privateSubnets := len(tt.stack.Spec.Network.AvailabilityZones)
			var iface, gw int
			for _, e := range ofKind[*ec2v1alpha1.VPCEndpoint](r.Objects) {
				switch *e.Spec.VPCEndpointType {
				case "Interface":
					iface++
					if len(e.Spec.SubnetRefs) != privateSubnets || e.Spec.PrivateDNSEnabled == nil || !*e.Spec.PrivateDNSEnabled {
						t.Errorf("interface endpoint %s: %d subnets, private DNS %v; want every private subnet and private DNS", e.Name, len(e.Spec.SubnetRefs), e.Spec.PrivateDNSEnabled)
					}
					if len(e.Spec.SecurityGroupRefs) != 1 || refTo(e.Spec.SecurityGroupRefs[0]) != Name(tt.stack.Name, componentEndpointSG, KubernetesName) {
						t.Errorf("interface endpoint %s is behind %v, want the endpoint security group", e.Name, e.Spec.SecurityGroupRefs)
					}
				case "Gateway":
					gw++
					if len(e.Spec.RouteTableRefs) != privateSubnets {
						t.Errorf("gateway endpoint %s is on %d route tables, want the %d private ones", e.Name, len(e.Spec.RouteTableRefs), privateSubnets)
					}
				}
			}
			if iface != tt.wantInterface || gw != tt.wantGateway {
				t.Errorf("rendered %d interface and %d gateway endpoints, want %d and %d", iface, gw, tt.wantInterface, tt.wantGateway)
			}
		})
	}
}

func TestBuildRejectsZonesOutsideAToH(t *testing.T) {
	if _, err := Build(newStack("prod", withZones("us-east-1a", "us-east-1i")), Observed{}); err == nil {
		t.Errorf("Build accepted zone us-east-1i, want an error")
	}
}

// TestHTTPSEgressStaysInsideTheStacksReach: with VPC endpoints on, the
// service reaches on 443 only the VPC, S3 through the gateway endpoint and
// the ranges the stack lists; the endpoints let through only the ECR layer
// bucket and the account's buckets (S3) and the stack's own secret (Secrets
// Manager); and the private route tables name the S3 endpoint, so the ec2
// controller reads the route AWS added for it (security review M4).
func TestHTTPSEgressStaysInsideTheStacksReach(t *testing.T) {
	httpsEgress := func(t *testing.T, r Result, stack *platformv1alpha1.DocuFlowStack) []string {
		t.Helper()
		sg := byName[*ec2v1alpha1.SecurityGroup](r.Objects)[Name(stack.Name, componentServiceSG, KubernetesName)]
		if sg == nil {
			t.Fatal("the service security group is not rendered")
		}
		var out []string
		for _, rule := range rules(sg.Spec.EgressRules) {
			if strings.HasPrefix(rule, "tcp 443-443 ") {
				out = append(out, strings.TrimPrefix(rule, "tcp 443-443 "))
			}
		}
		return out
	}
	all := observedAll()
	noPrefixList := observedAll()
	noPrefixList.S3PrefixListID = ""
	pending := observedAll()
	pending.EndpointsSynced = false
	tests := []struct {
		name  string
		stack *platformv1alpha1.DocuFlowStack
		obs   Observed
		want  []string
	}{
		{"without endpoints HTTPS goes anywhere, through NAT", newStack("dev", withDevelopment()), all, []string{"cidr 0.0.0.0/0"}},
		{"with endpoints available and the image in the region's ECR, the VPC and S3's prefix list", newStack("prod"), all, []string{"cidr 10.40.0.0/16", "pl " + all.S3PrefixListID}},
		{"with the ranges the stack lists", newStack("prod", withEgressCIDRs("203.0.113.0/24", "198.51.100.16/28")), all,
			[]string{"cidr 10.40.0.0/16", "cidr 198.51.100.16/28", "cidr 203.0.113.0/24", "pl " + all.S3PrefixListID}},
		{"before every endpoint is available, anywhere: running tasks are not cut off", newStack("prod"), pending, []string{"cidr 0.0.0.0/0"}},
		{"before the prefix list is read, anywhere", newStack("prod"), noPrefixList, []string{"cidr 0.0.0.0/0"}},
		{"an image from ECR Public needs NAT: anywhere", newStack("prod", withImage("public.ecr.aws/docuflow/api:1.4.2")), all, []string{"cidr 0.0.0.0/0"}},
		{"an image from another region's ECR needs NAT: anywhere", newStack("prod", withImage("123456789012.dkr.ecr.eu-west-1.amazonaws.com/docuflow/api:1.4.2")), all, []string{"cidr 0.0.0.0/0"}},
		{"listed ranges change nothing without endpoints", newStack("dev", withDevelopment(), withEgressCIDRs("203.0.113.0/24")), all, []string{"cidr 0.0.0.0/0"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := httpsEgress(t, mustBuild(t, tt.stack, tt.obs), tt.stack); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("HTTPS egress = %v, want %v", got, tt.want)
			}
		})
	}

	t.Run("the endpoints admit the layer bucket, the account's buckets and the stack's secret only", func(t *testing.T) {
		stack := newStack("prod")
		r := mustBuild(t, stack, all)
		eps := byName[*ec2v1alpha1.VPCEndpoint](r.Objects)
		type stmt struct {
			Effect    string
			Principal string
			Action    []string
			Resource  []string
			Condition map[string]map[string][]string
		}
		policy := func(component string) []stmt {
			t.Helper()
			ep := eps[Name(stack.Name, endpointComponent(component), KubernetesName)]
			if ep == nil || ep.Spec.PolicyDocument == nil {
				t.Fatalf("endpoint %s has no policy", component)
			}
			var doc struct{ Statement []stmt }
			if err := json.Unmarshal([]byte(*ep.Spec.PolicyDocument), &doc); err != nil {
				t.Fatalf("endpoint %s policy: %v", component, err)
			}
			for _, s := range doc.Statement {
				if s.Effect != "Allow" || s.Principal != "*" {
					t.Errorf("endpoint %s: statement %+v", component, s)
				}
			}
			return doc.Statement
		}
		s3 := policy("s3")
		if len(s3) != 2 ||
			!reflect.DeepEqual(s3[0].Resource, []string{"arn:aws:s3:::prod-us-east-1-starport-layer-bucket/*"}) || !reflect.DeepEqual(s3[0].Action, []string{"s3:GetObject"}) ||
			!reflect.DeepEqual(s3[1].Condition, map[string]map[string][]string{"StringEquals": {"aws:ResourceAccount": {all.VPCAccount}}}) {
			t.Errorf("S3 endpoint policy = %+v, want the layer bucket and the buckets of account %s", s3, all.VPCAccount)
		}
		secrets := policy("secretsmanager")
		if len(secrets) != 1 || !reflect.DeepEqual(secrets[0].Resource, []string{all.DBSecretARN}) {
			t.Errorf("Secrets Manager endpoint policy = %+v, want the database secret %s only", secrets, all.DBSecretARN)
		}
		for _, c := range []string{"ecr.api", "ecr.dkr", "logs"} {
			if ep := eps[Name(stack.Name, endpointComponent(c), KubernetesName)]; ep == nil || ep.Spec.PolicyDocument != nil {
				t.Errorf("endpoint %s: rendered %v with a policy; want it rendered with AWS's default", c, ep != nil)
			}
		}
	})

	t.Run("the private route tables name the S3 endpoint once it exists", func(t *testing.T) {
		stack := newStack("prod")
		for _, obs := range []Observed{{}, all} {
			r := mustBuild(t, stack, obs)
			tables := ofKind[*ec2v1alpha1.RouteTable](r.Objects)
			if len(tables) != 1+len(stack.Spec.Network.AvailabilityZones) {
				t.Fatalf("%d route tables rendered, want a public one and one per zone", len(tables))
			}
			for _, rt := range tables {
				var got string
				for _, tag := range rt.Spec.Tags {
					if *tag.Key == tagS3Endpoint {
						got = *tag.Value
					}
				}
				want := obs.S3EndpointID
				if !strings.Contains(rt.Name, privateRoutesPrefix) {
					want = ""
				}
				if got != want {
					t.Errorf("route table %s: tag %s = %q, want %q", rt.Name, tagS3Endpoint, got, want)
				}
			}
		}
	})
}
