package v1alpha1_test

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	platformv1alpha1 "github.com/docuflow/docuflow-operator/api/v1alpha1"
	"github.com/docuflow/docuflow-operator/internal/controlplane"
	"github.com/docuflow/docuflow-operator/internal/validate/validatetest"
)

var k8s client.Client

func TestMain(m *testing.M) {
	env, cfg, err := controlplane.Start()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	scheme := runtime.NewScheme()
	if err := platformv1alpha1.AddToScheme(scheme); err != nil {
		panic(err)
	}
	k8s, err = client.New(cfg, client.Options{Scheme: scheme})
	if err != nil {
		panic(err)
	}
	code := m.Run()
	if err := env.Stop(); err != nil {
		fmt.Fprintln(os.Stderr, err)
	}
	os.Exit(code)
}

// sample returns the production sample as an unstructured object, so cases can
// set values the Go types could not hold.
func sample(t *testing.T) *unstructured.Unstructured {
	t.Helper()
	return &unstructured.Unstructured{Object: validatetest.Sample(t)}
}

// development is the smallest stack a developer would write.
func development() *unstructured.Unstructured {
	return &unstructured.Unstructured{Object: validatetest.Development()}
}

// set writes value at a dotted path below the object, creating maps on the way.
func set(obj *unstructured.Unstructured, path string, value any) {
	validatetest.Set(obj.Object, path, value)
}

// namespace creates a namespace for one test, so names never collide.
func namespace(t *testing.T) string {
	t.Helper()
	name := strings.Map(func(r rune) rune {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') {
			return r
		}
		return '-'
	}, strings.ToLower(t.Name()))
	if len(name) > 50 {
		name = name[:50]
	}
	name = strings.Trim(name, "-") + fmt.Sprintf("-%d", time.Now().UnixNano()%100000)
	ns := &unstructured.Unstructured{}
	ns.SetAPIVersion("v1")
	ns.SetKind("Namespace")
	ns.SetName(name)
	if err := k8s.Create(context.Background(), ns); err != nil {
		t.Fatalf("creating namespace %s: %v", name, err)
	}
	return name
}

func create(t *testing.T, obj *unstructured.Unstructured) error {
	t.Helper()
	obj.SetNamespace(namespace(t))
	return k8s.Create(context.Background(), obj, client.FieldValidation("Strict"))
}

func TestValidStacksAreAccepted(t *testing.T) {
	tests := []struct {
		name string
		obj  func() *unstructured.Unstructured
	}{
		{"the production sample is accepted", func() *unstructured.Unstructured { return sample(t) }},
		{"a minimal development stack is accepted", development},
		{"a development stack may use a single task and a small database", func() *unstructured.Unstructured {
			o := development()
			set(o, "spec.autoscaling.maxTasks", int64(1))
			set(o, "spec.database.instanceClass", "db.t4g.micro")
			return o
		}},
		{"a stack may delete its database when it says so explicitly", func() *unstructured.Unstructured {
			o := sample(t)
			set(o, "spec.database.deletionPolicy", "Delete")
			return o
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := create(t, tt.obj()); err != nil {
				t.Fatalf("rejected: %v", err)
			}
		})
	}
}

// TestEdgeCasesOfEachRuleAreAccepted creates, for each rule of the bad-input
// table, a valid stack at its edge.
func TestEdgeCasesOfEachRuleAreAccepted(t *testing.T) {
	for _, v := range validatetest.GoodInputs() {
		t.Run(v.Name, func(t *testing.T) {
			obj := sample(t)
			v.Mutate(obj.Object)
			if err := create(t, obj); err != nil {
				t.Fatalf("rejected: %v", err)
			}
		})
	}
}

func TestSchemaDefaultsFillAMinimalStack(t *testing.T) {
	obj := development()
	if err := create(t, obj); err != nil {
		t.Fatal(err)
	}
	stack := &platformv1alpha1.DocuFlowStack{}
	if err := k8s.Get(context.Background(), client.ObjectKeyFromObject(obj), stack); err != nil {
		t.Fatal(err)
	}
	s := stack.Spec
	got := validatetest.DefaultsOf(s)
	want := validatetest.ExpectedDefaults()
	for k, w := range want {
		if got[k] != w {
			t.Errorf("default of spec.%s = %v, want %v", k, got[k], w)
		}
	}
	// Profile-dependent fields stay unset in the object: the operator resolves
	// them, so a later profile change takes effect and Argo CD sees no drift.
	if s.Database.MultiAZ != nil || s.Autoscaling.MinTasks != nil || s.Network.NATGateways != nil {
		t.Errorf("profile-dependent fields were defaulted by the schema: %+v %+v %+v", s.Database.MultiAZ, s.Autoscaling.MinTasks, s.Network.NATGateways)
	}
}

// TestBadInputIsRejectedNamingTheField creates one invalid stack per case and
// expects the API server to refuse it with the offending field in the message.
func TestBadInputIsRejectedNamingTheField(t *testing.T) {
	for _, tt := range validatetest.BadInputs() {
		t.Run(tt.Name, func(t *testing.T) {
			obj := sample(t)
			tt.Mutate(obj.Object)
			err := create(t, obj)
			expectRejection(t, err, tt.Field, tt.Says)
		})
	}
}

// TestDangerousEditsAreRejected creates a valid stack, then changes it in ways
// that AWS cannot follow without losing data or that ACK would silently ignore.
func TestDangerousEditsAreRejected(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(o *unstructured.Unstructured)
		field  string
		says   string
	}{
		{"changing vpcCIDR after creation", func(o *unstructured.Unstructured) {
			set(o, "spec.network.vpcCIDR", "10.41.0.0/16")
		}, "spec.network.vpcCIDR", "cannot change"},
		{"changing the region after creation", func(o *unstructured.Unstructured) {
			set(o, "spec.region", "us-east-2")
			set(o, "spec.network.availabilityZones", []any{"us-east-2a", "us-east-2b", "us-east-2c"})
			set(o, "spec.loadBalancer.certificateARN", "arn:aws:acm:us-east-2:123456789012:certificate/0a1b2c3d")
			set(o, "spec.observability.alarmTopicARN", "arn:aws:sns:us-east-2:123456789012:docuflow-alarms")
		}, "spec.region", "region cannot change"},
		{"downgrading the PostgreSQL major version", func(o *unstructured.Unstructured) {
			set(o, "spec.database.engineVersion", "15.7")
		}, "spec.database.engineVersion", "cannot be downgraded"},
		{"shrinking storage", func(o *unstructured.Unstructured) {
			set(o, "spec.database.storageGiB", int64(40))
		}, "spec.database.storageGiB", "cannot shrink"},
		{"removing an availability zone", func(o *unstructured.Unstructured) {
			set(o, "spec.network.availabilityZones", []any{"us-east-1a", "us-east-1b"})
		}, "spec.network.availabilityZones", "cannot be removed"},
		{"downgrading production to development", func(o *unstructured.Unstructured) {
			set(o, "spec.profile", "development")
		}, "spec.profile", "profile cannot change"},
		{"switching a production stack to Delete without confirmation", func(o *unstructured.Unstructured) {
			set(o, "spec.database.deletionPolicy", "Delete")
		}, "spec.database.confirmDataDeletion", "set spec.database.confirmDataDeletion to the stack's name"},
		{"switching a production stack to Delete confirmed with another name", func(o *unstructured.Unstructured) {
			set(o, "spec.database.deletionPolicy", "Delete")
			set(o, "spec.database.confirmDataDeletion", "docuflow-staging")
		}, "spec.database.confirmDataDeletion", "set spec.database.confirmDataDeletion to the stack's name"},
		{"lowering log retention below the production default", func(o *unstructured.Unstructured) {
			set(o, "spec.observability.logRetentionDays", int64(1))
		}, "spec.observability.logRetentionDays", "cannot be lowered below the profile's default"},
		{"lowering log retention from 365 to 180 days in production", func(o *unstructured.Unstructured) {
			set(o, "spec.observability.logRetentionDays", int64(180))
		}, "spec.observability.logRetentionDays", "365 in production"},
		{"lowering backup retention below the production default", func(o *unstructured.Unstructured) {
			set(o, "spec.database.backupRetentionDays", int64(7))
		}, "spec.database.backupRetentionDays", "cannot be lowered below the profile's default"},
		{"adopting after creation", func(o *unstructured.Unstructured) {
			set(o, "spec.adopt", map[string]any{"ecsClusterName": "terraform-cluster"})
		}, "spec.adopt", "adopt can only be set when the stack is created"},
		{"lowering flow log retention below 90 days", func(o *unstructured.Unstructured) {
			set(o, "spec.network.flowLogs.retentionDays", int64(30))
		}, "spec.network.flowLogs.retentionDays", "cannot be lowered below 90 days"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			obj := sample(t)
			if err := create(t, obj); err != nil {
				t.Fatalf("creating the valid stack: %v", err)
			}
			tt.mutate(obj)
			err := k8s.Update(context.Background(), obj)
			expectRejection(t, err, tt.field, tt.says)
		})
	}
}

func TestSafeEditsAreAccepted(t *testing.T) {
	obj := sample(t)
	if err := create(t, obj); err != nil {
		t.Fatal(err)
	}
	set(obj, "spec.database.engineVersion", "17.2")
	set(obj, "spec.database.storageGiB", int64(100))
	set(obj, "spec.network.availabilityZones", []any{"us-east-1a", "us-east-1b", "us-east-1c", "us-east-1d"})
	set(obj, "spec.autoscaling.maxTasks", int64(40))
	if err := k8s.Update(context.Background(), obj); err != nil {
		t.Fatalf("a major upgrade, more storage, another zone and more tasks were rejected: %v", err)
	}
}

// TestGuardedEditsHaveAnAcceptedPath shows, for each transition rule, the
// edit it still lets through, and what a stack stored before a floor existed
// (here: created below it, which stays allowed) experiences.
func TestGuardedEditsHaveAnAcceptedPath(t *testing.T) {
	tests := []struct {
		name   string
		create func(o *unstructured.Unstructured)
		edits  []func(o *unstructured.Unstructured)
		reject *struct{ field, says string } // the last edit's rejection, if any
	}{
		{name: "switching a production stack to Delete confirmed with its name", edits: []func(o *unstructured.Unstructured){
			func(o *unstructured.Unstructured) {
				set(o, "spec.database.deletionPolicy", "Delete")
				set(o, "spec.database.confirmDataDeletion", o.GetName())
			},
		}},
		{name: "a stack created with Delete is edited without a confirmation", create: func(o *unstructured.Unstructured) {
			set(o, "spec.database.deletionPolicy", "Delete")
		}, edits: []func(o *unstructured.Unstructured){
			func(o *unstructured.Unstructured) { set(o, "spec.autoscaling.maxTasks", int64(30)) },
		}},
		{name: "a development stack switches to Delete without confirmation", create: func(o *unstructured.Unstructured) {
			set(o, "spec.profile", "development")
		}, edits: []func(o *unstructured.Unstructured){
			func(o *unstructured.Unstructured) { set(o, "spec.database.deletionPolicy", "Delete") },
		}},
		{name: "retention raised and lowered back to the production defaults", edits: []func(o *unstructured.Unstructured){
			func(o *unstructured.Unstructured) {
				set(o, "spec.observability.logRetentionDays", int64(731))
				set(o, "spec.database.backupRetentionDays", int64(35))
				set(o, "spec.network.flowLogs.retentionDays", int64(365))
			},
			func(o *unstructured.Unstructured) {
				set(o, "spec.observability.logRetentionDays", int64(365))
				set(o, "spec.database.backupRetentionDays", int64(14))
				set(o, "spec.network.flowLogs.retentionDays", int64(90))
			},
			func(o *unstructured.Unstructured) {
				unstructured.RemoveNestedField(o.Object, "spec", "observability", "logRetentionDays")
				unstructured.RemoveNestedField(o.Object, "spec", "database", "backupRetentionDays")
			},
		}},
		{name: "a stack below the floors keeps and raises its retention but cannot lower it further", create: func(o *unstructured.Unstructured) {
			set(o, "spec.observability.logRetentionDays", int64(30))
			set(o, "spec.database.backupRetentionDays", int64(7))
			set(o, "spec.network.flowLogs.retentionDays", int64(14))
		}, edits: []func(o *unstructured.Unstructured){
			func(o *unstructured.Unstructured) { set(o, "spec.autoscaling.maxTasks", int64(30)) },
			func(o *unstructured.Unstructured) {
				set(o, "spec.observability.logRetentionDays", int64(60))
				set(o, "spec.database.backupRetentionDays", int64(10))
				set(o, "spec.network.flowLogs.retentionDays", int64(30))
			},
			func(o *unstructured.Unstructured) { set(o, "spec.observability.logRetentionDays", int64(14)) },
		}, reject: &struct{ field, says string }{"spec.observability.logRetentionDays", "cannot be lowered"}},
		{name: "a development stack lowers its log retention to its default, 30, but not below", create: func(o *unstructured.Unstructured) {
			set(o, "spec.profile", "development")
			set(o, "spec.observability.logRetentionDays", int64(90))
		}, edits: []func(o *unstructured.Unstructured){
			func(o *unstructured.Unstructured) { set(o, "spec.observability.logRetentionDays", int64(30)) },
			func(o *unstructured.Unstructured) { set(o, "spec.observability.logRetentionDays", int64(14)) },
		}, reject: &struct{ field, says string }{"spec.observability.logRetentionDays", "30 in development"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			obj := sample(t)
			if tt.create != nil {
				tt.create(obj)
			}
			if err := create(t, obj); err != nil {
				t.Fatalf("creating the stack: %v", err)
			}
			for i, edit := range tt.edits {
				edit(obj)
				err := k8s.Update(context.Background(), obj)
				if i == len(tt.edits)-1 && tt.reject != nil {
					expectRejection(t, err, tt.reject.field, tt.reject.says)
					return
				}
				if err != nil {
					t.Fatalf("edit %d rejected: %v", i+1, err)
				}
			}
		})
	}
}

func expectRejection(t *testing.T, err error, field, says string) {
	t.Helper()
	if err == nil {
		t.Fatalf("accepted; want a rejection naming %s", field)
	}
	if !apierrors.IsInvalid(err) && !apierrors.IsBadRequest(err) {
		t.Fatalf("want an Invalid or BadRequest error naming %s, got %v", field, err)
	}
	msg := err.Error()
	if !strings.Contains(msg, field) {
		t.Errorf("the error does not name %s:\n%s", field, msg)
	}
	if !strings.Contains(msg, says) {
		t.Errorf("the error does not say %q:\n%s", says, msg)
	}
}

// TestAnAdoptingStackIsAcceptedAndItsAdoptionKept: spec.adopt is accepted at
// creation and can neither change nor go afterwards (ACK adopts only when a
// child is created).
func TestAnAdoptingStackIsAcceptedAndItsAdoptionKept(t *testing.T) {
	obj := sample(t)
	adopt := map[string]any{
		"vpcID": "vpc-0a1b2c3d4e5f67890", "internetGatewayID": "igw-0a1b2c3d4e5f67890", "dbInstanceIdentifier": "terraform-docuflow", "ecsClusterName": "terraform-cluster",
		"subnets": []any{
			map[string]any{"zone": "us-east-1a", "publicSubnetID": "subnet-0a000000000000001", "privateSubnetID": "subnet-0a000000000000002"},
			map[string]any{"zone": "us-east-1b", "publicSubnetID": "subnet-0a000000000000003", "privateSubnetID": "subnet-0a000000000000004"},
			map[string]any{"zone": "us-east-1c", "publicSubnetID": "subnet-0a000000000000005", "privateSubnetID": "subnet-0a000000000000006"},
		},
	}
	set(obj, "spec.adopt", adopt)
	if err := create(t, obj); err != nil {
		t.Fatalf("a stack adopting a VPC, its gateway, subnets, database and cluster was rejected: %v", err)
	}
	changed := obj.DeepCopy()
	set(changed, "spec.adopt.ecsClusterName", "another-cluster")
	expectRejection(t, k8s.Update(context.Background(), changed), "spec.adopt", "adopt cannot change")
	removed := obj.DeepCopy()
	unstructured.RemoveNestedField(removed.Object, "spec", "adopt")
	expectRejection(t, k8s.Update(context.Background(), removed), "spec.adopt", "adopt can only be set when the stack is created")
}
