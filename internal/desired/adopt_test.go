package desired

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"k8s.io/utils/ptr"

	platformv1alpha1 "github.com/docuflow/docuflow-operator/api/v1alpha1"
	cloudwatchv1alpha1 "github.com/docuflow/docuflow-operator/internal/ack/cloudwatch/v1alpha1"
	ec2v1alpha1 "github.com/docuflow/docuflow-operator/internal/ack/ec2/v1alpha1"
	ecsv1alpha1 "github.com/docuflow/docuflow-operator/internal/ack/ecs/v1alpha1"
	rdsv1alpha1 "github.com/docuflow/docuflow-operator/internal/ack/rds/v1alpha1"
)

func withAdoption() stackOption {
	return func(s *platformv1alpha1.DocuFlowStack) {
		a := &platformv1alpha1.AdoptSpec{VPCID: "vpc-0a000000000000001", InternetGatewayID: "igw-0a000000000000001", DBInstanceIdentifier: "terraform-db", ECSClusterName: "terraform-cluster"}
		for i, z := range s.Spec.Network.AvailabilityZones {
			a.Subnets = append(a.Subnets, platformv1alpha1.AdoptedSubnets{Zone: z, PublicSubnetID: "subnet-0a00000000000001" + string(rune('0'+i)), PrivateSubnetID: "subnet-0a00000000000002" + string(rune('0'+i))})
		}
		s.Spec.Adopt = a
	}
}

func TestAdoptedChildrenCarryACKsAdoptionAndKeepWhatCannotChangeInPlace(t *testing.T) {
	stack := newStack("prod", withAdoption(), withDeletionPolicy(platformv1alpha1.DeletionPolicySnapshot))
	objs := mustBuild(t, stack, observedAll()).Objects
	adoptions := Adoptions(stack)
	if want := 1 + 1 + 2*len(stack.Spec.Network.AvailabilityZones) + 1 + 1; len(adoptions) != want {
		t.Fatalf("%d adoptions, want %d", len(adoptions), want)
	}
	found := 0
	for _, o := range objs {
		key := Key{o.GetObjectKind().GroupVersionKind().Kind, o.GetName()}
		i := slices.IndexFunc(adoptions, func(a Adoption) bool { return a.Key == key })
		ann := o.GetAnnotations()
		if i < 0 {
			if _, ok := ann[AnnotationAdoptionPolicy]; ok {
				t.Errorf("%s carries the adoption policy but is not adopted", key)
			}
			continue
		}
		found++
		if ann[AnnotationAdoptionPolicy] != "adopt" || ann[AnnotationDeletionPolicy] != "retain" {
			t.Errorf("%s: adoption policy %q, deletion policy %q", key, ann[AnnotationAdoptionPolicy], ann[AnnotationDeletionPolicy])
		}
		var fields map[string]string
		if err := json.Unmarshal([]byte(ann[AnnotationAdoptionFields]), &fields); err != nil || !slices.Contains(mapValues(fields), adoptions[i].ID) {
			t.Errorf("%s: adoption fields %q do not name %s", key, ann[AnnotationAdoptionFields], adoptions[i].ID)
		}
	}
	if found != len(adoptions) {
		t.Errorf("%d of %d adopted children rendered", found, len(adoptions))
	}
	for _, s := range ofKind[*ec2v1alpha1.Subnet](objs) {
		if s.Spec.CIDRBlock != nil || s.Spec.AvailabilityZone != nil {
			t.Errorf("adopted subnet %s states block %v and zone %v, which AWS cannot change", s.Name, s.Spec.CIDRBlock, s.Spec.AvailabilityZone)
		}
	}
	db := ofKind[*rdsv1alpha1.DBInstance](objs)[0]
	if ptr.Deref(db.Spec.DBInstanceIdentifier, "") != "terraform-db" || db.Spec.DBSubnetGroupRef != nil {
		t.Errorf("adopted database: identifier %q, subnet group %v", ptr.Deref(db.Spec.DBInstanceIdentifier, ""), db.Spec.DBSubnetGroupRef)
	}
	if db.Spec.MasterUsername != nil || db.Spec.DBName != nil || db.Spec.StorageEncrypted != nil {
		t.Errorf("the adopted database states what ModifyDBInstance cannot change: user %v, name %v, encrypted %v", db.Spec.MasterUsername, db.Spec.DBName, db.Spec.StorageEncrypted)
	}
	// Until ACK has adopted them, the adopted children name nothing by
	// reference; once it has, they do.
	if db.Spec.VPCSecurityGroupRefs != nil || db.Spec.DBParameterGroupRef != nil {
		t.Errorf("the database names its groups by reference before ACK adopted it")
	}
	for _, sub := range ofKind[*ec2v1alpha1.Subnet](objs) {
		if sub.Spec.VPCRef != nil || sub.Spec.RouteTableRefs != nil {
			t.Errorf("subnet %s names its VPC or route table by reference before ACK adopted it", sub.Name)
		}
	}
	obs := observedAll()
	obs.Adopted = map[Key]bool{}
	for _, a := range adoptions {
		obs.Adopted[a.Key] = true
	}
	adopted := mustBuild(t, stack, obs).Objects
	if d := ofKind[*rdsv1alpha1.DBInstance](adopted)[0]; len(d.Spec.VPCSecurityGroupRefs) != 1 || d.Spec.DBParameterGroupRef == nil {
		t.Errorf("the adopted database does not name the stack's groups: %v, %v", d.Spec.VPCSecurityGroupRefs, d.Spec.DBParameterGroupRef)
	}
	if name := ptr.Deref(ofKind[*ecsv1alpha1.Cluster](objs)[0].Spec.Name, ""); name != "terraform-cluster" {
		t.Errorf("adopted cluster named %q", name)
	}
	for _, a := range ofKind[*cloudwatchv1alpha1.MetricAlarm](objs) {
		for _, d := range a.Spec.Dimensions {
			if ptr.Deref(d.Name, "") == "DBInstanceIdentifier" && ptr.Deref(d.Value, "") != "terraform-db" {
				t.Errorf("alarm %s watches database %q", a.Name, ptr.Deref(d.Value, ""))
			}
		}
	}
	retained := AdoptionRetained(stack)
	for _, a := range adoptions {
		if !slices.Contains(retained, a.Key) {
			t.Errorf("%s is adopted but not kept on deletion", a.Key)
		}
	}

	// Without spec.adopt nothing is adopted.
	for _, o := range mustBuild(t, newStack("prod"), observedAll()).Objects {
		if _, ok := o.GetAnnotations()[AnnotationAdoptionPolicy]; ok {
			t.Errorf("%s carries the adoption policy on a stack that adopts nothing", o.GetName())
		}
	}
}

func TestAnAdoptedDatabaseKeepsItsDeletionProtection(t *testing.T) {
	// A development stack turns deletion protection off on its own
	// database; on an adopted one it leaves AWS's value (ACK wrote it into
	// the spec when it adopted), so a protected database stays protected.
	dev := ofKind[*rdsv1alpha1.DBInstance](mustBuild(t, newStack("dev", withDevelopment(), withAdoption()), observedAll()).Objects)[0]
	if dev.Spec.DeletionProtection != nil {
		t.Errorf("a development stack states deletion protection %v on the database it adopts", *dev.Spec.DeletionProtection)
	}
	own := ofKind[*rdsv1alpha1.DBInstance](mustBuild(t, newStack("dev", withDevelopment()), observedAll()).Objects)[0]
	if own.Spec.DeletionProtection == nil || *own.Spec.DeletionProtection {
		t.Errorf("a development stack's own database: deletion protection %v, want false", own.Spec.DeletionProtection)
	}
	prod := ofKind[*rdsv1alpha1.DBInstance](mustBuild(t, newStack("prod", withAdoption()), observedAll()).Objects)[0]
	if !ptr.Deref(prod.Spec.DeletionProtection, false) {
		t.Errorf("a production stack does not turn deletion protection on for the database it adopts: %v", prod.Spec.DeletionProtection)
	}
}

func mapValues(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for _, v := range m {
		out = append(out, v)
	}
	return out
}

func TestWhatAnAdoptionFindsIsComparedHeldOrTakenBack(t *testing.T) {
	stack := newStack("prod", withAdoption())
	obs := observedAll()
	obs.Adopted = map[Key]bool{}
	for _, a := range Adoptions(stack) {
		obs.Adopted[a.Key] = true
	}
	objs := mustBuild(t, stack, obs).Objects
	want := ofKind[*rdsv1alpha1.DBInstance](objs)[0]

	live := want.DeepCopy()
	live.Spec.DBInstanceClass = ptr.To("db.t3.micro")
	live.Spec.VPCSecurityGroupIDs = []*string{ptr.To("sg-0terraform")}
	live.Spec.DBParameterGroupName = ptr.To("default.postgres16")
	diffs := AdoptionDifferences(want, live)
	if !slices.Contains(diffs, "dbInstanceClass: db.t3.micro → "+*want.Spec.DBInstanceClass) || slices.ContainsFunc(diffs, func(d string) bool { return strings.HasPrefix(d, "vpcSecurityGroupRefs") }) {
		t.Errorf("differences %q", diffs)
	}
	if got := ShadowedLiterals(want, live); !slices.Equal(got, []string{"dbParameterGroupName", "vpcSecurityGroupIDs"}) {
		t.Errorf("shadowed literals %v", got)
	}
	if hold := AdoptionHold(stack, want, live); hold != "" {
		t.Errorf("a class difference holds the database: %s", hold)
	}
	live.Spec.EngineVersion = ptr.To("15.7")
	if hold := AdoptionHold(stack, want, live); !strings.Contains(hold, "PostgreSQL 15.7") {
		t.Errorf("a major version difference does not hold the database: %q", hold)
	}

	live.Spec.EngineVersion = want.Spec.EngineVersion
	live.Spec.DBName = ptr.To("app")
	if hold := AdoptionHold(stack, want, live); !strings.Contains(hold, `databaseName "app"`) {
		t.Errorf("another database name does not hold the database: %q", hold)
	}
	live.Spec.DBName = nil
	live.Spec.AllocatedStorage = ptr.To(*want.Spec.AllocatedStorage + 100)
	if hold := AdoptionHold(stack, want, live); !strings.Contains(hold, "RDS does not shrink storage") {
		t.Errorf("a larger volume does not hold the database: %q", hold)
	}

	sub := ofKind[*ec2v1alpha1.Subnet](objs)[0]
	elsewhere := sub.DeepCopy()
	elsewhere.Spec.VPCID = ptr.To("vpc-0elsewhere")
	if hold := AdoptionHold(stack, sub, elsewhere); !strings.Contains(hold, "not in the adopted VPC") {
		t.Errorf("a subnet of another VPC is not held: %q", hold)
	}
	elsewhere.Spec.VPCID = ptr.To(stack.Spec.Adopt.VPCID)
	if hold := AdoptionHold(stack, sub, elsewhere); hold != "" {
		t.Errorf("a subnet of the adopted VPC is held: %s", hold)
	}

	vpc := ofKind[*ec2v1alpha1.VPC](objs)[0]
	other := vpc.DeepCopy()
	other.Spec.CIDRBlocks = []*string{ptr.To("10.99.0.0/16")}
	if hold := AdoptionHold(stack, vpc, other); !strings.Contains(hold, "10.99.0.0/16") {
		t.Errorf("another range does not hold the VPC: %q", hold)
	}
	if hold := AdoptionHold(stack, vpc, vpc.DeepCopy()); hold != "" {
		t.Errorf("the same range holds the VPC: %s", hold)
	}
}
