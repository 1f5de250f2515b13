package desired

import (
	"reflect"
	"testing"

	ackv1alpha1 "github.com/aws-controllers-k8s/runtime/apis/core/v1alpha1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	applicationautoscalingv1alpha1 "github.com/docuflow/docuflow-operator/internal/ack/applicationautoscaling/v1alpha1"
	cloudwatchlogsv1alpha1 "github.com/docuflow/docuflow-operator/internal/ack/cloudwatchlogs/v1alpha1"
	"github.com/docuflow/docuflow-operator/internal/ack/core"
	ec2v1alpha1 "github.com/docuflow/docuflow-operator/internal/ack/ec2/v1alpha1"
	ecsv1alpha1 "github.com/docuflow/docuflow-operator/internal/ack/ecs/v1alpha1"
	elbv2v1alpha1 "github.com/docuflow/docuflow-operator/internal/ack/elbv2/v1alpha1"
	iamv1alpha1 "github.com/docuflow/docuflow-operator/internal/ack/iam/v1alpha1"
	rdsv1alpha1 "github.com/docuflow/docuflow-operator/internal/ack/rds/v1alpha1"
)

// observedVPC is a VPC child that reports its ID.
func observedVPC(namespace, name, id string) *ec2v1alpha1.VPC {
	v := &ec2v1alpha1.VPC{ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: name}}
	if id != "" {
		v.Status.VPCID = ptrTo(id)
	}
	return v
}

// observedLogGroup is a LogGroup child that reports its ARN.
func observedLogGroup(name, arn string) *cloudwatchlogsv1alpha1.LogGroup {
	lg := &cloudwatchlogsv1alpha1.LogGroup{ObjectMeta: metav1.ObjectMeta{Namespace: "team-docs", Name: name}}
	a := ackv1alpha1.AWSResourceName(arn)
	lg.Status.ACKResourceMetadata = &core.ResourceMetadata{ARN: &a}
	return lg
}

// observedDB is a DBInstance child that reports its master user secret.
func observedDB(name, secretARN string) *rdsv1alpha1.DBInstance {
	db := &rdsv1alpha1.DBInstance{ObjectMeta: metav1.ObjectMeta{Namespace: "team-docs", Name: name}}
	db.Status.MasterUserSecret = &rdsv1alpha1.MasterUserSecret{SecretARN: ptrTo(secretARN)}
	return db
}

// withARN makes a child report an ARN.
func withARN[T core.Object](o T, arn string) T {
	a := ackv1alpha1.AWSResourceName(arn)
	o.ACKStatus().ACKResourceMetadata = &core.ResourceMetadata{ARN: &a}
	return o
}

// meta is the metadata of a child in the test namespace.
func meta(name string) metav1.ObjectMeta {
	return metav1.ObjectMeta{Namespace: "team-docs", Name: name}
}

// observedService is a Service child with its ARN and deployments, given as
// status=desiredCount pairs.
func observedService(name, arn string, deployments map[string]int64) *ecsv1alpha1.Service {
	svc := withARN(&ecsv1alpha1.Service{ObjectMeta: meta(name)}, arn)
	for _, status := range []string{"ACTIVE", "PRIMARY", "INACTIVE"} {
		if n, ok := deployments[status]; ok {
			svc.Status.Deployments = append(svc.Status.Deployments, &ecsv1alpha1.Deployment{Status: ptrTo(status), DesiredCount: ptrTo(n)})
		}
	}
	return svc
}

// observedScalableTarget is a ScalableTarget child with its
// ACK.ResourceSynced condition.
func observedScalableTarget(name string, synced corev1.ConditionStatus) *applicationautoscalingv1alpha1.ScalableTarget {
	st := &applicationautoscalingv1alpha1.ScalableTarget{ObjectMeta: meta(name)}
	st.Status.Conditions = []*ackv1alpha1.Condition{{Type: ackv1alpha1.ConditionTypeResourceSynced, Status: synced}}
	return st
}

// syncedEndpoint is a VPCEndpoint child that ACK reports synced (available).
func syncedEndpoint(name, id string) *ec2v1alpha1.VPCEndpoint {
	ep := &ec2v1alpha1.VPCEndpoint{ObjectMeta: meta(name), Status: ec2v1alpha1.VPCEndpointStatus{VPCEndpointID: ptrTo(id)}}
	ep.Status.Conditions = []*ackv1alpha1.Condition{{Type: ackv1alpha1.ConditionTypeResourceSynced, Status: corev1.ConditionTrue}}
	return ep
}

// everyChild returns children that report every value of observedAll, with
// the task definition named after its content.
func everyChild(t *testing.T) ([]core.Object, Observed) {
	t.Helper()
	stack := newStack("prod")
	all := observedFor(t, stack, observedAll())
	all.ServiceTaskDefinitionARN = "arn:aws:ecs:us-east-1:123456789012:task-definition/prod-api-0123abcd:1"
	tdName, _ := taskDefinitionName(stack, all)
	db := observedDB("prod-db", all.DBSecretARN)
	db.Status.Endpoint = &rdsv1alpha1.Endpoint{Address: ptrTo(all.DBEndpointAddress), Port: ptrTo(all.DBEndpointPort)}
	vpc := observedVPC("team-docs", "prod-vpc", all.VPCID)
	account := ackv1alpha1.AWSAccountID(all.VPCAccount)
	vpc.Status.ACKResourceMetadata = &core.ResourceMetadata{OwnerAccountID: &account}
	return []core.Object{
		vpc,
		observedLogGroup("prod-vpc-flow-logs", all.FlowLogGroupARN),
		observedLogGroup("prod-app", all.AppLogGroupARN),
		db,
		withARN(&iamv1alpha1.Role{ObjectMeta: meta("prod-task-execution")}, all.ExecutionRoleARN),
		withARN(&iamv1alpha1.Role{ObjectMeta: meta("prod-task")}, "arn:aws:iam::123456789012:role/prod-task"),
		withARN(&elbv2v1alpha1.LoadBalancer{ObjectMeta: meta("prod-alb")}, all.LoadBalancerARN),
		withARN(&elbv2v1alpha1.TargetGroup{ObjectMeta: meta("prod-api")}, all.TargetGroupARN),
		withARN(&ecsv1alpha1.TaskDefinition{ObjectMeta: meta("prod-api-0123abcd")}, "arn:aws:ecs:us-east-1:123456789012:task-definition/prod-api-0123abcd:1"),
		withARN(&ecsv1alpha1.TaskDefinition{ObjectMeta: meta(tdName)}, all.TaskDefinitionARN),
		func() *ecsv1alpha1.Service {
			svc := observedService("prod-api", all.ServiceARN, map[string]int64{"ACTIVE": 7, "PRIMARY": all.ServiceDesiredCount})
			svc.Spec.TaskDefinition = ptrTo(all.ServiceTaskDefinitionARN)
			return svc
		}(),
		observedScalableTarget("prod-api", corev1.ConditionTrue),
		&ec2v1alpha1.Subnet{ObjectMeta: meta("prod-private-us-east-1a")},
		&ec2v1alpha1.Subnet{ObjectMeta: meta("prod-private-us-east-1b"), Status: ec2v1alpha1.SubnetStatus{SubnetID: ptrTo("subnet-0b")}},
		&ec2v1alpha1.SecurityGroup{ObjectMeta: meta("prod-service-sg"), Status: ec2v1alpha1.SecurityGroupStatus{ID: ptrTo("sg-0s")}},
		syncedEndpoint("prod-vpce-s3", all.S3EndpointID),
		syncedEndpoint("prod-vpce-ecr-api", "vpce-0e1"),
		syncedEndpoint("prod-vpce-ecr-dkr", "vpce-0e2"),
		syncedEndpoint("prod-vpce-logs", "vpce-0e3"),
		syncedEndpoint("prod-vpce-secretsmanager", "vpce-0e4"),
		// The S3 endpoint's route, after another gateway endpoint's (one
		// the stack does not own), whose prefix list is not S3's.
		&ec2v1alpha1.RouteTable{ObjectMeta: meta("prod-private-routes-us-east-1b"), Status: ec2v1alpha1.RouteTableStatus{RouteStatuses: []*ec2v1alpha1.RouteState{
			{DestinationCIDRBlock: ptrTo("10.0.0.0/16"), GatewayID: ptrTo("local")},
			{DestinationPrefixListID: ptrTo("pl-02cd2c6b"), GatewayID: ptrTo("vpce-0ffffffffffffffff")},
			{DestinationPrefixListID: ptrTo(all.S3PrefixListID), GatewayID: ptrTo(all.S3EndpointID)},
		}}},
	}, withObservedChildren(all)
}

// withObservedChildren adds to observedAll what everyChild's children
// report besides it: one subnet's and one security group's ID, that the
// database exists, and the Service as the operator last wrote it.
func withObservedChildren(all Observed) Observed {
	all.SubnetIDs = map[string]string{"prod-private-us-east-1b": "subnet-0b"}
	all.SecurityGroupIDs = map[string]string{"prod-service-sg": "sg-0s"}
	all.DBInstanceExists = true
	all.Service = ServiceObservation{Exists: true, TaskDefinition: all.ServiceTaskDefinitionARN}
	return all
}

func TestObserve(t *testing.T) {
	kids, all := everyChild(t)
	tests := []struct {
		name     string
		children []core.Object
		want     Observed
	}{
		{name: "no children means nothing is observed", want: Observed{}},
		{
			name:     "every value is read from the child that reports it, the desired count from the PRIMARY deployment",
			children: kids,
			want:     all,
		},
		{
			name:     "a VPC that has not reported its ID yet leaves the ID empty",
			children: []core.Object{observedVPC("team-docs", "prod-vpc", "")},
			want:     Observed{},
		},
		{
			name: "the endpoints count as available only when every one is synced, the S3 one's ID only once it is",
			children: []core.Object{
				&ec2v1alpha1.VPCEndpoint{ObjectMeta: meta("prod-vpce-s3"), Status: ec2v1alpha1.VPCEndpointStatus{VPCEndpointID: ptrTo(all.S3EndpointID)}},
				syncedEndpoint("prod-vpce-ecr-api", "vpce-0e1"),
				syncedEndpoint("prod-vpce-ecr-dkr", "vpce-0e2"),
				syncedEndpoint("prod-vpce-logs", "vpce-0e3"),
				syncedEndpoint("prod-vpce-secretsmanager", "vpce-0e4"),
			},
			want: Observed{},
		},
		{
			name: "a task definition of older content is never taken for the current one",
			children: []core.Object{
				kids[3], kids[4],
				withARN(&ecsv1alpha1.TaskDefinition{ObjectMeta: meta("prod-api-0123abcd")}, "arn:aws:ecs:us-east-1:123456789012:task-definition/prod-api-0123abcd:1"),
			},
			want: Observed{
				DBSecretARN: all.DBSecretARN, DBEndpointAddress: all.DBEndpointAddress, DBEndpointPort: all.DBEndpointPort,
				ExecutionRoleARN: all.ExecutionRoleARN, DBInstanceExists: true,
			},
		},
		{
			name: "a scalable target that is not synced yet is not synced",
			children: []core.Object{
				observedScalableTarget("prod-api", corev1.ConditionFalse),
			},
			want: Observed{},
		},
		{
			name: "children of another stack or namespace are ignored",
			children: []core.Object{
				observedVPC("team-docs", "other-vpc", "vpc-1"),
				observedVPC("elsewhere", "prod-vpc", "vpc-2"),
				observedDB("other-db", "arn:aws:secretsmanager:us-east-1:123456789012:secret:x"),
				withARN(&elbv2v1alpha1.LoadBalancer{ObjectMeta: meta("other-alb")}, all.LoadBalancerARN),
				withARN(&elbv2v1alpha1.TargetGroup{ObjectMeta: metav1.ObjectMeta{Namespace: "elsewhere", Name: "prod-api"}}, all.TargetGroupARN),
				withARN(&iamv1alpha1.Role{ObjectMeta: meta("prod-task")}, "arn:aws:iam::123456789012:role/prod-task"),
				observedService("other-api", all.ServiceARN, map[string]int64{"PRIMARY": 4}),
				observedScalableTarget("other-api", corev1.ConditionTrue),
			},
			want: Observed{},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ReadBuildInputs(newStack("prod"), tt.children); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("ReadBuildInputs() = %+v, want %+v", got, tt.want)
			}
		})
	}
}

// terminal marks a child the way ACK marks one whose AWS name is taken: it
// copies what AWS holds under that name into the status, then gives up.
func terminal[T core.Object](o T) T {
	st := o.ACKStatus()
	st.Conditions = append(st.Conditions, &ackv1alpha1.Condition{
		Type: ackv1alpha1.ConditionTypeTerminal, Status: corev1.ConditionTrue,
		Message: ptrTo("resource already exists"),
	})
	return o
}

// ownedBy sets the account and region ACK reports owning the child.
func ownedBy[T core.Object](o T, account, region string) T {
	md := o.ACKStatus().ACKResourceMetadata
	acct, reg := ackv1alpha1.AWSAccountID(account), ackv1alpha1.AWSRegion(region)
	md.OwnerAccountID, md.Region = &acct, &reg
	return o
}

// TestAnotherTenantsValuesAreNeverRead: two stacks of one name in two
// namespaces (or a squatted name) leave the second one's children Terminal
// with the first tenant's ARNs in their status (security review H1). None of
// those values may reach the rendered children (the alarms, the task
// definition) or the stack's status; nor may an ARN of another region or of
// an account other than the one ACK reports owning the child.
func TestAnotherTenantsValuesAreNeverRead(t *testing.T) {
	kids, all := everyChild(t)
	victimLB := "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/prod-alb/victim"
	db := observedDB("prod-db", "arn:aws:secretsmanager:us-east-1:123456789012:secret:victim")
	db.Status.Endpoint = &rdsv1alpha1.Endpoint{Address: ptrTo("victim.rds.amazonaws.com"), Port: ptrTo(int64(5432))}
	lb := terminal(withARN(&elbv2v1alpha1.LoadBalancer{ObjectMeta: meta("prod-alb")}, victimLB))
	lb.Status.DNSName = ptrTo("victim.elb.amazonaws.com")
	svc := terminal(observedService("prod-api", all.ServiceARN, map[string]int64{"PRIMARY": 9}))
	svc.Spec.TaskDefinition = ptrTo(all.ServiceTaskDefinitionARN)
	untrusted := []core.Object{
		lb,
		terminal(withARN(&elbv2v1alpha1.TargetGroup{ObjectMeta: meta("prod-api")}, all.TargetGroupARN)),
		terminal(withARN(&iamv1alpha1.Role{ObjectMeta: meta("prod-task-execution")}, all.ExecutionRoleARN)),
		terminal(db),
		terminal(observedVPC("team-docs", "prod-vpc", "vpc-victim")),
		svc,
		// Not Terminal, but the ARN is in another region than the stack's,
		// or another account than ACK's own.
		ownedBy(observedLogGroup("prod-app", "arn:aws:logs:eu-west-1:123456789012:log-group:/x"), "123456789012", "us-east-1"),
		ownedBy(observedLogGroup("prod-vpc-flow-logs", "arn:aws:logs:us-east-1:999999999999:log-group:/y"), "123456789012", "us-east-1"),
	}
	got := ReadBuildInputs(newStack("prod"), untrusted)
	want := Observed{
		DBInstanceExists: true,
		Service:          ServiceObservation{Exists: true, TaskDefinition: all.ServiceTaskDefinitionARN},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("ReadBuildInputs() = %+v, want only that the database and service exist: %+v", got, want)
	}

	stack := newStack("prod")
	ReadEndpoints(stack, untrusted)
	ReadRollout(stack, untrusted)
	if st := stack.Status; st.URL != "" || st.LoadBalancerDNSName != "" || st.Database != nil || st.Tasks != "" || st.Rollout != nil {
		t.Errorf("the status shows another tenant's values: url %q, dns %q, database %+v, tasks %q, rollout %+v",
			st.URL, st.LoadBalancerDNSName, st.Database, st.Tasks, st.Rollout)
	}

	// The same children, trusted, are read: the test can fail.
	trusted := ReadBuildInputs(newStack("prod"), kids)
	if trusted.LoadBalancerARN == "" || trusted.DBEndpointAddress == "" || trusted.ExecutionRoleARN == "" {
		t.Errorf("trusted children were not read: %+v", trusted)
	}
	own := ownedBy(observedLogGroup("prod-app", all.AppLogGroupARN), "123456789012", "us-east-1")
	if got := ReadBuildInputs(newStack("prod"), []core.Object{own}); got.AppLogGroupARN != all.AppLogGroupARN {
		t.Errorf("a log group in the stack's own account and region was not read: %+v", got)
	}
}
