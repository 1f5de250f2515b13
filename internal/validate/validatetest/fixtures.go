package validatetest

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"

	platformv1alpha1 "github.com/docuflow/docuflow-operator/api/v1alpha1"
	"github.com/docuflow/docuflow-operator/app/contract"
	"github.com/docuflow/docuflow-operator/internal/controlplane"
)

// sampleFile is the production sample below the repository root.
var sampleFile = filepath.Join("config", "samples", "platform_v1alpha1_docuflowstack.yaml")

// Sample returns the production sample as a generic object, so cases can set
// values the Go types could not hold.
func Sample(t testing.TB) map[string]any {
	t.Helper()
	root, err := controlplane.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(root, sampleFile))
	if err != nil {
		t.Fatal(err)
	}
	obj := map[string]any{}
	if err := yaml.Unmarshal(b, &obj); err != nil {
		t.Fatal(err)
	}
	return obj
}

// Development returns the smallest stack a developer would write.
func Development() map[string]any {
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

// Set writes value at a dotted path below obj, creating maps on the way and
// replacing anything that is not a map.
func Set(obj map[string]any, path string, value any) {
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

// Unset removes the field at a dotted path below obj; a missing path is no
// error.
func Unset(obj map[string]any, path string) {
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

// ExpectedDefaults returns the values the CRD's schema defaults give a
// Development stack, keyed by the path below spec, in the shape DefaultsOf
// reports them.
func ExpectedDefaults() map[string]any {
	return map[string]any{
		"network.vpcCIDR":                 "10.0.0.0/16",
		"network.flowLogs.retentionDays":  int32(90),
		"database.engineVersion":          "16.4",
		"database.storageGiB":             int32(20),
		"database.databaseName":           "docuflow",
		"service.containerPort":           int32(8080),
		"service.cpu":                     int32(512),
		"service.memory":                  int32(1024),
		"service.healthCheckPath":         contract.ReadinessPath,
		"loadBalancer.allowedCIDRs":       "0.0.0.0/0",
		"loadBalancer.sslPolicy":          "ELBSecurityPolicy-TLS13-1-2-2021-06",
		"loadBalancer.idleTimeoutSeconds": int32(60),
		"autoscaling.maxTasks":            int32(10),
		"autoscaling.targetCPUPercent":    int32(60),
		"autoscaling.scaleInCooldown":     int32(300),
		"autoscaling.scaleOutCooldown":    int32(60),
	}
}

// DefaultsOf returns the fields of s that ExpectedDefaults covers, under the
// same keys, with lists joined by commas so the values compare with ==.
func DefaultsOf(s platformv1alpha1.DocuFlowStackSpec) map[string]any {
	return map[string]any{
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
}
