package controllers

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/cli-utils/pkg/kstatus/status"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	platformv1alpha1 "github.com/docuflow/docuflow-operator/api/v1alpha1"
	appautoscalingv1alpha1 "github.com/docuflow/docuflow-operator/internal/ack/applicationautoscaling/v1alpha1"
	cloudwatchlogsv1alpha1 "github.com/docuflow/docuflow-operator/internal/ack/cloudwatchlogs/v1alpha1"
	"github.com/docuflow/docuflow-operator/internal/ack/core"
	ecsv1alpha1 "github.com/docuflow/docuflow-operator/internal/ack/ecs/v1alpha1"
	rdsv1alpha1 "github.com/docuflow/docuflow-operator/internal/ack/rds/v1alpha1"
	"github.com/docuflow/docuflow-operator/internal/cost"
	"github.com/docuflow/docuflow-operator/internal/desired"
	"github.com/docuflow/docuflow-operator/internal/envtestutil"
)

// createStack creates the stack and deletes it when the test ends, so the
// operator stops working on it.
func createStack(t *testing.T, stack *platformv1alpha1.DocuFlowStack) client.ObjectKey {
	t.Helper()
	if err := k8s.Create(context.Background(), stack); err != nil {
		t.Fatalf("creating the stack: %v", err)
	}
	t.Cleanup(func() { _ = k8s.Delete(context.Background(), stack) })
	return client.ObjectKeyFromObject(stack)
}

// children lists every ACK object in the namespace labelled for the stack.
func children(t *testing.T, key client.ObjectKey) map[string]core.Object {
	t.Helper()
	return envtestutil.Children(t, k8s, key.Namespace, client.MatchingLabels{desired.LabelStack: key.Name})
}

// only returns the single child of the given kind, failing otherwise.
func only[T core.Object](t *testing.T, key client.ObjectKey) T {
	t.Helper()
	var found []T
	for _, o := range children(t, key) {
		if x, ok := o.(T); ok {
			found = append(found, x)
		}
	}
	if len(found) != 1 {
		var zero T
		t.Fatalf("want exactly one %T child, found %d", zero, len(found))
	}
	return found[0]
}

func TestTheSampleBecomesReadyWithEveryChild(t *testing.T) {
	t.Parallel()
	ns := newNamespace(t)
	key := createStack(t, sampleStack(t, ns))
	stack := waitReady(t, key)

	if !strings.HasPrefix(stack.Status.URL, "https://") || stack.Status.LoadBalancerDNSName == "" {
		t.Errorf("url %q, load balancer DNS name %q", stack.Status.URL, stack.Status.LoadBalancerDNSName)
	}
	if db := stack.Status.Database; db == nil || db.Endpoint == "" || db.Port != 5432 || !strings.HasPrefix(db.SecretARN, "arn:aws:secretsmanager:us-east-1:") {
		t.Errorf("database status %+v", stack.Status.Database)
	}
	if stack.Status.Tasks != "2/2" {
		t.Errorf("tasks %q, want 2/2", stack.Status.Tasks)
	}
	for _, fam := range familiesOf(stack) {
		if !meta.IsStatusConditionTrue(stack.Status.Conditions, familyCondition(fam)) {
			t.Errorf("%s is not True", familyCondition(fam))
		}
	}
	// Every child the builders render once everything is observed exists and
	// is listed ready in the status.
	kids := children(t, key)
	result, err := desired.Build(stack, desired.ReadBuildInputs(stack, values(kids)))
	if err != nil {
		t.Fatal(err)
	}
	if len(result.Waiting) != 0 {
		t.Errorf("children still waiting on a ready stack: %+v", result.Waiting)
	}
	for _, o := range result.Objects {
		if _, ok := kids[kindOf(o)+"/"+o.GetName()]; !ok {
			t.Errorf("%s %s does not exist", kindOf(o), o.GetName())
		}
	}
	if len(stack.Status.Resources) != len(result.Objects) {
		t.Errorf("status lists %d resources, the stack has %d children", len(stack.Status.Resources), len(result.Objects))
	}
	for _, r := range stack.Status.Resources {
		if !r.Ready {
			t.Errorf("resource %s %s not ready: %s", r.Kind, r.Name, r.Message)
		}
	}
	assertKStatus(t, stack, status.CurrentStatus)
}

func values(m map[string]core.Object) []core.Object {
	out := make([]core.Object, 0, len(m))
	for _, o := range m {
		out = append(out, o)
	}
	return out
}

func TestATerminalChildStallsTheStackUntilTheFaultClearsAndItIsReDriven(t *testing.T) {
	t.Parallel()
	ns := newNamespace(t)
	key := createStack(t, sampleStack(t, ns))
	waitReady(t, key)
	db := only[*rdsv1alpha1.DBInstance](t, key)

	sim.SetTerminal("DBInstance", ns, db.Name, "InvalidParameterCombination: the instance class does not support encryption")
	eventually(t, 30*time.Second, "stack Stalled", func() error {
		stack := getStack(t, key)
		c := meta.FindStatusCondition(stack.Status.Conditions, platformv1alpha1.ConditionStalled)
		if c == nil || c.Status != "True" {
			return fmt.Errorf("Stalled=%+v", c)
		}
		if !strings.Contains(c.Message, "DBInstance "+db.Name) || !strings.Contains(c.Message, "InvalidParameterCombination") {
			return fmt.Errorf("Stalled message %q does not quote the child", c.Message)
		}
		ready := meta.FindStatusCondition(stack.Status.Conditions, platformv1alpha1.ConditionReady)
		if ready.Status != "False" {
			return fmt.Errorf("Ready=%s while stalled", ready.Status)
		}
		dbc := meta.FindStatusCondition(stack.Status.Conditions, platformv1alpha1.ConditionDatabaseReady)
		if dbc.Status != "False" || dbc.Reason != platformv1alpha1.ReasonTerminal {
			return fmt.Errorf("DatabaseReady=%+v", dbc)
		}
		assertKStatus(t, stack, status.FailedStatus)
		return nil
	})

	// The cause is fixed outside the stack. ACK does not retry a Terminal
	// resource until its spec changes, so the stack stays Stalled...
	sim.ClearFault("DBInstance", ns, db.Name)
	generation := db.Generation
	time.Sleep(time.Second)
	if stack := getStack(t, key); !meta.IsStatusConditionTrue(stack.Status.Conditions, platformv1alpha1.ConditionStalled) {
		t.Fatal("the stack recovered without a re-drive: the simulated ACK retried a Terminal resource")
	}
	// ...until the user asks for a re-drive: the operator changes the
	// Terminal child's spec (its re-drive tag) and ACK tries again.
	stack := getStack(t, key)
	patch := client.MergeFrom(stack.DeepCopy())
	stack.Annotations = map[string]string{AnnotationRedrive: "after-fixing-the-instance-class"}
	if err := k8s.Patch(context.Background(), stack, patch); err != nil {
		t.Fatal(err)
	}
	stack = waitReady(t, key)
	if meta.IsStatusConditionTrue(stack.Status.Conditions, platformv1alpha1.ConditionStalled) {
		t.Error("still Stalled after the fault cleared and the re-drive")
	}
	db = only[*rdsv1alpha1.DBInstance](t, key)
	if db.Generation == generation {
		t.Error("the database was not re-driven: its generation did not change")
	}
	var tagged bool
	for _, tag := range db.Spec.Tags {
		tagged = tagged || (tag.Key != nil && *tag.Key == tagRedrive)
	}
	if !tagged {
		t.Errorf("the re-driven database carries no %s tag: %v", tagRedrive, db.Spec.Tags)
	}
}

func TestADeletedChildComesBack(t *testing.T) {
	t.Parallel()
	ns := newNamespace(t)
	key := createStack(t, sampleStack(t, ns))
	waitReady(t, key)
	var lg *cloudwatchlogsv1alpha1.LogGroup
	for _, o := range children(t, key) {
		if x, ok := o.(*cloudwatchlogsv1alpha1.LogGroup); ok && (lg == nil || x.Name < lg.Name) {
			lg = x
		}
	}
	if lg == nil {
		t.Fatal("the stack has no LogGroup")
	}
	if err := k8s.Delete(context.Background(), lg); err != nil {
		t.Fatal(err)
	}
	eventually(t, 30*time.Second, "log group recreated", func() error {
		now := &cloudwatchlogsv1alpha1.LogGroup{}
		if err := k8s.Get(context.Background(), client.ObjectKeyFromObject(lg), now); err != nil {
			return err
		}
		if now.UID == lg.UID {
			return fmt.Errorf("still the old object")
		}
		return nil
	})
	waitReady(t, key)
}

func TestAHandEditedChildIsRestored(t *testing.T) {
	t.Parallel()
	ns := newNamespace(t)
	key := createStack(t, sampleStack(t, ns))
	waitReady(t, key)
	db := only[*rdsv1alpha1.DBInstance](t, key)

	// Someone makes the database public with another field manager.
	patch := []byte(`{"spec":{"publiclyAccessible":true}}`)
	if err := k8s.Patch(context.Background(), db, client.RawPatch(types.MergePatchType, patch), client.FieldOwner("intruder")); err != nil {
		t.Fatal(err)
	}
	eventually(t, 30*time.Second, "publiclyAccessible restored", func() error {
		now := &rdsv1alpha1.DBInstance{}
		if err := k8s.Get(context.Background(), client.ObjectKeyFromObject(db), now); err != nil {
			return err
		}
		if now.Spec.PubliclyAccessible == nil || *now.Spec.PubliclyAccessible {
			return fmt.Errorf("publiclyAccessible is still %v", now.Spec.PubliclyAccessible)
		}
		return nil
	})
}

func TestChangingTheImageRollsTheServiceWithoutTouchingDesiredCount(t *testing.T) {
	t.Parallel()
	ns := newNamespace(t)
	key := createStack(t, sampleStack(t, ns))
	waitReady(t, key)
	svc := only[*ecsv1alpha1.Service](t, key)
	before := *svc.Spec.DesiredCount
	oldTD := *svc.Spec.TaskDefinition

	stack := getStack(t, key)
	stack.Spec.Service.Image = "public.ecr.aws/docuflow/api:1.5.0"
	if err := k8s.Update(context.Background(), stack); err != nil {
		t.Fatal(err)
	}
	eventually(t, 30*time.Second, "service moved to the new task definition", func() error {
		now := &ecsv1alpha1.Service{}
		if err := k8s.Get(context.Background(), client.ObjectKeyFromObject(svc), now); err != nil {
			return err
		}
		if *now.Spec.TaskDefinition == oldTD {
			return fmt.Errorf("still on %s", oldTD)
		}
		td := taskDefinitionByARN(t, key, *now.Spec.TaskDefinition)
		if td == nil {
			return fmt.Errorf("no TaskDefinition has ARN %s", *now.Spec.TaskDefinition)
		}
		if img := *td.Spec.ContainerDefinitions[0].Image; img != "public.ecr.aws/docuflow/api:1.5.0" {
			return fmt.Errorf("the service runs image %s", img)
		}
		if *now.Spec.DesiredCount != before {
			return fmt.Errorf("desiredCount changed from %d to %d", before, *now.Spec.DesiredCount)
		}
		return nil
	})
	waitReady(t, key)
}

func taskDefinitionByARN(t *testing.T, key client.ObjectKey, arn string) *ecsv1alpha1.TaskDefinition {
	t.Helper()
	for _, o := range children(t, key) {
		if td, ok := o.(*ecsv1alpha1.TaskDefinition); ok && td.ACKStatus().ARN() == arn {
			return td
		}
	}
	return nil
}

func TestChangingMaxTasksUpdatesOnlyTheScalableTarget(t *testing.T) {
	t.Parallel()
	ns := newNamespace(t)
	key := createStack(t, sampleStack(t, ns))
	waitReady(t, key)
	generations := map[string]int64{}
	for k, o := range children(t, key) {
		generations[k] = o.GetGeneration()
	}

	stack := getStack(t, key)
	stack.Spec.Autoscaling.MaxTasks = 30
	if err := k8s.Update(context.Background(), stack); err != nil {
		t.Fatal(err)
	}
	eventually(t, 30*time.Second, "scalable target raised to 30", func() error {
		st := only[*appautoscalingv1alpha1.ScalableTarget](t, key)
		if st.Spec.MaxCapacity == nil || *st.Spec.MaxCapacity != 30 {
			return fmt.Errorf("maxCapacity %v", st.Spec.MaxCapacity)
		}
		return nil
	})
	waitReady(t, key)
	for k, o := range children(t, key) {
		if strings.HasPrefix(k, "ScalableTarget/") {
			continue
		}
		if o.GetGeneration() != generations[k] {
			t.Errorf("%s changed (generation %d -> %d)", k, generations[k], o.GetGeneration())
		}
	}
}

func TestAReadyUnchangedStackCostsNoWrites(t *testing.T) {
	t.Parallel()
	ns := newNamespace(t)
	key := createStack(t, sampleStack(t, ns))
	waitReady(t, key)
	// A reconciler of its own, so the count is of these passes alone.
	var n atomic.Int64
	r := &DocuFlowStackReconciler{Client: countingClient(mgrClient, &n), Scheme: testScheme}
	for range 5 {
		if _, err := r.Reconcile(context.Background(), ctrl.Request{NamespacedName: key}); err != nil {
			t.Fatal(err)
		}
	}
	if got := n.Load(); got != 0 {
		t.Fatalf("5 reconciles of a ready, unchanged stack made %d writes, want 0", got)
	}
}

// TestAStatusWrittenByPatchIsTakenOverAndCleaned stands for an upgrade: an
// earlier release wrote the whole status with merge patches (field manager
// "docuflow", operation Update), so fields it set that the operator's status
// no longer carries would survive a server-side apply that merely leaves
// them out. The operator takes those fields over, and its next apply drops
// them.
func TestAStatusWrittenByPatchIsTakenOverAndCleaned(t *testing.T) {
	ns := newNamespace(t)
	key := createStack(t, sampleStack(t, ns))
	waitReady(t, key)

	stopOperator()
	legacy := `{"status":{"retained":["VPC from-an-earlier-release"],"conditions":[{"type":"LegacyReady","status":"True","reason":"Legacy","message":"Written by an earlier release.","lastTransitionTime":"2026-01-01T00:00:00Z"}]}}`
	if err := k8s.Status().Patch(context.Background(), getStack(t, key), client.RawPatch(types.MergePatchType, []byte(legacy)), client.FieldOwner("docuflow")); err != nil {
		t.Fatal(err)
	}
	if err := startOperator(); err != nil {
		t.Fatal(err)
	}
	// An annotation change makes the new operator look at the stack.
	stack := getStack(t, key)
	stack.Annotations = map[string]string{"example.com/poke": "1"}
	if err := k8s.Update(context.Background(), stack); err != nil {
		t.Fatal(err)
	}
	eventually(t, 30*time.Second, "the earlier release's fields gone", func() error {
		s := getStack(t, key)
		if len(s.Status.Retained) > 0 || meta.FindStatusCondition(s.Status.Conditions, "LegacyReady") != nil {
			var m []string
			for _, e := range s.ManagedFields {
				m = append(m, fmt.Sprintf("%s (%s %s)", e.Manager, e.Operation, e.Subresource))
			}
			return fmt.Errorf("retained %v, conditions %v, managers %v", s.Status.Retained, conditionTypes(s.Status.Conditions), m)
		}
		for _, e := range s.ManagedFields {
			if e.Subresource == "status" && e.Manager != StatusFieldManager {
				return fmt.Errorf("%s (%s) still owns status fields", e.Manager, e.Operation)
			}
		}
		return nil
	})
	if s := waitReady(t, key); s.Status.URL == "" {
		t.Error("the stack lost its URL")
	}
}

func conditionTypes(cs []metav1.Condition) []string {
	out := make([]string, 0, len(cs))
	for _, c := range cs {
		out = append(out, c.Type)
	}
	return out
}

// TestTheStatusCarriesTheCostEstimate checks that every pass writes the
// stack's estimated monthly cost, by family, and that an instance class the
// price table has no price for shows as the estimate's error rather than as
// a cost.
func TestTheStatusCarriesTheCostEstimate(t *testing.T) {
	t.Parallel()
	ns := newNamespace(t)
	key := createStack(t, sampleStack(t, ns))
	eventually(t, 30*time.Second, "status.cost", func() error {
		stack := getStack(t, key)
		want, err := cost.Of(stack)
		if err != nil {
			return err
		}
		got := stack.Status.Cost
		if got == nil || got.MonthlyUSD != cost.USD(want.TotalUSD) || got.PricesAsOf != want.PricesAsOf || got.Error != "" {
			return fmt.Errorf("status.cost %+v, want $%s of prices as of %s", got, cost.USD(want.TotalUSD), want.PricesAsOf)
		}
		var families []string
		for _, f := range got.Families {
			families = append(families, f.Family+"="+f.MonthlyUSD)
		}
		var wantFamilies []string
		for _, f := range want.Families {
			wantFamilies = append(wantFamilies, f.Family+"="+cost.USD(f.MonthlyUSD))
		}
		if strings.Join(families, ",") != strings.Join(wantFamilies, ",") {
			return fmt.Errorf("families %v, want %v", families, wantFamilies)
		}
		return nil
	})

	stack := getStack(t, key)
	stack.Spec.Database.InstanceClass = "db.x2g.large"
	if err := k8s.Update(context.Background(), stack); err != nil {
		t.Fatal(err)
	}
	eventually(t, 30*time.Second, "status.cost.error naming the instance class", func() error {
		got := getStack(t, key).Status.Cost
		if got == nil || !strings.Contains(got.Error, `"db.x2g.large"`) || got.MonthlyUSD != "" || len(got.Families) != 0 {
			return fmt.Errorf("status.cost %+v", got)
		}
		return nil
	})
}
