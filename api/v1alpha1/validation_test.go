package v1alpha1_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	platformv1alpha1 "github.com/docuflow/docuflow-operator/api/v1alpha1"
	"github.com/docuflow/docuflow-operator/internal/controlplane"
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
	root, err := controlplane.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(root, "config", "samples", "platform_v1alpha1_docuflowstack.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	obj := &unstructured.Unstructured{}
	if err := yaml.Unmarshal(b, &obj.Object); err != nil {
		t.Fatal(err)
	}
	return obj
}

// development is the smallest stack a developer would write.
func development() *unstructured.Unstructured {
	return &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "platform.docuflow.io/v1alpha1",
		"kind":       "DocuFlowStack",
		"metadata":   map[string]any{"name": "dev"},
		"spec": map[string]any{
			"region":       "eu-west-1",
			"profile":      "development",
			"network":      map[string]any{"availabilityZones": []any{"eu-west-1a", "eu-west-1b"}},
			"service":      map[string]any{"image": "public.ecr.aws/docuflow/api:1.4.2"},
			"loadBalancer": map[string]any{"insecureHTTPOnly": true},
		},
	}}
}

// set writes value at a dotted path below the object, creating maps on the way.
func set(obj *unstructured.Unstructured, path string, value any) {
	if err := unstructured.SetNestedField(obj.Object, value, strings.Split(path, ".")...); err != nil {
		panic(err)
	}
}

func unset(obj *unstructured.Unstructured, path string) {
	unstructured.RemoveNestedField(obj.Object, strings.Split(path, ".")...)
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
	got := map[string]any{
		"network.vpcCIDR":                 s.Network.VPCCIDR,
		"network.flowLogs.retentionDays":  s.Network.FlowLogs.RetentionDays,
		"database.engineVersion":          s.Database.EngineVersion,
		"database.storageGiB":             s.Database.StorageGiB,
		"database.databaseName":           s.Database.DatabaseName,
		"service.containerPort":           s.Service.ContainerPort,
		"service.cpu":                     s.Service.CPU,
		"service.memory":                  s.Service.Memory,
		"service.healthCheckPath":         s.Service.HealthCheckPath,
		"loadBalancer.allowedCIDRs":       strings.Join(s.LoadBalancer.AllowedCIDRs, ","),
		"loadBalancer.sslPolicy":          s.LoadBalancer.SSLPolicy,
		"loadBalancer.idleTimeoutSeconds": s.LoadBalancer.IdleTimeoutSeconds,
		"autoscaling.maxTasks":            s.Autoscaling.MaxTasks,
		"autoscaling.targetCPUPercent":    s.Autoscaling.TargetCPUPercent,
		"autoscaling.scaleInCooldown":     s.Autoscaling.ScaleInCooldownSeconds,
		"autoscaling.scaleOutCooldown":    s.Autoscaling.ScaleOutCooldownSeconds,
	}
	want := map[string]any{
		"network.vpcCIDR":                 "10.0.0.0/16",
		"network.flowLogs.retentionDays":  int32(90),
		"database.engineVersion":          "16.4",
		"database.storageGiB":             int32(20),
		"database.databaseName":           "docuflow",
		"service.containerPort":           int32(8080),
		"service.cpu":                     int32(512),
		"service.memory":                  int32(1024),
		"service.healthCheckPath":         "/healthz",
		"loadBalancer.allowedCIDRs":       "0.0.0.0/0",
		"loadBalancer.sslPolicy":          "ELBSecurityPolicy-TLS13-1-2-2021-06",
		"loadBalancer.idleTimeoutSeconds": int32(60),
		"autoscaling.maxTasks":            int32(10),
		"autoscaling.targetCPUPercent":    int32(60),
		"autoscaling.scaleInCooldown":     int32(300),
		"autoscaling.scaleOutCooldown":    int32(60),
	}
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
	tests := []struct {
		name   string
		mutate func(o *unstructured.Unstructured)
		field  string // the path the error must name
		says   string // a fragment of the explanation
	}{
		{"minTasks above maxTasks", func(o *unstructured.Unstructured) {
			set(o, "spec.autoscaling.minTasks", int64(5))
			set(o, "spec.autoscaling.maxTasks", int64(3))
		}, "spec.autoscaling.minTasks", "must not exceed maxTasks"},
		{"the production default of two tasks above maxTasks 1", func(o *unstructured.Unstructured) {
			unset(o, "spec.autoscaling.minTasks")
			set(o, "spec.autoscaling.maxTasks", int64(1))
		}, "spec.autoscaling.minTasks", "2 by default in production"},
		{"a cpu/memory pair Fargate does not offer", func(o *unstructured.Unstructured) {
			set(o, "spec.service.cpu", int64(256))
			set(o, "spec.service.memory", int64(4096))
		}, "spec.service.memory", "a pair Fargate offers"},
		{"a cpu size Fargate does not offer", func(o *unstructured.Unstructured) {
			set(o, "spec.service.cpu", int64(300))
		}, "spec.service.cpu", "Unsupported value"},
		{"a malformed VPC CIDR", func(o *unstructured.Unstructured) {
			set(o, "spec.network.vpcCIDR", "10.40.0.0/33")
		}, "spec.network.vpcCIDR", "must be an IPv4 CIDR"},
		{"a VPC CIDR that is not a CIDR at all", func(o *unstructured.Unstructured) {
			set(o, "spec.network.vpcCIDR", "ten-forty")
		}, "spec.network.vpcCIDR", "must be an IPv4 CIDR"},
		{"a VPC CIDR too large to be a VPC", func(o *unstructured.Unstructured) {
			set(o, "spec.network.vpcCIDR", "10.0.0.0/8")
		}, "spec.network.vpcCIDR", "/16 to /22"},
		{"a public VPC CIDR", func(o *unstructured.Unstructured) {
			set(o, "spec.network.vpcCIDR", "8.8.0.0/16")
		}, "spec.network.vpcCIDR", "RFC 1918"},
		{"a VPC CIDR with host bits set", func(o *unstructured.Unstructured) {
			set(o, "spec.network.vpcCIDR", "10.40.1.0/16")
		}, "spec.network.vpcCIDR", "network address"},
		{"one availability zone", func(o *unstructured.Unstructured) {
			set(o, "spec.network.availabilityZones", []any{"us-east-1a"})
		}, "spec.network.availabilityZones", "at least 2 items"},
		{"a repeated availability zone", func(o *unstructured.Unstructured) {
			set(o, "spec.network.availabilityZones", []any{"us-east-1a", "us-east-1a"})
		}, "spec.network.availabilityZones[1]", "Duplicate value"},
		{"seven availability zones", func(o *unstructured.Unstructured) {
			set(o, "spec.network.availabilityZones", []any{"us-east-1a", "us-east-1b", "us-east-1c", "us-east-1d", "us-east-1e", "us-east-1f", "us-east-1g"})
		}, "spec.network.availabilityZones", "at most 6 items"},
		{"an availability zone of another region", func(o *unstructured.Unstructured) {
			set(o, "spec.network.availabilityZones", []any{"us-east-1a", "eu-west-1b"})
		}, "spec.network.availabilityZones", "must be in spec.region"},
		{"an unknown NAT gateway mode", func(o *unstructured.Unstructured) {
			set(o, "spec.network.natGateways", "Two")
		}, "spec.network.natGateways", "Unsupported value"},
		{"backupRetentionDays 0", func(o *unstructured.Unstructured) {
			set(o, "spec.database.backupRetentionDays", int64(0))
		}, "spec.database.backupRetentionDays", "greater than or equal to 1"},
		{"backupRetentionDays 36", func(o *unstructured.Unstructured) {
			set(o, "spec.database.backupRetentionDays", int64(36))
		}, "spec.database.backupRetentionDays", "less than or equal to 35"},
		{"containerPort 0", func(o *unstructured.Unstructured) {
			set(o, "spec.service.containerPort", int64(0))
		}, "spec.service.containerPort", "greater than or equal to 1"},
		{"containerPort 65536", func(o *unstructured.Unstructured) {
			set(o, "spec.service.containerPort", int64(65536))
		}, "spec.service.containerPort", "less than or equal to 65535"},
		{"a health check path without a leading slash", func(o *unstructured.Unstructured) {
			set(o, "spec.service.healthCheckPath", "healthz")
		}, "spec.service.healthCheckPath", "should match"},
		{"a malformed certificate ARN", func(o *unstructured.Unstructured) {
			set(o, "spec.loadBalancer.certificateARN", "arn:aws:iam::123456789012:server-certificate/docuflow")
		}, "spec.loadBalancer.certificateARN", "should match"},
		{"a certificate from another region", func(o *unstructured.Unstructured) {
			set(o, "spec.loadBalancer.certificateARN", "arn:aws:acm:eu-west-1:123456789012:certificate/0a1b2c3d")
		}, "spec.loadBalancer.certificateARN", "in spec.region"},
		{"HTTPS without a certificate and without insecureHTTPOnly", func(o *unstructured.Unstructured) {
			unset(o, "spec.loadBalancer.certificateARN")
		}, "spec.loadBalancer.certificateARN", "certificateARN is required"},
		{"insecureHTTPOnly with profile production", func(o *unstructured.Unstructured) {
			unset(o, "spec.loadBalancer.certificateARN")
			set(o, "spec.loadBalancer.insecureHTTPOnly", true)
		}, "spec.loadBalancer.insecureHTTPOnly", "not allowed with profile production"},
		{"insecureHTTPOnly next to a certificate", func(o *unstructured.Unstructured) {
			set(o, "spec.profile", "development")
			set(o, "spec.loadBalancer.insecureHTTPOnly", true)
		}, "spec.loadBalancer.insecureHTTPOnly", "contradict"},
		{"a TLS policy that allows TLS 1.0", func(o *unstructured.Unstructured) {
			set(o, "spec.loadBalancer.sslPolicy", "ELBSecurityPolicy-2016-08")
		}, "spec.loadBalancer.sslPolicy", "should match"},
		{"an allowed range that is not a CIDR", func(o *unstructured.Unstructured) {
			set(o, "spec.loadBalancer.allowedCIDRs", []any{"203.0.113.7"})
		}, "spec.loadBalancer.allowedCIDRs[0]", "must be an IPv4 CIDR"},
		{"an unknown deletionPolicy", func(o *unstructured.Unstructured) {
			set(o, "spec.database.deletionPolicy", "Archive")
		}, "spec.database.deletionPolicy", "Unsupported value"},
		{"maxStorageGiB below storageGiB", func(o *unstructured.Unstructured) {
			set(o, "spec.database.storageGiB", int64(100))
			set(o, "spec.database.maxStorageGiB", int64(50))
		}, "spec.database.maxStorageGiB", "at least storageGiB"},
		{"storage below the RDS minimum", func(o *unstructured.Unstructured) {
			set(o, "spec.database.storageGiB", int64(10))
		}, "spec.database.storageGiB", "greater than or equal to 20"},
		{"an unsupported PostgreSQL version", func(o *unstructured.Unstructured) {
			set(o, "spec.database.engineVersion", "9.6")
		}, "spec.database.engineVersion", "should match"},
		{"a malformed instance class", func(o *unstructured.Unstructured) {
			set(o, "spec.database.instanceClass", "t4g.medium")
		}, "spec.database.instanceClass", "should match"},
		{"an environment variable named like a secret", func(o *unstructured.Unstructured) {
			set(o, "spec.service.env", []any{map[string]any{"name": "DB_PASSWORD", "value": "hunter2"}})
		}, "spec.service.env[0].name", "looks like a secret"},
		{"an environment variable with a reserved name", func(o *unstructured.Unstructured) {
			set(o, "spec.service.env", []any{map[string]any{"name": "DOCUFLOW_DB_HOST", "value": "elsewhere"}})
		}, "spec.service.env[0].name", "reserved"},
		{"an environment variable set twice", func(o *unstructured.Unstructured) {
			set(o, "spec.service.env", []any{map[string]any{"name": "LOG_LEVEL", "value": "info"}, map[string]any{"name": "LOG_LEVEL", "value": "debug"}})
		}, "spec.service.env[1]", "Duplicate value"},
		{"an image without a pinned version", func(o *unstructured.Unstructured) {
			set(o, "spec.service.image", "public.ecr.aws/docuflow/api:latest")
		}, "spec.service.image", "pin a version"},
		{"no image", func(o *unstructured.Unstructured) {
			unset(o, "spec.service.image")
		}, "spec.service.image", "Required value"},
		{"a malformed region", func(o *unstructured.Unstructured) {
			set(o, "spec.region", "US East")
		}, "spec.region", "should match"},
		{"no region", func(o *unstructured.Unstructured) {
			unset(o, "spec.region")
		}, "spec.region", "Required value"},
		{"an unknown profile", func(o *unstructured.Unstructured) {
			set(o, "spec.profile", "staging")
		}, "spec.profile", "Unsupported value"},
		{"a log retention CloudWatch does not accept", func(o *unstructured.Unstructured) {
			set(o, "spec.observability.logRetentionDays", int64(10))
		}, "spec.observability.logRetentionDays", "Unsupported value"},
		{"a malformed alarm topic", func(o *unstructured.Unstructured) {
			set(o, "spec.observability.alarmTopicARN", "docuflow-alarms")
		}, "spec.observability.alarmTopicARN", "should match"},
		{"a tag with a reserved prefix", func(o *unstructured.Unstructured) {
			set(o, "spec.tags", map[string]any{"aws:cloudformation:stack-name": "x"})
		}, "spec.tags", "reserved prefixes"},
		{"a target CPU of 100 percent", func(o *unstructured.Unstructured) {
			set(o, "spec.autoscaling.targetCPUPercent", int64(100))
		}, "spec.autoscaling.targetCPUPercent", "less than or equal to 95"},
		{"an access log bucket that is not a bucket name", func(o *unstructured.Unstructured) {
			set(o, "spec.loadBalancer.accessLogs.bucket", "s3://my-alb-logs")
		}, "spec.loadBalancer.accessLogs.bucket", "should match"},
		{"a misspelled field", func(o *unstructured.Unstructured) {
			set(o, "spec.database.multiAz", true)
		}, "spec.database.multiAz", "unknown field"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			obj := sample(t)
			tt.mutate(obj)
			err := create(t, obj)
			expectRejection(t, err, tt.field, tt.says)
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
