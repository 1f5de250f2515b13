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
	name := strings.ToLower(strings.NewReplacer("/", "-", "_", "-").Replace(t.Name()))
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
