package desired

import (
	"reflect"
	"testing"
	"time"

	platformv1alpha1 "github.com/docuflow/docuflow-operator/api/v1alpha1"
	"github.com/docuflow/docuflow-operator/internal/ack"
	"github.com/docuflow/docuflow-operator/internal/ack/acktest"
	"github.com/docuflow/docuflow-operator/internal/ack/core"

	ecsv1alpha1 "github.com/docuflow/docuflow-operator/internal/ack/ecs/v1alpha1"
	rdsv1alpha1 "github.com/docuflow/docuflow-operator/internal/ack/rds/v1alpha1"
)

func TestRenderHash(t *testing.T) {
	stack := newStack("prod")
	obs := observedFor(t, stack, observedAll())
	base := only[*ecsv1alpha1.Service](t, mustBuild(t, stack, obs).Objects)
	h := RenderHash(base)
	if base.Annotations[AnnotationAppliedHash] != h {
		t.Fatalf("the render carries hash %q, RenderHash says %q", base.Annotations[AnnotationAppliedHash], h)
	}
	tests := []struct {
		name   string
		change func(*ecsv1alpha1.Service)
		same   bool
	}{
		{"the task count Application Auto Scaling moves is not part of it", func(s *ecsv1alpha1.Service) { s.Spec.DesiredCount = ptrTo(int64(9)) }, true},
		{"ACK's read-only switch is not part of it", func(s *ecsv1alpha1.Service) { s.Annotations[AnnotationReadOnly] = "true" }, true},
		{"the time of the write is not part of it", func(s *ecsv1alpha1.Service) { s.Annotations[AnnotationAppliedAt] = "2026-12-01T00:00:00Z" }, true},
		{"a new task definition is", func(s *ecsv1alpha1.Service) {
			s.Spec.TaskDefinition = ptrTo("arn:aws:ecs:us-east-1:123456789012:task-definition/prod-api-x:2")
		}, false},
		{"a label is", func(s *ecsv1alpha1.Service) { s.Labels["extra"] = "1" }, false},
		{"another annotation is", func(s *ecsv1alpha1.Service) { s.Annotations[AnnotationDependsOn] += ",Subnet/x" }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := base.DeepCopy()
			tt.change(s)
			if got := RenderHash(s) == h; got != tt.same {
				t.Errorf("same hash = %v, want %v", got, tt.same)
			}
		})
	}
	// desiredCount is only volatile on the Service.
	db := only[*rdsv1alpha1.DBInstance](t, mustBuild(t, stack, obs).Objects)
	grown := db.DeepCopy()
	grown.Spec.AllocatedStorage = ptrTo(int64(500))
	if RenderHash(db) == RenderHash(grown) {
		t.Error("a DBInstance's allocatedStorage is not part of its hash")
	}
}

func TestTheServiceIsReadOnlyBetweenTheOperatorsOwnChanges(t *testing.T) {
	stack := newStack("prod")
	obs := observedFor(t, stack, observedAll())
	render := only[*ecsv1alpha1.Service](t, mustBuild(t, stack, obs).Objects)
	applied := render.Annotations[AnnotationAppliedHash]
	td := *render.Spec.TaskDefinition
	wrote := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	tests := []struct {
		name     string
		svc      ServiceObservation
		readOnly bool
	}{
		{name: "a new service is created writable", svc: ServiceObservation{}},
		{name: "while ACK has not reconciled since the write, it stays writable",
			svc: ServiceObservation{Exists: true, Synced: true, SyncedAt: wrote.Add(-time.Minute), AppliedHash: applied, AppliedAt: wrote, PrimaryTaskDefinition: td}},
		{name: "while ECS has not taken the new task definition, it stays writable",
			svc: ServiceObservation{Exists: true, Synced: true, SyncedAt: wrote.Add(time.Second), AppliedHash: applied, AppliedAt: wrote, PrimaryTaskDefinition: "arn:aws:ecs:us-east-1:123456789012:task-definition/prod-api-old:1"}},
		{name: "once ACK synced it after the write and ECS runs the task definition, it is held read-only",
			svc: ServiceObservation{Exists: true, Synced: true, SyncedAt: wrote, AppliedHash: applied, AppliedAt: wrote, PrimaryTaskDefinition: td}, readOnly: true},
		{name: "a held service stays held while nothing of the operator's changes",
			svc: ServiceObservation{Exists: true, ReadOnly: true, AppliedHash: applied, AppliedAt: wrote}, readOnly: true},
		{name: "a change of the operator's own lifts the hold",
			svc: ServiceObservation{Exists: true, Synced: true, SyncedAt: wrote, ReadOnly: true, AppliedHash: "an older render", AppliedAt: wrote, PrimaryTaskDefinition: td}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := obs
			o.Service = tt.svc
			svc := only[*ecsv1alpha1.Service](t, mustBuild(t, stack, o).Objects)
			if got := svc.Annotations[AnnotationReadOnly] == "true"; got != tt.readOnly {
				t.Errorf("read-only = %v, want %v", got, tt.readOnly)
			}
			if svc.Annotations[AnnotationAppliedHash] != applied {
				t.Error("holding the service read-only changed its render's hash")
			}
		})
	}
}

func TestWritingTheServiceCarriesTheTaskCountECSRuns(t *testing.T) {
	stack := newStack("prod")
	stack.Spec.Autoscaling.MinTasks = ptrTo(int32(2))
	stack.Spec.Autoscaling.MaxTasks = 10
	for _, tt := range []struct {
		name     string
		observed int64
		want     int64
	}{
		{"a new service starts at minTasks", 0, 2},
		{"the autoscaler's count is carried", 7, 7},
		{"a count above maxTasks is clamped", 14, 10},
	} {
		t.Run(tt.name, func(t *testing.T) {
			obs := observedFor(t, stack, observedAll())
			obs.ServiceDesiredCount = tt.observed
			svc := only[*ecsv1alpha1.Service](t, mustBuild(t, stack, obs).Objects)
			if *svc.Spec.DesiredCount != tt.want {
				t.Errorf("desiredCount = %d, want %d", *svc.Spec.DesiredCount, tt.want)
			}
		})
	}
}

// TestRenderHashMatchesTheUnstructuredEncoding holds RenderHash's direct
// encoding to the bytes of the unstructured one it replaced: every child
// applied before carries a hash of those bytes, and a single different byte
// would have every child of every stack written again after an upgrade. It
// checks the renders of stacks of every shape, every kind filled in every
// field (acktest.Populate), and strings that encoding/json escapes.
func TestRenderHashMatchesTheUnstructuredEncoding(t *testing.T) {
	var objs []core.Object
	stacks := []*platformv1alpha1.DocuFlowStack{
		newStack("prod"),
		newStack("dev", withDevelopment()),
		newStack("three", withAZs(3), withAlarmTopic(alarmTopic), withAccessLogs("logs-bucket", "alb")),
		newStack("closed", withEgressCIDRs("192.0.2.0/24"), withEnv("GREETING", `<"héllo" & bye>`+"\n\u2028")),
		newStack("open", withPrivateEndpoints(false), withFlowLogs(false), withNATGateways(platformv1alpha1.NATGatewaysSingle)),
	}
	for _, stack := range stacks {
		objs = append(objs, mustBuild(t, stack, Observed{}).Objects...)
		objs = append(objs, mustBuild(t, stack, observedFor(t, stack, observedAll())).Objects...)
	}
	for _, proto := range ack.Kinds() {
		obj := proto.DeepCopyObject().(core.Object)
		acktest.Populate(obj)
		obj.SetLabels(map[string]string{"a": "1", "b&": "<2>"})
		objs = append(objs, obj)
		bare := proto.DeepCopyObject().(core.Object)
		objs = append(objs, bare)
	}
	checked := map[string]bool{}
	for _, obj := range objs {
		ann := map[string]string{}
		for k, v := range obj.GetAnnotations() {
			ann[k] = v
		}
		for _, k := range unhashed {
			delete(ann, k)
		}
		want := renderHashUnstructured(obj, ann)
		if got := RenderHash(obj); got != want {
			t.Errorf("%s %s: RenderHash %s, the unstructured encoding %s", ack.KindOf(obj), obj.GetName(), got, want)
		}
		spec := reflect.ValueOf(obj).Elem().FieldByName("Spec")
		if !fastEncodable(spec.Type()) {
			t.Errorf("%s: its spec is not encoded directly; RenderHash falls back to the slow path", ack.KindOf(obj))
		}
		checked[ack.KindOf(obj)] = true
	}
	if len(checked) != len(ack.Kinds()) {
		t.Errorf("checked %d kinds, want all %d", len(checked), len(ack.Kinds()))
	}
}
