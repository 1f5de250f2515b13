package validate

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"
)

// sampleFile is the production sample that envtest's validation test creates.
var sampleFile = filepath.Join("..", "..", "config", "samples", "platform_v1alpha1_docuflowstack.yaml")

// sample returns the production sample as a generic object, so cases can set
// values the Go types could not hold.
func sample(t *testing.T) map[string]any {
	t.Helper()
	b, err := os.ReadFile(sampleFile)
	if err != nil {
		t.Fatal(err)
	}
	obj := map[string]any{}
	if err := yaml.Unmarshal(b, &obj); err != nil {
		t.Fatal(err)
	}
	return obj
}

// development is the smallest stack a developer would write.
func development() map[string]any {
	return map[string]any{
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
	}
}

// set writes value at a dotted path below obj, creating maps on the way.
func set(obj map[string]any, path string, value any) {
	keys := strings.Split(path, ".")
	m := obj
	for _, k := range keys[:len(keys)-1] {
		next, ok := m[k].(map[string]any)
		if !ok {
			next = map[string]any{}
			m[k] = next
		}
		m = next
	}
	m[keys[len(keys)-1]] = value
}

// unset removes the field at a dotted path below obj.
func unset(obj map[string]any, path string) {
	keys := strings.Split(path, ".")
	m := obj
	for _, k := range keys[:len(keys)-1] {
		next, ok := m[k].(map[string]any)
		if !ok {
			return
		}
		m = next
	}
	delete(m, keys[len(keys)-1])
}

// manifest renders obj as YAML, as a user would write it.
func manifest(t *testing.T, obj map[string]any) []byte {
	t.Helper()
	b, err := yaml.Marshal(obj)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestTheProductionSampleIsAcceptedAsWritten(t *testing.T) {
	b, err := os.ReadFile(sampleFile)
	if err != nil {
		t.Fatal(err)
	}
	stack, err := DocuFlowStack(b)
	if err != nil {
		t.Fatalf("rejected: %v", err)
	}
	if stack.Name != "docuflow-prod" || stack.Spec.Region != "us-east-1" || len(stack.Spec.Network.AvailabilityZones) != 3 {
		t.Errorf("the sample did not come back as written: %+v", stack.Spec)
	}
	if stack.APIVersion != "platform.docuflow.io/v1alpha1" || stack.Kind != "DocuFlowStack" {
		t.Errorf("type metadata = %s %s", stack.APIVersion, stack.Kind)
	}
}

func TestValidStacksAreAccepted(t *testing.T) {
	tests := []struct {
		name string
		obj  func() map[string]any
	}{
		{"the production sample without containerPort is accepted", func() map[string]any {
			o := sample(t)
			unset(o, "spec.service.containerPort")
			return o
		}},
		{"a minimal development stack is accepted", development},
		{"a development stack may use a single task and a small database", func() map[string]any {
			o := development()
			set(o, "spec.autoscaling.maxTasks", 1)
			set(o, "spec.database.instanceClass", "db.t4g.micro")
			return o
		}},
		{"a stack may delete its database when it says so explicitly", func() map[string]any {
			o := sample(t)
			set(o, "spec.database.deletionPolicy", "Delete")
			return o
		}},
		{"a stack may set a namespace", func() map[string]any {
			o := development()
			set(o, "metadata.namespace", "team-docs")
			return o
		}},
		{"status in the manifest is dropped, as on create", func() map[string]any {
			o := development()
			set(o, "status.url", "https://example.com")
			return o
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := DocuFlowStack(manifest(t, tt.obj())); err != nil {
				t.Fatalf("rejected: %v", err)
			}
		})
	}
}

func TestJSONIsAcceptedToo(t *testing.T) {
	b, err := json.Marshal(development())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := DocuFlowStack(b); err != nil {
		t.Fatalf("rejected: %v", err)
	}
}

func TestTheSampleWithoutContainerPortGetsTheDefault(t *testing.T) {
	o := sample(t)
	unset(o, "spec.service.containerPort")
	stack, err := DocuFlowStack(manifest(t, o))
	if err != nil {
		t.Fatal(err)
	}
	if stack.Spec.Service.ContainerPort != 8080 {
		t.Errorf("spec.service.containerPort = %d, want 8080", stack.Spec.Service.ContainerPort)
	}
}

// TestSchemaDefaultsFillAMinimalStack mirrors the envtest test of the same
// name: the same minimal stack, the same defaults.
func TestSchemaDefaultsFillAMinimalStack(t *testing.T) {
	stack, err := DocuFlowStack(manifest(t, development()))
	if err != nil {
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
	// Profile-dependent fields stay unset: the operator resolves them.
	if s.Database.MultiAZ != nil || s.Autoscaling.MinTasks != nil || s.Network.NATGateways != nil {
		t.Errorf("profile-dependent fields were defaulted by the schema: %v %v %v", s.Database.MultiAZ, s.Autoscaling.MinTasks, s.Network.NATGateways)
	}
}

// TestBadInputIsRejectedNamingTheField mirrors the create cases of
// api/v1alpha1/validation_test.go: the same mutations of the production sample,
// the same field paths and message fragments the real API server returns.
func TestBadInputIsRejectedNamingTheField(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(o map[string]any)
		field  string // the path the error must name
		says   string // a fragment of the explanation
	}{
		{"minTasks above maxTasks", func(o map[string]any) {
			set(o, "spec.autoscaling.minTasks", 5)
			set(o, "spec.autoscaling.maxTasks", 3)
		}, "spec.autoscaling.minTasks", "must not exceed maxTasks"},
		{"the production default of two tasks above maxTasks 1", func(o map[string]any) {
			unset(o, "spec.autoscaling.minTasks")
			set(o, "spec.autoscaling.maxTasks", 1)
		}, "spec.autoscaling.minTasks", "2 by default in production"},
		{"a cpu/memory pair Fargate does not offer", func(o map[string]any) {
			set(o, "spec.service.cpu", 256)
			set(o, "spec.service.memory", 4096)
		}, "spec.service.memory", "a pair Fargate offers"},
		{"a cpu size Fargate does not offer", func(o map[string]any) {
			set(o, "spec.service.cpu", 300)
		}, "spec.service.cpu", "Unsupported value"},
		{"a malformed VPC CIDR", func(o map[string]any) {
			set(o, "spec.network.vpcCIDR", "10.40.0.0/33")
		}, "spec.network.vpcCIDR", "must be an IPv4 CIDR"},
		{"a VPC CIDR that is not a CIDR at all", func(o map[string]any) {
			set(o, "spec.network.vpcCIDR", "ten-forty")
		}, "spec.network.vpcCIDR", "must be an IPv4 CIDR"},
		{"a VPC CIDR too large to be a VPC", func(o map[string]any) {
			set(o, "spec.network.vpcCIDR", "10.0.0.0/8")
		}, "spec.network.vpcCIDR", "/16 to /22"},
		{"a public VPC CIDR", func(o map[string]any) {
			set(o, "spec.network.vpcCIDR", "8.8.0.0/16")
		}, "spec.network.vpcCIDR", "RFC 1918"},
		{"a VPC CIDR with host bits set", func(o map[string]any) {
			set(o, "spec.network.vpcCIDR", "10.40.1.0/16")
		}, "spec.network.vpcCIDR", "network address"},
		{"one availability zone", func(o map[string]any) {
			set(o, "spec.network.availabilityZones", []any{"us-east-1a"})
		}, "spec.network.availabilityZones", "at least 2 items"},
		{"a repeated availability zone", func(o map[string]any) {
			set(o, "spec.network.availabilityZones", []any{"us-east-1a", "us-east-1a"})
		}, "spec.network.availabilityZones[1]", "Duplicate value"},
		{"seven availability zones", func(o map[string]any) {
			set(o, "spec.network.availabilityZones", []any{"us-east-1a", "us-east-1b", "us-east-1c", "us-east-1d", "us-east-1e", "us-east-1f", "us-east-1g"})
		}, "spec.network.availabilityZones", "at most 6 items"},
		{"an availability zone of another region", func(o map[string]any) {
			set(o, "spec.network.availabilityZones", []any{"us-east-1a", "eu-west-1b"})
		}, "spec.network.availabilityZones", "must be in spec.region"},
		{"an unknown NAT gateway mode", func(o map[string]any) {
			set(o, "spec.network.natGateways", "Two")
		}, "spec.network.natGateways", "Unsupported value"},
		{"backupRetentionDays 0", func(o map[string]any) {
			set(o, "spec.database.backupRetentionDays", 0)
		}, "spec.database.backupRetentionDays", "greater than or equal to 1"},
		{"backupRetentionDays 36", func(o map[string]any) {
			set(o, "spec.database.backupRetentionDays", 36)
		}, "spec.database.backupRetentionDays", "less than or equal to 35"},
		{"containerPort 0", func(o map[string]any) {
			set(o, "spec.service.containerPort", 0)
		}, "spec.service.containerPort", "greater than or equal to 1"},
		{"containerPort 65536", func(o map[string]any) {
			set(o, "spec.service.containerPort", 65536)
		}, "spec.service.containerPort", "less than or equal to 65535"},
		{"a health check path without a leading slash", func(o map[string]any) {
			set(o, "spec.service.healthCheckPath", "healthz")
		}, "spec.service.healthCheckPath", "should match"},
		{"a malformed certificate ARN", func(o map[string]any) {
			set(o, "spec.loadBalancer.certificateARN", "arn:aws:iam::123456789012:server-certificate/docuflow")
		}, "spec.loadBalancer.certificateARN", "should match"},
		{"a certificate from another region", func(o map[string]any) {
			set(o, "spec.loadBalancer.certificateARN", "arn:aws:acm:eu-west-1:123456789012:certificate/0a1b2c3d")
		}, "spec.loadBalancer.certificateARN", "in spec.region"},
		{"HTTPS without a certificate and without insecureHTTPOnly", func(o map[string]any) {
			unset(o, "spec.loadBalancer.certificateARN")
		}, "spec.loadBalancer.certificateARN", "certificateARN is required"},
		{"insecureHTTPOnly with profile production", func(o map[string]any) {
			unset(o, "spec.loadBalancer.certificateARN")
			set(o, "spec.loadBalancer.insecureHTTPOnly", true)
		}, "spec.loadBalancer.insecureHTTPOnly", "not allowed with profile production"},
		{"insecureHTTPOnly next to a certificate", func(o map[string]any) {
			set(o, "spec.profile", "development")
			set(o, "spec.loadBalancer.insecureHTTPOnly", true)
		}, "spec.loadBalancer.insecureHTTPOnly", "contradict"},
		{"a TLS policy that allows TLS 1.0", func(o map[string]any) {
			set(o, "spec.loadBalancer.sslPolicy", "ELBSecurityPolicy-2016-08")
		}, "spec.loadBalancer.sslPolicy", "should match"},
		{"an allowed range that is not a CIDR", func(o map[string]any) {
			set(o, "spec.loadBalancer.allowedCIDRs", []any{"203.0.113.7"})
		}, "spec.loadBalancer.allowedCIDRs[0]", "must be an IPv4 CIDR"},
		{"an unknown deletionPolicy", func(o map[string]any) {
			set(o, "spec.database.deletionPolicy", "Archive")
		}, "spec.database.deletionPolicy", "Unsupported value"},
		{"maxStorageGiB below storageGiB", func(o map[string]any) {
			set(o, "spec.database.storageGiB", 100)
			set(o, "spec.database.maxStorageGiB", 50)
		}, "spec.database.maxStorageGiB", "at least storageGiB"},
		{"storage below the RDS minimum", func(o map[string]any) {
			set(o, "spec.database.storageGiB", 10)
		}, "spec.database.storageGiB", "greater than or equal to 20"},
		{"an unsupported PostgreSQL version", func(o map[string]any) {
			set(o, "spec.database.engineVersion", "9.6")
		}, "spec.database.engineVersion", "should match"},
		{"a malformed instance class", func(o map[string]any) {
			set(o, "spec.database.instanceClass", "t4g.medium")
		}, "spec.database.instanceClass", "should match"},
		{"an environment variable named like a secret", func(o map[string]any) {
			set(o, "spec.service.env", []any{map[string]any{"name": "DB_PASSWORD", "value": "hunter2"}})
		}, "spec.service.env[0].name", "looks like a secret"},
		{"an environment variable with a reserved name", func(o map[string]any) {
			set(o, "spec.service.env", []any{map[string]any{"name": "DOCUFLOW_DB_HOST", "value": "elsewhere"}})
		}, "spec.service.env[0].name", "reserved"},
		{"an environment variable set twice", func(o map[string]any) {
			set(o, "spec.service.env", []any{map[string]any{"name": "LOG_LEVEL", "value": "info"}, map[string]any{"name": "LOG_LEVEL", "value": "debug"}})
		}, "spec.service.env[1]", "Duplicate value"},
		{"an image without a pinned version", func(o map[string]any) {
			set(o, "spec.service.image", "public.ecr.aws/docuflow/api:latest")
		}, "spec.service.image", "pin a version"},
		{"no image", func(o map[string]any) {
			unset(o, "spec.service.image")
		}, "spec.service.image", "Required value"},
		{"a malformed region", func(o map[string]any) {
			set(o, "spec.region", "US East")
		}, "spec.region", "should match"},
		{"no region", func(o map[string]any) {
			unset(o, "spec.region")
		}, "spec.region", "Required value"},
		{"an unknown profile", func(o map[string]any) {
			set(o, "spec.profile", "staging")
		}, "spec.profile", "Unsupported value"},
		{"a log retention CloudWatch does not accept", func(o map[string]any) {
			set(o, "spec.observability.logRetentionDays", 10)
		}, "spec.observability.logRetentionDays", "Unsupported value"},
		{"a malformed alarm topic", func(o map[string]any) {
			set(o, "spec.observability.alarmTopicARN", "docuflow-alarms")
		}, "spec.observability.alarmTopicARN", "should match"},
		{"a tag with a reserved prefix", func(o map[string]any) {
			set(o, "spec.tags", map[string]any{"aws:cloudformation:stack-name": "x"})
		}, "spec.tags", "reserved prefixes"},
		{"a target CPU of 100 percent", func(o map[string]any) {
			set(o, "spec.autoscaling.targetCPUPercent", 100)
		}, "spec.autoscaling.targetCPUPercent", "less than or equal to 95"},
		{"an access log bucket that is not a bucket name", func(o map[string]any) {
			set(o, "spec.loadBalancer.accessLogs.bucket", "s3://my-alb-logs")
		}, "spec.loadBalancer.accessLogs.bucket", "should match"},
		{"a misspelled field", func(o map[string]any) {
			set(o, "spec.database.multiAz", true)
		}, "spec.database.multiAz", "unknown field"},
		{"a misspelled metadata field", func(o map[string]any) {
			set(o, "metadata.label", map[string]any{"a": "b"})
		}, "metadata.label", "unknown field"},
		{"a port written as a string", func(o map[string]any) {
			set(o, "spec.service.containerPort", "8080")
		}, "spec.service.containerPort", "must be of type integer"},
		{"no name", func(o map[string]any) {
			unset(o, "metadata.name")
		}, "metadata.name", "Required value"},
		{"a name that is not a DNS subdomain", func(o map[string]any) {
			set(o, "metadata.name", "Docuflow_Prod")
		}, "metadata.name", "RFC 1123"},
		{"a wrong kind", func(o map[string]any) {
			o["kind"] = "DocuFlowStak"
		}, "kind", "must be DocuFlowStack"},
		{"no kind", func(o map[string]any) {
			delete(o, "kind")
		}, "kind", "Required value"},
		{"a wrong apiVersion", func(o map[string]any) {
			o["apiVersion"] = "platform.docuflow.io/v1beta1"
		}, "apiVersion", "must be platform.docuflow.io/v1alpha1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			obj := sample(t)
			tt.mutate(obj)
			stack, err := DocuFlowStack(manifest(t, obj))
			expectRejection(t, stack, err, tt.field, tt.says)
		})
	}
}

func TestEveryProblemIsReported(t *testing.T) {
	obj := sample(t)
	set(obj, "spec.database.multiAz", true)
	set(obj, "spec.database.backupRetentionDays", 0)
	set(obj, "spec.service.containerPort", 65536)
	set(obj, "spec.autoscaling.minTasks", 30)
	_, err := DocuFlowStack(manifest(t, obj))
	var invalid *InvalidError
	if !errors.As(err, &invalid) {
		t.Fatalf("want an *InvalidError, got %v", err)
	}
	if got := len(invalid.Errors()); got != 4 {
		t.Errorf("got %d problems, want 4:\n%v", got, err)
	}
	for _, want := range []string{
		"spec.database.multiAz: unknown field",
		"spec.database.backupRetentionDays: Invalid value: 0: spec.database.backupRetentionDays in body should be greater than or equal to 1",
		"spec.service.containerPort: Invalid value: 65536:",
		"spec.autoscaling.minTasks: Invalid value: minTasks (2 by default in production, 1 in development) must not exceed maxTasks",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("the error does not contain %q:\n%v", want, err)
		}
	}
}

func TestMalformedInputIsRejectedBeforeValidation(t *testing.T) {
	valid, err := os.ReadFile(sampleFile)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		input string
		says  string
	}{
		{"two documents", string(valid) + "\n---\n" + string(valid), "found 2 documents"},
		{"an empty file", "", "no DocuFlowStack found"},
		{"only comments and separators", "# nothing\n---\n---\n", "no DocuFlowStack found"},
		{"a list instead of an object", "- a\n- b\n", "not an object"},
		{"a key written twice", "apiVersion: platform.docuflow.io/v1alpha1\nkind: DocuFlowStack\nkind: DocuFlowStack\n", "already set"},
		{"text that is not YAML", "spec: [unclosed\n", "parsing document 1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stack, err := DocuFlowStack([]byte(tt.input))
			if err == nil {
				t.Fatalf("accepted: %+v", stack)
			}
			if !strings.Contains(err.Error(), tt.says) {
				t.Errorf("the error does not say %q:\n%v", tt.says, err)
			}
		})
	}
}

func TestALeadingSeparatorIsOneDocument(t *testing.T) {
	if _, err := DocuFlowStack(append([]byte("---\n"), manifest(t, development())...)); err != nil {
		t.Fatalf("rejected: %v", err)
	}
}

func expectRejection(t *testing.T, stack any, err error, field, says string) {
	t.Helper()
	if err == nil {
		t.Fatalf("accepted; want a rejection naming %s: %+v", field, stack)
	}
	var invalid *InvalidError
	if !errors.As(err, &invalid) {
		t.Fatalf("want an *InvalidError naming %s, got %T: %v", field, err, err)
	}
	msg := err.Error()
	if !strings.Contains(msg, field+":") && !strings.Contains(msg, field+"[") {
		t.Errorf("the error does not name %s:\n%s", field, msg)
	}
	if !strings.Contains(msg, says) {
		t.Errorf("the error does not say %q:\n%s", says, msg)
	}
}
