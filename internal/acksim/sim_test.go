package acksim

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	ackv1alpha1 "github.com/aws-controllers-k8s/runtime/apis/core/v1alpha1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	cloudwatchlogsv1alpha1 "github.com/docuflow/docuflow-operator/internal/ack/cloudwatchlogs/v1alpha1"
	"github.com/docuflow/docuflow-operator/internal/ack/core"
	ec2v1alpha1 "github.com/docuflow/docuflow-operator/internal/ack/ec2/v1alpha1"
	ecsv1alpha1 "github.com/docuflow/docuflow-operator/internal/ack/ecs/v1alpha1"
	iamv1alpha1 "github.com/docuflow/docuflow-operator/internal/ack/iam/v1alpha1"
	rdsv1alpha1 "github.com/docuflow/docuflow-operator/internal/ack/rds/v1alpha1"
)

const waitTimeout = 20 * time.Second

func ref(name string) *ackv1alpha1.AWSResourceReferenceWrapper {
	return &ackv1alpha1.AWSResourceReferenceWrapper{From: &ackv1alpha1.AWSResourceReference{Name: ptr.To(name)}}
}

func meta(namespace, name string) metav1.ObjectMeta {
	return metav1.ObjectMeta{Namespace: namespace, Name: name}
}

func newVPC(namespace, name string) *ec2v1alpha1.VPC {
	return &ec2v1alpha1.VPC{ObjectMeta: meta(namespace, name), Spec: ec2v1alpha1.VPCSpec{CIDRBlocks: []*string{ptr.To("10.0.0.0/16")}}}
}

func create(t *testing.T, obj client.Object) {
	t.Helper()
	if err := k8s.Create(context.Background(), obj); err != nil {
		t.Fatalf("creating %T %s: %v", obj, obj.GetName(), err)
	}
}

// conditionsOf summarises conditions for failure messages.
func conditionsOf(obj core.Object) string {
	var parts []string
	for _, c := range obj.ACKStatus().Conditions {
		parts = append(parts, fmt.Sprintf("%s=%s(%s: %s)", c.Type, c.Status, ptrValue(c.Reason), ptrValue(c.Message)))
	}
	return strings.Join(parts, "; ")
}

func status(obj core.Object, t ackv1alpha1.ConditionType) corev1.ConditionStatus {
	if c := obj.ACKStatus().Condition(t); c != nil {
		return c.Status
	}
	return ""
}

// waitUntil re-reads obj until check holds.
func waitUntil(t *testing.T, obj core.Object, check func() bool) {
	t.Helper()
	eventually(t, waitTimeout, func() (bool, string) {
		if err := k8s.Get(context.Background(), client.ObjectKeyFromObject(obj), obj); err != nil {
			return false, err.Error()
		}
		return check(), fmt.Sprintf("%T %s: %s", obj, obj.GetName(), conditionsOf(obj))
	})
}

func waitSynced(t *testing.T, obj core.Object) {
	t.Helper()
	waitUntil(t, obj, func() bool { return status(obj, ackv1alpha1.ConditionTypeResourceSynced) == corev1.ConditionTrue })
}

func TestSimulatorAnnouncesItself(t *testing.T) {
	if !logs.contains("SIMULATED ACK: no AWS API is called") {
		t.Fatal("the simulator did not log its banner")
	}
}

func TestVPCBecomesSyncedWithAnIDAndARN(t *testing.T) {
	ns := namespace(t, nil)
	vpc := newVPC(ns, "main")
	create(t, vpc)
	waitSynced(t, vpc)

	id := ptrValue(vpc.Status.VPCID)
	if !regexp.MustCompile(`^vpc-[0-9a-f]{17}$`).MatchString(id) {
		t.Errorf("vpcID = %q, want vpc- and 17 hex digits", id)
	}
	if got, want := vpc.Status.ARN(), "arn:aws:ec2:us-east-1:123456789012:vpc/"+id; got != want {
		t.Errorf("ARN = %q, want %q", got, want)
	}
	if got := ptrValue(vpc.Status.State); got != "available" {
		t.Errorf("state = %q, want available", got)
	}
	if !slices.Contains(vpc.Finalizers, "finalizers.ec2.services.k8s.aws/VPC") {
		t.Errorf("finalizers = %v, want ACK's", vpc.Finalizers)
	}
	if status(vpc, ackv1alpha1.ConditionTypeReady) != corev1.ConditionTrue {
		t.Errorf("Ready is not True: %s", conditionsOf(vpc))
	}
	if msg := ptrValue(vpc.Status.Condition(ackv1alpha1.ConditionTypeResourceSynced).Message); !strings.Contains(msg, "simulated") {
		t.Errorf("synced message %q does not say the sync was simulated", msg)
	}
	if vpc.Status.Condition(ackv1alpha1.ConditionTypeReferencesResolved) != nil {
		t.Errorf("a VPC without references has ACK.ReferencesResolved: %s", conditionsOf(vpc))
	}
}

func TestRegionComesFromTheObjectThenTheNamespace(t *testing.T) {
	ns := namespace(t, map[string]string{ackv1alpha1.AnnotationDefaultRegion: "eu-central-1"})
	fromNamespace := newVPC(ns, "a")
	fromObject := newVPC(ns, "b")
	fromObject.Annotations = map[string]string{ackv1alpha1.AnnotationRegion: "eu-west-1"}
	create(t, fromNamespace)
	create(t, fromObject)
	waitSynced(t, fromNamespace)
	waitSynced(t, fromObject)
	for obj, want := range map[*ec2v1alpha1.VPC]string{fromNamespace: "eu-central-1", fromObject: "eu-west-1"} {
		if got := string(ptrValue(obj.Status.ACKResourceMetadata.Region)); got != want {
			t.Errorf("%s: region = %q, want %q", obj.Name, got, want)
		}
		if !strings.HasPrefix(obj.Status.ARN(), "arn:aws:ec2:"+want+":123456789012:vpc/vpc-") {
			t.Errorf("%s: ARN = %q, want one in %s", obj.Name, obj.Status.ARN(), want)
		}
	}
}

func TestSubnetWaitsUntilItsVPCExistsAndIsSynced(t *testing.T) {
	ns := namespace(t, nil)
	subnet := &ec2v1alpha1.Subnet{ObjectMeta: meta(ns, "public-a"), Spec: ec2v1alpha1.SubnetSpec{
		VPCRef: ref("main"), CIDRBlock: ptr.To("10.0.0.0/24"), AvailabilityZone: ptr.To("us-east-1a"),
	}}
	create(t, subnet)
	// The real runtime: ReferencesResolved Unknown, the cause in the reason,
	// a generic message, and no other condition (Sync returns first).
	unresolved := func(want string) func() bool {
		return func() bool {
			c := subnet.Status.Condition(ackv1alpha1.ConditionTypeReferencesResolved)
			return c != nil && c.Status == corev1.ConditionUnknown && strings.Contains(ptrValue(c.Reason), want) &&
				ptrValue(c.Message) == "Reference resolution failed" && len(subnet.Status.Conditions) == 1
		}
	}
	waitUntil(t, subnet, unresolved(`vpcs.ec2.services.k8s.aws "main" not found`))
	if subnet.Status.SubnetID != nil {
		t.Errorf("an unresolved subnet got subnetID %q", *subnet.Status.SubnetID)
	}

	sim.SetNeverSync("VPC", ns, "main")
	vpc := newVPC(ns, "main")
	create(t, vpc)
	waitUntil(t, subnet, unresolved("the referenced resource is not synced yet. resource:VPC, namespace:"+ns+", name:main"))

	sim.ClearFault("VPC", ns, "main")
	waitSynced(t, subnet)
	if c := subnet.Status.Condition(ackv1alpha1.ConditionTypeReferencesResolved); c == nil || c.Status != corev1.ConditionTrue {
		t.Errorf("ACK.ReferencesResolved is not True: %s", conditionsOf(subnet))
	}
	if !regexp.MustCompile(`^subnet-[0-9a-f]{17}$`).MatchString(ptrValue(subnet.Status.SubnetID)) {
		t.Errorf("subnetID = %q, want subnet- and 17 hex digits", ptrValue(subnet.Status.SubnetID))
	}
	if subnet.Spec.VPCID != nil {
		t.Errorf("spec.vpcID = %q, want it left empty as ACK does", *subnet.Spec.VPCID)
	}
}

func TestNestedReferencesResolve(t *testing.T) {
	ns := namespace(t, nil)
	vpc := newVPC(ns, "main")
	igw := &ec2v1alpha1.InternetGateway{ObjectMeta: meta(ns, "igw"), Spec: ec2v1alpha1.InternetGatewaySpec{VPCRef: ref("main")}}
	rtb := &ec2v1alpha1.RouteTable{ObjectMeta: meta(ns, "public"), Spec: ec2v1alpha1.RouteTableSpec{
		VPCRef: ref("main"),
		Routes: []*ec2v1alpha1.Route{{DestinationCIDRBlock: ptr.To("0.0.0.0/0"), GatewayRef: ref("igw")}},
	}}
	// Two groups that allow each other: groupRef skips the state checks, so
	// the cycle resolves.
	pair := func(name, peer string) *ec2v1alpha1.SecurityGroup {
		return &ec2v1alpha1.SecurityGroup{ObjectMeta: meta(ns, name), Spec: ec2v1alpha1.SecurityGroupSpec{
			Name: ptr.To(name), Description: ptr.To(name), VPCRef: ref("main"),
			IngressRules: []*ec2v1alpha1.IPPermission{{
				IPProtocol: ptr.To("tcp"), FromPort: ptr.To(int64(8080)), ToPort: ptr.To(int64(8080)),
				UserIDGroupPairs: []*ec2v1alpha1.UserIDGroupPair{{GroupRef: ref(peer)}},
			}},
		}}
	}
	alb, app := pair("alb", "app"), pair("app", "alb")
	for _, obj := range []client.Object{rtb, alb, app, igw, vpc} {
		create(t, obj)
	}
	for _, obj := range []core.Object{rtb, alb, app, igw, vpc} {
		waitSynced(t, obj)
	}
	if got := igw.Status.Attachments; len(got) != 1 || ptrValue(got[0].VPCID) != ptrValue(vpc.Status.VPCID) {
		t.Errorf("internet gateway attachments = %v, want the VPC", got)
	}
}

func TestTerminalFaultShowsAndClears(t *testing.T) {
	ns := namespace(t, nil)
	const msg = "InvalidParameterValue: MalformedPolicyDocument"
	sim.SetTerminal("Role", ns, "task", msg)
	role := &iamv1alpha1.Role{ObjectMeta: meta(ns, "task"), Spec: iamv1alpha1.RoleSpec{
		Name: ptr.To("docuflow-task"), AssumeRolePolicyDocument: ptr.To(`{"Version":"2012-10-17","Statement":[]}`),
	}}
	create(t, role)
	waitUntil(t, role, func() bool {
		ready := role.Status.Condition(ackv1alpha1.ConditionTypeReady)
		term := role.Status.Condition(ackv1alpha1.ConditionTypeTerminal)
		return term != nil && term.Status == corev1.ConditionTrue && ptrValue(term.Message) == msg &&
			ready != nil && ready.Status == corev1.ConditionFalse && ptrValue(ready.Reason) == "ACK.Terminal" &&
			status(role, ackv1alpha1.ConditionTypeResourceSynced) == corev1.ConditionFalse
	})

	// The cause is fixed, but like the real runtime the simulator does not
	// retry a Terminal resource until its generation changes.
	// The count is read first: ClearFault's pass may end before it returns.
	passes := sim.passCount(objKey{"Role", ns, "task"})
	sim.ClearFault("Role", ns, "task")
	waitUntil(t, role, func() bool { return sim.passCount(objKey{"Role", ns, "task"}) > passes })
	if status(role, ackv1alpha1.ConditionTypeTerminal) != corev1.ConditionTrue {
		t.Fatalf("a Terminal role was retried without a spec change: %s", conditionsOf(role))
	}
	patch := client.MergeFrom(role.DeepCopy())
	role.Spec.Description = ptr.To("changed, so ACK retries")
	if err := k8s.Patch(context.Background(), role, patch); err != nil {
		t.Fatal(err)
	}
	waitSynced(t, role)
	if role.Status.Condition(ackv1alpha1.ConditionTypeTerminal) != nil || status(role, ackv1alpha1.ConditionTypeReady) != corev1.ConditionTrue {
		t.Errorf("after ClearFault and a spec change: %s", conditionsOf(role))
	}
	if got, want := role.Status.ARN(), "arn:aws:iam::123456789012:role/docuflow-task"; got != want {
		t.Errorf("ARN = %q, want %q", got, want)
	}
}

func TestRecoverableFaultShowsAndClears(t *testing.T) {
	ns := namespace(t, nil)
	sim.SetRecoverable("Cluster", ns, "apps", "ThrottlingException: Rate exceeded")
	cluster := &ecsv1alpha1.Cluster{ObjectMeta: meta(ns, "apps"), Spec: ecsv1alpha1.ClusterSpec{Name: ptr.To("docuflow")}}
	create(t, cluster)
	waitUntil(t, cluster, func() bool {
		ready := cluster.Status.Condition(ackv1alpha1.ConditionTypeReady)
		return status(cluster, ackv1alpha1.ConditionTypeRecoverable) == corev1.ConditionTrue &&
			ready != nil && ptrValue(ready.Reason) == "ACK.Recoverable" &&
			status(cluster, ackv1alpha1.ConditionTypeResourceSynced) == corev1.ConditionUnknown
	})
	sim.ClearFault("Cluster", ns, "apps")
	waitSynced(t, cluster)
	if got := ptrValue(cluster.Status.Status); got != "ACTIVE" {
		t.Errorf("cluster status = %q, want ACTIVE", got)
	}
}

func TestDeletionFollowsTheDeletionPolicy(t *testing.T) {
	ns := namespace(t, nil)
	keep := &cloudwatchlogsv1alpha1.LogGroup{ObjectMeta: meta(ns, "keep"), Spec: cloudwatchlogsv1alpha1.LogGroupSpec{Name: ptr.To("/docuflow/keep")}}
	keep.Annotations = map[string]string{ackv1alpha1.AnnotationDeletionPolicy: "retain"}
	drop := &cloudwatchlogsv1alpha1.LogGroup{ObjectMeta: meta(ns, "drop"), Spec: cloudwatchlogsv1alpha1.LogGroupSpec{Name: ptr.To("/docuflow/drop")}}
	for _, lg := range []*cloudwatchlogsv1alpha1.LogGroup{keep, drop} {
		create(t, lg)
		waitSynced(t, lg)
		if !slices.Contains(lg.Finalizers, "finalizers.cloudwatchlogs.services.k8s.aws/LogGroup") {
			t.Fatalf("%s: finalizers = %v", lg.Name, lg.Finalizers)
		}
		if err := k8s.Delete(context.Background(), lg); err != nil {
			t.Fatal(err)
		}
	}
	for _, lg := range []*cloudwatchlogsv1alpha1.LogGroup{keep, drop} {
		eventually(t, waitTimeout, func() (bool, string) {
			err := k8s.Get(context.Background(), client.ObjectKeyFromObject(lg), lg)
			return apierrors.IsNotFound(err), fmt.Sprintf("%s still exists: %v", lg.Name, err)
		})
	}
	if !slices.Contains(sim.Retained(), "LogGroup "+ns+"/keep") || slices.Contains(sim.Deleted(), "LogGroup "+ns+"/keep") {
		t.Errorf("retained %v, deleted %v: want LogGroup %s/keep retained", sim.Retained(), sim.Deleted(), ns)
	}
	if !slices.Contains(sim.Deleted(), "LogGroup "+ns+"/drop") || slices.Contains(sim.Retained(), "LogGroup "+ns+"/drop") {
		t.Errorf("retained %v, deleted %v: want LogGroup %s/drop deleted", sim.Retained(), sim.Deleted(), ns)
	}
}

func TestNamespaceDeletionPolicyAndDeletionDelay(t *testing.T) {
	ns := namespace(t, map[string]string{"ec2.services.k8s.aws/deletion-policy": "retain"})
	sim.SetDeletionDelay("ElasticIPAddress", 1500*time.Millisecond)
	t.Cleanup(func() { sim.SetDeletionDelay("ElasticIPAddress", 0) })
	eip := &ec2v1alpha1.ElasticIPAddress{ObjectMeta: meta(ns, "nat-a")}
	create(t, eip)
	waitSynced(t, eip)
	if err := k8s.Delete(context.Background(), eip); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	eventually(t, waitTimeout, func() (bool, string) {
		err := k8s.Get(context.Background(), client.ObjectKeyFromObject(eip), eip)
		return apierrors.IsNotFound(err), fmt.Sprintf("still exists: %v", err)
	})
	// The deletion timestamp has second precision, so allow a second less.
	if elapsed := time.Since(start); elapsed < 500*time.Millisecond {
		t.Errorf("the finalizer went after %s, before the deletion delay", elapsed)
	}
	if !slices.Contains(sim.Retained(), "ElasticIPAddress "+ns+"/nat-a") {
		t.Errorf("retained = %v, want the namespace's retain policy applied", sim.Retained())
	}
}

func TestTaskDefinitionRevisionFollowsSpecChanges(t *testing.T) {
	ns := namespace(t, nil)
	td := &ecsv1alpha1.TaskDefinition{ObjectMeta: meta(ns, "api"), Spec: ecsv1alpha1.TaskDefinitionSpec{
		Family: ptr.To("docuflow-api"), CPU: ptr.To("512"), Memory: ptr.To("1024"),
		ContainerDefinitions: []*ecsv1alpha1.ContainerDefinition{{Name: ptr.To("api"), Image: ptr.To("docuflow/api:1.0.0")}},
	}}
	create(t, td)
	waitUntil(t, td, func() bool { return ptrValue(td.Status.Revision) == 1 })
	if got, want := td.Status.ARN(), "arn:aws:ecs:us-east-1:123456789012:task-definition/docuflow-api:1"; got != want {
		t.Errorf("ARN = %q, want %q", got, want)
	}
	if got := ptrValue(td.Status.Status); got != "ACTIVE" {
		t.Errorf("status = %q, want ACTIVE", got)
	}

	td.Spec.ContainerDefinitions[0].Image = ptr.To("docuflow/api:1.1.0")
	if err := k8s.Update(context.Background(), td); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, td, func() bool {
		return ptrValue(td.Status.Revision) == 2 && strings.HasSuffix(td.Status.ARN(), "task-definition/docuflow-api:2")
	})

	// A metadata-only change is reconciled but registers nothing.
	key := objKey{"TaskDefinition", ns, "api"}
	passes := sim.passCount(key)
	td.Labels = map[string]string{"touched": "true"}
	if err := k8s.Update(context.Background(), td); err != nil {
		t.Fatal(err)
	}
	eventually(t, waitTimeout, func() (bool, string) { return sim.passCount(key) > passes, "no reconcile after the label change" })
	if err := k8s.Get(context.Background(), client.ObjectKeyFromObject(td), td); err != nil {
		t.Fatal(err)
	}
	if got := ptrValue(td.Status.Revision); got != 2 {
		t.Errorf("revision = %d after a no-op change, want 2", got)
	}
}

func TestDBInstanceProvisionsThenGetsEndpointAndSecret(t *testing.T) {
	ns := namespace(t, nil)
	sim.SetDelay("DBInstance", 2*time.Second)
	t.Cleanup(func() { sim.SetDelay("DBInstance", 0) })
	db := &rdsv1alpha1.DBInstance{ObjectMeta: meta(ns, "db"), Spec: rdsv1alpha1.DBInstanceSpec{
		DBInstanceIdentifier: ptr.To("docuflow-db"), DBInstanceClass: ptr.To("db.t4g.medium"),
		Engine: ptr.To("postgres"), ManageMasterUserPassword: ptr.To(true), MasterUsername: ptr.To("docuflow"),
	}}
	create(t, db)
	waitUntil(t, db, func() bool { return ptrValue(db.Status.DBInstanceStatus) == "creating" })
	if status(db, ackv1alpha1.ConditionTypeResourceSynced) != corev1.ConditionFalse || db.Status.Endpoint != nil {
		t.Errorf("while creating: %s, endpoint %v", conditionsOf(db), db.Status.Endpoint)
	}
	waitSynced(t, db)

	if got := ptrValue(db.Status.DBInstanceStatus); got != "available" {
		t.Errorf("dbInstanceStatus = %q, want available", got)
	}
	if db.Status.Endpoint == nil {
		t.Fatal("no endpoint")
	}
	if addr := ptrValue(db.Status.Endpoint.Address); !regexp.MustCompile(`^docuflow-db\.[a-z0-9]{12}\.us-east-1\.rds\.amazonaws\.com$`).MatchString(addr) {
		t.Errorf("endpoint address = %q", addr)
	}
	if port := ptrValue(db.Status.Endpoint.Port); port != 5432 {
		t.Errorf("endpoint port = %d, want 5432", port)
	}
	secret := db.Status.MasterUserSecret
	if secret == nil {
		t.Fatal("no masterUserSecret")
	}
	if arn := ptrValue(secret.SecretARN); !regexp.MustCompile(`^arn:aws:secretsmanager:us-east-1:123456789012:secret:rds!db-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}-[A-Za-z0-9]{6}$`).MatchString(arn) {
		t.Errorf("secret ARN = %q", arn)
	}
	if got := ptrValue(secret.SecretStatus); got != "active" {
		t.Errorf("secret status = %q, want active", got)
	}
	if id := ptrValue(db.Status.DBIResourceID); !regexp.MustCompile(`^db-[A-Z2-7]{26}$`).MatchString(id) {
		t.Errorf("dbiResourceID = %q", id)
	}
	if got, want := db.Status.ARN(), "arn:aws:rds:us-east-1:123456789012:db:docuflow-db"; got != want {
		t.Errorf("ARN = %q, want %q", got, want)
	}
}

func TestSteadyStateMakesNoStatusWrites(t *testing.T) {
	ns := namespace(t, nil)
	db := &rdsv1alpha1.DBSubnetGroup{ObjectMeta: meta(ns, "db"), Spec: rdsv1alpha1.DBSubnetGroupSpec{
		Name: ptr.To("docuflow-db"), Description: ptr.To("database subnets"), SubnetRefs: []*ackv1alpha1.AWSResourceReferenceWrapper{ref("a"), ref("b")},
	}}
	create(t, db)
	for _, name := range []string{"a", "b"} {
		create(t, &ec2v1alpha1.Subnet{ObjectMeta: meta(ns, name), Spec: ec2v1alpha1.SubnetSpec{VPCID: ptr.To("vpc-0123456789abcdef0")}})
	}
	waitSynced(t, db)
	rv := db.ResourceVersion

	// Every pass the simulator makes from here on, forced or from its own
	// requeues and watch events, must find nothing to write.
	key := objKey{"DBSubnetGroup", ns, "db"}
	for range 3 {
		before := sim.passCount(key)
		sim.ClearFault("DBSubnetGroup", ns, "db")
		eventually(t, waitTimeout, func() (bool, string) { return sim.passCount(key) > before, "no reconcile after ClearFault" })
	}
	if err := k8s.Get(context.Background(), client.ObjectKeyFromObject(db), db); err != nil {
		t.Fatal(err)
	}
	if db.ResourceVersion != rv {
		t.Errorf("resourceVersion moved from %s to %s in steady state: %s", rv, db.ResourceVersion, conditionsOf(db))
	}
}
