package desired

import (
	"encoding/json"
	"fmt"
	"net/netip"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	platformv1alpha1 "github.com/docuflow/docuflow-operator/api/v1alpha1"
	cloudwatchlogsv1alpha1 "github.com/docuflow/docuflow-operator/internal/ack/cloudwatchlogs/v1alpha1"
	ec2v1alpha1 "github.com/docuflow/docuflow-operator/internal/ack/ec2/v1alpha1"
	iamv1alpha1 "github.com/docuflow/docuflow-operator/internal/ack/iam/v1alpha1"
)

// Components of the network family.
const (
	componentVPC          = "vpc"
	componentIGW          = "igw"
	componentPublicRoutes = "public"
	componentFlowLogs     = "vpc-flow-logs"
	componentFlowLog      = "vpc-flow-log"
)

// zoneBlocks is the number of equal blocks the VPC CIDR is split into: eight
// zone letters (a to h), each with a private and a public block.
const zoneBlocks = 16

// interfaceEndpoints are the AWS services reached through interface endpoints
// when privateEndpoints is on: image pulls, logs and the database secret.
var interfaceEndpoints = []string{"ecr.api", "ecr.dkr", "logs", "secretsmanager"}

// zone is one availability zone with the subnet blocks carved for it.
type zone struct {
	name    string
	private netip.Prefix
	public  netip.Prefix
}

// carveZones returns the zones with their subnet CIDRs. The VPC CIDR is split
// into sixteen equal blocks; the zone with letter index i (a=0 … h=7) gets
// block i for its private subnet and block 8+i for its public one, so adding
// a zone never moves the subnets of existing ones.
func carveZones(vpcCIDR string, names []string) ([]zone, error) {
	vpc, err := netip.ParsePrefix(vpcCIDR)
	if err != nil {
		return nil, fmt.Errorf("parsing vpcCIDR %q: %w", vpcCIDR, err)
	}
	if !vpc.Addr().Is4() || vpc.Masked() != vpc {
		return nil, fmt.Errorf("vpcCIDR %q is not an IPv4 network address", vpcCIDR)
	}
	// AWS subnets are /28 at the smallest.
	if vpc.Bits()+4 > 28 {
		return nil, fmt.Errorf("vpcCIDR %q is too small to carve %d subnets of at least /28", vpcCIDR, zoneBlocks)
	}
	bits := vpc.Bits() + 4
	size := uint32(1) << (32 - bits)
	base := vpc.Addr().As4()
	start := uint32(base[0])<<24 | uint32(base[1])<<16 | uint32(base[2])<<8 | uint32(base[3])
	block := func(i int) netip.Prefix {
		v := start + uint32(i)*size
		return netip.PrefixFrom(netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)}), bits)
	}

	zones := make([]zone, 0, len(names))
	seen := map[int]string{}
	for _, n := range names {
		if n == "" {
			return nil, fmt.Errorf("availability zone name is empty")
		}
		letter := n[len(n)-1]
		if letter < 'a' || letter > 'h' {
			return nil, fmt.Errorf("availability zone %q does not end in a letter from a to h", n)
		}
		i := int(letter - 'a')
		if other, ok := seen[i]; ok {
			return nil, fmt.Errorf("availability zones %q and %q share the letter %c", other, n, letter)
		}
		seen[i] = n
		zones = append(zones, zone{name: n, private: block(i), public: block(zoneBlocks/2 + i)})
	}
	return zones, nil
}

// Component names of the per-zone network objects.
func privateSubnetComponent(z zone) string { return "private-" + z.name }
func publicSubnetComponent(z zone) string  { return "public-" + z.name }
func privateRoutesComponent(z zone) string { return privateRoutesPrefix + "-" + z.name }
func natComponent(z zone) string           { return "nat-" + z.name }
func natEIPComponent(z zone) string        { return "nat-eip-" + z.name }

// privateRoutesPrefix starts the component of every private route table.
const privateRoutesPrefix = "private-routes"

func endpointComponent(service string) string {
	return "vpce-" + strings.ReplaceAll(service, ".", "-")
}

// natZones are the zones that hold a NAT gateway: every zone with PerZone, the
// first (by name) with Single.
func (b *builder) natZones() []zone {
	if b.s.NATGateways == platformv1alpha1.NATGatewaysSingle {
		return b.zones[:1]
	}
	return b.zones
}

// natZoneFor is the zone whose NAT gateway carries z's egress.
func (b *builder) natZoneFor(z zone) zone {
	if b.s.NATGateways == platformv1alpha1.NATGatewaysSingle {
		return b.zones[0]
	}
	return z
}

// privateSubnetNames are the metadata names of the private subnets, by zone.
func (b *builder) privateSubnetNames() []string {
	out := make([]string, 0, len(b.zones))
	for _, z := range b.zones {
		out = append(out, b.name(privateSubnetComponent(z), KubernetesName))
	}
	return out
}

// privateRouteTableNames are the metadata names of the private route tables,
// by zone.
func (b *builder) privateRouteTableNames() []string {
	out := make([]string, 0, len(b.zones))
	for _, z := range b.zones {
		out = append(out, b.name(privateRoutesComponent(z), KubernetesName))
	}
	return out
}

// ec2Meta is the TypeMeta of an EC2 kind.
func ec2Meta(kind string) metav1.TypeMeta {
	return metav1.TypeMeta{APIVersion: ec2v1alpha1.GroupVersion.String(), Kind: kind}
}

// ec2Tags are the component's tags as EC2 tags.
func (b *builder) ec2Tags(component string) []*ec2v1alpha1.Tag {
	tags := Tags(b.stack, component)
	out := make([]*ec2v1alpha1.Tag, 0, len(tags))
	for _, t := range tags {
		out = append(out, &ec2v1alpha1.Tag{Key: ptrTo(t.Key), Value: ptrTo(t.Value)})
	}
	return out
}

// tagS3Endpoint names, on a private route table, the S3 gateway endpoint whose
// route AWS added to it.
const tagS3Endpoint = "docuflow.io/s3-endpoint"

// privateRouteTags are a private route table's tags. Once the S3 gateway
// endpoint is available they name it. AWS has then added the endpoint's route
// (to the region's S3 prefix list) to the table, but the ec2 controller
// reports a table's routes in its status only when it reconciles the table:
// on a spec change, or at the next resync, hours away. The tag's change is
// such a reconcile: the controller reads the table, finds the endpoint's
// route missing from the spec (it never excludes AWS's own routes there) and
// so syncs the routes, which refreshes status.routeStatuses. The prefix list
// it reports is what the service's security group needs to reach S3.
func (b *builder) privateRouteTags(component string) []*ec2v1alpha1.Tag {
	tags := b.ec2Tags(component)
	if b.s.PrivateEndpoints && b.obs.S3EndpointID != "" {
		tags = append(tags, &ec2v1alpha1.Tag{Key: ptrTo(tagS3Endpoint), Value: ptrTo(b.obs.S3EndpointID)})
	}
	return tags
}

// network renders the VPC, its subnets, gateways, routes, flow logs and
// endpoints.
func (b *builder) network() {
	vpcName := b.name(componentVPC, KubernetesName)
	b.emit(&ec2v1alpha1.VPC{
		TypeMeta:   ec2Meta("VPC"),
		ObjectMeta: objectMeta(b.stack, FamilyNetwork, componentVPC),
		Spec: ec2v1alpha1.VPCSpec{
			CIDRBlocks:         []*string{ptrTo(b.s.VPCCIDR)},
			EnableDNSSupport:   ptrTo(true),
			EnableDNSHostnames: ptrTo(true),
			// AWS's defaults, stated: the ec2 controller compares every
			// field AWS answers with, and sees a field left out as drift
			// at every resync.
			InstanceTenancy:                  ptrTo("default"),
			EnableNetworkAddressUsageMetrics: ptrTo(false),
			// Security Hub EC2.2: the default security group allows nothing.
			DisallowSecurityGroupDefaultRules: ptrTo(true),
			Tags:                              b.ec2Tags(componentVPC),
		},
	})

	igwName := b.name(componentIGW, KubernetesName)
	b.emit(&ec2v1alpha1.InternetGateway{
		TypeMeta:   ec2Meta("InternetGateway"),
		ObjectMeta: objectMeta(b.stack, FamilyNetwork, componentIGW),
		Spec: ec2v1alpha1.InternetGatewaySpec{
			VPCRef: ref(vpcName),
			Tags:   b.ec2Tags(componentIGW),
		},
	})

	publicRoutesName := b.name(componentPublicRoutes, KubernetesName)
	b.emit(&ec2v1alpha1.RouteTable{
		TypeMeta:   ec2Meta("RouteTable"),
		ObjectMeta: objectMeta(b.stack, FamilyNetwork, componentPublicRoutes),
		Spec: ec2v1alpha1.RouteTableSpec{
			VPCRef: ref(vpcName),
			Routes: []*ec2v1alpha1.Route{{
				DestinationCIDRBlock: ptrTo("0.0.0.0/0"),
				GatewayRef:           ref(igwName),
			}},
			Tags: b.ec2Tags(componentPublicRoutes),
		},
	})

	for _, z := range b.zones {
		// Every zone gets its own private route table, even with a single NAT
		// gateway, so switching modes only changes routes, never associations.
		comp := privateRoutesComponent(z)
		b.emit(&ec2v1alpha1.RouteTable{
			TypeMeta:   ec2Meta("RouteTable"),
			ObjectMeta: objectMeta(b.stack, FamilyNetwork, comp),
			Spec: ec2v1alpha1.RouteTableSpec{
				VPCRef: ref(vpcName),
				Routes: []*ec2v1alpha1.Route{{
					DestinationCIDRBlock: ptrTo("0.0.0.0/0"),
					NATGatewayRef:        ref(b.name(natComponent(b.natZoneFor(z)), KubernetesName)),
				}},
				Tags: b.privateRouteTags(comp),
			},
		})
	}

	for _, z := range b.zones {
		priv, pub := privateSubnetComponent(z), publicSubnetComponent(z)
		b.emit(&ec2v1alpha1.Subnet{
			TypeMeta:   ec2Meta("Subnet"),
			ObjectMeta: objectMeta(b.stack, FamilyNetwork, priv),
			Spec: ec2v1alpha1.SubnetSpec{
				VPCRef:              ref(vpcName),
				CIDRBlock:           ptrTo(z.private.String()),
				AvailabilityZone:    ptrTo(z.name),
				MapPublicIPOnLaunch: ptrTo(false),
				RouteTableRefs:      refs(b.name(privateRoutesComponent(z), KubernetesName)),
				Tags:                b.ec2Tags(priv),
				// AWS's defaults, stated: the ec2 controller sees an
				// attribute left out as drift and calls
				// ModifySubnetAttribute for it at every resync.
				AssignIPv6AddressOnCreation:     ptrTo(false),
				EnableDNS64:                     ptrTo(false),
				EnableResourceNameDNSAAAARecord: ptrTo(false),
				EnableResourceNameDNSARecord:    ptrTo(false),
				HostnameType:                    ptrTo("ip-name"),
				IPv6Native:                      ptrTo(false),
			},
		}, &ec2v1alpha1.Subnet{
			TypeMeta:   ec2Meta("Subnet"),
			ObjectMeta: objectMeta(b.stack, FamilyNetwork, pub),
			Spec: ec2v1alpha1.SubnetSpec{
				VPCRef:           ref(vpcName),
				CIDRBlock:        ptrTo(z.public.String()),
				AvailabilityZone: ptrTo(z.name),
				// Security Hub EC2.15: public subnets do not hand out public
				// addresses either; the load balancer and the NAT gateways get
				// theirs from AWS and from their Elastic IPs.
				MapPublicIPOnLaunch: ptrTo(false),
				RouteTableRefs:      refs(publicRoutesName),
				Tags:                b.ec2Tags(pub),
				// AWS's defaults, stated: the ec2 controller sees an
				// attribute left out as drift and calls
				// ModifySubnetAttribute for it at every resync.
				AssignIPv6AddressOnCreation:     ptrTo(false),
				EnableDNS64:                     ptrTo(false),
				EnableResourceNameDNSAAAARecord: ptrTo(false),
				EnableResourceNameDNSARecord:    ptrTo(false),
				HostnameType:                    ptrTo("ip-name"),
				IPv6Native:                      ptrTo(false),
			},
		})
	}

	for _, z := range b.natZones() {
		eip, nat := natEIPComponent(z), natComponent(z)
		b.emit(&ec2v1alpha1.ElasticIPAddress{
			TypeMeta:   ec2Meta("ElasticIPAddress"),
			ObjectMeta: objectMeta(b.stack, FamilyNetwork, eip),
			Spec:       ec2v1alpha1.ElasticIPAddressSpec{Tags: b.ec2Tags(eip)},
		}, &ec2v1alpha1.NATGateway{
			TypeMeta:   ec2Meta("NATGateway"),
			ObjectMeta: objectMeta(b.stack, FamilyNetwork, nat),
			Spec: ec2v1alpha1.NATGatewaySpec{
				SubnetRef:        ref(b.name(publicSubnetComponent(z), KubernetesName)),
				AllocationRef:    ref(b.name(eip, KubernetesName)),
				ConnectivityType: ptrTo("public"),
				Tags:             b.ec2Tags(nat),
			},
		})
	}

	if b.s.FlowLogs {
		b.flowLogs(vpcName)
	}
	if b.s.PrivateEndpoints {
		b.endpoints(vpcName)
	}
}

// defaultFlowLogFormat is AWS's default flow log record format (version 2
// fields), stated so that the spec matches what AWS answers.
const defaultFlowLogFormat = "${version} ${account-id} ${interface-id} ${srcaddr} ${dstaddr} ${srcport} ${dstport} ${protocol} ${packets} ${bytes} ${start} ${end} ${action} ${log-status}"

// flowLogs renders the flow-log LogGroup, the role VPC Flow Logs assumes to
// write into it, and the FlowLog itself. The role is scoped to the log group's
// ARN and the FlowLog names the VPC by ID (FlowLog has no reference field), so
// both wait until those values are observed.
func (b *builder) flowLogs(vpcName string) {
	groupName := b.name(componentFlowLogs, KubernetesName)
	b.emit(&cloudwatchlogsv1alpha1.LogGroup{
		TypeMeta:   logsMeta(),
		ObjectMeta: objectMeta(b.stack, FamilyNetwork, componentFlowLogs),
		Spec: cloudwatchlogsv1alpha1.LogGroupSpec{
			Name:          ptrTo(b.logGroupName(componentFlowLogs)),
			RetentionDays: ptrTo(int64(b.s.FlowLogRetentionDays)),
			Tags:          b.logTags(componentFlowLogs),
		},
	})

	roleName := b.name(componentFlowLogs, KubernetesName)
	if b.obs.FlowLogGroupARN == "" {
		b.wait(FamilyNetwork, "Role", roleName, "LogGroup "+groupName+" ARN")
	} else {
		role := b.flowLogRole()
		b.uses(role, Key{"LogGroup", groupName})
		b.emit(role)
	}

	flowLogName := b.name(componentFlowLog, KubernetesName)
	var missing []string
	if b.obs.VPCID == "" {
		missing = append(missing, "VPC "+vpcName+" ID")
	}
	if b.obs.FlowLogGroupARN == "" {
		// Without its role the flow log would be created but never deliver.
		missing = append(missing, "LogGroup "+groupName+" ARN")
	}
	if len(missing) > 0 {
		b.wait(FamilyNetwork, "FlowLog", flowLogName, missing...)
		return
	}
	flowLog := &ec2v1alpha1.FlowLog{
		TypeMeta:   ec2Meta("FlowLog"),
		ObjectMeta: objectMeta(b.stack, FamilyNetwork, componentFlowLog),
		Spec: ec2v1alpha1.FlowLogSpec{
			ResourceID:               ptrTo(b.obs.VPCID),
			ResourceType:             ptrTo("VPC"),
			TrafficType:              ptrTo("ALL"),
			LogDestinationType:       ptrTo("cloud-watch-logs"),
			LogGroupRef:              ref(groupName),
			DeliverLogsPermissionRef: ref(roleName),
			// AWS's default, stated so the spec is complete: only tags of a
			// FlowLog can change after creation.
			MaxAggregationInterval: ptrTo(int64(600)),
			LogFormat:              ptrTo(defaultFlowLogFormat),
			Tags:                   b.ec2Tags(componentFlowLog),
		},
	}
	b.uses(flowLog, Key{"VPC", vpcName})
	b.emit(flowLog)
}

// flowLogRole is the role VPC Flow Logs assumes, allowed only to write log
// streams of the flow-log group, and only for flow logs of the group's
// account.
func (b *builder) flowLogRole() *iamv1alpha1.Role {
	group := logGroupARNBase(b.obs.FlowLogGroupARN)
	account, source := arnAccount(b.obs.FlowLogGroupARN), ""
	if account != "" {
		source = "arn:" + arnPartition(b.obs.FlowLogGroupARN) + ":ec2:" + b.s.Region + ":" + account + ":vpc-flow-log/*"
	}
	trust := assumeRolePolicy("vpc-flow-logs.amazonaws.com", account, source)
	delivery := policyJSON(policyDocument{Version: policyVersion, Statement: []statement{{
		Sid:      "DeliverFlowLogs",
		Effect:   "Allow",
		Action:   []string{"logs:CreateLogStream", "logs:DescribeLogStreams", "logs:PutLogEvents"},
		Resource: []string{group, group + ":log-stream:*"},
	}}})
	return &iamv1alpha1.Role{
		TypeMeta:   iamMeta(),
		ObjectMeta: objectMeta(b.stack, FamilyNetwork, componentFlowLogs),
		Spec: iamv1alpha1.RoleSpec{
			Name:                     ptrTo(b.awsName(componentFlowLogs, IAMRoleName)),
			Path:                     b.rolePath(),
			PermissionsBoundary:      b.permissionsBoundary(),
			MaxSessionDuration:       ptrTo(int64(roleMaxSessionSeconds)),
			Description:              ptrTo("Lets VPC Flow Logs write the flow logs of DocuFlow stack " + b.stack.Namespace + "/" + b.stack.Name + "."),
			AssumeRolePolicyDocument: ptrTo(trust),
			InlinePolicies:           map[string]*string{"flow-log-delivery": ptrTo(delivery)},
			Tags:                     b.iamTags(componentFlowLogs),
		},
	}
}

// endpointStatement is one statement of a VPC endpoint policy.
type endpointStatement struct {
	Sid       string                         `json:"Sid"`
	Effect    string                         `json:"Effect"`
	Principal string                         `json:"Principal"`
	Action    []string                       `json:"Action"`
	Resource  []string                       `json:"Resource"`
	Condition map[string]map[string][]string `json:"Condition,omitempty"`
}

// endpointPolicy encodes a VPC endpoint policy.
func endpointPolicy(statements ...endpointStatement) string {
	out, err := json.Marshal(struct {
		Version   string              `json:"Version"`
		Statement []endpointStatement `json:"Statement"`
	}{policyVersion, statements})
	if err != nil {
		panic("encoding an endpoint policy: " + err.Error())
	}
	return string(out)
}

// regionPartition is the AWS partition of a region.
func regionPartition(region string) string {
	switch {
	case strings.HasPrefix(region, "cn-"):
		return "aws-cn"
	case strings.HasPrefix(region, "us-gov-"):
		return "aws-us-gov"
	}
	return "aws"
}

// s3EndpointPolicy lets the gateway endpoint reach the bucket ECR keeps image
// layers in and the buckets of the stack's own account, nothing else: a
// compromised task cannot copy data to a bucket of another account through
// it (security review M4).
func (b *builder) s3EndpointPolicy() string {
	return endpointPolicy(
		endpointStatement{
			Sid: "ImageLayersFromECR", Effect: "Allow", Principal: "*",
			Action:   []string{"s3:GetObject"},
			Resource: []string{"arn:" + regionPartition(b.s.Region) + ":s3:::prod-" + b.s.Region + "-starport-layer-bucket/*"},
		},
		endpointStatement{
			Sid: "BucketsOfTheStacksAccount", Effect: "Allow", Principal: "*",
			Action:    []string{"s3:*"},
			Resource:  []string{"*"},
			Condition: map[string]map[string][]string{"StringEquals": {"aws:ResourceAccount": {b.obs.VPCAccount}}},
		},
	)
}

// secretsEndpointPolicy lets the Secrets Manager endpoint read the stack's
// database secret and nothing else: the one secret the task execution role
// injects and the app fetches for each new connection.
func (b *builder) secretsEndpointPolicy() string {
	return endpointPolicy(endpointStatement{
		Sid: "TheStacksDatabaseSecret", Effect: "Allow", Principal: "*",
		Action:   []string{"secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"},
		Resource: []string{b.obs.DBSecretARN},
	})
}

// endpoints renders the S3 gateway endpoint on the private route tables and
// the interface endpoints in the private subnets.
func (b *builder) endpoints(vpcName string) {
	s3 := endpointComponent("s3")
	if b.obs.VPCAccount == "" {
		b.wait(FamilyNetwork, "VPCEndpoint", b.name(s3, KubernetesName), "VPC "+vpcName+" account")
	} else {
		b.emit(&ec2v1alpha1.VPCEndpoint{
			TypeMeta:   ec2Meta("VPCEndpoint"),
			ObjectMeta: objectMeta(b.stack, FamilyNetwork, s3),
			Spec: ec2v1alpha1.VPCEndpointSpec{
				VPCRef:          ref(vpcName),
				ServiceName:     ptrTo("com.amazonaws." + b.s.Region + ".s3"),
				VPCEndpointType: ptrTo("Gateway"),
				RouteTableRefs:  refs(b.privateRouteTableNames()...),
				PolicyDocument:  ptrTo(b.s3EndpointPolicy()),
				Tags:            b.ec2Tags(s3),
			},
		})
	}
	sg := b.name(componentEndpointSG, KubernetesName)
	for _, svc := range interfaceEndpoints {
		comp := endpointComponent(svc)
		var policy *string
		if svc == "secretsmanager" {
			if b.obs.DBSecretARN == "" {
				b.wait(FamilyNetwork, "VPCEndpoint", b.name(comp, KubernetesName), "DBInstance "+b.name(componentDB, KubernetesName)+" master user secret ARN")
				continue
			}
			policy = ptrTo(b.secretsEndpointPolicy())
		}
		ep := &ec2v1alpha1.VPCEndpoint{
			TypeMeta:   ec2Meta("VPCEndpoint"),
			ObjectMeta: objectMeta(b.stack, FamilyNetwork, comp),
			Spec: ec2v1alpha1.VPCEndpointSpec{
				VPCRef:            ref(vpcName),
				ServiceName:       ptrTo("com.amazonaws." + b.s.Region + "." + svc),
				VPCEndpointType:   ptrTo("Interface"),
				SubnetRefs:        refs(b.privateSubnetNames()...),
				SecurityGroupRefs: refs(sg),
				PrivateDNSEnabled: ptrTo(true),
				PolicyDocument:    policy,
				Tags:              b.ec2Tags(comp),
			},
		}
		b.emit(ep)
	}
}
