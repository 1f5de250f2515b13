package trace

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	ackv1alpha1 "github.com/aws-controllers-k8s/runtime/apis/core/v1alpha1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/yaml"

	platformv1alpha1 "github.com/docuflow/docuflow-operator/api/v1alpha1"
	"github.com/docuflow/docuflow-operator/internal/ack"
	"github.com/docuflow/docuflow-operator/internal/ack/core"
	ec2v1alpha1 "github.com/docuflow/docuflow-operator/internal/ack/ec2/v1alpha1"
	rdsv1alpha1 "github.com/docuflow/docuflow-operator/internal/ack/rds/v1alpha1"
	"github.com/docuflow/docuflow-operator/internal/desired"
)

var now = time.Date(2026, 12, 2, 12, 0, 0, 0, time.UTC)

// sample is the production sample in namespace team-a, generation 1.
func sample(t *testing.T) *platformv1alpha1.DocuFlowStack {
	t.Helper()
	b, err := os.ReadFile("../../config/samples/platform_v1alpha1_docuflowstack.yaml")
	if err != nil {
		t.Fatal(err)
	}
	s := &platformv1alpha1.DocuFlowStack{}
	if err := yaml.UnmarshalStrict(b, s); err != nil {
		t.Fatal(err)
	}
	s.Namespace, s.UID, s.Generation = "team-a", types.UID("stack-uid"), 1
	s.CreationTimestamp = metav1.NewTime(now.Add(-10 * time.Minute))
	return s
}

// live turns the rendered children into live ones: owned by the stack,
// created five minutes ago, synced, with an ARN.
func live(stack *platformv1alpha1.DocuFlowStack, objs []core.Object) []core.Object {
	var out []core.Object
	for _, o := range objs {
		c := o.DeepCopyObject().(core.Object)
		c.SetCreationTimestamp(metav1.NewTime(now.Add(-5 * time.Minute)))
		c.SetOwnerReferences([]metav1.OwnerReference{{APIVersion: "platform.docuflow.io/v1alpha1", Kind: "DocuFlowStack", Name: stack.Name, UID: stack.UID, Controller: ptr.To(true)}})
		arn := ackv1alpha1.AWSResourceName("arn:aws:test:us-east-1:111122223333:" + ack.KindOf(c) + "/" + c.GetName())
		st := c.ACKStatus()
		account := ackv1alpha1.AWSAccountID("111122223333")
		st.ACKResourceMetadata = &core.ResourceMetadata{ARN: &arn, OwnerAccountID: &account}
		st.Conditions = []*ackv1alpha1.Condition{{Type: ackv1alpha1.ConditionTypeResourceSynced, Status: corev1.ConditionTrue}}
		out = append(out, c)
	}
	return out
}

// ready writes the status the operator writes for a stack whose every
// rendered child is ready.
func ready(stack *platformv1alpha1.DocuFlowStack, objs []core.Object) {
	stack.Status.ObservedGeneration = stack.Generation
	stack.Status.Resources = nil
	for _, o := range objs {
		stack.Status.Resources = append(stack.Status.Resources, platformv1alpha1.ResourceStatus{Kind: ack.KindOf(o), Name: o.GetName(), Ready: true, Reason: platformv1alpha1.ReasonReady})
	}
	stack.Status.Conditions = []metav1.Condition{{Type: platformv1alpha1.ConditionReady, Status: metav1.ConditionTrue, Reason: platformv1alpha1.ReasonReady, Message: "All resources are in sync with AWS."}}
	for _, f := range desired.Families {
		stack.Status.Conditions = append(stack.Status.Conditions, metav1.Condition{Type: desired.FamilyConditions[f], Status: metav1.ConditionTrue, Reason: platformv1alpha1.ReasonReady})
	}
}

func build(t *testing.T, stack *platformv1alpha1.DocuFlowStack, children []core.Object) desired.Result {
	t.Helper()
	res, err := desired.Build(stack, desired.ReadBuildInputs(stack, children))
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func TestANewStackListsEveryChildItWillHaveNoneCreated(t *testing.T) {
	stack := sample(t)
	res := build(t, stack, nil)
	tree := New(Snapshot{Stack: stack, Children: nil}, now)

	if tree.Ready() || tree.Stack.Reason != "NoStatus" {
		t.Errorf("a stack without status: ready=%v reason %q, want not ready, NoStatus", tree.Ready(), tree.Stack.Reason)
	}
	kids := tree.Children()
	if want := len(res.Objects) + len(res.Waiting); len(kids) != want {
		t.Fatalf("the tree has %d children, want the %d rendered and waiting", len(kids), want)
	}
	for _, c := range kids {
		if c.Exists || c.ID != "" || !c.Created.IsZero() {
			t.Errorf("%s %s: exists=%v id %q created %v, want nothing of a child not created", c.Kind, c.Name, c.Exists, c.ID, c.Created)
		}
	}
	var waiting int
	for _, c := range kids {
		if c.Reason == platformv1alpha1.ReasonWaitingForDependency {
			waiting++
			if !strings.HasPrefix(c.Message, "waits for ") {
				t.Errorf("%s %s waits, message %q, want what it waits for", c.Kind, c.Name, c.Message)
			}
		}
	}
	if waiting != len(res.Waiting) || waiting == 0 {
		t.Errorf("%d children say they wait, want the %d the builders hold back", waiting, len(res.Waiting))
	}
}

func TestFamiliesComeInDependencyOrderAndChildrenInRenderOrder(t *testing.T) {
	stack := sample(t)
	res := build(t, stack, nil)
	tree := New(Snapshot{Stack: stack, Children: nil}, now)

	var fams []string
	for _, g := range tree.Families {
		fams = append(fams, g.Family)
		if g.Condition != desired.FamilyConditions[g.Family] || g.Condition == "" {
			t.Errorf("family %s shows condition %q", g.Family, g.Condition)
		}
	}
	// The sample has alarms: every family, in desired.Families' order.
	if strings.Join(fams, ",") != strings.Join(desired.Families, ",") {
		t.Errorf("families %v, want %v", fams, desired.Families)
	}
	// Within a family, the builders' order: what a child depends on comes
	// before it.
	pos := map[string]int{}
	for i, c := range tree.Children() {
		pos[c.Kind+"/"+c.Name] = i
	}
	for _, o := range res.Objects {
		for _, d := range desired.DependenciesOf(o) {
			dp, ok := pos[d.String()]
			if !ok || o.GetLabels()[desired.LabelFamily] != familyOf(tree, d.String()) {
				continue
			}
			if dp > pos[desired.KeyOf(o).String()] {
				t.Errorf("%s is listed before %s, which it depends on", desired.KeyOf(o), d)
			}
		}
	}
}

func familyOf(tree Tree, key string) string {
	for _, g := range tree.Families {
		for _, c := range g.Children {
			if c.Kind+"/"+c.Name == key {
				return g.Family
			}
		}
	}
	return ""
}

// converge renders the stack round after round, each child live and
// reporting what ACK would (IDs, the database's endpoint and secret, the gate
// probes' answer), until nothing waits.
func converge(t *testing.T, stack *platformv1alpha1.DocuFlowStack) []core.Object {
	t.Helper()
	var children []core.Object
	for range 10 {
		res := build(t, stack, children)
		children = live(stack, res.Objects)
		for _, c := range children {
			switch o := c.(type) {
			case *ec2v1alpha1.VPC:
				o.Status.VPCID = ptr.To("vpc-0abc")
			case *ec2v1alpha1.Subnet:
				o.Status.SubnetID = ptr.To("subnet-" + o.Name)
			case *ec2v1alpha1.SecurityGroup:
				o.Status.ID = ptr.To("sg-" + o.Name)
			case *rdsv1alpha1.DBInstance:
				o.Status.Endpoint = &rdsv1alpha1.Endpoint{Address: ptr.To("db.example"), Port: ptr.To[int64](5432)}
				o.Status.MasterUserSecret = &rdsv1alpha1.MasterUserSecret{SecretARN: ptr.To("arn:aws:secretsmanager:us-east-1:111122223333:secret:db")}
			}
			if k := ack.KindOf(c); k == "LoadBalancer" || k == "TargetGroup" {
				// The autoscaling request policy parses these two.
				kind := map[string]string{"LoadBalancer": "loadbalancer/app", "TargetGroup": "targetgroup"}[k]
				arn := ackv1alpha1.AWSResourceName("arn:aws:elasticloadbalancing:us-east-1:111122223333:" + kind + "/" + c.GetName() + "/0123456789abcdef")
				c.ACKStatus().ACKResourceMetadata.ARN = &arn
			}
			if _, probe := desired.IsProbe(c); probe {
				c.ACKStatus().Conditions = []*ackv1alpha1.Condition{{Type: ackv1alpha1.ConditionTypeTerminal, Status: corev1.ConditionTrue, Message: ptr.To("ignore-field-drift annotation contains malformed paths [x]")}}
			}
		}
		if len(res.Waiting) == 0 {
			return children
		}
	}
	t.Fatalf("the sample still waits after 10 rounds: %+v", build(t, stack, children).Waiting)
	return nil
}

// faulted is a converged sample whose database went Terminal.
func faulted(t *testing.T) (*platformv1alpha1.DocuFlowStack, []core.Object, string) {
	t.Helper()
	stack := sample(t)
	children := converge(t, stack)
	ready(stack, children)
	db := desired.Name(stack.Name, "db", desired.KubernetesName)
	for i, r := range stack.Status.Resources {
		if r.Kind == "DBInstance" && r.Name == db {
			stack.Status.Resources[i] = platformv1alpha1.ResourceStatus{Kind: r.Kind, Name: r.Name, Reason: platformv1alpha1.ReasonTerminal, Message: "DBInstance " + db + ": InvalidParameterCombination: boom"}
		}
	}
	for i, c := range stack.Status.Conditions {
		if c.Type == platformv1alpha1.ConditionReady || c.Type == platformv1alpha1.ConditionDatabaseReady {
			stack.Status.Conditions[i] = metav1.Condition{Type: c.Type, Status: metav1.ConditionFalse, Reason: platformv1alpha1.ReasonTerminal, Message: "DBInstance " + db + ": InvalidParameterCombination: boom"}
		}
	}
	return stack, children, db
}

func TestATerminalChildShowsItsMessageAndTheStackIsNotReady(t *testing.T) {
	stack, children, db := faulted(t)
	tree := New(Snapshot{Stack: stack, Children: children}, now)
	if tree.Ready() || tree.Stack.Reason != platformv1alpha1.ReasonTerminal {
		t.Errorf("ready=%v reason %q, want not ready, Terminal", tree.Ready(), tree.Stack.Reason)
	}
	var found bool
	for _, c := range tree.Children() {
		if c.Kind == "DBInstance" && c.Name == db {
			found = true
			if c.Ready || c.Reason != platformv1alpha1.ReasonTerminal || c.Message != "InvalidParameterCombination: boom" {
				t.Errorf("the database: ready=%v reason %q message %q, want Terminal and AWS's message without the subject", c.Ready, c.Reason, c.Message)
			}
		}
		if c.Kind == "VPC" && c.ID != "vpc-0abc" {
			t.Errorf("the VPC shows AWS ID %q, want vpc-0abc", c.ID)
		}
		if c.Kind == "Subnet" && !strings.Contains(strings.Join(c.DependsOn, ","), "VPC/") {
			t.Errorf("subnet %s depends on %v, want its VPC", c.Name, c.DependsOn)
		}
	}
	if !found {
		t.Fatal("the database is not in the tree")
	}

	var out bytes.Buffer
	if err := tree.WriteText(&out, Options{}); err != nil {
		t.Fatal(err)
	}
	row := regexp.MustCompile(`(?m)^[│ ]*[├└]─ DBInstance ` + db + ` +True +Terminal +5m +DBInstance/\S+ +InvalidParameterCombination: boom$`)
	if !row.MatchString(out.String()) {
		t.Errorf("no database row with its Terminal message:\n%s", out.String())
	}
	if !regexp.MustCompile(`(?m)^[├└]─ database \(DatabaseReady\) +Terminal +DBInstance \S+: InvalidParameterCombination`).MatchString(out.String()) {
		t.Errorf("no database family row saying Terminal:\n%s", out.String())
	}
}

func TestTheTextIsATreeWithAlignedColumnsAndColourOnlyWhenAsked(t *testing.T) {
	stack, children, _ := faulted(t)
	tree := New(Snapshot{Stack: stack, Children: children}, now)
	var plainOut, colour bytes.Buffer
	if err := tree.WriteText(&plainOut, Options{}); err != nil {
		t.Fatal(err)
	}
	if err := tree.WriteText(&colour, Options{Color: true}); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(plainOut.String(), "\x1b[") {
		t.Error("escapes without colour")
	}
	for _, want := range []string{"\x1b[31mTerminal\x1b[0m", "\x1b[32mReady\x1b[0m", "\x1b[32mTrue\x1b[0m"} {
		if !strings.Contains(colour.String(), want) {
			t.Errorf("the coloured tree lacks %q", want)
		}
	}
	if got := regexp.MustCompile("\x1b\\[[0-9]*m").ReplaceAllString(colour.String(), ""); got != plainOut.String() {
		t.Errorf("colour changed more than the colours:\n%s\nvs\n%s", got, plainOut.String())
	}
	// Every row's SYNCED column starts where the header's does.
	lines := strings.Split(strings.TrimSuffix(plainOut.String(), "\n"), "\n")
	col := strings.Index(lines[0], "SYNCED")
	for _, l := range lines[1:] {
		r := []rune(l)
		if len(r) > col && r[col-1] != ' ' {
			t.Errorf("row not aligned at column %d: %q", col, l)
		}
	}
	if n := len(lines) - 1; n != 1+len(tree.Families)+len(tree.Children()) {
		t.Errorf("%d rows, want the stack, %d families and %d children", n, len(tree.Families), len(tree.Children()))
	}
}

func TestWideAddsARNsAndDependenciesAndJSONCarriesTheSame(t *testing.T) {
	stack, children, _ := faulted(t)
	tree := New(Snapshot{Stack: stack, Children: children}, now)
	var wide bytes.Buffer
	if err := tree.WriteText(&wide, Options{Wide: true}); err != nil {
		t.Fatal(err)
	}
	header := strings.Fields(strings.SplitN(wide.String(), "\n", 2)[0])
	if strings.Join(header, " ") != "NAME SYNCED READY AGE AWS ID ARN DEPENDS ON MESSAGE" {
		t.Errorf("wide header %v", header)
	}
	if !regexp.MustCompile(`(?m)Subnet \S+ +True +Ready +5m +subnet-\S+ +arn:aws:test:\S+ +\S*VPC/`).MatchString(wide.String()) {
		t.Errorf("no subnet row with its ARN and its VPC dependency:\n%s", wide.String())
	}

	var js bytes.Buffer
	if err := tree.WriteJSON(&js); err != nil {
		t.Fatal(err)
	}
	var back Tree
	if err := json.Unmarshal(js.Bytes(), &back); err != nil {
		t.Fatal(err)
	}
	if len(back.Children()) != len(tree.Children()) || back.Stack.Reason != platformv1alpha1.ReasonTerminal || back.Ready() {
		t.Errorf("JSON round trip: %d children, reason %q, ready %v", len(back.Children()), back.Stack.Reason, back.Ready())
	}
}

func TestReadyOnlyForTheCurrentGenerationAndNeverWhileDeleting(t *testing.T) {
	stack := sample(t)
	children := live(stack, build(t, stack, nil).Objects)
	ready(stack, children)
	if tree := New(Snapshot{Stack: stack, Children: children}, now); !tree.Ready() {
		t.Fatalf("a Ready stack reads %q: %s", tree.Stack.Reason, tree.Stack.Message)
	}

	stale := stack.DeepCopy()
	stale.Generation = 2
	if tree := New(Snapshot{Stack: stale, Children: children}, now); tree.Ready() || tree.Stack.Reason != "StaleStatus" {
		t.Errorf("spec at generation 2, status of 1: ready=%v reason %q, want StaleStatus", tree.Ready(), tree.Stack.Reason)
	}

	deleting := stack.DeepCopy()
	deleting.DeletionTimestamp = &metav1.Time{Time: now}
	deleting.Finalizers = []string{"platform.docuflow.io/finalizer"}
	if tree := New(Snapshot{Stack: deleting, Children: children}, now); tree.Ready() || !tree.Stack.Deleting {
		t.Errorf("a stack being deleted: ready=%v deleting=%v", tree.Ready(), tree.Stack.Deleting)
	}
}

func TestAChildTheSpecNoLongerRendersIsShownAndSaysWhy(t *testing.T) {
	stack := sample(t)
	children := live(stack, build(t, stack, nil).Objects)
	old := children[0].DeepCopyObject().(core.Object)
	old.SetName(old.GetName() + "-old")
	ready(stack, children)
	tree := New(Snapshot{Stack: stack, Children: append(children, old)}, now)
	for _, c := range tree.Children() {
		if c.Name == old.GetName() {
			if c.Reason != "NotRendered" || !c.Exists {
				t.Errorf("a child no longer rendered: reason %q exists %v", c.Reason, c.Exists)
			}
			return
		}
	}
	t.Errorf("the child no longer rendered is missing from the tree")
}

func TestReadTakesOnlyTheStacksOwnChildren(t *testing.T) {
	stack := sample(t)
	children := live(stack, build(t, stack, nil).Objects)
	scheme := runtime.NewScheme()
	if err := platformv1alpha1.AddToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	if err := ack.AddToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	// Someone else's object with the stack's label but another owner.
	impostor := children[0].DeepCopyObject().(core.Object)
	impostor.SetName("copied-label")
	impostor.SetOwnerReferences([]metav1.OwnerReference{{APIVersion: "v1", Kind: "ConfigMap", Name: "x", UID: "other", Controller: ptr.To(true)}})
	objs := []client.Object{stack, impostor}
	for _, c := range children {
		objs = append(objs, c)
	}
	c := fake.NewClientBuilder().WithScheme(scheme).WithObjects(objs...).Build()

	snap, err := Read(context.Background(), c, stack.Namespace, stack.Name)
	if err != nil {
		t.Fatal(err)
	}
	got := snap.Children
	if len(got) != len(children) {
		t.Errorf("read %d children, want the stack's %d", len(got), len(children))
	}
	for _, o := range got {
		if o.GetName() == "copied-label" {
			t.Error("read an object that only copies the stack's label")
		}
	}
	if _, err := Read(context.Background(), c, stack.Namespace, "missing"); err == nil || !strings.Contains(err.Error(), "team-a/missing") {
		t.Errorf("a missing stack: %v, want an error naming it", err)
	}
}

func TestTheNarrowTableShortensARNsAndWideShowsThemWhole(t *testing.T) {
	long := "arn:aws:autoscaling:us-east-1:123456789012:scalingPolicy:ac6fecc5-5aef-0d98-3bf1-ae4e58eebbbc:resource/ecs/service/docuflow-prod-cluster/docuflow-prod-api:policyName/docuflow-prod-api-requests"
	got := shortID(long)
	if n := len([]rune(got)); n != idWidth || !strings.HasPrefix(got, "scalingPolicy:") || !strings.HasSuffix(got, "policyName/docuflow-prod-api-requests") {
		t.Errorf("shortID(%s) = %q (%d runes), want the resource part, its start and end, %d runes", long, got, n, idWidth)
	}
	for _, id := range []string{"vpc-0abc", "arn:aws:rds:us-east-1:123456789012:db:prod-db"} {
		if got := shortID(id); got != strings.TrimPrefix(id, "arn:aws:rds:us-east-1:123456789012:") {
			t.Errorf("shortID(%s) = %q", id, got)
		}
	}
}

func TestAStackBeingDeletedShowsOnlyWhatIsLeftAndNothingReady(t *testing.T) {
	stack := sample(t)
	children := converge(t, stack)
	ready(stack, children) // the status as it was before the deletion
	stack.DeletionTimestamp = &metav1.Time{Time: now}
	stack.Finalizers = []string{"platform.docuflow.io/finalizer"}
	stack.Status.Conditions = append(stack.Status.Conditions, metav1.Condition{Type: platformv1alpha1.ConditionDeleting, Status: metav1.ConditionTrue, Reason: platformv1alpha1.ReasonDeletingWave, Message: "Deleting wave 2 of 6"})

	// Half the children are gone; one is being deleted now.
	left := children[:len(children)/2]
	left[0].SetDeletionTimestamp(&metav1.Time{Time: now})
	tree := New(Snapshot{Stack: stack, Children: left}, now)

	if tree.Ready() || tree.Stack.Reason != platformv1alpha1.ConditionDeleting || tree.Stack.Message != "Deleting wave 2 of 6" {
		t.Errorf("the stack: ready=%v reason %q message %q, want Deleting with the wave", tree.Ready(), tree.Stack.Reason, tree.Stack.Message)
	}
	kids := tree.Children()
	if len(kids) != len(left) {
		t.Errorf("%d children listed, want the %d left", len(kids), len(left))
	}
	for _, c := range kids {
		switch {
		case c.Ready:
			t.Errorf("%s %s reads Ready while its stack is deleted", c.Kind, c.Name)
		case c.Kind == ack.KindOf(left[0]) && c.Name == left[0].GetName():
			if c.Reason != ReasonDeleting {
				t.Errorf("the child being deleted reads %q", c.Reason)
			}
		case c.Reason != ReasonAwaitingDeletion:
			t.Errorf("%s %s reads %q, want %s", c.Kind, c.Name, c.Reason, ReasonAwaitingDeletion)
		}
	}
	for _, g := range tree.Families {
		if g.Status == "True" {
			t.Errorf("family %s reads True while the stack is deleted", g.Family)
		}
	}
}

func TestAChildWhoseCRDIsMissingSaysSo(t *testing.T) {
	stack := sample(t)
	tree := New(Snapshot{Stack: stack, MissingKinds: []string{"MetricAlarm"}}, now)
	if strings.Join(tree.MissingCRDs, ",") != "MetricAlarm" {
		t.Errorf("missing CRDs %v, want MetricAlarm", tree.MissingCRDs)
	}
	var alarms int
	for _, c := range tree.Children() {
		if c.Kind != "MetricAlarm" {
			continue
		}
		alarms++
		if c.Reason != ReasonCRDNotInstalled || !strings.Contains(c.Message, "install its ACK controller") {
			t.Errorf("alarm %s: %q %q", c.Name, c.Reason, c.Message)
		}
	}
	if alarms == 0 {
		t.Error("no alarm in the tree")
	}
}

func TestTheStackReadsLikeArgoCDReadsIt(t *testing.T) {
	base := sample(t)
	children := live(base, build(t, base, nil).Objects)
	ready(base, children)
	cond := func(typ, reason, msg string) metav1.Condition {
		return metav1.Condition{Type: typ, Status: metav1.ConditionTrue, Reason: reason, Message: msg, ObservedGeneration: 1}
	}
	for _, tc := range []struct {
		name   string
		extra  metav1.Condition
		reason string
	}{
		// Ready=True stays in every case: the other condition decides.
		{"stalled", cond(platformv1alpha1.ConditionStalled, platformv1alpha1.ReasonTerminal, "DBInstance x: boom"), platformv1alpha1.ReasonTerminal},
		{"suspended", cond(platformv1alpha1.ConditionSuspended, platformv1alpha1.ReasonSuspended, "spec.suspend is true"), platformv1alpha1.ConditionSuspended},
		{"rolled back", cond(platformv1alpha1.ConditionRolledBack, platformv1alpha1.ReasonCircuitBreaker, "rolled back"), platformv1alpha1.ConditionRolledBack},
	} {
		s := base.DeepCopy()
		s.Status.Conditions = append(s.Status.Conditions, tc.extra)
		tree := New(Snapshot{Stack: s, Children: children}, now)
		if tree.Ready() || tree.Stack.Reason != tc.reason {
			t.Errorf("%s: ready=%v reason %q, want not ready, %s", tc.name, tree.Ready(), tree.Stack.Reason, tc.reason)
		}
	}
	// A Ready condition of an older generation says nothing of this one.
	s := base.DeepCopy()
	s.Generation, s.Status.ObservedGeneration = 2, 2
	for i := range s.Status.Conditions {
		s.Status.Conditions[i].ObservedGeneration = 1
	}
	if tree := New(Snapshot{Stack: s, Children: children}, now); tree.Ready() {
		t.Error("a Ready condition of generation 1 made generation 2 Ready")
	}
}

func TestJSONHasItsVersionAndListsNeverNull(t *testing.T) {
	stack := sample(t)
	stack.Spec.Region = "" // cannot be rendered
	var js bytes.Buffer
	if err := New(Snapshot{Stack: stack}, now).WriteJSON(&js); err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(js.Bytes(), &m); err != nil {
		t.Fatal(err)
	}
	if m["version"] != float64(Version) || m["families"] == nil {
		t.Errorf("version %v, families %v", m["version"], m["families"])
	}
	if r, _ := m["renderError"].(string); !strings.Contains(r, "spec.region") {
		t.Errorf("renderError %q, want why the stack cannot be rendered", r)
	}
}
