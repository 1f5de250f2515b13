package desired

import (
	ec2v1alpha1 "github.com/docuflow/docuflow-operator/internal/ack/ec2/v1alpha1"
)

// Components of the security group family.
const (
	componentLoadBalancerSG = "alb-sg"
	componentServiceSG      = "service-sg"
	componentDatabaseSG     = "db-sg"
	componentEndpointSG     = "vpce-sg"
)

// Ports the security groups open.
const (
	portHTTP     = 80
	portHTTPS    = 443
	portPostgres = 5432
)

// anywhere is the IPv4 range of the whole internet.
const anywhere = "0.0.0.0/0"

// tcp returns a TCP rule for one port.
func tcp(port int64) *ec2v1alpha1.IPPermission {
	return &ec2v1alpha1.IPPermission{IPProtocol: ptrTo("tcp"), FromPort: ptrTo(port), ToPort: ptrTo(port)}
}

// fromCIDRs returns a TCP rule for one port with the given IPv4 peers.
func fromCIDRs(port int64, description string, cidrs ...string) *ec2v1alpha1.IPPermission {
	p := tcp(port)
	for _, c := range cidrs {
		p.IPRanges = append(p.IPRanges, &ec2v1alpha1.IPRange{CIDRIP: ptrTo(c), Description: ptrTo(description)})
	}
	return p
}

// fromGroup returns a TCP rule for one port with another security group of the
// stack as the peer.
func fromGroup(port int64, description, groupName string) *ec2v1alpha1.IPPermission {
	p := tcp(port)
	p.UserIDGroupPairs = []*ec2v1alpha1.UserIDGroupPair{{GroupRef: ref(groupName), Description: ptrTo(description)}}
	return p
}

// securityGroup renders one security group of the stack.
func (b *builder) securityGroup(component, description string, ingress, egress []*ec2v1alpha1.IPPermission) *ec2v1alpha1.SecurityGroup {
	return &ec2v1alpha1.SecurityGroup{
		TypeMeta:   ec2Meta("SecurityGroup"),
		ObjectMeta: objectMeta(b.stack, FamilyNetwork, component),
		Spec: ec2v1alpha1.SecurityGroupSpec{
			Name:         ptrTo(b.awsName(component, SecurityGroupName)),
			Description:  ptrTo(description),
			VPCRef:       ref(b.name(componentVPC, KubernetesName)),
			IngressRules: ingress,
			EgressRules:  egress,
			Tags:         b.ec2Tags(component),
		},
	}
}

// securityGroups renders the load balancer, service and database groups
// (and the endpoint group when privateEndpoints is on). Each tier admits only
// the tier in front of it; ACK removes AWS's default allow-all egress at
// creation, so each group's egress is exactly what is listed here. The groups
// reference each other through groupRef, which ACK resolves without waiting
// for the peer to be ready, so the cycle between them is fine.
func (b *builder) securityGroups() {
	lbSG := b.name(componentLoadBalancerSG, KubernetesName)
	svcSG := b.name(componentServiceSG, KubernetesName)
	dbSG := b.name(componentDatabaseSG, KubernetesName)
	port := int64(b.s.ContainerPort)

	// Port 80 is open either to serve plain HTTP (insecureHTTPOnly) or to
	// redirect to HTTPS.
	lbPorts := []int64{portHTTPS, portHTTP}
	if b.s.InsecureHTTPOnly {
		lbPorts = []int64{portHTTP}
	}
	var lbIngress []*ec2v1alpha1.IPPermission
	for _, p := range lbPorts {
		lbIngress = append(lbIngress, fromCIDRs(p, "Clients of the load balancer", b.s.AllowedCIDRs...))
	}
	b.emit(b.securityGroup(componentLoadBalancerSG,
		"DocuFlow load balancer: HTTP(S) from the allowed ranges, to the service only",
		lbIngress,
		[]*ec2v1alpha1.IPPermission{fromGroup(port, "To the DocuFlow service", svcSG)},
	))

	b.emit(b.securityGroup(componentServiceSG,
		"DocuFlow service: the container port from the load balancer only",
		[]*ec2v1alpha1.IPPermission{fromGroup(port, "From the DocuFlow load balancer", lbSG)},
		[]*ec2v1alpha1.IPPermission{
			fromGroup(portPostgres, "To the DocuFlow database", dbSG),
			b.serviceHTTPSEgress(),
		},
	))

	// The database answers but never initiates: no egress rules at all.
	b.emit(b.securityGroup(componentDatabaseSG,
		"DocuFlow database: PostgreSQL from the service only",
		[]*ec2v1alpha1.IPPermission{fromGroup(portPostgres, "From the DocuFlow service", svcSG)},
		nil,
	))

	if b.s.PrivateEndpoints {
		b.emit(b.securityGroup(componentEndpointSG,
			"DocuFlow VPC endpoints: HTTPS from inside the VPC only",
			[]*ec2v1alpha1.IPPermission{fromCIDRs(portHTTPS, "From inside the VPC", b.s.VPCCIDR)},
			nil,
		))
	}
}

// serviceHTTPSEgress is where the service may go on 443. Without VPC
// endpoints it reaches AWS's APIs (ECR, CloudWatch Logs, Secrets Manager)
// through the NAT gateways, hence anywhere. With them, only the VPC, where
// the interface endpoints sit, S3 through the gateway endpoint (the region's
// S3 prefix list, once read from the route AWS added for it) and the ranges
// the stack lists in network.egressCIDRs: a compromised task cannot send data
// out over HTTPS (security review M4).
func (b *builder) serviceHTTPSEgress() *ec2v1alpha1.IPPermission {
	if !b.s.PrivateEndpoints {
		return fromCIDRs(portHTTPS, "To AWS APIs and image registries", anywhere)
	}
	p := fromCIDRs(portHTTPS, "To the VPC endpoints", b.s.VPCCIDR)
	for _, c := range b.s.EgressCIDRs {
		if c != b.s.VPCCIDR {
			p.IPRanges = append(p.IPRanges, &ec2v1alpha1.IPRange{CIDRIP: ptrTo(c), Description: ptrTo("Listed in network.egressCIDRs")})
		}
	}
	if pl := b.obs.S3PrefixListID; pl != "" {
		// No description: the local AWS answers a prefix-list peer without
		// it, and the ec2 controller would then rewrite the group's rules at
		// every resync (the end-to-end suite's "holds still" caught it).
		p.PrefixListIDs = []*ec2v1alpha1.PrefixListID{{PrefixListID: ptrTo(pl)}}
	}
	return p
}
