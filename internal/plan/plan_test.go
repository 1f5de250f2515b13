package plan

import (
	"bytes"
	"errors"
	"os"
	"strings"
	"testing"

	ackv1alpha1 "github.com/aws-controllers-k8s/runtime/apis/core/v1alpha1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/utils/ptr"

	platformv1alpha1 "github.com/docuflow/docuflow-operator/api/v1alpha1"
	"github.com/docuflow/docuflow-operator/controllers"
	"github.com/docuflow/docuflow-operator/internal/ack"
	"github.com/docuflow/docuflow-operator/internal/ack/core"
	ec2v1alpha1 "github.com/docuflow/docuflow-operator/internal/ack/ec2/v1alpha1"
	ecsv1alpha1 "github.com/docuflow/docuflow-operator/internal/ack/ecs/v1alpha1"
	elbv2v1alpha1 "github.com/docuflow/docuflow-operator/internal/ack/elbv2/v1alpha1"
	"github.com/docuflow/docuflow-operator/internal/cost"
	"github.com/docuflow/docuflow-operator/internal/desired"
	"github.com/docuflow/docuflow-operator/internal/validate"
	"github.com/docuflow/docuflow-operator/internal/writecheck"
)

// sampleStack is the production sample as the API server stores it, in
// team-a, reconciled once (it has a UID and its AWS-name record).
func sampleStack(t *testing.T) *platformv1alpha1.DocuFlowStack {
	t.Helper()
	b, err := os.ReadFile("../../config/samples/platform_v1alpha1_docuflowstack.yaml")
	if err != nil {
		t.Fatal(err)
	}
	s, err := validate.DocuFlowStack(b)
	if err != nil {
		t.Fatal(err)
	}
	s.Namespace, s.UID = "team-a", types.UID("5e1f-uid")
	metav1.SetMetaDataAnnotation(&s.ObjectMeta, desired.AnnotationAWSNames, "0a1b2c3d")
	return s
}

// rendered is the sample's render with what AWS reports about the children
// it depends on, and the first child of each kind.
func rendered(t *testing.T, stack *platformv1alpha1.DocuFlowStack) (desired.Result, map[string]core.Object) {
	t.Helper()
	res, err := desired.Build(stack, desired.Observed{
		RDSIgnoreFieldDrift: desired.GateOn, ELBv2IgnoreFieldDrift: desired.GateOn,
		DBSecretARN:       "arn:aws:secretsmanager:us-east-1:123456789012:secret:rds!db-1",
		DBEndpointAddress: "prod-db.abc.us-east-1.rds.amazonaws.com", DBEndpointPort: 5432,
		ExecutionRoleARN:  "arn:aws:iam::123456789012:role/prod-task-execution",
		AppLogGroupARN:    "arn:aws:logs:us-east-1:123456789012:log-group:app",
		TaskDefinitionARN: "arn:aws:ecs:us-east-1:123456789012:task-definition/prod-api:1",
		TargetGroupARN:    "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/prod-api/1",
		SubnetIDs: map[string]string{"docuflow-prod-private-us-east-1a": "subnet-a", "docuflow-prod-private-us-east-1b": "subnet-b",
			"docuflow-prod-private-us-east-1c": "subnet-c"},
		SecurityGroupIDs: map[string]string{"docuflow-prod-service-sg": "sg-service"},
	})
	if err != nil {
		t.Fatal(err)
	}
	byKind := map[string]core.Object{}
	for _, o := range res.Objects {
		if _, ok := byKind[ack.KindOf(o)]; !ok {
			byKind[ack.KindOf(o)] = o
		}
	}
	return res, byKind
}

// liveCopy is a rendered child as it exists, renamed and with annotations.
func liveCopy(o core.Object, name string, ann map[string]string) core.Object {
	c := o.DeepCopyObject().(core.Object)
	if name != "" {
		c.SetName(name)
	}
	a := c.GetAnnotations()
	if a == nil {
		a = map[string]string{}
	}
	for k, v := range ann {
		if v == "" {
			delete(a, k)
			continue
		}
		a[k] = v
	}
	c.SetAnnotations(a)
	return c
}

// deleting is a live child whose deletion is under way.
func deleting(o core.Object) core.Object {
	c := o.DeepCopyObject().(core.Object)
	now := metav1.Now()
	c.SetDeletionTimestamp(&now)
	c.SetFinalizers([]string{"finalizers.services.k8s.aws/test"})
	return c
}

// write is a child the operator writes.
func write(t *testing.T, body, live core.Object) controllers.PreviewWrite {
	t.Helper()
	u, err := writecheck.ToUnstructured(body)
	if err != nil {
		t.Fatal(err)
	}
	return controllers.PreviewWrite{Kind: ack.KindOf(body), Name: body.GetName(), Body: u, Live: live, Why: string(writecheck.Changed)}
}

func key(o core.Object) desired.Key { return desired.KeyOf(o) }

// change finds the change of a kind.
func change(p Plan, kind string) *Change {
	for i := range p.Changes {
		if p.Changes[i].Kind == kind {
			return &p.Changes[i]
		}
	}
	return nil
}

func TestEachKindOfChangeIsPlannedAndWorded(t *testing.T) {
	stack := sampleStack(t)
	res, r := rendered(t, stack)
	db, pg, td, lg := r["DBInstance"], r["DBParameterGroup"], r["TaskDefinition"], r["LogGroup"]
	retain := map[string]string{desired.AnnotationDeletionPolicy: "retain"}
	noRetain := map[string]string{desired.AnnotationDeletionPolicy: ""}
	immutable := apierrors.NewInvalid(schema.GroupKind{Group: "elbv2.services.k8s.aws", Kind: "TargetGroup"}, "prod-api",
		field.ErrorList{field.Invalid(field.NewPath("spec", "port"), 8081, "Value is immutable once set")})
	invalid := apierrors.NewInvalid(schema.GroupKind{Group: "elbv2.services.k8s.aws", Kind: "TargetGroup"}, "prod-api",
		field.ErrorList{field.Required(field.NewPath("spec", "name"), "")})
	tg := r["TargetGroup"]

	tests := []struct {
		name string
		in   Input
		// want is the one change the plan holds, with want.Means parts of
		// its words; exit the plan's exit code.
		want  Change
		means []string
		exit  int
	}{
		{
			name:  "the database the stack no longer renders under Retain is released, not deleted",
			in:    Input{Preview: controllers.Preview{Leaving: []desired.Key{key(db)}}, Children: []core.Object{liveCopy(db, "", retain)}},
			want:  Change{Action: Delete, Kind: "DBInstance", Released: true},
			means: []string{"the database would be deleted: refused by deletionPolicy Retain", "released, not deleted"},
			exit:  ExitClean,
		},
		{
			name:  "the database deleted under Snapshot holds data: a final snapshot first",
			in:    Input{Preview: controllers.Preview{Leaving: []desired.Key{key(db)}}, Children: []core.Object{liveCopy(db, "", noRetain)}},
			want:  Change{Action: Delete, Kind: "DBInstance", DeletesData: true},
			means: []string{"the database is deleted in AWS after a final snapshot docuflow-prod-0a1b2c3d-db-final"},
			exit:  ExitApproval,
		},
		{
			name: "the database deleted under Delete loses its data",
			in: Input{Preview: controllers.Preview{Leaving: []desired.Key{key(db)}}, Children: []core.Object{
				liveCopy(db, "", map[string]string{desired.AnnotationDeletionPolicy: "", "rds.services.k8s.aws/skip-final-snapshot": "true"})}},
			want:  Change{Action: Delete, Kind: "DBInstance", DeletesData: true},
			means: []string{"without a final snapshot: its data is gone"},
			exit:  ExitApproval,
		},
		{
			name: "a database the stack adopts is adopted, not created",
			in: Input{Preview: controllers.Preview{Writes: []controllers.PreviewWrite{write(t, liveCopy(db, "", map[string]string{
				desired.AnnotationAdoptionPolicy: desired.AdoptionPolicyAdopt, desired.AnnotationAdoptionFields: `{"dbInstanceIdentifier":"terraform-db"}`}), nil)}}},
			want:  Change{Action: Create, Kind: "DBInstance"},
			means: []string{`adopted, not created: ACK takes over the resource {"dbInstanceIdentifier":"terraform-db"}`},
			exit:  ExitClean,
		},
		{
			name:  "a log group deleted takes its logs",
			in:    Input{Preview: controllers.Preview{Leaving: []desired.Key{key(lg)}}, Children: []core.Object{lg}},
			want:  Change{Action: Delete, Kind: "LogGroup", DeletesData: true},
			means: []string{"its log events are deleted with it"},
			exit:  ExitApproval,
		},
		{
			name:  "a log group already being deleted is not this change's deletion",
			in:    Input{Preview: controllers.Preview{Leaving: []desired.Key{key(lg)}}, Children: []core.Object{deleting(lg)}},
			want:  Change{Action: Delete, Kind: "LogGroup"},
			means: []string{"already being deleted"},
			exit:  ExitClean,
		},
		{
			name:  "a dry run the ACK CRD refuses as immutable is a replacement",
			in:    Input{Preview: controllers.Preview{Writes: []controllers.PreviewWrite{write(t, tg, tg)}}, DryRuns: map[desired.Key]DryRun{key(tg): {Err: immutable}}},
			want:  Change{Action: Replace, Kind: "TargetGroup", Refused: "Invalid value: 8081: Value is immutable once set"},
			means: []string{"the ACK CRD refuses a change of spec.port in place"},
			exit:  ExitApproval,
		},
		{
			name: "any other refusal of a child cannot be carried out",
			in:   Input{Preview: controllers.Preview{Writes: []controllers.PreviewWrite{write(t, tg, tg)}}, DryRuns: map[desired.Key]DryRun{key(tg): {Err: invalid}}},
			want: Change{Action: Update, Kind: "TargetGroup", Error: invalid.Error()},
			exit: ExitRefused,
		},
		{
			name: "a kind the cluster has no CRD for cannot be created",
			in: Input{Preview: controllers.Preview{Writes: []controllers.PreviewWrite{write(t, tg, nil)}},
				DryRuns: map[desired.Key]DryRun{key(tg): {Err: &meta.NoKindMatchError{GroupKind: schema.GroupKind{Group: "elbv2.services.k8s.aws", Kind: "TargetGroup"}}}}},
			want: Change{Action: Create, Kind: "TargetGroup", Error: "the cluster has no CRD for TargetGroup: install its ACK controller"},
			exit: ExitRefused,
		},
		{
			name: "a child that waits for what only AWS knows is still created",
			in:   Input{Preview: controllers.Preview{Desired: desired.Result{Waiting: []desired.Wait{{Family: "network", Kind: "FlowLog", Name: "prod-flow-log", WaitsFor: "VPC prod-vpc ID"}}}}},
			want: Change{Action: Create, Kind: "FlowLog", WaitsFor: "VPC prod-vpc ID"},
			exit: ExitClean,
		},
		{
			name: "a grant made by hand is taken away",
			in:   Input{Preview: controllers.Preview{Writes: []controllers.PreviewWrite{{Kind: "Role", Name: r["Role"].GetName(), Live: r["Role"], Revokes: "managed policies arn:aws:iam::aws:policy/AdministratorAccess"}}}},
			want: Change{Action: Update, Kind: "Role"},
			exit: ExitClean,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.in.Preview.Stack = stack
			p := Make(tc.in)
			if len(p.Changes) != 1 {
				t.Fatalf("%d changes, want 1: %+v", len(p.Changes), p.Changes)
			}
			got := p.Changes[0]
			if got.Action != tc.want.Action || got.Kind != tc.want.Kind || got.Released != tc.want.Released || got.DeletesData != tc.want.DeletesData ||
				got.WaitsFor != tc.want.WaitsFor || !strings.Contains(got.Refused, tc.want.Refused) || got.Error != tc.want.Error {
				t.Errorf("change %+v, want %+v", got, tc.want)
			}
			for _, m := range tc.means {
				if !strings.Contains(strings.Join(got.Means, "\n"), m) {
					t.Errorf("the words %q do not say %q", got.Means, m)
				}
			}
			if p.ExitCode() != tc.exit {
				t.Errorf("exit %d, want %d", p.ExitCode(), tc.exit)
			}
		})
	}

	t.Run("a new major version swaps the parameter group: a create and a delete that name each other", func(t *testing.T) {
		next := liveCopy(pg, strings.Replace(pg.GetName(), "postgres16", "postgres17", 1), nil)
		p := Make(Input{Preview: controllers.Preview{Stack: stack, Writes: []controllers.PreviewWrite{write(t, next, nil)}, Leaving: []desired.Key{key(pg)}},
			Children: []core.Object{liveCopy(pg, "", noRetain)}})
		created, deleted := p.Changes[0], p.Changes[1]
		if created.Action != Create || deleted.Action != Delete || deleted.DeletesData || p.ExitCode() != ExitClean {
			t.Fatalf("changes %+v, exit %d", p.Changes, p.ExitCode())
		}
		for _, want := range []string{"takes the place of DBParameterGroup " + pg.GetName(), "the parameter group is swapped"} {
			if !strings.Contains(strings.Join(created.Means, "\n"), want) {
				t.Errorf("the create's words %q lack %q", created.Means, want)
			}
		}
		if !strings.Contains(strings.Join(deleted.Means, "\n"), "its place is taken by DBParameterGroup "+next.GetName()) {
			t.Errorf("the delete's words %q do not name the new group", deleted.Means)
		}
	})

	t.Run("a new task definition keeps the previous revisions, the oldest is deregistered", func(t *testing.T) {
		next := liveCopy(td, td.GetName()+"-next", nil)
		oldest := liveCopy(td, td.GetName()+"-oldest", nil)
		p := Make(Input{Preview: controllers.Preview{Stack: stack, Writes: []controllers.PreviewWrite{write(t, next, nil)}, Leaving: []desired.Key{key(oldest)},
			Kept: []desired.Key{{Kind: "TaskDefinition", Name: "rev-3"}, {Kind: "TaskDefinition", Name: "rev-2"}}}, Children: []core.Object{oldest}})
		created, deleted := p.Changes[0], p.Changes[1]
		if !strings.Contains(strings.Join(created.Means, "\n"), "the previous revisions stay registered for a rollback: rev-3, rev-2") {
			t.Errorf("the create's words: %q", created.Means)
		}
		if deleted.Action != Delete || !strings.Contains(strings.Join(deleted.Means, "\n"), "deregistered") || p.ExitCode() != ExitClean {
			t.Errorf("the oldest revision: %+v, exit %d", deleted, p.ExitCode())
		}
	})

	t.Run("the Service moves to a new task definition once ACK has registered it", func(t *testing.T) {
		svc := r["Service"]
		if svc == nil {
			t.Fatal("the fixture renders no Service")
		}
		running := liveCopy(svc, "", nil)
		running.(*ecsv1alpha1.Service).Spec.TaskDefinition = ptr.To("arn:aws:ecs:us-east-1:123456789012:task-definition/prod-api-old:3")
		in := Input{Preview: controllers.Preview{Stack: stack, Desired: desired.Result{Objects: res.Objects}, Writes: []controllers.PreviewWrite{write(t, td, nil)}},
			Children: []core.Object{running}}
		p := Make(in)
		move := change(p, "Service")
		if move == nil || len(move.Fields) != 1 || move.Fields[0].Path != "taskDefinition" || !strings.Contains(move.Fields[0].New, td.GetName()+", once ACK has registered it") {
			t.Fatalf("changes %+v: want the Service's move to %s", p.Changes, td.GetName())
		}
		// Registered: the render names the new ARN, the Service's own dry
		// run shows the move, and it is not told twice.
		registered := liveCopy(td, "", nil)
		registered.ACKStatus().ACKResourceMetadata = &core.ResourceMetadata{ARN: ptr.To(ackv1alpha1.AWSResourceName("arn:aws:ecs:us-east-1:123456789012:task-definition/prod-api:1"))}
		in.Children = append(in.Children, registered)
		in.Preview.Writes = nil
		if p := Make(in); change(p, "Service") != nil {
			t.Errorf("a registered task definition's move is added: %+v", p.Changes)
		}
	})

	t.Run("a write that changes only the operator's bookkeeping changes nothing", func(t *testing.T) {
		live := liveCopy(db, "", map[string]string{writecheck.AnnotationAppliedHash: "before"})
		p := Make(Input{Preview: controllers.Preview{Stack: stack, Desired: desired.Result{Objects: res.Objects}, Writes: []controllers.PreviewWrite{write(t, db, live)}}, Children: []core.Object{live}})
		if len(p.Changes) != 0 || p.Unchanged != 1 {
			t.Errorf("changes %+v, %d unchanged; want none and the database unchanged", p.Changes, p.Unchanged)
		}
	})
}

func TestTheSummaryAndTheExitCode(t *testing.T) {
	p := Plan{Changes: []Change{
		{Action: Create}, {Action: Update}, {Action: Update, DeletesData: true}, {Action: Delete, Released: true}, {Action: Delete, DeletesData: true},
	}}
	if got, want := p.Summary(), "Plan: 1 to create, 2 to update, 0 to replace, 2 to delete (1 holding data). 1 update deletes data."; got != want {
		t.Errorf("summary %q, want %q", got, want)
	}
	if p.ExitCode() != ExitApproval {
		t.Errorf("a plan deleting data exits %d, want %d", p.ExitCode(), ExitApproval)
	}
	p.Refused = "spec.network.availabilityZones: Invalid value"
	if p.ExitCode() != ExitRefused {
		t.Errorf("a refused stack exits %d, want %d", p.ExitCode(), ExitRefused)
	}
	if (Plan{Changes: []Change{{Action: Create}, {Action: Delete, Released: true}}}).ExitCode() != ExitClean {
		t.Error("a create and a release ask for approval")
	}
}

func TestTheCostDifference(t *testing.T) {
	stack := sampleStack(t)
	bigger := stack.DeepCopy()
	bigger.Spec.Database.InstanceClass = "db.r6g.large"
	price := func(s *platformv1alpha1.DocuFlowStack) (cost.Estimate, error) {
		db := 98.55
		if s.Spec.Database.InstanceClass == "db.r6g.large" {
			db = 613.2
		}
		return cost.Estimate{Region: "us-east-1", PricesAsOf: "2026-11-01", Source: "AWS price list", TotalUSD: 1000 + db,
			Families: []cost.FamilyCost{{Family: "network", MonthlyUSD: 1000}, {Family: "database", MonthlyUSD: db}}}, nil
	}
	d := costDelta(price, stack, bigger)
	var b strings.Builder
	writeCost(&b, d)
	for _, want := range []string{
		"Monthly cost: $1,098.55 → $1,613.20 (+$514.65)",
		"  database: $98.55 → $613.20 (+$514.65)",
		"(us-east-1 prices as of 2026-11-01, from the table in internal/cost/prices.yaml; its sources: docuflow-dev render --cost)",
	} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("the cost lacks %q:\n%s", want, b.String())
		}
	}
	if strings.Contains(b.String(), "network") {
		t.Errorf("a family whose cost does not change is listed:\n%s", b.String())
	}
	if d := costDelta(price, nil, stack); d.BeforeUSD != 0 || d.AfterUSD != 1098.55 {
		t.Errorf("a new stack costs %+v, want from $0", d)
	}
	failing := func(*platformv1alpha1.DocuFlowStack) (cost.Estimate, error) {
		return cost.Estimate{}, errors.New("no prices for eu-south-3")
	}
	b.Reset()
	writeCost(&b, costDelta(failing, stack, bigger))
	if got := b.String(); got != "Monthly cost: not estimated: no prices for eu-south-3\n" {
		t.Errorf("without prices: %q", got)
	}
	for v, want := range map[float64]string{0: "$0.00", 1234567.891: "$1,234,567.89", -12.5: "-$12.50", 999.999: "$1,000.00"} {
		if got := usd(v); got != want {
			t.Errorf("usd(%v) = %q, want %q", v, got, want)
		}
	}
}

func TestThePlanReadsByFamilyInDependencyOrder(t *testing.T) {
	p := Plan{Namespace: "team-a", Name: "prod", Against: "the cluster at https://k8s", Check: "accepted", Unchanged: 3, Changes: []Change{
		{Action: Update, Kind: "DBInstance", Name: "prod-db", Family: "database", Fields: []FieldChange{
			{Path: "dbInstanceClass", Old: "db.t4g.medium", New: "db.r6g.large", Means: "a failover"}}},
		{Action: Delete, Kind: "LogGroup", Name: "prod-flow-logs", Family: "network", DeletesData: true, Means: []string{"its log events are deleted with it"}},
	}}
	sortChanges(p.Changes, nil)
	var out bytes.Buffer
	if err := p.WriteText(&out); err != nil {
		t.Fatal(err)
	}
	want := `DocuFlowStack team-a/prod, planned against the cluster at https://k8s.
The stack: accepted.

network (NetworkReady)
    - delete  LogGroup prod-flow-logs
        its log events are deleted with it
        DATA: deleted with this change

database (DatabaseReady)
    ~ update  DBInstance prod-db
        dbInstanceClass: db.t4g.medium → db.r6g.large
          a failover

3 children unchanged.

Plan: 0 to create, 1 to update, 0 to replace, 1 to delete (1 holding data).
`
	if out.String() != want {
		t.Errorf("the text:\n%s\nwant:\n%s", out.String(), want)
	}
}

func TestAHeldAdoptionIsNamedInTheNotes(t *testing.T) {
	stack := sampleStack(t)
	res, _ := rendered(t, stack)
	held := platformv1alpha1.AdoptedStatus{Kind: "VPC", Name: "docuflow-prod-vpc", State: platformv1alpha1.AdoptionHeld,
		Message: "AWS has the VPC in 10.99.0.0/16, the stack in 10.40.0.0/16, and a VPC's range cannot change"}
	p := Make(Input{Preview: controllers.Preview{Stack: stack, Desired: res, Held: []platformv1alpha1.AdoptedStatus{held}}})
	want := "The adoption of VPC docuflow-prod-vpc is held: " + held.Message + "."
	if len(p.Notes) != 1 || !strings.HasPrefix(p.Notes[0], want) {
		t.Errorf("notes %q, want one starting %q", p.Notes, want)
	}
	if p.ExitCode() != ExitClean || len(p.Changes) != 0 {
		t.Errorf("a held plan exits %d with changes %+v", p.ExitCode(), p.Changes)
	}
}

func TestFieldsACKWroteBackAreNotChanges(t *testing.T) {
	stack := sampleStack(t)
	res, r := rendered(t, stack)
	eip := r["ElasticIPAddress"]
	// The live address as the API server holds it: ACK wrote fields the
	// mirror type does not model into its spec.
	typed := eip.DeepCopyObject().(core.Object)
	liveMap := toMap(typed)
	ackWrote := map[string]any{"networkBorderGroup": "us-east-1", "publicIPv4Pool": "amazon"}
	for k, v := range ackWrote {
		liveMap["spec"].(map[string]any)[k] = v
	}
	// The stack's tags change; the dry run keeps ACK's fields.
	body := eip.DeepCopyObject().(*ec2v1alpha1.ElasticIPAddress)
	body.Spec.Tags = append(body.Spec.Tags, &ec2v1alpha1.Tag{Key: ptr.To("owner"), Value: ptr.To("payments")})
	w := write(t, body, typed)
	after := w.Body.DeepCopy().Object
	for k, v := range ackWrote {
		after["spec"].(map[string]any)[k] = v
	}
	p := Make(Input{Preview: controllers.Preview{Stack: stack, Desired: res, Writes: []controllers.PreviewWrite{w}}, Children: []core.Object{typed},
		DryRuns: map[desired.Key]DryRun{key(eip): {After: after, Live: liveMap}}})
	c := change(p, "ElasticIPAddress")
	if c == nil || c.Action != Update || p.ExitCode() != ExitClean || len(c.Fields) != 1 || !strings.HasPrefix(c.Fields[0].Path, "tags") {
		t.Fatalf("a tag change of an address: exit %d, change %+v; want one update of its tags", p.ExitCode(), c)
	}
}

func TestARefusedChangeKeepsWhatOtherWritersOwn(t *testing.T) {
	stack := sampleStack(t)
	_, r := rendered(t, stack)
	tg := r["TargetGroup"].(*elbv2v1alpha1.TargetGroup)
	live := tg.DeepCopy()
	// The targets ECS registered, which ACK reads back into the spec.
	live.Spec.Targets = []*elbv2v1alpha1.TargetDescription{{ID: ptr.To("10.40.1.5"), Port: ptr.To(int64(8080))}}
	body := tg.DeepCopy()
	body.Spec.Port = ptr.To(int64(8081))
	immutable := apierrors.NewInvalid(schema.GroupKind{Group: "elbv2.services.k8s.aws", Kind: "TargetGroup"}, tg.Name,
		field.ErrorList{field.Invalid(field.NewPath("spec", "port"), 8081, "Value is immutable once set")})
	p := Make(Input{Preview: controllers.Preview{Stack: stack, Writes: []controllers.PreviewWrite{write(t, body, live)}}, Children: []core.Object{live},
		DryRuns: map[desired.Key]DryRun{key(tg): {Err: immutable}}})
	c := change(p, "TargetGroup")
	if c == nil || c.Action != Replace || len(c.Fields) != 1 || c.Fields[0].Path != "port" {
		t.Fatalf("a refused port change: %+v; want a replacement naming the port alone", c)
	}
}
