package controllers

import (
	"cmp"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	ackv1alpha1 "github.com/aws-controllers-k8s/runtime/apis/core/v1alpha1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/cli-utils/pkg/kstatus/status"

	platformv1alpha1 "github.com/docuflow/docuflow-operator/api/v1alpha1"
	"github.com/docuflow/docuflow-operator/internal/ack/core"
	ec2v1alpha1 "github.com/docuflow/docuflow-operator/internal/ack/ec2/v1alpha1"
	rdsv1alpha1 "github.com/docuflow/docuflow-operator/internal/ack/rds/v1alpha1"
	"github.com/docuflow/docuflow-operator/internal/cost"
	"github.com/docuflow/docuflow-operator/internal/desired"
)

// vpcWith returns a VPC whose ACK status carries the given conditions.
func vpcWith(conds ...*ackv1alpha1.Condition) core.Object {
	v := &ec2v1alpha1.VPC{}
	v.Status.Conditions = conds
	return v
}

func dbWith(conds ...*ackv1alpha1.Condition) core.Object {
	d := &rdsv1alpha1.DBInstance{}
	d.Status.Conditions = conds
	return d
}

func cond(t ackv1alpha1.ConditionType, s corev1.ConditionStatus, msg string) *ackv1alpha1.Condition {
	c := &ackv1alpha1.Condition{Type: t, Status: s}
	if msg != "" {
		c.Message = &msg
	}
	return c
}

var (
	synced   = cond(ackv1alpha1.ConditionTypeResourceSynced, corev1.ConditionTrue, "")
	ready    = cond(ackv1alpha1.ConditionTypeReady, corev1.ConditionTrue, "")
	creating = cond(ackv1alpha1.ConditionTypeResourceSynced, corev1.ConditionFalse, "DB instance is in 'creating' state")
)

func TestComputeStatus(t *testing.T) {
	families := []Family{FamilyNetwork, FamilyDatabase}
	tests := []struct {
		name        string
		children    []childFacts
		applyErr    error
		invalidSpec error
		wantReady   metav1.ConditionStatus
		wantReason  string
		wantMsg     string
		wantStall   bool
		wantKStat   status.Status
		// wantFamilies are the family conditions' statuses, when the case
		// pins them.
		wantFamilies map[string]metav1.ConditionStatus
	}{
		{
			name: "every child synced makes the stack ready",
			children: []childFacts{
				{Family: FamilyNetwork, Kind: "VPC", Name: "p-vpc", Live: vpcWith(synced, ready)},
				{Family: FamilyDatabase, Kind: "DBInstance", Name: "p-db", Live: dbWith(synced)},
			},
			wantReady: metav1.ConditionTrue, wantReason: platformv1alpha1.ReasonReady, wantMsg: "All 2 resources are in sync with AWS.", wantKStat: status.CurrentStatus,
			wantFamilies: map[string]metav1.ConditionStatus{platformv1alpha1.ConditionNetworkReady: metav1.ConditionTrue, platformv1alpha1.ConditionDatabaseReady: metav1.ConditionTrue},
		},
		{
			name: "a creating database names itself as the blocker",
			children: []childFacts{
				{Family: FamilyNetwork, Kind: "VPC", Name: "p-vpc", Live: vpcWith(ready)},
				{Family: FamilyDatabase, Kind: "DBInstance", Name: "p-db", Live: dbWith(creating)},
			},
			wantReady: metav1.ConditionFalse, wantReason: platformv1alpha1.ReasonCreating,
			wantMsg: "DBInstance p-db: DB instance is in 'creating' state", wantKStat: status.InProgressStatus,
			wantFamilies: map[string]metav1.ConditionStatus{platformv1alpha1.ConditionNetworkReady: metav1.ConditionTrue, platformv1alpha1.ConditionDatabaseReady: metav1.ConditionFalse},
		},
		{
			name: "a spec the schema could not refuse stalls the stack with the builder's error",
			children: []childFacts{
				{Family: FamilyNetwork, Kind: "VPC", Name: "p-vpc", Live: vpcWith(synced, ready)},
			},
			invalidSpec: errors.New("rendering the network of DocuFlowStack p/p: zone letter z is outside a to h"),
			wantReady:   metav1.ConditionFalse, wantReason: platformv1alpha1.ReasonInvalidSpec, wantStall: true,
			wantMsg: "zone letter z is outside a to h", wantKStat: status.FailedStatus,
		},
		{
			name: "a child waiting for another's ID says what it waits for",
			children: []childFacts{
				{Family: FamilyNetwork, Kind: "VPC", Name: "p-vpc", Live: vpcWith(ready)},
				{Family: FamilyNetwork, Kind: "FlowLog", Name: "p-flowlog", WaitsFor: "the ID of VPC p-vpc"},
			},
			wantReady: metav1.ConditionFalse, wantReason: platformv1alpha1.ReasonWaitingForDependency,
			wantMsg: "FlowLog p-flowlog waits for the ID of VPC p-vpc.", wantKStat: status.InProgressStatus,
		},
		{
			name: "a terminal child stalls the stack and is quoted",
			children: []childFacts{
				{Family: FamilyNetwork, Kind: "VPC", Name: "p-vpc", Live: vpcWith(ready)},
				{Family: FamilyDatabase, Kind: "DBInstance", Name: "p-db", Live: dbWith(cond(ackv1alpha1.ConditionTypeTerminal, corev1.ConditionTrue, "InvalidParameterCombination: bad class"))},
			},
			wantReady: metav1.ConditionFalse, wantReason: platformv1alpha1.ReasonTerminal, wantStall: true,
			wantMsg: "DBInstance p-db: InvalidParameterCombination: bad class", wantKStat: status.FailedStatus,
		},
		{
			name: "unresolved references read as waiting, in dependency order",
			children: []childFacts{
				{Family: FamilyNetwork, Kind: "VPC", Name: "p-vpc", Live: vpcWith(cond(ackv1alpha1.ConditionTypeReferencesResolved, corev1.ConditionFalse, "referenced resource is not synced yet"))},
				{Family: FamilyDatabase, Kind: "DBInstance", Name: "p-db", Live: dbWith(creating)},
			},
			wantReady: metav1.ConditionFalse, wantReason: platformv1alpha1.ReasonWaitingForDependency,
			wantMsg: "VPC p-vpc: referenced resource is not synced yet", wantKStat: status.InProgressStatus,
		},
		{
			name: "an unresolved reference as the real runtime reports it shows its cause, not the generic message",
			children: []childFacts{
				{Family: FamilyNetwork, Kind: "Subnet", Name: "p-subnet", Live: vpcWith(func() *ackv1alpha1.Condition {
					c := cond(ackv1alpha1.ConditionTypeReferencesResolved, corev1.ConditionUnknown, "Reference resolution failed")
					c.Reason = ptrTo(`vpcs.ec2.services.k8s.aws "p-vpc" not found`)
					return c
				}())},
			},
			wantReady: metav1.ConditionFalse, wantReason: platformv1alpha1.ReasonWaitingForDependency,
			wantMsg: `Subnet p-subnet: vpcs.ec2.services.k8s.aws "p-vpc" not found`, wantKStat: status.InProgressStatus,
		},
		{
			name: "a NAT gateway ACK requeues as pending is being created, not failing",
			children: []childFacts{
				{Family: FamilyNetwork, Kind: "NATGateway", Name: "p-nat", Live: vpcWith(cond(ackv1alpha1.ConditionTypeRecoverable, corev1.ConditionTrue, "resource is pending"))},
			},
			wantReady: metav1.ConditionFalse, wantReason: platformv1alpha1.ReasonCreating,
			wantMsg: "NATGateway p-nat: resource is pending", wantKStat: status.InProgressStatus,
		},
		{
			name: "a database backing up keeps serving and the stack stays ready",
			children: []childFacts{
				{Family: FamilyNetwork, Kind: "VPC", Name: "p-vpc", Live: vpcWith(synced, ready)},
				{Family: FamilyDatabase, Kind: "DBInstance", Name: "p-db", Live: func() core.Object {
					d := dbWith(cond(ackv1alpha1.ConditionTypeResourceSynced, corev1.ConditionFalse, "")).(*rdsv1alpha1.DBInstance)
					d.Status.DBInstanceStatus = ptrTo("backing-up")
					d.Status.Endpoint = &rdsv1alpha1.Endpoint{Address: ptrTo("p-db.example")}
					return d
				}()},
			},
			wantReady: metav1.ConditionTrue, wantReason: platformv1alpha1.ReasonReady, wantKStat: status.CurrentStatus,
		},
		{
			name: "a subnet AWS already holds while ACK recorded no ID stalls the stack and says how to find the orphan",
			children: []childFacts{
				{Family: FamilyNetwork, Kind: "VPC", Name: "p-vpc", Live: vpcWith(synced, ready)},
				{Family: FamilyNetwork, Kind: "Subnet", Name: "p-private-a", Live: func() core.Object {
					s := &ec2v1alpha1.Subnet{}
					s.Namespace = "team-a"
					s.Status.Conditions = []*ackv1alpha1.Condition{cond(ackv1alpha1.ConditionTypeRecoverable, corev1.ConditionTrue,
						"api error InvalidSubnet.Conflict: The CIDR '10.50.16.0/20' conflicts with another subnet")}
					return s
				}(), Stack: "p"},
			},
			wantReady: metav1.ConditionFalse, wantReason: platformv1alpha1.ReasonLostTrack, wantStall: true,
			wantMsg:   "Subnet p-private-a: AWS says it already exists (api error InvalidSubnet.Conflict: The CIDR '10.50.16.0/20' conflicts with another subnet), but ACK has recorded no AWS ID for it: an ACK controller most likely stopped between creating it and recording it, and left it in AWS unmanaged. Find it in AWS by the tags docuflow.io/stack=p and docuflow.io/namespace=team-a",
			wantKStat: status.FailedStatus,
		},
		{
			name: "a duplicate rule on a security group ACK knows is an error ACK retries, not a lost resource",
			children: []childFacts{
				{Family: FamilyNetwork, Kind: "SecurityGroup", Name: "p-app-sg", Live: func() core.Object {
					g := &ec2v1alpha1.SecurityGroup{}
					g.Status.ID = ptrTo("sg-0123")
					g.Status.Conditions = []*ackv1alpha1.Condition{cond(ackv1alpha1.ConditionTypeRecoverable, corev1.ConditionTrue, "api error InvalidPermission.Duplicate: the rule already exists")}
					return g
				}()},
			},
			wantReady: metav1.ConditionFalse, wantReason: platformv1alpha1.ReasonRecoverable,
			wantMsg: "SecurityGroup p-app-sg: api error InvalidPermission.Duplicate", wantKStat: status.InProgressStatus,
		},
		{
			name: "a child ACK has written nothing on for longer than desired.SilentAfter says so",
			children: []childFacts{
				{Family: FamilyNetwork, Kind: "VPC", Name: "p-vpc", Live: vpcWith(synced, ready)},
				{Family: FamilyNetwork, Kind: "Subnet", Name: "p-public-a", Live: vpcWith(), Silent: desired.SilentAfter + time.Minute},
			},
			wantReady: metav1.ConditionFalse, wantReason: platformv1alpha1.ReasonCreating,
			wantMsg: "Subnet p-public-a: ACK has written no condition on it in the 3m0s since it was created: is its ACK controller running", wantKStat: status.InProgressStatus,
		},
		{
			name: "a child ACK has not written on for a short while is only not synced yet",
			children: []childFacts{
				{Family: FamilyNetwork, Kind: "Subnet", Name: "p-public-a", Live: vpcWith(), Silent: desired.SilentAfter - time.Second},
			},
			wantReady: metav1.ConditionFalse, wantReason: platformv1alpha1.ReasonCreating,
			wantMsg: "Subnet p-public-a: ACK has not synced it yet", wantKStat: status.InProgressStatus,
		},
		{
			name: "a failed write keeps the stack reconciling with the error",
			children: []childFacts{
				{Family: FamilyNetwork, Kind: "VPC", Name: "p-vpc", Live: vpcWith(ready)},
			},
			applyErr:  errors.New("applying VPC p-vpc: connection refused"),
			wantReady: metav1.ConditionFalse, wantReason: platformv1alpha1.ReasonApplyFailed,
			wantMsg: "connection refused", wantKStat: status.InProgressStatus,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stack := &platformv1alpha1.DocuFlowStack{}
			stack.Generation = 4
			stack.Status.ObservedGeneration = 4
			computeStatus(passFacts{Generation: 4, Families: families, Children: tt.children, ApplyErr: tt.applyErr, InvalidSpec: tt.invalidSpec}, &stack.Status)

			got := meta.FindStatusCondition(stack.Status.Conditions, platformv1alpha1.ConditionReady)
			if got == nil || got.Status != tt.wantReady || got.Reason != tt.wantReason {
				t.Fatalf("Ready = %+v, want %s/%s", got, tt.wantReady, tt.wantReason)
			}
			if !strings.Contains(got.Message, tt.wantMsg) {
				t.Errorf("Ready message %q does not contain %q", got.Message, tt.wantMsg)
			}
			if meta.IsStatusConditionTrue(stack.Status.Conditions, platformv1alpha1.ConditionStalled) != tt.wantStall {
				t.Errorf("Stalled = %v, want %v", !tt.wantStall, tt.wantStall)
			}
			// kstatus: Reconciling while the stack is neither ready nor
			// stalled.
			wantReconciling := metav1.ConditionFalse
			if tt.wantReady != metav1.ConditionTrue && !tt.wantStall {
				wantReconciling = metav1.ConditionTrue
			}
			if c := meta.FindStatusCondition(stack.Status.Conditions, platformv1alpha1.ConditionReconciling); c == nil || c.Status != wantReconciling {
				t.Errorf("Reconciling = %+v, want %s", c, wantReconciling)
			}
			for typ, want := range tt.wantFamilies {
				if c := meta.FindStatusCondition(stack.Status.Conditions, typ); c == nil || c.Status != want {
					t.Errorf("%s = %+v, want %s", typ, c, want)
				}
			}
			if len(stack.Status.Resources) != len(tt.children) {
				t.Errorf("%d resources listed, want %d", len(stack.Status.Resources), len(tt.children))
			}
			assertKStatus(t, stack, tt.wantKStat)
		})
	}
}

// assertKStatus computes kstatus on the stack as Argo CD and Flux would.
func assertKStatus(t *testing.T, stack *platformv1alpha1.DocuFlowStack, want status.Status) {
	t.Helper()
	stack.APIVersion, stack.Kind = platformv1alpha1.GroupVersion.String(), "DocuFlowStack"
	m, err := runtime.DefaultUnstructuredConverter.ToUnstructured(stack)
	if err != nil {
		t.Fatal(err)
	}
	res, err := status.Compute(&unstructured.Unstructured{Object: m})
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != want {
		t.Errorf("kstatus = %s (%s), want %s", res.Status, res.Message, want)
	}
}

func TestProgressOnlyTellsProgressFromChangesThatMustBeWrittenAtOnce(t *testing.T) {
	families := []Family{FamilyNetwork, FamilyDatabase}
	vpc := func(conds ...*ackv1alpha1.Condition) childFacts {
		return childFacts{Family: FamilyNetwork, Kind: "VPC", Name: "p-vpc", Live: vpcWith(conds...)}
	}
	subnet := func(conds ...*ackv1alpha1.Condition) childFacts {
		return childFacts{Family: FamilyNetwork, Kind: "Subnet", Name: "p-subnet", Live: vpcWith(conds...)}
	}
	db := func(conds ...*ackv1alpha1.Condition) childFacts {
		return childFacts{Family: FamilyDatabase, Kind: "DBInstance", Name: "p-db", Live: dbWith(conds...)}
	}
	waitingSubnet := childFacts{Family: FamilyNetwork, Kind: "Subnet", Name: "p-subnet", WaitsFor: "the ID of VPC p-vpc"}
	missingDB := childFacts{Family: FamilyDatabase, Kind: "DBInstance", Name: "p-db"}
	terminal := cond(ackv1alpha1.ConditionTypeTerminal, corev1.ConditionTrue, "InvalidParameterCombination")
	recoverable := cond(ackv1alpha1.ConditionTypeRecoverable, corev1.ConditionTrue, "Throttling")
	statusOf := func(generation int64, children ...childFacts) *platformv1alpha1.DocuFlowStackStatus {
		st := &platformv1alpha1.DocuFlowStackStatus{ObservedGeneration: generation}
		computeStatus(passFacts{Generation: generation, Families: families, Children: children}, st)
		return st
	}
	withURL := func(st *platformv1alpha1.DocuFlowStackStatus) *platformv1alpha1.DocuFlowStackStatus {
		st.URL = "https://docuflow.example.com"
		return st
	}
	withTD := func(st *platformv1alpha1.DocuFlowStackStatus, name string) *platformv1alpha1.DocuFlowStackStatus {
		st.Resources = append(st.Resources, platformv1alpha1.ResourceStatus{Kind: "TaskDefinition", Name: name, Reason: platformv1alpha1.ReasonWaitingForDependency})
		return st
	}
	withRolledBack := func(st *platformv1alpha1.DocuFlowStackStatus, s metav1.ConditionStatus) *platformv1alpha1.DocuFlowStackStatus {
		meta.SetStatusCondition(&st.Conditions, metav1.Condition{Type: "RolledBack", Status: s, Reason: "RolloutHealthy"})
		return st
	}
	withOtherURL := func(st *platformv1alpha1.DocuFlowStackStatus) *platformv1alpha1.DocuFlowStackStatus {
		st.URL = "https://docs.example.com"
		return st
	}
	tests := []struct {
		name     string
		from, to *platformv1alpha1.DocuFlowStackStatus
		want     bool
	}{
		{"nothing changed", statusOf(1, vpc(creating), waitingSubnet, missingDB), statusOf(1, vpc(creating), waitingSubnet, missingDB), true},
		{"a child syncs inside a family that stays not ready",
			statusOf(1, vpc(creating), waitingSubnet, missingDB), statusOf(1, vpc(synced), subnet(creating), missingDB), true},
		{"a child moves from waiting to being created in another family",
			statusOf(1, vpc(synced), subnet(creating), missingDB), statusOf(1, vpc(synced), subnet(creating), db(creating)), true},
		{"a family turns ready while the stack is on its way to Ready",
			statusOf(1, vpc(synced), subnet(creating), db(creating)), statusOf(1, vpc(synced), subnet(synced), db(creating)), true},
		{"the stack turns ready",
			statusOf(1, vpc(synced), subnet(synced), db(creating)), statusOf(1, vpc(synced), subnet(synced), db(synced)), false},
		{"a ready family loses a child",
			statusOf(1, vpc(synced), subnet(synced), db(creating)), statusOf(1, vpc(synced), subnet(creating), db(creating)), false},
		{"a child turns terminal",
			statusOf(1, vpc(synced), subnet(creating), db(creating)), statusOf(1, vpc(synced), subnet(creating), db(terminal)), false},
		{"a child turns recoverable behind another blocker",
			statusOf(1, vpc(creating), waitingSubnet, db(creating)), statusOf(1, vpc(creating), waitingSubnet, db(recoverable)), false},
		{"a new generation is observed",
			statusOf(1, vpc(creating), waitingSubnet, missingDB), statusOf(2, vpc(creating), waitingSubnet, missingDB), false},
		{"an endpoint appears while the stack is on its way to Ready",
			statusOf(1, vpc(synced), subnet(creating), db(creating)), withURL(statusOf(1, vpc(synced), subnet(creating), db(creating))), true},
		{"an endpoint appears as the stack turns ready",
			statusOf(1, vpc(synced), subnet(synced), db(creating)), withURL(statusOf(1, vpc(synced), subnet(synced), db(synced))), false},
		{"an endpoint shown changes",
			withURL(statusOf(1, vpc(synced), subnet(creating), db(creating))), withOtherURL(statusOf(1, vpc(synced), subnet(creating), db(creating))), false},
		{"an endpoint changes on a ready stack",
			withURL(statusOf(1, vpc(synced), subnet(synced), db(synced))), withOtherURL(statusOf(1, vpc(synced), subnet(synced), db(synced))), false},
		{"a waiting child is created and moves to its place in dependency order",
			statusOf(1, vpc(synced), db(creating), waitingSubnet), statusOf(1, vpc(synced), subnet(creating), db(creating)), true},
		{"a waiting task definition gets its final name while the stack is on its way to Ready",
			withTD(statusOf(1, vpc(synced), missingDB), "p-api"), withTD(statusOf(1, vpc(synced), missingDB), "p-api-0a1b2c3d"), true},
		{"a child of a ready stack is renamed",
			withTD(statusOf(1, vpc(synced), subnet(synced), db(synced)), "p-api"), withTD(statusOf(1, vpc(synced), subnet(synced), db(synced)), "p-api-0a1b2c3d"), false},
		{"a rollback is reported while the stack is on its way to Ready",
			statusOf(1, vpc(synced), subnet(creating), db(creating)), withRolledBack(statusOf(1, vpc(synced), subnet(creating), db(creating)), metav1.ConditionTrue), false},
		{"no rollback is reported once there is a service",
			statusOf(1, vpc(synced), subnet(creating), db(creating)), withRolledBack(statusOf(1, vpc(synced), subnet(creating), db(creating)), metav1.ConditionFalse), true},
		{"a child joins the stack",
			statusOf(1, vpc(creating), missingDB), statusOf(1, vpc(creating), waitingSubnet, missingDB), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := progressOnly(tt.from, tt.to); got != tt.want {
				t.Errorf("progressOnly = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestProgressDueHoldsBackOnlyProgressAndOnlyInsideTheInterval(t *testing.T) {
	families := []Family{FamilyNetwork}
	vpc := func(conds ...*ackv1alpha1.Condition) childFacts {
		return childFacts{Family: FamilyNetwork, Kind: "VPC", Name: "p-vpc", Live: vpcWith(conds...)}
	}
	subnet := func(conds ...*ackv1alpha1.Condition) childFacts {
		return childFacts{Family: FamilyNetwork, Kind: "Subnet", Name: "p-subnet", Live: vpcWith(conds...)}
	}
	statusOf := func(children ...childFacts) *platformv1alpha1.DocuFlowStackStatus {
		st := &platformv1alpha1.DocuFlowStackStatus{ObservedGeneration: 1}
		computeStatus(passFacts{Generation: 1, Families: families, Children: children}, st)
		return st
	}
	written := statusOf(vpc(creating), subnet(creating))
	progress := statusOf(vpc(synced), subnet(creating))
	significant := statusOf(vpc(synced), subnet(synced))
	const interval = 10 * time.Second
	tests := []struct {
		name      string
		interval  time.Duration
		lastWrite time.Duration // ago; 0 means never
		next      *platformv1alpha1.DocuFlowStackStatus
		deleting  bool
		passErr   error
		held      bool
		// convergingAt is how long before the last write the stack began
		// converging (Reconciling turned True); 0 leaves it at now.
		convergingAt time.Duration
		maxHold      time.Duration
	}{
		{name: "progress a minute after a write is held when the stack had converged for two before it",
			interval: interval, lastWrite: time.Minute, convergingAt: 2 * time.Minute, next: progress, held: true, maxHold: time.Minute},
		{name: "progress is written once the write is as old as the convergence was",
			interval: interval, lastWrite: 2*time.Minute + time.Second, convergingAt: 2 * time.Minute, next: progress},
		{name: "more than progress is written at once however long the convergence",
			interval: interval, lastWrite: time.Second, convergingAt: time.Hour, next: significant},
		{name: "progress just after a write is held", interval: interval, lastWrite: time.Second, next: progress, held: true},
		{name: "progress once the interval is over is written", interval: interval, lastWrite: 11 * time.Second, next: progress},
		{name: "a family turning ready is written", interval: interval, lastWrite: time.Second, next: significant},
		{name: "the operator never wrote the status", interval: interval, next: progress},
		{name: "a failed pass writes", interval: interval, lastWrite: time.Second, next: progress, passErr: errors.New("boom")},
		{name: "a deleting stack writes", interval: interval, lastWrite: time.Second, next: progress, deleting: true},
		{name: "interval 0 writes every change", lastWrite: time.Second, next: progress},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := &DocuFlowStackReconciler{StatusProgressInterval: tt.interval}
			stack := &platformv1alpha1.DocuFlowStack{}
			stack.UID = "u1"
			stack.Status = *tt.next.DeepCopy()
			if tt.lastWrite > 0 {
				// When the operator last applied the status is read from
				// its field manager's entry, as the API server keeps it.
				at := metav1.NewTime(time.Now().Add(-tt.lastWrite))
				stack.ManagedFields = []metav1.ManagedFieldsEntry{
					{Manager: "kubectl", Operation: metav1.ManagedFieldsOperationUpdate, Time: &metav1.Time{}},
					{Manager: StatusFieldManager, Operation: metav1.ManagedFieldsOperationApply, Subresource: "status", Time: &at},
				}
			}
			s := &scope{stack: stack}
			if tt.deleting {
				s.deleting = &deletingFacts{}
			}
			w := written.DeepCopy()
			if tt.convergingAt > 0 {
				for i := range w.Conditions {
					if w.Conditions[i].Type == platformv1alpha1.ConditionReconciling {
						w.Conditions[i].LastTransitionTime = metav1.NewTime(time.Now().Add(-tt.lastWrite - tt.convergingAt))
					}
				}
			}
			due := r.progressDue(s, w, tt.passErr)
			limit := cmp.Or(tt.maxHold, interval)
			switch {
			case tt.held && (due <= 0 || due > limit):
				t.Errorf("due = %s, want a hold-back within %s", due, limit)
			case !tt.held && due > 0:
				t.Errorf("due = %s, want the status written now", due)
			}
		})
	}
}

func TestComputeStatusWritesTheCostAsStringsOrSaysWhyThereIsNone(t *testing.T) {
	estimate := cost.Estimate{PricesAsOf: "2026-12-02", TotalUSD: 412.369, Families: []cost.FamilyCost{
		{Family: cost.FamilyNetwork, MonthlyUSD: 197.1},
		{Family: cost.FamilyDatabase, MonthlyUSD: 215.269},
	}}
	tests := []struct {
		name     string
		estimate cost.Estimate
		err      error
		want     *platformv1alpha1.CostStatus
	}{
		{"an estimate is written in dollars with two decimals, by family in the estimate's order", estimate, nil, &platformv1alpha1.CostStatus{
			MonthlyUSD: "412.37", PricesAsOf: "2026-12-02",
			Families: []platformv1alpha1.FamilyCost{{Family: "network", MonthlyUSD: "197.10"}, {Family: "database", MonthlyUSD: "215.27"}},
		}},
		{"a stack without prices shows why, and no amount", cost.Estimate{}, errors.New(`no prices for region "ap-south-2"`), &platformv1alpha1.CostStatus{
			Error: `no prices for region "ap-south-2"`,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var st platformv1alpha1.DocuFlowStackStatus
			computeStatus(passFacts{Generation: 1, Cost: tt.estimate, CostErr: tt.err}, &st)
			if !reflect.DeepEqual(st.Cost, tt.want) {
				t.Errorf("status.cost %+v, want %+v", st.Cost, tt.want)
			}
		})
	}
}
