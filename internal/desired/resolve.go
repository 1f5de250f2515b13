package desired

import (
	"slices"
	"strconv"

	platformv1alpha1 "github.com/docuflow/docuflow-operator/api/v1alpha1"
)

// Defaults the CRD schema applies; Resolve applies them too, so that a stack
// built in Go without the API server renders like a stored one.
const (
	defaultVPCCIDR              = "10.0.0.0/16"
	defaultFlowLogRetentionDays = 90
	defaultEngineVersion        = "16.4"
	defaultStorageGiB           = 20
	defaultDatabaseName         = "docuflow"
	defaultContainerPort        = 8080
	defaultMaxTasks             = 10
	defaultAllowedCIDR          = "0.0.0.0/0"
)

// Settings is a stack's spec with every default resolved: profile-dependent
// defaults for the pointer fields the spec leaves unset, and the schema
// defaults for fields left at their zero value.
type Settings struct {
	// Profile is the stack's profile, production when unset.
	Profile platformv1alpha1.Profile
	// Region is the AWS region of every resource.
	Region string

	// VPCCIDR is the VPC's IPv4 range.
	VPCCIDR string
	// AvailabilityZones are the stack's zones, sorted by name so that the
	// rendering does not depend on the order they are listed in.
	AvailabilityZones []string
	// NATGateways is PerZone or Single.
	NATGateways platformv1alpha1.NATGatewayMode
	// FlowLogs says whether VPC flow logs are recorded.
	FlowLogs bool
	// FlowLogRetentionDays is how long flow logs are kept.
	FlowLogRetentionDays int32
	// PrivateEndpoints says whether the VPC endpoints are created.
	PrivateEndpoints bool
	// EgressCIDRs are the further ranges the service may reach on 443 when
	// the endpoints are on, sorted.
	EgressCIDRs []string

	// EngineVersion is the PostgreSQL version.
	EngineVersion string
	// InstanceClass is the RDS instance class.
	InstanceClass string
	// StorageGiB is the allocated storage.
	StorageGiB int32
	// MaxStorageGiB is the storage autoscaling cap.
	MaxStorageGiB int32
	// MultiAZ says whether the database keeps a standby in a second zone.
	MultiAZ bool
	// BackupRetentionDays is how long automated backups are kept.
	BackupRetentionDays int32
	// DeletionPolicy is what deleting the stack does to the database.
	DeletionPolicy platformv1alpha1.DeletionPolicy
	// DeletionProtection turns on RDS deletion protection; on in production.
	DeletionProtection bool
	// PerformanceInsights says whether Performance Insights is on.
	PerformanceInsights bool
	// DatabaseName is the PostgreSQL database DocuFlow uses.
	DatabaseName string

	// ContainerPort is the port the container listens on.
	ContainerPort int32
	// AllowedCIDRs are the ranges allowed to reach the load balancer, sorted.
	AllowedCIDRs []string
	// InsecureHTTPOnly serves plain HTTP on port 80 only.
	InsecureHTTPOnly bool

	// TaskCPU is the task's CPU units (1024 = one vCPU).
	TaskCPU int32
	// TaskMemory is the task's memory in MiB.
	TaskMemory int32

	// MinTasks is the fewest tasks the service runs.
	MinTasks int32
	// MaxTasks is the most tasks the service runs.
	MaxTasks int32
	// LogRetentionDays is how long the application's logs are kept.
	LogRetentionDays int32
}

// profileDefaults are the values a profile chooses for the fields a stack
// leaves unset.
type profileDefaults struct {
	natGateways         platformv1alpha1.NATGatewayMode
	flowLogs            bool
	privateEndpoints    bool
	multiAZ             bool
	backupRetentionDays int32
	deletionPolicy      platformv1alpha1.DeletionPolicy
	deletionProtection  bool
	performanceInsights bool
	instanceClass       string
	minTasks            int32
	logRetentionDays    int32
}

var (
	productionDefaults = profileDefaults{
		natGateways:         platformv1alpha1.NATGatewaysPerZone,
		flowLogs:            true,
		privateEndpoints:    true,
		multiAZ:             true,
		backupRetentionDays: 14,
		deletionPolicy:      platformv1alpha1.DeletionPolicyRetain,
		deletionProtection:  true,
		performanceInsights: true,
		instanceClass:       "db.t4g.medium",
		minTasks:            2,
		logRetentionDays:    365,
	}
	developmentDefaults = profileDefaults{
		natGateways:         platformv1alpha1.NATGatewaysSingle,
		flowLogs:            false,
		privateEndpoints:    false,
		multiAZ:             false,
		backupRetentionDays: 7,
		deletionPolicy:      platformv1alpha1.DeletionPolicySnapshot,
		deletionProtection:  false,
		performanceInsights: false,
		instanceClass:       "db.t4g.micro",
		minTasks:            1,
		logRetentionDays:    30,
	}
)

// ProfileRow is one line of the profile table: a field (or a setting of
// several) whose default depends on spec.profile, and its value in each
// profile.
type ProfileRow struct {
	// Field is the spec path below spec, or the setting's name when it is
	// not one field.
	Field                   string
	Production, Development string
}

// ProfileTable is the profile defaults as the README and the field reference
// print them, made from the values Resolve applies: the one place they are
// written (hack/crddoc generates both tables from it, and checks that each
// field's description states the same values).
func ProfileTable() []ProfileRow {
	p, d := productionDefaults, developmentDefaults
	b := strconv.FormatBool
	i := func(v int32) string { return strconv.Itoa(int(v)) }
	onOff := func(v bool) string {
		if v {
			return "on"
		}
		return "off"
	}
	return []ProfileRow{
		{"network.natGateways", string(p.natGateways), string(d.natGateways)},
		{"network.flowLogs.enabled", b(p.flowLogs), b(d.flowLogs)},
		{"network.privateEndpoints", b(p.privateEndpoints), b(d.privateEndpoints)},
		{"database.instanceClass", p.instanceClass, d.instanceClass},
		{"database.multiAZ", b(p.multiAZ), b(d.multiAZ)},
		{"database.backupRetentionDays", i(p.backupRetentionDays), i(d.backupRetentionDays)},
		{"database.deletionPolicy", string(p.deletionPolicy), string(d.deletionPolicy)},
		{"database.performanceInsights", b(p.performanceInsights), b(d.performanceInsights)},
		{"autoscaling.minTasks", i(p.minTasks), i(d.minTasks)},
		{"observability.logRetentionDays", i(p.logRetentionDays), i(d.logRetentionDays)},
		{"deletion protection (database, load balancer)", onOff(p.deletionProtection), onOff(d.deletionProtection)},
	}
}

// Resolve returns the stack's settings with every default applied: the
// profile's choice for each unset pointer field (production unless the profile
// is development) and the schema default for each zero-valued field.
func Resolve(stack *platformv1alpha1.DocuFlowStack) Settings {
	spec := stack.Spec
	profile := spec.Profile
	if profile == "" {
		profile = platformv1alpha1.ProfileProduction
	}
	d := productionDefaults
	if profile == platformv1alpha1.ProfileDevelopment {
		d = developmentDefaults
	}

	s := Settings{
		Profile:              profile,
		Region:               spec.Region,
		VPCCIDR:              orDefault(spec.Network.VPCCIDR, defaultVPCCIDR),
		AvailabilityZones:    sortedCopy(spec.Network.AvailabilityZones),
		NATGateways:          deref(spec.Network.NATGateways, d.natGateways),
		FlowLogs:             deref(spec.Network.FlowLogs.Enabled, d.flowLogs),
		FlowLogRetentionDays: orDefault(spec.Network.FlowLogs.RetentionDays, defaultFlowLogRetentionDays),
		PrivateEndpoints:     deref(spec.Network.PrivateEndpoints, d.privateEndpoints),
		EgressCIDRs:          sortedCopy(spec.Network.EgressCIDRs),

		EngineVersion:       orDefault(spec.Database.EngineVersion, defaultEngineVersion),
		InstanceClass:       orDefault(spec.Database.InstanceClass, d.instanceClass),
		StorageGiB:          orDefault(spec.Database.StorageGiB, defaultStorageGiB),
		MultiAZ:             deref(spec.Database.MultiAZ, d.multiAZ),
		BackupRetentionDays: deref(spec.Database.BackupRetentionDays, d.backupRetentionDays),
		DeletionPolicy:      deref(spec.Database.DeletionPolicy, d.deletionPolicy),
		DeletionProtection:  d.deletionProtection,
		PerformanceInsights: deref(spec.Database.PerformanceInsights, d.performanceInsights),
		DatabaseName:        orDefault(spec.Database.DatabaseName, defaultDatabaseName),

		ContainerPort:    orDefault(spec.Service.ContainerPort, defaultContainerPort),
		AllowedCIDRs:     sortedCopy(spec.LoadBalancer.AllowedCIDRs),
		InsecureHTTPOnly: spec.LoadBalancer.InsecureHTTPOnly,

		TaskCPU:    orDefault(spec.Service.CPU, defaultTaskCPU),
		TaskMemory: orDefault(spec.Service.Memory, defaultTaskMemory),

		MinTasks:         deref(spec.Autoscaling.MinTasks, d.minTasks),
		MaxTasks:         orDefault(spec.Autoscaling.MaxTasks, defaultMaxTasks),
		LogRetentionDays: deref(spec.Observability.LogRetentionDays, d.logRetentionDays),
	}
	s.MaxStorageGiB = deref(spec.Database.MaxStorageGiB, 2*s.StorageGiB)
	if len(s.AllowedCIDRs) == 0 {
		s.AllowedCIDRs = []string{defaultAllowedCIDR}
	}
	return s
}

// deref returns *p, or def when p is nil.
func deref[T any](p *T, def T) T {
	if p == nil {
		return def
	}
	return *p
}

// orDefault returns v, or def when v is the zero value.
func orDefault[T comparable](v, def T) T {
	var zero T
	if v == zero {
		return def
	}
	return v
}

// sortedCopy returns a sorted copy of a list the API treats as a set.
func sortedCopy(in []string) []string {
	if len(in) == 0 {
		return nil
	}
	out := slices.Clone(in)
	slices.Sort(out)
	return slices.Compact(out)
}

// ptrTo returns a pointer to a copy of v.
func ptrTo[T any](v T) *T { return &v }
