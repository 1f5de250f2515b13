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

// serviceHTTPSEgress is where the service may go on 443. Closed, it is only
// the VPC, where the interface endpoints sit, S3 through the gateway endpoint
// (the region's S3 prefix list) and the ranges the stack lists in
// network.egressCIDRs: a compromised task cannot reach the internet over
// HTTPS (security review M4). Otherwise it is anywhere, through NAT (see
// httpsEgressClosed for when).
func (b *builder) serviceHTTPSEgress() *ec2v1alpha1.IPPermission {
	if !b.httpsEgressClosed() {
		return fromCIDRs(portHTTPS, "To AWS APIs and image registries", anywhere)
	}
	p := fromCIDRs(portHTTPS, "To the VPC endpoints", b.s.VPCCIDR)
	for _, c := range b.s.EgressCIDRs {
		if c != b.s.VPCCIDR {
			p.IPRanges = append(p.IPRanges, &ec2v1alpha1.IPRange{CIDRIP: ptrTo(c), Description: ptrTo("Listed in network.egressCIDRs")})
		}
	}
	// No description on the prefix-list peer, so the rule compares equal
	// whether or not AWS echoes one back.
	p.PrefixListIDs = []*ec2v1alpha1.PrefixListID{{PrefixListID: ptrTo(b.obs.S3PrefixListID)}}
	return p
}

// httpsEgressClosed says whether the service's HTTPS egress is closed to the
// VPC, S3 and network.egressCIDRs. It is, once everything the service reaches
// over HTTPS has a way in the VPC: the VPC endpoints are on and all available
// (ACK reports them synced), the S3 prefix list is known, and the image comes
// from ECR in the stack's region, which the endpoints serve (ECR Public,
// Docker Hub and other regions are only reachable through NAT: an ECR
// pull-through cache rule brings them in). Until then, or if any of it goes
// away, HTTPS stays open through NAT rather than cutting running tasks off.
func (b *builder) httpsEgressClosed() bool {
	return b.s.PrivateEndpoints && b.obs.EndpointsSynced && b.obs.S3PrefixListID != "" &&
		ecrRegion(b.stack.Spec.Service.Image) == b.s.Region
}
