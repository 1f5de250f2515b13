package e2e

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/rds"

	platformv1alpha1 "github.com/docuflow/docuflow-operator/api/v1alpha1"
	ec2v1alpha1 "github.com/docuflow/docuflow-operator/internal/ack/ec2/v1alpha1"
	"github.com/docuflow/docuflow-operator/internal/plan"
	"github.com/docuflow/docuflow-operator/internal/realack"
)

// terraformDocuFlow is what a Terraform configuration of DocuFlow built,
// made here straight in the local AWS, as Terraform would: a VPC with its
// internet gateway, a public and a private subnet in two zones with
// Terraform's own route tables, a DB subnet group and security group, a
// PostgreSQL 16.3 db.t3.micro, unencrypted, with its own master user,
// keeping one day of backups, with deletion protection on, and an ECS
// cluster.
type terraformDocuFlow struct {
	vpc, igw, db, cluster string
	public, private       []string
	dbResourceID          string
	dbCreated             time.Time
}

func buildWithTerraform(t *testing.T, name, cidr string, zones []string) terraformDocuFlow {
	t.Helper()
	ctx := context.Background()
	c := suite.awsClients
	var tf terraformDocuFlow
	vpc, err := c.ec2.CreateVpc(ctx, &ec2.CreateVpcInput{CidrBlock: aws.String(cidr)})
	if err != nil {
		t.Fatalf("CreateVpc: %v", err)
	}
	tf.vpc = aws.ToString(vpc.Vpc.VpcId)
	igw, err := c.ec2.CreateInternetGateway(ctx, &ec2.CreateInternetGatewayInput{})
	if err != nil {
		t.Fatalf("CreateInternetGateway: %v", err)
	}
	tf.igw = aws.ToString(igw.InternetGateway.InternetGatewayId)
	if _, err := c.ec2.AttachInternetGateway(ctx, &ec2.AttachInternetGatewayInput{InternetGatewayId: aws.String(tf.igw), VpcId: aws.String(tf.vpc)}); err != nil {
		t.Fatalf("AttachInternetGateway: %v", err)
	}
	publicRoutes, err := c.ec2.CreateRouteTable(ctx, &ec2.CreateRouteTableInput{VpcId: aws.String(tf.vpc)})
	if err != nil {
		t.Fatalf("CreateRouteTable: %v", err)
	}
	if _, err := c.ec2.CreateRoute(ctx, &ec2.CreateRouteInput{RouteTableId: publicRoutes.RouteTable.RouteTableId, DestinationCidrBlock: aws.String("0.0.0.0/0"), GatewayId: aws.String(tf.igw)}); err != nil {
		t.Fatalf("CreateRoute: %v", err)
	}
	base := strings.Join(strings.Split(cidr, ".")[:2], ".")
	for i, z := range zones {
		for _, tier := range []string{"public", "private"} {
			block := fmt.Sprintf("%s.%d.0/24", base, map[string]int{"public": 100, "private": 200}[tier]+i)
			s, err := c.ec2.CreateSubnet(ctx, &ec2.CreateSubnetInput{VpcId: aws.String(tf.vpc), CidrBlock: aws.String(block), AvailabilityZone: aws.String(z)})
			if err != nil {
				t.Fatalf("CreateSubnet %s: %v", block, err)
			}
			id := aws.ToString(s.Subnet.SubnetId)
			if tier == "public" {
				tf.public = append(tf.public, id)
				if _, err := c.ec2.AssociateRouteTable(ctx, &ec2.AssociateRouteTableInput{RouteTableId: publicRoutes.RouteTable.RouteTableId, SubnetId: aws.String(id)}); err != nil {
					t.Fatalf("AssociateRouteTable: %v", err)
				}
			} else {
				tf.private = append(tf.private, id)
			}
		}
	}
	sg, err := c.ec2.CreateSecurityGroup(ctx, &ec2.CreateSecurityGroupInput{GroupName: aws.String(name + "-db"), Description: aws.String("Terraform's database group"), VpcId: aws.String(tf.vpc)})
	if err != nil {
		t.Fatalf("CreateSecurityGroup: %v", err)
	}
	if _, err := c.rds.CreateDBSubnetGroup(ctx, &rds.CreateDBSubnetGroupInput{DBSubnetGroupName: aws.String(name + "-db-subnets"), DBSubnetGroupDescription: aws.String("Terraform's"), SubnetIds: tf.private}); err != nil {
		t.Fatalf("CreateDBSubnetGroup: %v", err)
	}
	tf.db = name + "-postgres"
	if _, err := c.rds.CreateDBInstance(ctx, &rds.CreateDBInstanceInput{
		DBInstanceIdentifier: aws.String(tf.db), DBInstanceClass: aws.String("db.t3.micro"), Engine: aws.String("postgres"), EngineVersion: aws.String("16.3"),
		AllocatedStorage: aws.Int32(20), StorageEncrypted: aws.Bool(false), MasterUsername: aws.String("tfadmin"), ManageMasterUserPassword: aws.Bool(true),
		DBSubnetGroupName: aws.String(name + "-db-subnets"), VpcSecurityGroupIds: []string{aws.ToString(sg.GroupId)}, BackupRetentionPeriod: aws.Int32(1), DBName: aws.String("docuflow"),
		DeletionProtection: aws.Bool(true),
	}); err != nil {
		t.Fatalf("CreateDBInstance: %v", err)
	}
	tf.dbResourceID, tf.dbCreated = describeDB(t, tf.db).resourceID, describeDB(t, tf.db).created
	tf.cluster = name + "-cluster"
	if _, err := c.ecs.CreateCluster(ctx, &ecs.CreateClusterInput{ClusterName: aws.String(tf.cluster)}); err != nil {
		t.Fatalf("CreateCluster: %v", err)
	}
	return tf
}

type dbFacts struct {
	resourceID, class  string
	backups            int32
	created            time.Time
	securityGroups     []string
	deletionProtection bool
}

func describeDB(t *testing.T, id string) dbFacts {
	t.Helper()
	out, err := suite.awsClients.rds.DescribeDBInstances(context.Background(), &rds.DescribeDBInstancesInput{DBInstanceIdentifier: aws.String(id)})
	if err != nil || len(out.DBInstances) != 1 {
		t.Fatalf("describing database %s: %v", id, err)
	}
	db := out.DBInstances[0]
	f := dbFacts{resourceID: aws.ToString(db.DbiResourceId), class: aws.ToString(db.DBInstanceClass), backups: aws.ToInt32(db.BackupRetentionPeriod), created: aws.ToTime(db.InstanceCreateTime),
		deletionProtection: aws.ToBool(db.DeletionProtection)}
	for _, g := range db.VpcSecurityGroups {
		f.securityGroups = append(f.securityGroups, aws.ToString(g.VpcSecurityGroupId))
	}
	return f
}

func TestAStackAdoptsWhatTerraformBuiltOnTheRealControllers(t *testing.T) {
	ctx := context.Background()
	ns := newNamespace(t)
	zones := []string{"us-east-1a", "us-east-1b"}
	tf := buildWithTerraform(t, "tfadopt", "10.72.0.0/16", zones)
	start := lastSeq(t)

	stack := developmentStack(ns, "adopt1", "10.72.0.0/16")
	stack.Spec.Adopt = &platformv1alpha1.AdoptSpec{VPCID: tf.vpc, InternetGatewayID: tf.igw, DBInstanceIdentifier: tf.db, ECSClusterName: tf.cluster}
	for i, z := range zones {
		stack.Spec.Adopt.Subnets = append(stack.Spec.Adopt.Subnets, platformv1alpha1.AdoptedSubnets{Zone: z, PublicSubnetID: tf.public[i], PrivateSubnetID: tf.private[i]})
	}
	if err := suite.k8s.Create(ctx, stack); err != nil {
		t.Fatal(err)
	}
	took := waitReady(t, stack, 10*time.Minute)
	live := getStack(t, stack)
	t.Logf("adopting stack Ready in %s", took.Round(time.Second))
	for _, a := range live.Status.Adopted {
		t.Logf("adopted %s %s (%s): %s; differences: %s", a.Kind, a.Name, a.ID, a.State, strings.Join(a.Differences, "; "))
		if a.State != platformv1alpha1.AdoptionAdopted {
			t.Errorf("%s %s is %s: %s", a.Kind, a.Name, a.State, a.Message)
		}
	}
	i := slices.IndexFunc(live.Status.Adopted, func(a platformv1alpha1.AdoptedStatus) bool { return a.Kind == "DBInstance" })
	if i < 0 || !slices.Contains(live.Status.Adopted[i].Differences, "dbInstanceClass: db.t3.micro → db.t4g.micro") || !slices.Contains(live.Status.Adopted[i].Differences, "backupRetentionPeriod: 1 → 7") {
		t.Errorf("status.adopted does not record what the database had: %+v", live.Status.Adopted)
	}
	if want := 1 + 1 + 2*len(zones) + 1 + 1; len(live.Status.Adopted) != want {
		t.Errorf("status.adopted lists %d resources, want %d", len(live.Status.Adopted), want)
	}

	// Nothing the stack adopted was created again, and the database is the
	// same instance, now with the stack's class and backups, changed in place.
	created := mutatingSince(t, start)
	for _, action := range []string{"CreateVpc", "CreateSubnet", "CreateInternetGateway", "CreateDBInstance", "DeleteDBInstance", "CreateCluster"} {
		if n := count(created, action); n > 0 {
			t.Errorf("%d %s calls while adopting", n, action)
		}
	}
	db := describeDB(t, tf.db)
	if db.resourceID != tf.dbResourceID || !db.created.Equal(tf.dbCreated) {
		t.Errorf("the database is another instance: resource ID %s (was %s), created %s (was %s)", db.resourceID, tf.dbResourceID, db.created, tf.dbCreated)
	}
	if db.class != "db.t4g.micro" || db.backups != 7 {
		t.Errorf("the adopted database has class %s and %d days of backups, want the stack's db.t4g.micro and 7", db.class, db.backups)
	}
	// A development stack turns deletion protection off on its own
	// database, never on one it adopted.
	if !db.deletionProtection {
		t.Error("adopting the database with a development stack switched its deletion protection off")
	}
	t.Logf("database %s: resource ID %s unchanged; ModifyDBInstance calls while adopting: %d", tf.db, db.resourceID, count(created, "ModifyDBInstance"))
	// The stack's own security group guards it now: the take-over removed
	// the IDs ACK wrote beside the stack's references.
	sg := child[*ec2v1alpha1.SecurityGroup](t, ns, "adopt1-db-sg")
	if db.securityGroups == nil || !slices.Contains(db.securityGroups, aws.ToString(sg.Status.ID)) {
		t.Errorf("the adopted database is in security groups %v, not the stack's %s", db.securityGroups, aws.ToString(sg.Status.ID))
	}

	// docuflow plan, against the real ACK CRDs and the children as the
	// real controllers wrote them: the converged stack changes nothing, a
	// tag replaces nothing, and the class change is one update of the
	// adopted database.
	if _, p, code := planOf(t, stack, nil); code != plan.ExitClean || len(p.Changes) != 0 {
		t.Errorf("the plan of the converged stack: exit %d, %d changes: %+v", code, len(p.Changes), p.Changes)
	}
	_, p, code := planOf(t, stack, func(s *platformv1alpha1.DocuFlowStack) { s.Spec.Tags = map[string]string{"team": "payments"} })
	if n := p.Counts(); code != plan.ExitClean || n.Update == 0 || n.Replace+n.Delete != 0 || n.Create > 1 || n.Create == 1 && changeOf(p, "TaskDefinition") == nil {
		// (The task definition carries the tags: a new revision.)
		t.Errorf("the plan of a tag: exit %d, %+v; want updates and a new task definition only", code, n)
	}
	for _, c := range p.Changes {
		for _, f := range c.Fields {
			if !strings.HasPrefix(f.Path, "tags") && c.Kind != "Service" {
				t.Errorf("the plan of a tag changes %s of %s %s: %s → %s", f.Path, c.Kind, c.Name, f.Old, f.New)
			}
		}
	}
	_, p, code = planOf(t, stack, func(s *platformv1alpha1.DocuFlowStack) { s.Spec.Database.InstanceClass = "db.t4g.small" })
	if c := changeOf(p, "DBInstance"); code != plan.ExitClean || len(p.Changes) != 1 || c == nil || c.Action != plan.Update ||
		len(c.Fields) != 1 || c.Fields[0].Path != "dbInstanceClass" || c.Fields[0].Old != "db.t4g.micro" || c.Fields[0].New != "db.t4g.small" {
		t.Errorf("the plan of the class change: exit %d, changes %+v; want one update of the database's class", code, p.Changes)
	}

	// A later change of the stack goes to the same database, in place.
	seq := lastSeq(t)
	updateStack(t, stack, func(s *platformv1alpha1.DocuFlowStack) { s.Spec.Database.InstanceClass = "db.t4g.small" })
	waitFor(t, 5*time.Minute, "the adopted database resized in place", func() error {
		if got := describeDB(t, tf.db).class; got != "db.t4g.small" {
			return fmt.Errorf("class %s", got)
		}
		return nil
	})
	changed := mutatingSince(t, seq)
	if count(changed, "CreateDBInstance")+count(changed, "DeleteDBInstance") > 0 || describeDB(t, tf.db).resourceID != tf.dbResourceID {
		t.Errorf("the class change replaced the database: %v", actionsOf(changed))
	}
	t.Logf("instance class change: %d ModifyDBInstance, 0 CreateDBInstance, 0 DeleteDBInstance", count(changed, "ModifyDBInstance"))
	waitReady(t, stack, 5*time.Minute)

	// Deleting the stack (deletionPolicy Snapshot) keeps what it adopted.
	deleted := deleteAndWait(t, stack, 10*time.Minute)
	t.Logf("deleted in %s", deleted.Round(time.Second))
	if !dbExists(t, tf.db) || !describeDB(t, tf.db).deletionProtection {
		t.Error("deleting the stack deleted the adopted database, or switched its deletion protection off")
	}
	if out, err := suite.awsClients.ec2.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{VpcIds: []string{tf.vpc}}); err != nil || len(out.Vpcs) != 1 {
		t.Errorf("deleting the stack deleted the adopted VPC: %v", err)
	}
	if out, err := suite.awsClients.ec2.DescribeSubnets(ctx, &ec2.DescribeSubnetsInput{SubnetIds: append(slices.Clone(tf.public), tf.private...)}); err != nil || len(out.Subnets) != 2*len(zones) {
		t.Errorf("deleting the stack deleted adopted subnets: %v", err)
	}
}

func actionsOf(reqs []realack.Request) []string {
	out := make([]string, 0, len(reqs))
	for _, r := range reqs {
		out = append(out, r.Action)
	}
	return out
}
