package desired

import (
	"reflect"
	"testing"

	platformv1alpha1 "github.com/docuflow/docuflow-operator/api/v1alpha1"
)

func TestResolve(t *testing.T) {
	production := Settings{
		Profile:              platformv1alpha1.ProfileProduction,
		Region:               "us-east-1",
		VPCCIDR:              "10.40.0.0/16",
		AvailabilityZones:    []string{"us-east-1a", "us-east-1b"},
		NATGateways:          platformv1alpha1.NATGatewaysPerZone,
		FlowLogs:             true,
		FlowLogRetentionDays: 90,
		PrivateEndpoints:     true,
		EngineVersion:        "16.4",
		InstanceClass:        "db.t4g.medium",
		StorageGiB:           20,
		MaxStorageGiB:        40,
		MultiAZ:              true,
		BackupRetentionDays:  14,
		DeletionPolicy:       platformv1alpha1.DeletionPolicyRetain,
		DeletionProtection:   true,
		PerformanceInsights:  true,
		DatabaseName:         "docuflow",
		ContainerPort:        8080,
		AllowedCIDRs:         []string{"0.0.0.0/0"},
		TaskCPU:              512,
		TaskMemory:           1024,
		MinTasks:             2,
		MaxTasks:             10,
		LogRetentionDays:     365,
	}
	development := production
	development.Profile = platformv1alpha1.ProfileDevelopment
	development.NATGateways = platformv1alpha1.NATGatewaysSingle
	development.FlowLogs = false
	development.PrivateEndpoints = false
	development.InstanceClass = "db.t4g.micro"
	development.MultiAZ = false
	development.BackupRetentionDays = 7
	development.DeletionPolicy = platformv1alpha1.DeletionPolicySnapshot
	development.DeletionProtection = false
	development.PerformanceInsights = false
	development.MinTasks = 1
	development.LogRetentionDays = 30
	development.InsecureHTTPOnly = true

	tests := []struct {
		name  string
		stack *platformv1alpha1.DocuFlowStack
		want  func(Settings) Settings
	}{
		{
			name:  "a production stack that sets nothing takes every production default",
			stack: newStack("prod"),
			want:  func(Settings) Settings { return production },
		},
		{
			name:  "a development stack that sets nothing takes every development default",
			stack: newStack("dev", withDevelopment()),
			want:  func(Settings) Settings { return development },
		},
		{
			name:  "a stack without profile is a production stack",
			stack: newStack("prod", func(s *platformv1alpha1.DocuFlowStack) { s.Spec.Profile = "" }),
			want:  func(Settings) Settings { return production },
		},
		{
			name: "explicit values override the production defaults field by field",
			stack: newStack("prod",
				withNATGateways(platformv1alpha1.NATGatewaysSingle),
				withFlowLogs(false),
				withPrivateEndpoints(false),
				withDeletionPolicy(platformv1alpha1.DeletionPolicySnapshot),
				func(s *platformv1alpha1.DocuFlowStack) {
					s.Spec.Database.MultiAZ = ptrTo(false)
					s.Spec.Database.BackupRetentionDays = ptrTo(int32(30))
					s.Spec.Database.PerformanceInsights = ptrTo(false)
					s.Spec.Database.InstanceClass = "db.r7g.large"
					s.Spec.Database.MaxStorageGiB = ptrTo(int32(500))
					s.Spec.Autoscaling.MinTasks = ptrTo(int32(3))
					s.Spec.Observability.LogRetentionDays = ptrTo(int32(731))
				}),
			want: func(s Settings) Settings {
				s.NATGateways = platformv1alpha1.NATGatewaysSingle
				s.FlowLogs = false
				s.PrivateEndpoints = false
				s.DeletionPolicy = platformv1alpha1.DeletionPolicySnapshot
				s.MultiAZ = false
				s.BackupRetentionDays = 30
				s.PerformanceInsights = false
				s.InstanceClass = "db.r7g.large"
				s.MaxStorageGiB = 500
				s.MinTasks = 3
				s.LogRetentionDays = 731
				return s
			},
		},
		{
			name: "explicit values override the development defaults field by field",
			stack: newStack("dev", withDevelopment(),
				withNATGateways(platformv1alpha1.NATGatewaysPerZone),
				withFlowLogs(true),
				withPrivateEndpoints(true),
				withDeletionPolicy(platformv1alpha1.DeletionPolicyDelete),
				func(s *platformv1alpha1.DocuFlowStack) {
					s.Spec.Database.MultiAZ = ptrTo(true)
					s.Spec.Database.PerformanceInsights = ptrTo(true)
				}),
			want: func(s Settings) Settings {
				s = development
				s.NATGateways = platformv1alpha1.NATGatewaysPerZone
				s.FlowLogs = true
				s.PrivateEndpoints = true
				s.DeletionPolicy = platformv1alpha1.DeletionPolicyDelete
				s.MultiAZ = true
				s.PerformanceInsights = true
				return s
			},
		},
		{
			name:  "the maximum storage defaults to twice the allocated storage",
			stack: newStack("prod", func(s *platformv1alpha1.DocuFlowStack) { s.Spec.Database.StorageGiB = 100 }),
			want: func(s Settings) Settings {
				s.StorageGiB = 100
				s.MaxStorageGiB = 200
				return s
			},
		},
		{
			name:  "fields the schema defaults get the schema default when left at zero",
			stack: newStack("prod", withEmptySpecDefaults()),
			want: func(s Settings) Settings {
				s.VPCCIDR = "10.0.0.0/16"
				return s
			},
		},
		{
			name:  "zones and allowed ranges are sorted and deduplicated",
			stack: newStack("prod", withZones("us-east-1c", "us-east-1a", "us-east-1c"), withAllowedCIDRs("203.0.113.0/24", "198.51.100.0/24")),
			want: func(s Settings) Settings {
				s.AvailabilityZones = []string{"us-east-1a", "us-east-1c"}
				s.AllowedCIDRs = []string{"198.51.100.0/24", "203.0.113.0/24"}
				return s
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Resolve(tt.stack)
			want := tt.want(production)
			if !reflect.DeepEqual(got, want) {
				t.Errorf("Resolve() =\n%+v\nwant\n%+v", got, want)
			}
		})
	}
}
