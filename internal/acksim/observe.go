package acksim

import (
	"fmt"
	"strings"

	ackv1alpha1 "github.com/aws-controllers-k8s/runtime/apis/core/v1alpha1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	applicationautoscalingv1alpha1 "github.com/docuflow/docuflow-operator/internal/ack/applicationautoscaling/v1alpha1"
	cloudwatchv1alpha1 "github.com/docuflow/docuflow-operator/internal/ack/cloudwatch/v1alpha1"
	cloudwatchlogsv1alpha1 "github.com/docuflow/docuflow-operator/internal/ack/cloudwatchlogs/v1alpha1"
	"github.com/docuflow/docuflow-operator/internal/ack/core"
	ec2v1alpha1 "github.com/docuflow/docuflow-operator/internal/ack/ec2/v1alpha1"
	ecsv1alpha1 "github.com/docuflow/docuflow-operator/internal/ack/ecs/v1alpha1"
	elbv2v1alpha1 "github.com/docuflow/docuflow-operator/internal/ack/elbv2/v1alpha1"
	iamv1alpha1 "github.com/docuflow/docuflow-operator/internal/ack/iam/v1alpha1"
	rdsv1alpha1 "github.com/docuflow/docuflow-operator/internal/ack/rds/v1alpha1"
)

// gatewayEndpoint is a gateway VPC endpoint and the service it reaches.
type gatewayEndpoint struct{ id, service string }

// observation is everything the simulated AWS needs to describe one object.
// Every value it produces is a function of these fields, so a rerun against
// the same objects yields the same IDs and ARNs.
type observation struct {
	kind, namespace, name string
	region, account       string
	// resolved maps a reference's path (spec.vpcRef) to its values.
	resolved map[string][]string
	// ready is false while the resource is provisioning: states read
	// pending/creating and endpoints are not there yet.
	ready bool
	// revision is the TaskDefinition revision.
	revision int64
	created  metav1.Time
	// gatewayEndpoints are, for a RouteTable, the IDs of the gateway
	// endpoints whose routes AWS has added to it.
	gatewayEndpoints []gatewayEndpoint
	// aws is what the simulated AWS holds for the object beyond its spec:
	// a service's task count and task definition as they are now.
	aws objState
}

// id returns an EC2-style ID for the object.
func (o observation) id(prefix string) string {
	if strings.HasPrefix(o.aws.adoptedID, prefix+"-") {
		return o.aws.adoptedID
	}
	return awsID(prefix, o.kind, o.namespace, o.name)
}

// hex returns n hex digits unique to the object and purpose.
func (o observation) hex(n int, purpose string) string {
	return hexString(n, purpose, o.kind, o.namespace, o.name)
}

// arn returns a regional ARN in the simulated account.
func (o observation) arn(service, resource string) string {
	return fmt.Sprintf("arn:aws:%s:%s:%s:%s", service, o.region, o.account, resource)
}

// pick returns the literal value when set, else the first resolved value of
// the reference at refPath.
func (o observation) pick(literal *string, refPath string) string {
	if v := ptrValue(literal); v != "" {
		return v
	}
	if vs := o.resolved[refPath]; len(vs) > 0 {
		return vs[0]
	}
	return ""
}

// state returns the ready or the provisioning value of a state field.
func (o observation) state(ready, provisioning string) *string {
	if o.ready {
		return &ready
	}
	return &provisioning
}

// albHostedZones are the canonical hosted zone IDs of Application Load
// Balancers in the regions a stack is likely to use.
var albHostedZones = map[string]string{
	"us-east-1":      "Z35SXDOTRQ7X7K",
	"us-east-2":      "Z3AADJGX6KTTL2",
	"us-west-1":      "Z368ELLRRE2KJ0",
	"us-west-2":      "Z1H1FL5HABSF5",
	"eu-west-1":      "Z32O12XQLNTSW2",
	"eu-west-2":      "ZHURV8PSTC4K8",
	"eu-central-1":   "Z215JYRZR1TBD5",
	"ap-southeast-1": "Z1LMS91P8CMLE5",
	"ap-southeast-2": "Z1GM3OXH4ZPM65",
	"ap-northeast-1": "Z14GRHDCWA56QT",
}

// describe fills the status fields the real ACK controller fills for the
// object's kind, and ackResourceMetadata. It never touches conditions.
func describe(obj core.Object, o observation) {
	var arn string
	switch x := obj.(type) {
	case *iamv1alpha1.Role:
		name := orDefault(x.Spec.Name, o.name)
		arn = fmt.Sprintf("arn:aws:iam::%s:role%s%s", o.account, orDefault(x.Spec.Path, "/"), name)
		x.Status.RoleID = ptr.To("AROA" + fromAlphabet(upperAlnum, 17, "role-id", o.namespace, o.name))
	case *cloudwatchlogsv1alpha1.LogGroup:
		arn = o.arn("logs", "log-group:"+orDefault(x.Spec.Name, o.name))
		x.Status.RetentionInDays = copyPtr(x.Spec.RetentionDays)
	case *ec2v1alpha1.VPC:
		id := o.id("vpc")
		x.Status.VPCID, x.Status.State = &id, o.state("available", "pending")
		if ptrValue(x.Spec.DisallowSecurityGroupDefaultRules) {
			x.Status.SecurityGroupDefaultRulesExist = ptr.To(false)
		}
		arn = o.arn("ec2", "vpc/"+id)
	case *ec2v1alpha1.InternetGateway:
		id := o.id("igw")
		x.Status.InternetGatewayID = &id
		x.Status.Attachments = nil
		if vpc := o.pick(x.Spec.VPC, "spec.vpcRef"); vpc != "" {
			x.Status.Attachments = []*ec2v1alpha1.InternetGatewayAttachment{{VPCID: &vpc, State: o.state("available", "attaching")}}
		}
		arn = o.arn("ec2", "internet-gateway/"+id)
	case *ec2v1alpha1.ElasticIPAddress:
		id := o.id("eipalloc")
		x.Status.AllocationID = &id
		x.Status.PublicIP = ptr.To(fmt.Sprintf("203.0.113.%d", 1+int(digest("eip", o.namespace, o.name)[0])%254))
		arn = o.arn("ec2", "elastic-ip/"+id)
	case *ec2v1alpha1.RouteTable:
		id := o.id("rtb")
		x.Status.RouteTableID = &id
		// Only the routes AWS adds for gateway endpoints (to the service's
		// prefix list, the same in every table of the region), as of this
		// read: what the operator reads. The real controller lists the
		// local and the spec's routes too.
		x.Status.RouteStatuses = nil
		for _, ep := range o.gatewayEndpoints {
			x.Status.RouteStatuses = append(x.Status.RouteStatuses, &ec2v1alpha1.RouteState{
				DestinationPrefixListID: ptr.To("pl-" + hexString(8, "prefix-list", ep.service)),
				GatewayID:               ptr.To(ep.id),
				Origin:                  ptr.To("CreateRoute"),
				State:                   ptr.To("active"),
			})
		}
		arn = o.arn("ec2", "route-table/"+id)
	case *ec2v1alpha1.Subnet:
		id := o.id("subnet")
		x.Status.SubnetID, x.Status.State = &id, o.state("available", "pending")
		arn = o.arn("ec2", "subnet/"+id)
	case *ec2v1alpha1.NATGateway:
		id := o.id("nat")
		x.Status.NATGatewayID, x.Status.State = &id, o.state("available", "pending")
		arn = o.arn("ec2", "natgateway/"+id)
	case *ec2v1alpha1.SecurityGroup:
		id := o.id("sg")
		x.Status.ID = &id
		arn = o.arn("ec2", "security-group/"+id)
	case *ec2v1alpha1.VPCEndpoint:
		id := o.id("vpce")
		x.Status.VPCEndpointID, x.Status.State = &id, o.state("available", "pending")
		arn = o.arn("ec2", "vpc-endpoint/"+id)
	case *ec2v1alpha1.FlowLog:
		id := o.id("fl")
		x.Status.FlowLogID = &id
		arn = o.arn("ec2", "vpc-flow-log/"+id)
	case *rdsv1alpha1.DBSubnetGroup:
		x.Status.SubnetGroupStatus = ptr.To("Complete")
		arn = o.arn("rds", "subgrp:"+strings.ToLower(orDefault(x.Spec.Name, o.name)))
	case *rdsv1alpha1.DBParameterGroup:
		arn = o.arn("rds", "pg:"+strings.ToLower(orDefault(x.Spec.Name, o.name)))
	case *rdsv1alpha1.DBInstance:
		arn = describeDBInstance(x, o)
	case *elbv2v1alpha1.LoadBalancer:
		arn = describeLoadBalancer(x, o)
	case *elbv2v1alpha1.TargetGroup:
		arn = o.arn("elasticloadbalancing", fmt.Sprintf("targetgroup/%s/%s", orDefault(x.Spec.Name, o.name), o.hex(16, "tg")))
	case *elbv2v1alpha1.Listener:
		lb := o.pick(x.Spec.LoadBalancerARN, "spec.loadBalancerRef")
		_, lbPart, ok := strings.Cut(lb, ":loadbalancer/")
		if !ok {
			lbPart = "app/" + o.name + "/" + o.hex(16, "lb")
		}
		arn = o.arn("elasticloadbalancing", fmt.Sprintf("listener/%s/%s", lbPart, o.hex(16, "listener")))
	case *ecsv1alpha1.Cluster:
		x.Status.Status = o.state("ACTIVE", "PROVISIONING")
		arn = o.arn("ecs", "cluster/"+orDefault(x.Spec.Name, o.name))
	case *ecsv1alpha1.TaskDefinition:
		x.Status.Revision = ptr.To(o.revision)
		x.Status.Status = ptr.To("ACTIVE")
		arn = o.arn("ecs", fmt.Sprintf("task-definition/%s:%d", orDefault(x.Spec.Family, o.name), o.revision))
	case *ecsv1alpha1.Service:
		arn = describeService(x, o)
	case *applicationautoscalingv1alpha1.ScalableTarget:
		x.Status.CreationTime = copyTime(o.created)
		x.Status.LastModifiedTime = copyTime(o.created)
		arn = o.arn("application-autoscaling", "scalable-target/"+o.hex(32, "scalable-target"))
	case *applicationautoscalingv1alpha1.ScalingPolicy:
		arn = describeScalingPolicy(x, o)
	case *cloudwatchv1alpha1.MetricAlarm:
		arn = o.arn("cloudwatch", "alarm:"+orDefault(x.Spec.Name, o.name))
	default:
		arn = o.arn(strings.ToLower(o.kind), strings.ToLower(o.kind)+"/"+o.name)
	}
	obj.ACKStatus().ACKResourceMetadata = &core.ResourceMetadata{
		ARN:            ptr.To(ackv1alpha1.AWSResourceName(arn)),
		OwnerAccountID: ptr.To(ackv1alpha1.AWSAccountID(o.account)),
		Region:         ptr.To(ackv1alpha1.AWSRegion(o.region)),
	}
}

func describeDBInstance(x *rdsv1alpha1.DBInstance, o observation) string {
	id := strings.ToLower(orDefault(x.Spec.DBInstanceIdentifier, o.name))
	x.Status.DBInstanceStatus = o.state("available", "creating")
	x.Status.DBIResourceID = ptr.To("db-" + base32Upper(26, "dbi", o.namespace, o.name))
	x.Status.EnabledCloudwatchLogsExports = copySlice(x.Spec.EnableCloudwatchLogsExports)
	x.Status.IAMDatabaseAuthenticationEnabled = ptr.To(ptrValue(x.Spec.EnableIAMDatabaseAuthentication))
	x.Status.Endpoint = nil
	if o.ready {
		port := ptrValue(x.Spec.Port)
		if port == 0 {
			port = defaultPort(ptrValue(x.Spec.Engine))
		}
		// The middle label is per account and region in RDS, not per instance.
		x.Status.Endpoint = &rdsv1alpha1.Endpoint{
			Address: ptr.To(fmt.Sprintf("%s.%s.%s.rds.amazonaws.com", id, fromAlphabet(lowerAlnum, 12, "rds", o.account, o.region), o.region)),
			Port:    &port,
		}
		if o.region == "us-east-1" {
			x.Status.Endpoint.HostedZoneID = ptr.To("Z2R2ITUGPM61AM")
		}
	}
	x.Status.MasterUserSecret = nil
	if ptrValue(x.Spec.ManageMasterUserPassword) {
		x.Status.MasterUserSecret = &rdsv1alpha1.MasterUserSecret{
			SecretARN: ptr.To(o.arn("secretsmanager", fmt.Sprintf("secret:rds!db-%s-%s",
				uuidLike("rds-secret", o.namespace, o.name), fromAlphabet(mixedAlnum, 6, "rds-secret-suffix", o.namespace, o.name)))),
			SecretStatus: o.state("active", "creating"),
			KMSKeyID:     copyPtr(x.Spec.KMSKeyID),
		}
	}
	return o.arn("rds", "db:"+id)
}

func defaultPort(engine string) int64 {
	switch {
	case strings.Contains(engine, "mysql"), strings.Contains(engine, "mariadb"):
		return 3306
	case strings.Contains(engine, "sqlserver"):
		return 1433
	case strings.Contains(engine, "oracle"):
		return 1521
	}
	return 5432
}

func describeLoadBalancer(x *elbv2v1alpha1.LoadBalancer, o observation) string {
	name := orDefault(x.Spec.Name, o.name)
	typ := map[string]string{"network": "net", "gateway": "gwy"}[ptrValue(x.Spec.Type)]
	if typ == "" {
		typ = "app"
	}
	host := fmt.Sprintf("%s-%s", name, fromAlphabet(digitChars, 10, "lb-dns", o.namespace, o.name))
	if ptrValue(x.Spec.Scheme) == "internal" {
		host = "internal-" + host
	}
	x.Status.DNSName = ptr.To(fmt.Sprintf("%s.%s.elb.amazonaws.com", host, o.region))
	zone, ok := albHostedZones[o.region]
	if !ok {
		zone = albHostedZones["us-east-1"]
	}
	x.Status.CanonicalHostedZoneID = &zone
	x.Status.State = &elbv2v1alpha1.LoadBalancerState{Code: o.state("active", "provisioning")}
	return o.arn("elasticloadbalancing", fmt.Sprintf("loadbalancer/%s/%s/%s", typ, name, o.hex(16, "lb")))
}

func describeService(x *ecsv1alpha1.Service, o observation) string {
	name := orDefault(x.Spec.Name, o.name)
	cluster := o.pick(x.Spec.Cluster, "spec.clusterRef")
	if cluster == "" {
		cluster = "default"
	}
	clusterName := cluster[strings.LastIndex(cluster, "/")+1:]
	clusterARN := cluster
	if !strings.HasPrefix(cluster, "arn:") {
		clusterARN = o.arn("ecs", "cluster/"+clusterName)
	}
	desired := ptrValue(x.Spec.DesiredCount)
	if o.aws.exists {
		desired = o.aws.desiredCount
	}
	running, pending, rollout := desired, int64(0), "COMPLETED"
	if !o.ready {
		running, pending, rollout = 0, desired, "IN_PROGRESS"
	}
	taskDefinition := o.pick(x.Spec.TaskDefinition, "spec.taskDefinitionRef")
	if o.aws.taskDefinition != "" {
		taskDefinition = o.aws.taskDefinition
	}
	// A new task definition is a new deployment, so the ID follows it.
	deploymentID := "ecs-svc/" + fromAlphabet(digitChars, 19, "deployment", o.namespace, o.name, taskDefinition)
	deployment := &ecsv1alpha1.Deployment{
		ID:             &deploymentID,
		Status:         ptr.To("PRIMARY"),
		TaskDefinition: optional(taskDefinition),
		RolloutState:   &rollout,
		DesiredCount:   ptr.To(desired),
		RunningCount:   ptr.To(running),
		PendingCount:   ptr.To(pending),
		FailedTasks:    ptr.To(int64(0)),
		CreatedAt:      copyTime(o.created),
		UpdatedAt:      copyTime(o.created),
	}
	if o.ready {
		deployment.RolloutStateReason = ptr.To(fmt.Sprintf("ECS deployment %s completed.", deploymentID))
	}
	x.Status.Status = ptr.To("ACTIVE")
	x.Status.RunningCount = ptr.To(running)
	x.Status.PendingCount = ptr.To(pending)
	x.Status.Deployments = []*ecsv1alpha1.Deployment{deployment}
	if failed := o.aws.rolledBackFrom; failed != "" {
		// The circuit breaker stopped the deployment of failed and made
		// the previous task definition the primary one again.
		x.Status.Deployments = append(x.Status.Deployments, &ecsv1alpha1.Deployment{
			ID:                 ptr.To("ecs-svc/" + fromAlphabet(digitChars, 19, "deployment", o.namespace, o.name, failed)),
			Status:             ptr.To("ACTIVE"),
			TaskDefinition:     ptr.To(failed),
			RolloutState:       ptr.To("FAILED"),
			RolloutStateReason: ptr.To("ECS deployment circuit breaker: tasks failed to start."),
			DesiredCount:       ptr.To(int64(0)),
			RunningCount:       ptr.To(int64(0)),
			PendingCount:       ptr.To(int64(0)),
			FailedTasks:        ptr.To(int64(3)),
		})
	}
	x.Status.ClusterARN = &clusterARN
	return o.arn("ecs", fmt.Sprintf("service/%s/%s", clusterName, name))
}

func describeScalingPolicy(x *applicationautoscalingv1alpha1.ScalingPolicy, o observation) string {
	policyName := orDefault(x.Spec.PolicyName, o.name)
	resourceID := ptrValue(x.Spec.ResourceID)
	arn := o.arn("autoscaling", fmt.Sprintf("scalingPolicy:%s:resource/%s/%s:policyName/%s",
		uuidLike("policy", o.namespace, o.name), ptrValue(x.Spec.ServiceNamespace), resourceID, policyName))
	x.Status.Alarms = nil
	if ptrValue(x.Spec.PolicyType) != "TargetTrackingScaling" {
		return arn
	}
	// Target tracking creates a scale-out and, unless scale-in is disabled, a
	// scale-in alarm.
	suffixes := []string{"AlarmHigh"}
	if c := x.Spec.TargetTrackingScalingPolicyConfiguration; c == nil || !ptrValue(c.DisableScaleIn) {
		suffixes = append(suffixes, "AlarmLow")
	}
	for _, s := range suffixes {
		alarm := fmt.Sprintf("TargetTracking-%s-%s-%s", resourceID, s, uuidLike("alarm", s, o.namespace, o.name))
		x.Status.Alarms = append(x.Status.Alarms, &applicationautoscalingv1alpha1.Alarm{
			AlarmName: ptr.To(alarm),
			AlarmARN:  ptr.To(o.arn("cloudwatch", "alarm:"+alarm)),
		})
	}
	return arn
}

func orDefault(p *string, def string) string {
	if v := ptrValue(p); v != "" {
		return v
	}
	return def
}

func copyPtr[T any](p *T) *T {
	if p == nil {
		return nil
	}
	v := *p
	return &v
}

func copySlice(in []*string) []*string {
	if len(in) == 0 {
		return nil
	}
	out := make([]*string, len(in))
	for i, p := range in {
		out[i] = copyPtr(p)
	}
	return out
}

// copyTime returns t as a fresh pointer, nil for the zero time.
func copyTime(t metav1.Time) *metav1.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}
