package controllers

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	platformv1alpha1 "github.com/docuflow/docuflow-operator/api/v1alpha1"
	appautoscalingv1alpha1 "github.com/docuflow/docuflow-operator/internal/ack/applicationautoscaling/v1alpha1"
	"github.com/docuflow/docuflow-operator/internal/ack/core"
	ec2v1alpha1 "github.com/docuflow/docuflow-operator/internal/ack/ec2/v1alpha1"
	ecsv1alpha1 "github.com/docuflow/docuflow-operator/internal/ack/ecs/v1alpha1"
	rdsv1alpha1 "github.com/docuflow/docuflow-operator/internal/ack/rds/v1alpha1"
	"github.com/docuflow/docuflow-operator/internal/desired"
)

// terraformBuilt puts into the simulated AWS what Terraform built for a
// DocuFlow in vpcCIDR, with IDs made from seed (one hex digit, so that tests
// do not share resources): a VPC, its internet gateway, a public and a
// private subnet per zone on Terraform's own route table, a PostgreSQL 16.3
// db.t3.micro in Terraform's DB subnet group and security group, and an ECS
// cluster. It returns the spec.adopt naming them; db "" leaves the database
// out of AWS (but in spec.adopt).
func terraformBuilt(stack *platformv1alpha1.DocuFlowStack, seed, vpcCIDR, db string) *platformv1alpha1.AdoptSpec {
	id := func(prefix string, n int) string { return fmt.Sprintf("%s-0%s%015x", prefix, seed, n) }
	vpc, igw := id("vpc", 1), id("igw", 1)
	sim.AddExisting("VPC", vpc, map[string]any{
		"cidrBlocks": []any{vpcCIDR}, "enableDNSSupport": true, "enableDNSHostnames": false,
		"instanceTenancy": "default", "tags": []any{map[string]any{"key": "Name", "value": "terraform-vpc"}},
	})
	sim.AddExisting("InternetGateway", igw, map[string]any{"vpc": vpc})
	adopt := &platformv1alpha1.AdoptSpec{VPCID: vpc, InternetGatewayID: igw, DBInstanceIdentifier: "terraform-docuflow-" + seed, ECSClusterName: "terraform-docuflow-" + seed}
	for i, z := range stack.Spec.Network.AvailabilityZones {
		pub, priv := id("subnet", 10+i), id("subnet", 20+i)
		sim.AddExisting("Subnet", pub, map[string]any{"vpcID": vpc, "cidrBlock": fmt.Sprintf("10.40.%d.0/24", 100+i), "availabilityZone": z, "routeTables": []any{id("rtb", 1)}, "mapPublicIPOnLaunch": true})
		sim.AddExisting("Subnet", priv, map[string]any{"vpcID": vpc, "cidrBlock": fmt.Sprintf("10.40.%d.0/24", 200+i), "availabilityZone": z, "routeTables": []any{id("rtb", 2)}})
		adopt.Subnets = append(adopt.Subnets, platformv1alpha1.AdoptedSubnets{Zone: z, PublicSubnetID: pub, PrivateSubnetID: priv})
	}
	if db != "" {
		sim.AddExisting("DBInstance", adopt.DBInstanceIdentifier, map[string]any{
			"dbInstanceIdentifier": adopt.DBInstanceIdentifier, "dbInstanceClass": db, "engine": "postgres", "engineVersion": "16.3",
			"dbSubnetGroupName": "terraform-db-subnets", "vpcSecurityGroupIDs": []any{id("sg", 1)}, "dbParameterGroupName": "default.postgres16",
			"allocatedStorage": 20, "backupRetentionPeriod": 1, "storageEncrypted": true, "masterUsername": "docuflow",
		})
	}
	sim.AddExisting("Cluster", adopt.ECSClusterName, map[string]any{"name": adopt.ECSClusterName})
	return adopt
}

func adoptedEntry(t *testing.T, stack *platformv1alpha1.DocuFlowStack, kind string) platformv1alpha1.AdoptedStatus {
	t.Helper()
	i := slices.IndexFunc(stack.Status.Adopted, func(a platformv1alpha1.AdoptedStatus) bool { return a.Kind == kind })
	if i < 0 {
		t.Fatalf("status.adopted has no %s: %+v", kind, stack.Status.Adopted)
	}
	return stack.Status.Adopted[i]
}

func TestAStackAdoptsWhatTerraformBuiltAppliesItsSpecInPlaceAndKeepsItOnDeletion(t *testing.T) {
	t.Parallel()
	ns := newNamespace(t)
	stack := sampleStack(t, ns)
	stack.Spec.Database.DeletionPolicy = ptr.To(platformv1alpha1.DeletionPolicySnapshot)
	stack.Spec.Adopt = terraformBuilt(stack, "a", "10.40.0.0/16", "db.t3.micro")
	key := createStack(t, stack)
	stack = waitReady(t, key)

	want := 1 + 1 + 2*len(stack.Spec.Network.AvailabilityZones) + 1 + 1
	if len(stack.Status.Adopted) != want {
		t.Fatalf("status.adopted lists %d resources, want %d: %+v", len(stack.Status.Adopted), want, stack.Status.Adopted)
	}
	for _, a := range stack.Status.Adopted {
		if a.State != platformv1alpha1.AdoptionAdopted || a.AdoptedAt == nil {
			t.Errorf("%s %s: state %s, adoptedAt %v, message %q", a.Kind, a.Name, a.State, a.AdoptedAt, a.Message)
		}
	}
	db := adoptedEntry(t, stack, "DBInstance")
	for _, d := range []string{"dbInstanceClass: db.t3.micro → db.t4g.medium", "engineVersion: 16.3 → 16.4", "backupRetentionPeriod: 1 → 14"} {
		if !slices.Contains(db.Differences, d) {
			t.Errorf("the database's differences miss %q: %q", d, db.Differences)
		}
	}
	if db.ID != stack.Spec.Adopt.DBInstanceIdentifier {
		t.Errorf("the database was adopted as %q", db.ID)
	}

	// The stack's spec is on the adopted resources, in place: the same
	// identifiers, the stack's values, its references instead of Terraform's
	// IDs, and what cannot change in place (a subnet's block, the database's
	// subnet group) as AWS has it.
	instance := only[*rdsv1alpha1.DBInstance](t, key)
	if got := ptr.Deref(instance.Spec.DBInstanceIdentifier, ""); got != stack.Spec.Adopt.DBInstanceIdentifier {
		t.Errorf("the database's identifier is %q", got)
	}
	if got := ptr.Deref(instance.Spec.DBInstanceClass, ""); got != "db.t4g.medium" {
		t.Errorf("the database's class is %q, want the stack's db.t4g.medium", got)
	}
	if len(instance.Spec.VPCSecurityGroupIDs) != 0 || instance.Spec.DBParameterGroupName != nil || len(instance.Spec.VPCSecurityGroupRefs) != 1 {
		t.Errorf("the database names its security groups %v / %v and its parameter group %v: want the stack's references only",
			derefAll(instance.Spec.VPCSecurityGroupIDs), instance.Spec.VPCSecurityGroupRefs, instance.Spec.DBParameterGroupName)
	}
	if got := ptr.Deref(instance.Spec.DBSubnetGroupName, ""); got != "terraform-db-subnets" || instance.Spec.DBSubnetGroupRef != nil {
		t.Errorf("the database's subnet group is %q (ref %v): want Terraform's, kept", got, instance.Spec.DBSubnetGroupRef)
	}
	if v := instance.GetAnnotations()[desired.AnnotationDeletionPolicy]; v != "retain" {
		t.Errorf("the adopted database's deletion policy is %q", v)
	}
	for _, s := range stack.Spec.Adopt.Subnets {
		sub := childNamed[*ec2v1alpha1.Subnet](t, key, desired.Name(key.Name, "public-"+s.Zone, desired.KubernetesName))
		if ptr.Deref(sub.Status.SubnetID, "") != s.PublicSubnetID || !strings.HasPrefix(ptr.Deref(sub.Spec.CIDRBlock, ""), "10.40.1") || len(sub.Spec.RouteTables) != 0 || len(sub.Spec.RouteTableRefs) != 1 {
			t.Errorf("public subnet of %s: ID %q, block %q, route tables %v / %v", s.Zone, ptr.Deref(sub.Status.SubnetID, ""), ptr.Deref(sub.Spec.CIDRBlock, ""), derefAll(sub.Spec.RouteTables), sub.Spec.RouteTableRefs)
		}
	}
	vpc := only[*ec2v1alpha1.VPC](t, key)
	if ptr.Deref(vpc.Status.VPCID, "") != stack.Spec.Adopt.VPCID || !ptr.Deref(vpc.Spec.EnableDNSHostnames, false) {
		t.Errorf("VPC %q, DNS hostnames %v: want the adopted VPC with the stack's DNS hostnames", ptr.Deref(vpc.Status.VPCID, ""), vpc.Spec.EnableDNSHostnames)
	}
	if name := ptr.Deref(only[*ecsv1alpha1.Cluster](t, key).Spec.Name, ""); name != stack.Spec.Adopt.ECSClusterName {
		t.Errorf("the cluster is %q", name)
	}
	if id := ptr.Deref(only[*appautoscalingv1alpha1.ScalableTarget](t, key).Spec.ResourceID, ""); !strings.HasPrefix(id, "service/"+stack.Spec.Adopt.ECSClusterName+"/") {
		t.Errorf("the scalable target names %q, not the adopted cluster", id)
	}

	// A plan of the converged stack (docuflow plan) takes nothing over
	// again: the take-over is recorded, so nothing adopted is written.
	pv := previewOf(t, key)
	for _, w := range pv.Writes {
		if w.Body != nil && slices.ContainsFunc(desired.Adoptions(stack), func(a desired.Adoption) bool { return a.Kind == w.Kind && a.Name == w.Name }) {
			t.Errorf("a plan of the converged stack writes adopted %s %s again: %s", w.Kind, w.Name, w.Why)
		}
	}
	if len(pv.Held) != 0 {
		t.Errorf("a plan of the converged stack holds %+v", pv.Held)
	}

	// Deleting the stack gives back what it adopted, whatever its policy.
	if err := k8s.Delete(context.Background(), stack); err != nil {
		t.Fatal(err)
	}
	eventually(t, 90*time.Second, "the stack gone", func() error {
		switch err := k8s.Get(context.Background(), key, &platformv1alpha1.DocuFlowStack{}); {
		case err == nil:
			return errors.New("still there")
		case !apierrors.IsNotFound(err):
			return fmt.Errorf("reading it: %w", err)
		}
		return nil
	})
	retained, deleted := sim.Retained(), sim.Deleted()
	for _, a := range desired.Adoptions(stack) {
		k := fmt.Sprintf("%s %s/%s", a.Kind, ns, a.Name)
		if !slices.Contains(retained, k) || slices.Contains(deleted, k) {
			t.Errorf("adopted %s was not kept in AWS (retained: %v)", k, slices.Contains(retained, k))
		}
	}
}

func TestAnAdoptionThatFindsNothingCreatesNothing(t *testing.T) {
	t.Parallel()
	ns := newNamespace(t)
	stack := sampleStack(t, ns)
	stack.Spec.Adopt = terraformBuilt(stack, "b", "10.40.0.0/16", "")
	key := createStack(t, stack)
	eventually(t, 60*time.Second, "the database reported not found", func() error {
		s := getStack(t, key)
		i := slices.IndexFunc(s.Status.Adopted, func(a platformv1alpha1.AdoptedStatus) bool { return a.Kind == "DBInstance" })
		if i < 0 || s.Status.Adopted[i].State != platformv1alpha1.AdoptionAdopting || !strings.Contains(s.Status.Adopted[i].Message, "ACK has not found terraform-docuflow-b yet") {
			return fmt.Errorf("status.adopted %+v", s.Status.Adopted)
		}
		return nil
	})
	instance := only[*rdsv1alpha1.DBInstance](t, key)
	if desired.IsAdoptedByACK(instance) || instance.Status.ACKResourceMetadata != nil && instance.Status.ACKResourceMetadata.ARN != nil {
		t.Errorf("a database that does not exist was adopted or created: %+v", instance.Status.ACKResourceMetadata)
	}
	if meta.IsStatusConditionTrue(getStack(t, key).Status.Conditions, platformv1alpha1.ConditionReady) {
		t.Error("the stack is Ready without its database")
	}
}

func TestAnAdoptedVPCOfAnotherRangeIsHeldAndSaysWhy(t *testing.T) {
	t.Parallel()
	ns := newNamespace(t)
	stack := sampleStack(t, ns)
	stack.Spec.Adopt = terraformBuilt(stack, "c", "10.99.0.0/16", "db.t3.micro")
	key := createStack(t, stack)
	eventually(t, 60*time.Second, "the VPC held", func() error {
		s := getStack(t, key)
		i := slices.IndexFunc(s.Status.Adopted, func(a platformv1alpha1.AdoptedStatus) bool { return a.Kind == "VPC" })
		c := meta.FindStatusCondition(s.Status.Conditions, platformv1alpha1.ConditionStalled)
		if i < 0 || s.Status.Adopted[i].State != platformv1alpha1.AdoptionHeld || c == nil || c.Status != "True" || c.Reason != platformv1alpha1.ReasonAdoptionHeld || !strings.Contains(c.Message, "10.99.0.0/16") {
			return fmt.Errorf("status.adopted %+v, Stalled %+v", s.Status.Adopted, c)
		}
		return nil
	})
	// A plan says so, and writes nothing.
	pv := previewOf(t, key)
	if len(pv.Held) == 0 || pv.Held[0].Kind != "VPC" || !strings.Contains(pv.Held[0].Message, "10.99.0.0/16") {
		t.Errorf("the plan's held adoptions are %+v, want the VPC's range", pv.Held)
	}
	for _, w := range pv.Writes {
		if w.Body != nil {
			t.Errorf("the plan of a held adoption writes %s %s: %s", w.Kind, w.Name, w.Why)
		}
	}
	if len(pv.Leaving) != 0 {
		t.Errorf("the plan of a held adoption deletes %v", pv.Leaving)
	}

	// The VPC keeps AWS's range: the stack's was not applied. Nothing is
	// built in it either, and the database is left as AWS has it.
	if got := derefAll(only[*ec2v1alpha1.VPC](t, key).Spec.CIDRBlocks); !slices.Equal(got, []string{"10.99.0.0/16"}) {
		t.Errorf("the held VPC's blocks are %v", got)
	}
	for _, o := range children(t, key) {
		if k := kindOf(o); k == "SecurityGroup" || k == "NATGateway" || k == "VPCEndpoint" || k == "RouteTable" {
			t.Errorf("%s %s was created in a held VPC", k, o.GetName())
		}
	}
	for _, o := range children(t, key) {
		if db, ok := o.(*rdsv1alpha1.DBInstance); ok && ptr.Deref(db.Spec.DBInstanceClass, "") != "db.t3.micro" {
			t.Errorf("the database of a held adoption was changed to %s", ptr.Deref(db.Spec.DBInstanceClass, ""))
		}
	}
}

func childNamed[T core.Object](t *testing.T, key client.ObjectKey, name string) T {
	t.Helper()
	for _, o := range children(t, key) {
		if x, ok := o.(T); ok && o.GetName() == name {
			return x
		}
	}
	var zero T
	t.Fatalf("no %T named %s", zero, name)
	return zero
}

func derefAll(in []*string) []string {
	out := make([]string, 0, len(in))
	for _, p := range in {
		out = append(out, ptr.Deref(p, ""))
	}
	return out
}

// previewOf is what the operator's next pass would do to the stack (what
// docuflow plan shows), from the stack and its children as they are now.
func previewOf(t *testing.T, key client.ObjectKey) Preview {
	t.Helper()
	var live []core.Object
	for _, o := range children(t, key) {
		live = append(live, o)
	}
	pv, err := reconciler.Preview(getStack(t, key), live)
	if err != nil {
		t.Fatal(err)
	}
	return pv
}
