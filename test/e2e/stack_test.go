package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/applicationautoscaling"
	aastypes "github.com/aws/aws-sdk-go-v2/service/applicationautoscaling/types"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/controller-runtime/pkg/client"

	platformv1alpha1 "github.com/docuflow/docuflow-operator/api/v1alpha1"
	"github.com/docuflow/docuflow-operator/internal/ack/core"
	ec2v1alpha1 "github.com/docuflow/docuflow-operator/internal/ack/ec2/v1alpha1"
	ecsv1alpha1 "github.com/docuflow/docuflow-operator/internal/ack/ecs/v1alpha1"
	rdsv1alpha1 "github.com/docuflow/docuflow-operator/internal/ack/rds/v1alpha1"
	"github.com/docuflow/docuflow-operator/internal/desired"
	"github.com/docuflow/docuflow-operator/internal/realack"
)

// TestTheProductionStackOnTheRealControllers walks the production sample
// through its life on the eight upstream ACK controllers over the local AWS:
// it becomes Ready, AWS holds what the README promises, it holds still,
// day-2 changes behave, and its deletion retains exactly the retained set.
// The steps share the stack, so they run in order and stop at the first
// failure.
func TestTheProductionStackOnTheRealControllers(t *testing.T) {
	ctx := context.Background()
	ns := newNamespace(t)
	p, err := prepareAccount(ctx, suite.awsClients, "prod1")
	if err != nil {
		t.Fatal(err)
	}
	stack := productionStack(t, ns, "prod1", p)
	// An image in the region's ECR, which the VPC endpoints serve: the
	// service's HTTPS egress closes to the VPC and S3 once they are up.
	stack.Spec.Service.Image = ecrImage + ":1.4.2"
	if err := suite.k8s.Create(ctx, stack); err != nil {
		t.Fatal(err)
	}
	// The day-2 steps shorten the controllers' resync; the tests after this
	// one get the default back.
	t.Cleanup(func() {
		if err := suite.controllers.RestartWithResync(context.Background(), 0); err != nil {
			t.Errorf("restoring the controllers' default resync: %v", err)
		}
	})
	// A step marked must stops the walk when it fails: the later ones need
	// what it leaves.
	steps := []struct {
		name string
		must bool
		run  func(t *testing.T)
	}{
		{"becomes Ready with every child synced and its status matching AWS", true, func(t *testing.T) {
			took := waitReady(t, stack, 15*time.Minute)
			t.Logf("time to Ready on the real controllers: %s", took.Round(time.Second))
			assertEveryChildSynced(t, ns)
			assertStatusMatchesAWS(t, stack)
		}},
		{"AWS holds what the README promises", false, func(t *testing.T) { assertAWSHoldsThePromises(t, stack, p) }},
		{"every controller restarted to resync every 30 s for the day-2 steps", true, func(t *testing.T) {
			if err := suite.controllers.RestartWithResync(ctx, resyncSeconds); err != nil {
				t.Fatal(err)
			}
			waitReady(t, stack, 5*time.Minute)
		}},
		{"holds still", false, func(t *testing.T) { assertHoldsStill(t, stack, 2*time.Minute) }},
		{"an image change makes one task definition revision and one deployment", true, func(t *testing.T) { imageChange(t, stack) }},
		{"a desired count set by the autoscaler survives resyncs", false, func(t *testing.T) { autoscalerCountSurvives(t, stack) }},
		{"a hand edit in AWS is put back", false, func(t *testing.T) { handEditsInAWSArePutBack(t, stack) }},
		{"a volume grown by RDS is never shrunk", true, func(t *testing.T) { grownVolumeIsKept(t, stack) }},
		{"deletion with Retain leaves exactly the retained set", true, func(t *testing.T) { deleteRetain(t, stack) }},
	}
	for _, s := range steps {
		if !t.Run(s.name, s.run) && s.must {
			t.Fatalf("step %q failed; the later steps depend on it", s.name)
		}
	}
}

// assertEveryChildSynced checks every child reports ACK.ResourceSynced=True,
// and that the gate probes found both gates on.
func assertEveryChildSynced(t *testing.T, ns string) {
	t.Helper()
	for name, o := range children(t, ns) {
		if _, probe := desired.IsProbe(o); probe {
			if desired.ProbeResult(o) != desired.GateOn {
				t.Errorf("%s: the gate probe did not find IgnoreFieldDrift on: %s", name, conditionSummary(o))
			}
			continue
		}
		if !isSynced(o) {
			t.Errorf("%s is not synced: %s", name, conditionSummary(o))
		}
	}
}

// child returns the stack's child of type T named name.
func child[T core.Object](t *testing.T, ns, name string) T {
	t.Helper()
	for _, o := range children(t, ns) {
		if x, ok := o.(T); ok && o.GetName() == name {
			return x
		}
	}
	var zero T
	t.Fatalf("no %T %s", zero, name)
	return zero
}

func assertStatusMatchesAWS(t *testing.T, stack *platformv1alpha1.DocuFlowStack) {
	t.Helper()
	ctx := context.Background()
	now := getStack(t, stack)
	lbs, err := suite.awsClients.elb.DescribeLoadBalancers(ctx, &elbv2.DescribeLoadBalancersInput{Names: []string{awsNameOf(t, stack, "alb", desired.ELBName)}})
	if err != nil || len(lbs.LoadBalancers) != 1 {
		t.Fatalf("describing the load balancer: %v", err)
	}
	if want := "https://" + aws.ToString(lbs.LoadBalancers[0].DNSName); now.Status.URL != want {
		t.Errorf("status.url = %q, AWS says %q", now.Status.URL, want)
	}
	dbs, err := suite.awsClients.rds.DescribeDBInstances(ctx, &rds.DescribeDBInstancesInput{DBInstanceIdentifier: aws.String(awsNameOf(t, stack, "db", desired.RDSName))})
	if err != nil || len(dbs.DBInstances) != 1 {
		t.Fatalf("describing the database: %v", err)
	}
	db := dbs.DBInstances[0]
	if now.Status.Database == nil || now.Status.Database.Endpoint != aws.ToString(db.Endpoint.Address) || int64(now.Status.Database.Port) != int64(aws.ToInt32(db.Endpoint.Port)) {
		t.Errorf("status.database = %+v, AWS says %s:%d", now.Status.Database, aws.ToString(db.Endpoint.Address), aws.ToInt32(db.Endpoint.Port))
	}
	if db.MasterUserSecret == nil || now.Status.Database.SecretARN != aws.ToString(db.MasterUserSecret.SecretArn) {
		t.Errorf("status.database.secretARN = %q, AWS says %+v", now.Status.Database.SecretARN, db.MasterUserSecret)
	}
	t.Logf("status: url %s, database %s:%d, secret %s", now.Status.URL, now.Status.Database.Endpoint, now.Status.Database.Port, now.Status.Database.SecretARN)
}

// ecrImage is the repository of the production stack's image, in the local
// AWS's account and region.
const ecrImage = "123456789012.dkr.ecr." + region + ".amazonaws.com/docuflow/api"

func assertAWSHoldsThePromises(t *testing.T, stack *platformv1alpha1.DocuFlowStack, p accountPrerequisites) {
	ctx := context.Background()
	c := suite.awsClients
	n := stack.Name
	vpc := child[*ec2v1alpha1.VPC](t, stack.Namespace, n+"-vpc")
	vpcID := aws.ToString(vpc.Status.VPCID)
	checks := 0
	check := func(ok bool, format string, args ...any) {
		t.Helper()
		checks++
		if !ok {
			t.Errorf(format, args...)
		}
	}

	// Security groups: exactly the rules the README lists; nothing
	// world-open but 80 and 443 on the load balancer. The service reaches
	// HTTPS only inside the VPC and S3 through the gateway endpoint: the
	// region's S3 prefix list, as AWS names it.
	rules, err := securityGroupRules(ctx, c, vpcID)
	if err != nil {
		t.Fatal(err)
	}
	lists, err := c.ec2.DescribeManagedPrefixLists(ctx, &ec2.DescribeManagedPrefixListsInput{
		Filters: []ec2types.Filter{{Name: aws.String("prefix-list-name"), Values: []string{"com.amazonaws." + region + ".s3"}}},
	})
	if err != nil || len(lists.PrefixLists) != 1 {
		t.Fatalf("the region's S3 prefix list: %v, %v", lists, err)
	}
	s3PrefixList := aws.ToString(lists.PrefixLists[0].PrefixListId)
	var got []string
	for _, r := range rules {
		if r.group == "default" {
			check(false, "the default security group has a rule: %s", r)
			continue
		}
		got = append(got, r.String())
		if r.peer == "0.0.0.0/0" && !r.egress {
			check(r.group == awsNameOf(t, stack, "alb-sg", desired.SecurityGroupName) && (r.from == 443 || r.from == 80) && r.from == r.to, "world-open ingress other than 80/443 on the ALB: %s", r)
		}
	}
	sort.Strings(got)
	want := []string{
		awsNameOf(t, stack, "alb-sg", desired.SecurityGroupName) + " in tcp 443-443 0.0.0.0/0",
		awsNameOf(t, stack, "alb-sg", desired.SecurityGroupName) + " in tcp 80-80 0.0.0.0/0",
		awsNameOf(t, stack, "alb-sg", desired.SecurityGroupName) + " out tcp 8080-8080 " + awsNameOf(t, stack, "service-sg", desired.SecurityGroupName),
		awsNameOf(t, stack, "db-sg", desired.SecurityGroupName) + " in tcp 5432-5432 " + awsNameOf(t, stack, "service-sg", desired.SecurityGroupName),
		awsNameOf(t, stack, "service-sg", desired.SecurityGroupName) + " in tcp 8080-8080 " + awsNameOf(t, stack, "alb-sg", desired.SecurityGroupName),
		awsNameOf(t, stack, "service-sg", desired.SecurityGroupName) + " out tcp 443-443 " + stack.Spec.Network.VPCCIDR,
		awsNameOf(t, stack, "service-sg", desired.SecurityGroupName) + " out tcp 443-443 " + s3PrefixList,
		awsNameOf(t, stack, "service-sg", desired.SecurityGroupName) + " out tcp 5432-5432 " + awsNameOf(t, stack, "db-sg", desired.SecurityGroupName),
		awsNameOf(t, stack, "vpce-sg", desired.SecurityGroupName) + " in tcp 443-443 " + stack.Spec.Network.VPCCIDR,
	}
	sort.Strings(want)
	check(slices.Equal(got, want), "security group rules:\n got %q\nwant %q", got, want)

	// The database: private, encrypted, Multi-AZ, protected, TLS forced.
	dbs, err := c.rds.DescribeDBInstances(ctx, &rds.DescribeDBInstancesInput{DBInstanceIdentifier: aws.String(awsNameOf(t, stack, "db", desired.RDSName))})
	if err != nil {
		t.Fatal(err)
	}
	db := dbs.DBInstances[0]
	check(!aws.ToBool(db.PubliclyAccessible), "the database is publicly accessible")
	check(aws.ToBool(db.StorageEncrypted), "the database is not encrypted")
	check(aws.ToBool(db.MultiAZ), "the database is not Multi-AZ")
	check(aws.ToBool(db.DeletionProtection), "the database has no deletion protection")
	check(aws.ToInt32(db.BackupRetentionPeriod) == 14, "backup retention %d, want 14", aws.ToInt32(db.BackupRetentionPeriod))
	check(aws.ToInt32(db.MaxAllocatedStorage) == 200 && aws.ToInt32(db.AllocatedStorage) == 50, "storage %d up to %d, want 50 up to 200", aws.ToInt32(db.AllocatedStorage), aws.ToInt32(db.MaxAllocatedStorage))
	var pg string
	for _, g := range db.DBParameterGroups {
		pg = aws.ToString(g.DBParameterGroupName)
	}
	params, err := c.rds.DescribeDBParameters(ctx, &rds.DescribeDBParametersInput{DBParameterGroupName: aws.String(pg)})
	if err != nil {
		t.Fatal(err)
	}
	forceSSL := ""
	for _, prm := range params.Parameters {
		if aws.ToString(prm.ParameterName) == "rds.force_ssl" {
			forceSSL = aws.ToString(prm.ParameterValue)
		}
	}
	check(forceSSL == "1", "parameter group %s has rds.force_ssl %q, want 1", pg, forceSSL)

	// The listeners: TLS policy and certificate on 443, a 301 on 80.
	lbs, err := c.elb.DescribeLoadBalancers(ctx, &elbv2.DescribeLoadBalancersInput{Names: []string{awsNameOf(t, stack, "alb", desired.ELBName)}})
	if err != nil {
		t.Fatal(err)
	}
	listeners, err := c.elb.DescribeListeners(ctx, &elbv2.DescribeListenersInput{LoadBalancerArn: lbs.LoadBalancers[0].LoadBalancerArn})
	if err != nil {
		t.Fatal(err)
	}
	var https, redirect bool
	for _, l := range listeners.Listeners {
		switch aws.ToInt32(l.Port) {
		case 443:
			https = aws.ToString(l.SslPolicy) == "ELBSecurityPolicy-TLS13-1-2-2021-06" && len(l.Certificates) > 0 &&
				aws.ToString(l.Certificates[0].CertificateArn) == p.certificateARN && len(l.DefaultActions) == 1 && string(l.DefaultActions[0].Type) == "forward"
		case 80:
			a := l.DefaultActions
			redirect = len(a) == 1 && a[0].RedirectConfig != nil && aws.ToString(a[0].RedirectConfig.Protocol) == "HTTPS" &&
				aws.ToString(a[0].RedirectConfig.Port) == "443" && string(a[0].RedirectConfig.StatusCode) == "HTTP_301"
		}
	}
	check(https, "no HTTPS listener on 443 with the TLS 1.3/1.2 policy and the certificate forwarding to the target group: %+v", listeners.Listeners)
	check(redirect, "no HTTP listener on 80 redirecting to HTTPS with a 301")

	// The target group's health check.
	tgs, err := c.elb.DescribeTargetGroups(ctx, &elbv2.DescribeTargetGroupsInput{Names: []string{awsNameOf(t, stack, "api", desired.ELBName)}})
	if err != nil {
		t.Fatal(err)
	}
	tg := tgs.TargetGroups[0]
	check(aws.ToString(tg.HealthCheckPath) == "/readyz" && string(tg.HealthCheckProtocol) == "HTTP" && aws.ToInt32(tg.HealthCheckIntervalSeconds) == 15 &&
		aws.ToInt32(tg.HealthyThresholdCount) == 2 && aws.ToInt32(tg.UnhealthyThresholdCount) == 3 && tg.Matcher != nil && aws.ToString(tg.Matcher.HttpCode) == "200-399" &&
		string(tg.TargetType) == "ip", "target group health check %+v", tg)

	// The scalable target's bounds and its three policies.
	resource := "service/" + awsNameOf(t, stack, "cluster", desired.ECSName) + "/" + awsNameOf(t, stack, "api", desired.ECSName)
	targets, err := c.aas.DescribeScalableTargets(ctx, &applicationautoscaling.DescribeScalableTargetsInput{ServiceNamespace: aastypes.ServiceNamespaceEcs, ResourceIds: []string{resource}})
	if err != nil {
		t.Fatal(err)
	}
	check(len(targets.ScalableTargets) == 1 && aws.ToInt32(targets.ScalableTargets[0].MinCapacity) == 2 && aws.ToInt32(targets.ScalableTargets[0].MaxCapacity) == 20,
		"scalable target %+v, want 2..20", targets.ScalableTargets)
	policies, err := c.aas.DescribeScalingPolicies(ctx, &applicationautoscaling.DescribeScalingPoliciesInput{ServiceNamespace: aastypes.ServiceNamespaceEcs, ResourceId: aws.String(resource)})
	if err != nil {
		t.Fatal(err)
	}
	targetsByMetric := map[string]float64{}
	for _, pol := range policies.ScalingPolicies {
		if cfg := pol.TargetTrackingScalingPolicyConfiguration; cfg != nil && cfg.PredefinedMetricSpecification != nil {
			targetsByMetric[string(cfg.PredefinedMetricSpecification.PredefinedMetricType)] = aws.ToFloat64(cfg.TargetValue)
		}
	}
	check(len(policies.ScalingPolicies) == 3 && targetsByMetric["ECSServiceAverageCPUUtilization"] == 60 &&
		targetsByMetric["ECSServiceAverageMemoryUtilization"] == 70 && targetsByMetric["ALBRequestCountPerTarget"] == 500,
		"scaling policies %v, want CPU 60, memory 70, requests 500", targetsByMetric)

	// The alarms notify the topic.
	alarms, err := c.cw.DescribeAlarms(ctx, &cloudwatch.DescribeAlarmsInput{AlarmNamePrefix: aws.String("docuflow/" + awsPathOf(t, stack))})
	if err != nil {
		t.Fatal(err)
	}
	notifying := 0
	for _, a := range alarms.MetricAlarms {
		if slices.Equal(a.AlarmActions, []string{p.topicARN}) && slices.Equal(a.OKActions, []string{p.topicARN}) {
			notifying++
		}
	}
	check(len(alarms.MetricAlarms) == 8 && notifying == 8, "%d alarms, %d notifying %s; want 8 and 8", len(alarms.MetricAlarms), notifying, p.topicARN)

	// Flow logs and endpoints.
	logs, err := c.ec2.DescribeFlowLogs(ctx, &ec2.DescribeFlowLogsInput{Filter: []ec2types.Filter{{Name: aws.String("resource-id"), Values: []string{vpcID}}}})
	if err != nil {
		t.Fatal(err)
	}
	check(len(logs.FlowLogs) == 1 && string(logs.FlowLogs[0].TrafficType) == "ALL" && aws.ToString(logs.FlowLogs[0].LogGroupName) == "/docuflow/"+awsPathOf(t, stack)+"vpc-flow-logs",
		"flow logs %+v", logs.FlowLogs)
	endpoints, err := c.ec2.DescribeVpcEndpoints(ctx, &ec2.DescribeVpcEndpointsInput{Filters: []ec2types.Filter{{Name: aws.String("vpc-id"), Values: []string{vpcID}}}})
	if err != nil {
		t.Fatal(err)
	}
	var services []string
	for _, e := range endpoints.VpcEndpoints {
		services = append(services, strings.TrimPrefix(aws.ToString(e.ServiceName), "com.amazonaws."+region+".")+"/"+string(e.VpcEndpointType))
	}
	sort.Strings(services)
	check(slices.Equal(services, []string{"ecr.api/Interface", "ecr.dkr/Interface", "logs/Interface", "s3/Gateway", "secretsmanager/Interface"}), "endpoints %v", services)
	dbSecret := aws.ToString(child[*rdsv1alpha1.DBInstance](t, stack.Namespace, n+"-db").Status.MasterUserSecret.SecretARN)
	for _, e := range endpoints.VpcEndpoints {
		policy := aws.ToString(e.PolicyDocument)
		switch strings.TrimPrefix(aws.ToString(e.ServiceName), "com.amazonaws."+region+".") {
		case "s3":
			check(strings.Contains(policy, "prod-"+region+"-starport-layer-bucket/*") && strings.Contains(policy, `"aws:ResourceAccount":["123456789012"]`),
				"the S3 endpoint's policy admits more than the layer bucket and the account's buckets: %s", policy)
		case "secretsmanager":
			check(strings.Contains(policy, dbSecret) && strings.Count(policy, `"Resource"`) == 1,
				"the Secrets Manager endpoint's policy admits more than the database secret %s: %s", dbSecret, policy)
		}
	}

	// IAM trust policies.
	for role, principal := range map[string]string{awsNameOf(t, stack, "task", desired.IAMRoleName): "ecs-tasks.amazonaws.com", awsNameOf(t, stack, "task-execution", desired.IAMRoleName): "ecs-tasks.amazonaws.com", awsNameOf(t, stack, "vpc-flow-logs", desired.IAMRoleName): "vpc-flow-logs.amazonaws.com"} {
		r, err := c.iam.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String(role)})
		if err != nil {
			t.Fatalf("reading role %s: %v", role, err)
		}
		doc := trustPolicy(t, aws.ToString(r.Role.AssumeRolePolicyDocument))
		check(len(doc.Statement) == 1 && doc.Statement[0].Principal.Service == principal && slices.Equal(actions(doc.Statement[0].Action), []string{"sts:AssumeRole"}),
			"role %s trusts %+v, want only %s", role, doc, principal)
		check(doc.Statement[0].Condition["StringEquals"]["aws:SourceAccount"] == "123456789012", "role %s trust has no aws:SourceAccount condition: %+v", role, doc)
		check(strings.HasPrefix(doc.Statement[0].Condition["ArnLike"]["aws:SourceArn"], "arn:aws:"), "role %s trust has no aws:SourceArn condition: %+v", role, doc)
		check(aws.ToString(r.Role.Path) == desired.RolePath, "role %s is under path %q, want %s", role, aws.ToString(r.Role.Path), desired.RolePath)
	}
	t.Logf("AWS-side checks made: %d (security group rules, database, parameter group, listeners, target group, scaling, alarms, flow log, endpoints, endpoint policies, trust policies)", checks)
}

// trustDoc is an IAM trust policy, as IAM answers it (URL-encoded or not).
type trustDoc struct {
	Statement []struct {
		Principal struct {
			Service string `json:"Service"`
		} `json:"Principal"`
		Action    any                          `json:"Action"`
		Condition map[string]map[string]string `json:"Condition"`
	} `json:"Statement"`
}

// actions reads a statement's Action, a string or a list.
func actions(a any) []string {
	switch x := a.(type) {
	case string:
		return []string{x}
	case []any:
		var out []string
		for _, e := range x {
			out = append(out, fmt.Sprint(e))
		}
		return out
	}
	return nil
}

func trustPolicy(t *testing.T, raw string) trustDoc {
	t.Helper()
	if strings.HasPrefix(raw, "%7B") {
		if u, err := url.QueryUnescape(raw); err == nil {
			raw = u
		}
	}
	var d trustDoc
	if err := json.Unmarshal([]byte(raw), &d); err != nil {
		t.Fatalf("parsing trust policy %q: %v", raw, err)
	}
	return d
}

// assertHoldsStill watches a Ready stack for window with the controllers'
// resync shortened: the operator writes nothing and no controller makes a
// mutating AWS call.
func assertHoldsStill(t *testing.T, stack *platformv1alpha1.DocuFlowStack, window time.Duration) {
	t.Helper()
	// Let the last status write and the first resync after Ready settle.
	time.Sleep(2 * resyncSeconds * time.Second / 2)
	writes0, err := suite.operator.writes()
	if err != nil {
		t.Fatal(err)
	}
	seq0, err := suite.aws.LastSeq()
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(window)
	writes1, err := suite.operator.writes()
	if err != nil {
		t.Fatal(err)
	}
	reqs, err := suite.aws.Requests(seq0)
	if err != nil {
		t.Fatal(err)
	}
	var mutating []string
	for _, r := range reqs {
		if r.Mutating() {
			mutating = append(mutating, r.Service+" "+r.Action)
		}
	}
	t.Logf("holds still over %s with every controller resyncing every %d s: %d operator writes, %d mutating AWS calls (of %d AWS calls)",
		window, resyncSeconds, writes1-writes0, len(mutating), len(reqs))
	if writes1 != writes0 {
		t.Errorf("the operator wrote %d times to the API server", writes1-writes0)
	}
	if len(mutating) != 0 {
		t.Errorf("the controllers made %d mutating AWS calls: %v", len(mutating), mutating)
	}
	if now := getStack(t, stack); !readyNow(now) {
		t.Errorf("the stack is no longer Ready: %s", progress(t, stack))
	}
}

// mutatingSince returns the mutating AWS calls after seq, by action.
func mutatingSince(t *testing.T, seq int) []realack.Request {
	t.Helper()
	reqs, err := suite.aws.Requests(seq)
	if err != nil {
		t.Fatal(err)
	}
	var out []realack.Request
	for _, r := range reqs {
		if r.Mutating() {
			out = append(out, r)
		}
	}
	return out
}

func count(reqs []realack.Request, action string) int {
	n := 0
	for _, r := range reqs {
		if r.Action == action {
			n++
		}
	}
	return n
}

func lastSeq(t *testing.T) int {
	t.Helper()
	seq, err := suite.aws.LastSeq()
	if err != nil {
		t.Fatal(err)
	}
	return seq
}

func updateStack(t *testing.T, stack *platformv1alpha1.DocuFlowStack, f func(*platformv1alpha1.DocuFlowStack)) {
	t.Helper()
	now := getStack(t, stack)
	f(now)
	if err := suite.k8s.Update(context.Background(), now); err != nil {
		t.Fatal(err)
	}
}

func describeService(t *testing.T, stack *platformv1alpha1.DocuFlowStack) *ecs.DescribeServicesOutput {
	t.Helper()
	out, err := suite.awsClients.ecs.DescribeServices(context.Background(), &ecs.DescribeServicesInput{
		Cluster: aws.String(awsNameOf(t, stack, "cluster", desired.ECSName)), Services: []string{awsNameOf(t, stack, "api", desired.ECSName)},
	})
	if err != nil || len(out.Services) != 1 {
		t.Fatalf("describing the service: %v", err)
	}
	return out
}

func imageChange(t *testing.T, stack *platformv1alpha1.DocuFlowStack) {
	seq := lastSeq(t)
	before := aws.ToString(describeService(t, stack).Services[0].TaskDefinition)
	updateStack(t, stack, func(s *platformv1alpha1.DocuFlowStack) { s.Spec.Service.Image = ecrImage + ":1.5.0" })
	waitFor(t, 5*time.Minute, "the service on the new task definition, held read-only again", func() error {
		svc := describeService(t, stack).Services[0]
		if aws.ToString(svc.TaskDefinition) == before {
			return fmt.Errorf("ECS still runs %s", before)
		}
		live := child[*ecsv1alpha1.Service](t, stack.Namespace, stack.Name+"-api")
		if live.Annotations[desired.AnnotationReadOnly] != "true" {
			return fmt.Errorf("the Service is not read-only again; %s", conditionSummary(live))
		}
		if !readyNow(getStack(t, stack)) {
			return fmt.Errorf("%s", progress(t, stack))
		}
		return nil
	})
	// Two more resyncs: nothing registers or deploys again.
	time.Sleep(2 * resyncSeconds * time.Second)
	calls := mutatingSince(t, seq)
	t.Logf("an image change: %d RegisterTaskDefinition, %d UpdateService calls", count(calls, "RegisterTaskDefinition"), count(calls, "UpdateService"))
	if n := count(calls, "RegisterTaskDefinition"); n != 1 {
		t.Errorf("%d task definition revisions registered, want 1", n)
	}
	if n := count(calls, "UpdateService"); n != 1 {
		t.Errorf("%d ECS service updates (deployments), want 1", n)
	}
}

func autoscalerCountSurvives(t *testing.T, stack *platformv1alpha1.DocuFlowStack) {
	ctx := context.Background()
	// Application Auto Scaling scales the service out, in AWS only.
	if _, err := suite.awsClients.ecs.UpdateService(ctx, &ecs.UpdateServiceInput{
		Cluster: aws.String(awsNameOf(t, stack, "cluster", desired.ECSName)), Service: aws.String(awsNameOf(t, stack, "api", desired.ECSName)), DesiredCount: aws.Int32(5),
	}); err != nil {
		t.Fatal(err)
	}
	seq := lastSeq(t)
	time.Sleep(2*resyncSeconds*time.Second + 10*time.Second)
	if got := describeService(t, stack).Services[0].DesiredCount; got != 5 {
		t.Errorf("after two resyncs the service's desired count is %d, want the autoscaler's 5", got)
	}
	if n := count(mutatingSince(t, seq), "UpdateService"); n != 0 {
		t.Errorf("%d UpdateService calls after the autoscaler's change", n)
	}
}

func handEditsInAWSArePutBack(t *testing.T, stack *platformv1alpha1.DocuFlowStack) {
	ctx := context.Background()
	c := suite.awsClients
	sg := child[*ec2v1alpha1.SecurityGroup](t, stack.Namespace, stack.Name+"-db-sg")
	sgID := aws.ToString(sg.Status.ID)
	if _, err := c.ec2.AuthorizeSecurityGroupIngress(ctx, &ec2.AuthorizeSecurityGroupIngressInput{
		GroupId: aws.String(sgID), IpPermissions: []ec2types.IpPermission{{IpProtocol: aws.String("tcp"), FromPort: aws.Int32(5432), ToPort: aws.Int32(5432),
			IpRanges: []ec2types.IpRange{{CidrIp: aws.String("0.0.0.0/0")}}}},
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.rds.ModifyDBInstance(ctx, &rds.ModifyDBInstanceInput{DBInstanceIdentifier: aws.String(awsNameOf(t, stack, "db", desired.RDSName)), DeletionProtection: aws.Bool(false), ApplyImmediately: aws.Bool(true)}); err != nil {
		t.Fatal(err)
	}
	took := waitFor(t, 3*resyncSeconds*time.Second, "the hand edits put back", func() error {
		rules, err := c.ec2.DescribeSecurityGroupRules(ctx, &ec2.DescribeSecurityGroupRulesInput{Filters: []ec2types.Filter{{Name: aws.String("group-id"), Values: []string{sgID}}}})
		if err != nil {
			return err
		}
		for _, r := range rules.SecurityGroupRules {
			if aws.ToString(r.CidrIpv4) == "0.0.0.0/0" {
				return fmt.Errorf("the database's security group still admits 0.0.0.0/0 on %d", aws.ToInt32(r.FromPort))
			}
		}
		dbs, err := c.rds.DescribeDBInstances(ctx, &rds.DescribeDBInstancesInput{DBInstanceIdentifier: aws.String(awsNameOf(t, stack, "db", desired.RDSName))})
		if err != nil {
			return err
		}
		if !aws.ToBool(dbs.DBInstances[0].DeletionProtection) {
			return fmt.Errorf("the database's deletion protection is still off")
		}
		return nil
	})
	t.Logf("an extra ingress rule and deletion protection switched off in AWS were put back by ACK's resync in %s", took.Round(time.Second))
}

func grownVolumeIsKept(t *testing.T, stack *platformv1alpha1.DocuFlowStack) {
	ctx := context.Background()
	c := suite.awsClients
	id := awsNameOf(t, stack, "db", desired.RDSName)
	// RDS storage autoscaling grows the volume.
	if _, err := c.rds.ModifyDBInstance(ctx, &rds.ModifyDBInstanceInput{DBInstanceIdentifier: aws.String(id), AllocatedStorage: aws.Int32(80), ApplyImmediately: aws.Bool(true)}); err != nil {
		t.Fatal(err)
	}
	seq := lastSeq(t)
	// A change of the database's own spec makes the rds controller update it.
	updateStack(t, stack, func(s *platformv1alpha1.DocuFlowStack) { s.Spec.Database.BackupRetentionDays = aws.Int32(21) })
	waitFor(t, 3*time.Minute, "the backup retention applied", func() error {
		dbs, err := c.rds.DescribeDBInstances(ctx, &rds.DescribeDBInstancesInput{DBInstanceIdentifier: aws.String(id)})
		if err != nil {
			return err
		}
		if got := aws.ToInt32(dbs.DBInstances[0].BackupRetentionPeriod); got != 21 {
			return fmt.Errorf("backup retention %d", got)
		}
		return nil
	})
	time.Sleep(resyncSeconds * time.Second)
	dbs, err := c.rds.DescribeDBInstances(ctx, &rds.DescribeDBInstancesInput{DBInstanceIdentifier: aws.String(id)})
	if err != nil {
		t.Fatal(err)
	}
	if got := aws.ToInt32(dbs.DBInstances[0].AllocatedStorage); got != 80 {
		t.Errorf("the volume is %d GiB, want the 80 RDS grew it to", got)
	}
	for _, r := range mutatingSince(t, seq) {
		if r.Action != "ModifyDBInstance" {
			continue
		}
		if v, ok := r.Params["AllocatedStorage"]; ok {
			if n, _ := strconv.Atoi(fmt.Sprint(v)); n < 80 {
				t.Errorf("ModifyDBInstance asked RDS for %v GiB, a shrink", v)
			}
		}
	}
	db := child[*rdsv1alpha1.DBInstance](t, stack.Namespace, stack.Name+"-db")
	if isTerminal(db) {
		t.Errorf("the database is Terminal: %s", conditionSummary(db))
	}
	if !readyNow(getStack(t, stack)) {
		t.Errorf("the stack is not Ready: %s", progress(t, stack))
	}
}

// deleteRetain deletes the stack with deletionPolicy Retain and checks AWS
// keeps exactly the retained set.
func deleteRetain(t *testing.T, stack *platformv1alpha1.DocuFlowStack) {
	ctx := context.Background()
	c := suite.awsClients
	n := stack.Name
	vpcID := aws.ToString(child[*ec2v1alpha1.VPC](t, stack.Namespace, n+"-vpc").Status.VPCID)
	took := deleteAndWait(t, stack, 10*time.Minute)
	t.Logf("deleted with Retain in %s", took.Round(time.Second))

	// Retained: the database, its subnet and parameter groups, the VPC, the
	// private subnets and their route tables, and the security groups.
	dbs, err := c.rds.DescribeDBInstances(ctx, &rds.DescribeDBInstancesInput{DBInstanceIdentifier: aws.String(awsNameOf(t, stack, "db", desired.RDSName))})
	if err != nil || len(dbs.DBInstances) != 1 {
		t.Errorf("the retained database is gone: %v", err)
	}
	subnets, err := c.ec2.DescribeSubnets(ctx, &ec2.DescribeSubnetsInput{Filters: []ec2types.Filter{{Name: aws.String("vpc-id"), Values: []string{vpcID}}}})
	if err != nil {
		t.Fatalf("the retained VPC is gone: %v", err)
	}
	var cidrs []string
	for _, s := range subnets.Subnets {
		cidrs = append(cidrs, aws.ToString(s.CidrBlock))
	}
	sort.Strings(cidrs)
	if want := []string{"10.40.0.0/20", "10.40.16.0/20", "10.40.32.0/20"}; !slices.Equal(cidrs, want) {
		t.Errorf("subnets left in the VPC %v, want only the three private ones %v", cidrs, want)
	}
	sgs, _ := c.ec2.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{Filters: []ec2types.Filter{{Name: aws.String("vpc-id"), Values: []string{vpcID}}}})
	var groups []string
	for _, g := range sgs.SecurityGroups {
		groups = append(groups, aws.ToString(g.GroupName))
	}
	sort.Strings(groups)
	if want := []string{"default", awsNameOf(t, stack, "alb-sg", desired.SecurityGroupName), awsNameOf(t, stack, "db-sg", desired.SecurityGroupName), awsNameOf(t, stack, "service-sg", desired.SecurityGroupName)}; !slices.Equal(groups, want) {
		t.Errorf("security groups left %v, want %v", groups, want)
	}

	// Deleted: everything else.
	if lbs, err := c.elb.DescribeLoadBalancers(ctx, &elbv2.DescribeLoadBalancersInput{Names: []string{awsNameOf(t, stack, "alb", desired.ELBName)}}); err == nil && len(lbs.LoadBalancers) > 0 {
		t.Errorf("the load balancer was left behind")
	}
	if tgs, err := c.elb.DescribeTargetGroups(ctx, &elbv2.DescribeTargetGroupsInput{Names: []string{awsNameOf(t, stack, "api", desired.ELBName)}}); err == nil && len(tgs.TargetGroups) > 0 {
		t.Errorf("the target group was left behind")
	}
	nats, _ := c.ec2.DescribeNatGateways(ctx, &ec2.DescribeNatGatewaysInput{Filter: []ec2types.Filter{{Name: aws.String("vpc-id"), Values: []string{vpcID}}}})
	for _, g := range nats.NatGateways {
		if g.State != ec2types.NatGatewayStateDeleted {
			t.Errorf("NAT gateway %s was left behind (%s)", aws.ToString(g.NatGatewayId), g.State)
		}
	}
	addrs, _ := c.ec2.DescribeAddresses(ctx, &ec2.DescribeAddressesInput{})
	for _, a := range addrs.Addresses {
		for _, tag := range a.Tags {
			if aws.ToString(tag.Key) == desired.TagStack && aws.ToString(tag.Value) == n {
				t.Errorf("Elastic IP %s was left behind", aws.ToString(a.AllocationId))
			}
		}
	}
	for _, role := range []string{awsNameOf(t, stack, "task", desired.IAMRoleName), awsNameOf(t, stack, "task-execution", desired.IAMRoleName), awsNameOf(t, stack, "vpc-flow-logs", desired.IAMRoleName)} {
		if _, err := c.iam.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String(role)}); err == nil {
			t.Errorf("role %s was left behind", role)
		}
	}
	if groups, err := c.logs.DescribeLogGroups(ctx, &cloudwatchlogs.DescribeLogGroupsInput{LogGroupNamePrefix: aws.String("/docuflow/" + awsPathOf(t, stack))}); err == nil && len(groups.LogGroups) > 0 {
		t.Errorf("%d log groups were left behind", len(groups.LogGroups))
	}
	if cl, err := c.ecs.DescribeClusters(ctx, &ecs.DescribeClustersInput{Clusters: []string{awsNameOf(t, stack, "cluster", desired.ECSName)}}); err == nil {
		for _, x := range cl.Clusters {
			if aws.ToString(x.Status) == "ACTIVE" {
				t.Errorf("the ECS cluster was left behind")
			}
		}
	}
}

// deleteAndWait deletes the stack and waits until it is gone.
func deleteAndWait(t *testing.T, stack *platformv1alpha1.DocuFlowStack, timeout time.Duration) time.Duration {
	t.Helper()
	if err := suite.k8s.Delete(context.Background(), getStack(t, stack)); err != nil {
		t.Fatal(err)
	}
	return waitFor(t, timeout, "DocuFlowStack "+stack.Name+" deleted", func() error {
		now := &platformv1alpha1.DocuFlowStack{}
		err := suite.k8s.Get(context.Background(), client.ObjectKeyFromObject(stack), now)
		if apierrors.IsNotFound(err) {
			return nil
		}
		if err != nil {
			return err
		}
		for _, c := range now.Status.Conditions {
			if c.Type == platformv1alpha1.ConditionDeleting {
				return fmt.Errorf("%s", c.Message)
			}
		}
		return fmt.Errorf("not deleted yet")
	})
}
