package e2e

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	platformv1alpha1 "github.com/docuflow/docuflow-operator/api/v1alpha1"
	ec2v1alpha1 "github.com/docuflow/docuflow-operator/internal/ack/ec2/v1alpha1"
	"github.com/docuflow/docuflow-operator/internal/desired"
	"github.com/docuflow/docuflow-operator/internal/realack"
)

// developmentStack is a small development stack served over plain HTTP: one
// NAT gateway, no endpoints, no flow logs, deletionPolicy Snapshot.
func developmentStack(ns, name, vpcCIDR string) *platformv1alpha1.DocuFlowStack {
	return &platformv1alpha1.DocuFlowStack{
		TypeMeta:   metav1.TypeMeta{APIVersion: platformv1alpha1.GroupVersion.String(), Kind: "DocuFlowStack"},
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns},
		Spec: platformv1alpha1.DocuFlowStackSpec{
			Region:       region,
			Profile:      platformv1alpha1.ProfileDevelopment,
			Network:      platformv1alpha1.NetworkSpec{VPCCIDR: vpcCIDR, AvailabilityZones: []string{"us-east-1a", "us-east-1b"}},
			Service:      platformv1alpha1.ServiceSpec{Image: "public.ecr.aws/docuflow/api:1.4.2"},
			LoadBalancer: platformv1alpha1.LoadBalancerSpec{InsecureHTTPOnly: true},
		},
	}
}

// finalSnapshots returns the manual and final snapshots of a database.
func finalSnapshots(t *testing.T, instance string) []string {
	t.Helper()
	out, err := suite.awsClients.rds.DescribeDBSnapshots(context.Background(), &rds.DescribeDBSnapshotsInput{DBInstanceIdentifier: aws.String(instance)})
	if err != nil {
		t.Fatalf("describing the snapshots of %s: %v", instance, err)
	}
	var names []string
	for _, s := range out.DBSnapshots {
		if id := aws.ToString(s.DBSnapshotIdentifier); strings.Contains(id, "-final") {
			names = append(names, id)
		}
	}
	slices.Sort(names)
	return names
}

func dbExists(t *testing.T, instance string) bool {
	t.Helper()
	out, err := suite.awsClients.rds.DescribeDBInstances(context.Background(), &rds.DescribeDBInstancesInput{DBInstanceIdentifier: aws.String(instance)})
	return err == nil && len(out.DBInstances) > 0
}

// settle is how long the controllers get, once AWS is quiet, to record the
// answers they already have: the runtime writes an answer into the child's
// status as soon as its create's last call returns.
const settle = 3 * time.Second

// restartBetweenAWSCalls kills every ACK controller at a moment when no
// create is under way in AWS, then starts them again. The calls that start a
// resource are paused (the calls a create makes after its first go on); once
// AWS has been quiet for two seconds and the controllers had settle to record
// what they got, they are killed, and the creates they were asking for were
// never carried out. A kill between AWS's answer and the status write (ACK's
// crash window) is the next tests' subject: it cannot converge without a
// person, so it is not left to chance here.
func restartBetweenAWSCalls(ctx context.Context, t *testing.T) {
	t.Helper()
	if err := suite.aws.PauseWrites(); err != nil {
		_ = suite.aws.ResumeWrites()
		t.Fatal(err)
	}
	time.Sleep(settle)
	suite.controllers.Kill()
	if err := suite.aws.ResumeWrites(); err != nil {
		t.Fatal(err)
	}
	if err := suite.controllers.Start(ctx); err != nil {
		t.Fatal(err)
	}
}

func TestRestartingEveryControllerMidConvergenceStillConverges(t *testing.T) {
	ctx := context.Background()
	ns := newNamespace(t)
	stack := developmentStack(ns, "dev1", "10.50.0.0/16")
	if err := suite.k8s.Create(ctx, stack); err != nil {
		t.Fatal(err)
	}
	// On a failure the stack is deleted too: left behind, its children keep
	// calling AWS and the next tests would count another stack's calls.
	t.Cleanup(func() {
		if err := suite.k8s.Get(ctx, client.ObjectKeyFromObject(stack), &platformv1alpha1.DocuFlowStack{}); err == nil {
			t.Logf("deleting the stack left by a failure")
			deleteAndWait(t, stack, 5*time.Minute)
		}
	})
	waitFor(t, 5*time.Minute, "half the children created", func() error {
		if n := len(children(t, ns)); n < 15 {
			return fmt.Errorf("%d children", n)
		}
		return nil
	})
	t.Logf("killing and restarting all %d ACK controllers with %d children created", len(realack.Controllers), len(children(t, ns)))
	restartBetweenAWSCalls(ctx, t)
	took := waitReady(t, stack, 10*time.Minute)
	t.Logf("Ready %s after the restart", took.Round(time.Second))
	assertEveryChildSynced(t, ns)

	t.Run("deleting with Snapshot leaves a final snapshot, and so does deleting the same stack again", func(t *testing.T) {
		instance := awsNameOf(t, stack, "db", desired.RDSName)
		// Snapshots of an earlier run (go test -count) are not this one's.
		earlier := finalSnapshots(t, instance)
		finalSnapshots := func(t *testing.T, instance string) []string {
			return slices.DeleteFunc(finalSnapshots(t, instance), func(s string) bool { return slices.Contains(earlier, s) })
		}
		first := getStack(t, stack)
		firstSnapshot := desired.FinalSnapshotIdentifier(first, instance)
		took := deleteAndWait(t, stack, 10*time.Minute)
		t.Logf("deleted with Snapshot in %s", took.Round(time.Second))
		if dbExists(t, instance) {
			t.Fatalf("the database %s is still in AWS", instance)
		}
		if got := finalSnapshots(t, instance); !slices.Equal(got, []string{firstSnapshot}) {
			t.Fatalf("final snapshots %v, want %s", got, firstSnapshot)
		}

		again := developmentStack(ns, "dev1", "10.50.0.0/16")
		if err := suite.k8s.Create(ctx, again); err != nil {
			t.Fatal(err)
		}
		waitReady(t, again, 10*time.Minute)
		secondSnapshot := desired.FinalSnapshotIdentifier(getStack(t, again), instance)
		if secondSnapshot == firstSnapshot {
			t.Fatalf("the same stack created again names the same final snapshot %s", firstSnapshot)
		}
		deleteAndWait(t, again, 10*time.Minute)
		want := []string{firstSnapshot, secondSnapshot}
		slices.Sort(want)
		if got := finalSnapshots(t, instance); !slices.Equal(got, want) {
			t.Errorf("final snapshots %v, want %v", got, want)
		}
		t.Logf("final snapshots in AWS after two deletions: %v", want)
	})
}

// createHoldingAnswer creates the stack with the local AWS holding back the
// answer to its first successful action, and returns that request once AWS
// has carried it out. On the way out, writes resume, cleanup runs (for what
// the README's steps would have removed) and the stack is deleted.
func createHoldingAnswer(ctx context.Context, t *testing.T, stack *platformv1alpha1.DocuFlowStack, action string, cleanup func()) realack.Request {
	t.Helper()
	if err := suite.aws.HoldAnswer(action); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = suite.aws.ResumeWrites()
		cleanup()
		if err := suite.k8s.Get(ctx, client.ObjectKeyFromObject(stack), &platformv1alpha1.DocuFlowStack{}); err == nil {
			deleteAndWait(t, stack, 5*time.Minute)
		}
	})
	if err := suite.k8s.Create(ctx, stack); err != nil {
		t.Fatal(err)
	}
	var held []realack.Request
	waitFor(t, 5*time.Minute, "a "+action+" answer held back", func() error {
		var err error
		if held, err = suite.aws.Held(); err == nil && len(held) == 0 {
			err = errors.New("none yet")
		}
		return err
	})
	return held[0]
}

// TestAControllerKilledBetweenCreateAndRecordIsNamedAndTheREADMEStepsRecoverIt
// makes ACK's crash window happen: AWS creates a subnet, the ec2 controller
// dies before it records the subnet's ID, and every create after its restart
// conflicts with that orphan. The stack must say so (LostTrack, with the tags
// to find it by), and the README's steps must bring it back to Ready with one
// subnet for that range.
func TestAControllerKilledBetweenCreateAndRecordIsNamedAndTheREADMEStepsRecoverIt(t *testing.T) {
	ctx := context.Background()
	ns := newNamespace(t)
	stack := developmentStack(ns, "lost1", "10.52.0.0/16")
	var orphanID string
	held := createHoldingAnswer(ctx, t, stack, "CreateSubnet", func() {
		if orphanID != "" {
			// Left by a failure before the README's steps ran: it would keep
			// the VPC from being deleted.
			_, _ = suite.awsClients.ec2.DeleteSubnet(ctx, &ec2.DeleteSubnetInput{SubnetId: aws.String(orphanID)})
		}
	})
	cidr, _ := held.Params["CidrBlock"].(string)
	var lost string
	for _, o := range children(t, ns) {
		if s, ok := o.(*ec2v1alpha1.Subnet); ok && aws.ToString(s.Spec.CIDRBlock) == cidr {
			lost = s.Name
		}
	}
	if lost == "" {
		t.Fatalf("no Subnet child has the CIDR %q of the held CreateSubnet %+v", cidr, held)
	}
	t.Logf("AWS created %s's subnet %s (request %d) and holds the answer; killing every controller", lost, cidr, held.Seq)
	restartBetweenAWSCalls(ctx, t)

	tagged := []ec2types.Filter{
		{Name: aws.String("tag:" + desired.TagStack), Values: []string{stack.Name}},
		{Name: aws.String("tag:" + desired.TagNamespace), Values: []string{ns}},
		{Name: aws.String("cidr-block"), Values: []string{cidr}},
	}
	out, err := suite.awsClients.ec2.DescribeSubnets(ctx, &ec2.DescribeSubnetsInput{Filters: tagged})
	if err != nil || len(out.Subnets) != 1 {
		t.Fatalf("AWS should hold exactly the orphan subnet %s: %v, %v", cidr, out, err)
	}
	orphanID = aws.ToString(out.Subnets[0].SubnetId)

	var message string
	waitFor(t, 5*time.Minute, "the stack to name the subnet ACK lost track of", func() error {
		now := getStack(t, stack)
		var named []string
		for _, r := range now.Status.Resources {
			if r.Reason == platformv1alpha1.ReasonLostTrack {
				named = append(named, r.Kind+"/"+r.Name)
				message = r.Message
			}
		}
		stalled := meta.FindStatusCondition(now.Status.Conditions, platformv1alpha1.ConditionStalled)
		if !slices.Equal(named, []string{"Subnet/" + lost}) || stalled == nil || stalled.Status != metav1.ConditionTrue || stalled.Reason != platformv1alpha1.ReasonLostTrack {
			return fmt.Errorf("LostTrack on %v, Stalled %+v; %s", named, stalled, progress(t, stack))
		}
		return nil
	})
	t.Logf("the stack says: %s", message)
	for _, want := range []string{desired.TagStack + "=" + stack.Name, desired.TagNamespace + "=" + ns, `README, "A child AWS says already exists"`} {
		if !strings.Contains(message, want) {
			t.Errorf("the message does not name %q", want)
		}
	}

	// The README's steps: the subnet with the stack's tags and that range is
	// the orphan; delete it.
	if _, err := suite.awsClients.ec2.DeleteSubnet(ctx, &ec2.DeleteSubnetInput{SubnetId: aws.String(orphanID)}); err != nil {
		t.Fatalf("deleting the orphan %s: %v", orphanID, err)
	}
	took := waitReady(t, stack, 10*time.Minute)
	t.Logf("Ready %s after the orphan %s was deleted", took.Round(time.Second), orphanID)
	out, err = suite.awsClients.ec2.DescribeSubnets(ctx, &ec2.DescribeSubnetsInput{Filters: tagged})
	if err != nil || len(out.Subnets) != 1 {
		t.Fatalf("AWS should hold one subnet %s: %v, %v", cidr, out, err)
	}
	recorded := ec2ID(children(t, ns)["Subnet/"+lost])
	if got := aws.ToString(out.Subnets[0].SubnetId); got != recorded || got == orphanID {
		t.Errorf("AWS holds subnet %s for %s; the child records %q, the orphan was %s", got, cidr, recorded, orphanID)
	}
	orphanID = ""
	deleteAndWait(t, stack, 10*time.Minute)
}

// TestALoadBalancerCreatedInTheCrashWindowSaysSoAndTheREADMEStepsRecoverIt
// is the crash window for a resource AWS finds by name. The restarted elbv2
// controller (1.6.1) finds the load balancer by name, then panics in its
// attribute update (hooks.go: it reads the ARN from the desired object, which
// never recorded one) at every reconcile, writing nothing. The stack must say
// that ACK has written nothing on the child, and the README's step (delete
// the load balancer, which nothing uses yet) must bring it to Ready with one
// load balancer, the one the child records.
func TestALoadBalancerCreatedInTheCrashWindowSaysSoAndTheREADMEStepsRecoverIt(t *testing.T) {
	ctx := context.Background()
	ns := newNamespace(t)
	stack := developmentStack(ns, "lost2", "10.53.0.0/16")
	lbName := awsNameOf(t, stack, "alb", desired.ELBName)
	var orphanARN string
	createHoldingAnswer(ctx, t, stack, "CreateLoadBalancer", func() {
		if orphanARN != "" {
			_, _ = suite.awsClients.elb.DeleteLoadBalancer(ctx, &elbv2.DeleteLoadBalancerInput{LoadBalancerArn: aws.String(orphanARN)})
		}
	})
	restartBetweenAWSCalls(ctx, t)
	lbs, err := suite.awsClients.elb.DescribeLoadBalancers(ctx, &elbv2.DescribeLoadBalancersInput{Names: []string{lbName}})
	if err != nil || len(lbs.LoadBalancers) != 1 {
		t.Fatalf("AWS should hold the load balancer %s: %v, %v", lbName, lbs, err)
	}
	orphanARN = aws.ToString(lbs.LoadBalancers[0].LoadBalancerArn)

	var message string
	waitFor(t, 5*time.Minute, "the stack to say ACK wrote nothing on the load balancer", func() error {
		for _, r := range getStack(t, stack).Status.Resources {
			if r.Kind == "LoadBalancer" && r.Name == stack.Name+"-alb" && strings.Contains(r.Message, "ACK has written no condition on it") {
				message = r.Message
				return nil
			}
		}
		return fmt.Errorf("%s", progress(t, stack))
	})
	t.Logf("the stack says: %s", message)

	// The README's step: the load balancer is new and nothing uses it (its
	// listeners wait for its ARN); delete it and ACK creates it again.
	if _, err := suite.awsClients.elb.DeleteLoadBalancer(ctx, &elbv2.DeleteLoadBalancerInput{LoadBalancerArn: aws.String(orphanARN)}); err != nil {
		t.Fatalf("deleting the load balancer %s: %v", orphanARN, err)
	}
	took := waitReady(t, stack, 10*time.Minute)
	t.Logf("Ready %s after the load balancer was deleted", took.Round(time.Second))
	lbs, err = suite.awsClients.elb.DescribeLoadBalancers(ctx, &elbv2.DescribeLoadBalancersInput{Names: []string{lbName}})
	if err != nil || len(lbs.LoadBalancers) != 1 {
		t.Fatalf("AWS should hold one load balancer %s: %v, %v", lbName, lbs, err)
	}
	got, recorded := aws.ToString(lbs.LoadBalancers[0].LoadBalancerArn), children(t, ns)["LoadBalancer/"+stack.Name+"-alb"].ACKStatus().ARN()
	if got != recorded || got == orphanARN {
		t.Errorf("AWS holds %s; the child records %q; the deleted one was %s", got, recorded, orphanARN)
	}
	orphanARN = ""
	deleteAndWait(t, stack, 10*time.Minute)
}

func TestDeletingWithTheDeletePolicyLeavesNothing(t *testing.T) {
	ctx := context.Background()
	ns := newNamespace(t)
	p, err := prepareAccount(ctx, suite.awsClients, "del1")
	if err != nil {
		t.Fatal(err)
	}
	stack := productionStack(t, ns, "del1", p)
	stack.Spec.Network.VPCCIDR = "10.60.0.0/16"
	policy := platformv1alpha1.DeletionPolicyDelete
	stack.Spec.Database.DeletionPolicy = &policy
	if err := suite.k8s.Create(ctx, stack); err != nil {
		t.Fatal(err)
	}
	waitReady(t, stack, 10*time.Minute)
	vpcID := ""
	for _, o := range children(t, ns) {
		if o.GetName() == "del1-vpc" {
			vpcID = ec2ID(o)
		}
	}
	took := deleteAndWait(t, stack, 10*time.Minute)
	t.Logf("deleted with Delete in %s", took.Round(time.Second))

	c := suite.awsClients
	n := stack.Name
	var left []string
	if dbExists(t, awsNameOf(t, stack, "db", desired.RDSName)) {
		left = append(left, "database")
	}
	if snaps := finalSnapshots(t, awsNameOf(t, stack, "db", desired.RDSName)); len(snaps) > 0 {
		left = append(left, "final snapshots "+strings.Join(snaps, ","))
	}
	if vpcs, err := c.ec2.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{VpcIds: []string{vpcID}}); err == nil && len(vpcs.Vpcs) > 0 {
		left = append(left, "VPC "+vpcID)
	}
	tagged := []ec2types.Filter{{Name: aws.String("tag:" + desired.TagStack), Values: []string{n}}}
	if s, _ := c.ec2.DescribeSubnets(ctx, &ec2.DescribeSubnetsInput{Filters: tagged}); s != nil && len(s.Subnets) > 0 {
		left = append(left, fmt.Sprintf("%d subnets", len(s.Subnets)))
	}
	if g, _ := c.ec2.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{Filters: tagged}); g != nil && len(g.SecurityGroups) > 0 {
		left = append(left, fmt.Sprintf("%d security groups", len(g.SecurityGroups)))
	}
	if r, _ := c.ec2.DescribeRouteTables(ctx, &ec2.DescribeRouteTablesInput{Filters: tagged}); r != nil && len(r.RouteTables) > 0 {
		left = append(left, fmt.Sprintf("%d route tables", len(r.RouteTables)))
	}
	if a, _ := c.ec2.DescribeAddresses(ctx, &ec2.DescribeAddressesInput{Filters: tagged}); a != nil && len(a.Addresses) > 0 {
		left = append(left, fmt.Sprintf("%d Elastic IPs", len(a.Addresses)))
	}
	if g, _ := c.ec2.DescribeNatGateways(ctx, &ec2.DescribeNatGatewaysInput{Filter: tagged}); g != nil {
		for _, x := range g.NatGateways {
			// The local AWS ignores this filter (AWS honours it): check
			// the tag here, or another stack's gateway is counted.
			if !slices.ContainsFunc(x.Tags, func(tg ec2types.Tag) bool {
				return aws.ToString(tg.Key) == desired.TagStack && aws.ToString(tg.Value) == n
			}) {
				continue
			}
			if x.State != ec2types.NatGatewayStateDeleted {
				left = append(left, "NAT gateway "+aws.ToString(x.NatGatewayId))
			}
		}
	}
	if lbs, err := c.elb.DescribeLoadBalancers(ctx, &elbv2.DescribeLoadBalancersInput{Names: []string{awsNameOf(t, stack, "alb", desired.ELBName)}}); err == nil && len(lbs.LoadBalancers) > 0 {
		left = append(left, "load balancer")
	}
	if tgs, err := c.elb.DescribeTargetGroups(ctx, &elbv2.DescribeTargetGroupsInput{Names: []string{awsNameOf(t, stack, "api", desired.ELBName)}}); err == nil && len(tgs.TargetGroups) > 0 {
		left = append(left, "target group")
	}
	for _, role := range []string{awsNameOf(t, stack, "task", desired.IAMRoleName), awsNameOf(t, stack, "task-execution", desired.IAMRoleName), awsNameOf(t, stack, "vpc-flow-logs", desired.IAMRoleName)} {
		if _, err := c.iam.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String(role)}); err == nil {
			left = append(left, "role "+role)
		}
	}
	if g, err := c.logs.DescribeLogGroups(ctx, &cloudwatchlogs.DescribeLogGroupsInput{LogGroupNamePrefix: aws.String("/docuflow/" + awsPathOf(t, stack))}); err == nil && len(g.LogGroups) > 0 {
		left = append(left, fmt.Sprintf("%d log groups", len(g.LogGroups)))
	}
	if len(left) > 0 {
		t.Errorf("deletionPolicy Delete left behind in AWS: %s", strings.Join(left, "; "))
	}
}
