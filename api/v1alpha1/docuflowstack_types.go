package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Profile is a named bundle of defaults for the fields a stack leaves unset.
// +kubebuilder:validation:Enum=production;development
type Profile string

const (
	// ProfileProduction is highly available, protected against deletion and
	// private by default: Multi-AZ database, a NAT gateway per zone, VPC
	// endpoints, flow logs, two tasks at least, a year of log retention.
	ProfileProduction Profile = "production"
	// ProfileDevelopment is the cheapest stack that still runs DocuFlow: a
	// single-AZ database, one NAT gateway, no VPC endpoints, one task.
	ProfileDevelopment Profile = "development"
)

// NATGatewayMode says how many NAT gateways the stack runs.
// +kubebuilder:validation:Enum=PerZone;Single
type NATGatewayMode string

const (
	// NATGatewaysPerZone runs one NAT gateway in every availability zone, so
	// losing a zone does not cut the other zones' egress.
	NATGatewaysPerZone NATGatewayMode = "PerZone"
	// NATGatewaysSingle runs one NAT gateway for all zones: cheaper, but egress
	// depends on a single zone.
	NATGatewaysSingle NATGatewayMode = "Single"
)

// DeletionPolicy says what deleting the stack does to the database.
// +kubebuilder:validation:Enum=Retain;Snapshot;Delete
type DeletionPolicy string

const (
	// DeletionPolicyRetain keeps the database and the network it needs running
	// in AWS; the stack only lets go of them.
	DeletionPolicyRetain DeletionPolicy = "Retain"
	// DeletionPolicySnapshot takes a final snapshot, then deletes the database.
	DeletionPolicySnapshot DeletionPolicy = "Snapshot"
	// DeletionPolicyDelete deletes the database and its automated backups. It is
	// never a default: it must be set explicitly.
	DeletionPolicyDelete DeletionPolicy = "Delete"
)

// DocuFlowStackSpec describes one DocuFlow environment on AWS.
// +kubebuilder:validation:XValidation:rule="has(self.loadBalancer) && (has(self.loadBalancer.certificateARN) || (has(self.loadBalancer.insecureHTTPOnly) && self.loadBalancer.insecureHTTPOnly))",message="loadBalancer.certificateARN is required: HTTPS needs an ACM certificate (only development stacks may set insecureHTTPOnly instead)",fieldPath=.loadBalancer.certificateARN
// +kubebuilder:validation:XValidation:rule="self.network.availabilityZones.all(z, z.startsWith(self.region))",message="every availability zone must be in spec.region",fieldPath=.network.availabilityZones
// +kubebuilder:validation:XValidation:rule="!has(self.loadBalancer) || !has(self.loadBalancer.certificateARN) || self.loadBalancer.certificateARN.contains(':acm:' + self.region + ':')",message="the certificate must be an ACM certificate in spec.region",fieldPath=.loadBalancer.certificateARN
// +kubebuilder:validation:XValidation:rule="!has(self.observability.alarmTopicARN) || self.observability.alarmTopicARN.split(':')[3] == self.region || (oldSelf.hasValue() && has(oldSelf.value().observability.alarmTopicARN) && oldSelf.value().observability.alarmTopicARN == self.observability.alarmTopicARN)",optionalOldSelf=true,message="the alarm topic must be an SNS topic in spec.region: CloudWatch alarms only notify topics of their own region",fieldPath=.observability.alarmTopicARN
// +kubebuilder:validation:XValidation:rule="!(self.profile == 'production' && has(self.loadBalancer) && has(self.loadBalancer.insecureHTTPOnly) && self.loadBalancer.insecureHTTPOnly)",message="insecureHTTPOnly is not allowed with profile production: set loadBalancer.certificateARN",fieldPath=.loadBalancer.insecureHTTPOnly
// +kubebuilder:validation:XValidation:rule="(has(self.autoscaling.minTasks) ? self.autoscaling.minTasks : (self.profile == 'production' ? 2 : 1)) <= self.autoscaling.maxTasks",message="minTasks (2 by default in production, 1 in development) must not exceed maxTasks",fieldPath=.autoscaling.minTasks
// +kubebuilder:validation:XValidation:rule="(has(self.observability.logRetentionDays) ? self.observability.logRetentionDays : (self.profile == 'production' ? 365 : 30)) >= (self.profile == 'production' ? 365 : 30) || (has(self.observability.logRetentionDays) ? self.observability.logRetentionDays : (self.profile == 'production' ? 365 : 30)) >= (has(oldSelf.observability.logRetentionDays) ? oldSelf.observability.logRetentionDays : (oldSelf.profile == 'production' ? 365 : 30))",message="logRetentionDays cannot be lowered below the profile's default (365 in production, 30 in development): CloudWatch deletes the older logs at once",fieldPath=.observability.logRetentionDays
// +kubebuilder:validation:XValidation:rule="(has(self.database.backupRetentionDays) ? self.database.backupRetentionDays : (self.profile == 'production' ? 14 : 7)) >= (self.profile == 'production' ? 14 : 7) || (has(self.database.backupRetentionDays) ? self.database.backupRetentionDays : (self.profile == 'production' ? 14 : 7)) >= (has(oldSelf.database.backupRetentionDays) ? oldSelf.database.backupRetentionDays : (oldSelf.profile == 'production' ? 14 : 7))",message="backupRetentionDays cannot be lowered below the profile's default (14 in production, 7 in development): RDS deletes the older automated backups at once",fieldPath=.database.backupRetentionDays
// +kubebuilder:validation:XValidation:rule="has(self.adopt) == has(oldSelf.adopt)",message="adopt can only be set when the stack is created: ACK adopts a resource only when the stack creates its child",fieldPath=.adopt
// +kubebuilder:validation:XValidation:rule="!has(self.adopt) || !has(self.adopt.vpcID) || (has(self.adopt.subnets) && self.network.availabilityZones.all(z, self.adopt.subnets.exists(s, s.zone == z)))",message="adopting a VPC takes its subnets too: name a public and a private subnet for every zone of network.availabilityZones",fieldPath=.adopt.subnets
// +kubebuilder:validation:XValidation:rule="!has(self.adopt) || !has(self.adopt.subnets) || self.adopt.subnets.all(s, s.zone in self.network.availabilityZones)",message="every adopted subnet's zone must be one of network.availabilityZones",fieldPath=.adopt.subnets
type DocuFlowStackSpec struct {
	// Region is the AWS region every resource of the stack lives in, for
	// example us-east-1. It cannot change after creation.
	// +kubebuilder:validation:MaxLength=32
	// +kubebuilder:validation:Pattern=`^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-[0-9]$`
	// +kubebuilder:validation:XValidation:rule="self == oldSelf",message="region cannot change: create a new stack in the other region"
	Region string `json:"region"`

	// Profile is the bundle of defaults for the fields left unset: production
	// (Multi-AZ, deletion protection, NAT gateway per zone, VPC endpoints, flow
	// logs, Retain on delete, two tasks, 365 days of logs) or development
	// (single-AZ, one NAT gateway, no endpoints, Snapshot on delete, one task).
	// Every default it chooses can be overridden field by field.
	// It cannot change after creation: create a new stack with the other
	// profile instead.
	// +kubebuilder:default=production
	// +kubebuilder:validation:XValidation:rule="self == oldSelf",message="profile cannot change: a production stack would lose its Multi-AZ database, NAT gateways, endpoints and flow logs at once; create a new stack instead"
	// +optional
	Profile Profile `json:"profile,omitempty"`

	// Suspend stops every change to the stack's AWS resources: nothing is
	// created, updated or pruned while it is true (status keeps being
	// reported, and deleting the stack still works). Set it back to false to
	// resume.
	// +optional
	Suspend bool `json:"suspend,omitempty"`

	// Tags are added to every AWS resource of the stack, next to the stack's
	// own identifying tags (docuflow.io/stack, docuflow.io/namespace). Keys
	// and values follow the AWS tag grammar: letters, digits, spaces and
	// _ . : / = + - @ (the operator's admission policy checks the values).
	// +kubebuilder:validation:MaxProperties=40
	// +kubebuilder:validation:XValidation:rule="self.all(k, size(k) <= 128 && !k.startsWith('aws:') && !k.startsWith('docuflow.io/'))",message="tag keys must be at most 128 characters and must not start with the reserved prefixes aws: or docuflow.io/"
	// +kubebuilder:validation:XValidation:rule="self.all(k, size(self[k]) <= 256)",message="tag values must be at most 256 characters"
	// +kubebuilder:validation:XValidation:rule="self.all(k, k.matches(r'^[\\p{L}\\p{Z}\\p{N}_.:/=+@-]+$'))",message="tag keys must be 1 to 128 letters, digits, spaces and _ . : / = + - @ (the AWS tag grammar; IAM and RDS refuse anything else)"
	// +optional
	Tags map[string]string `json:"tags,omitempty"`

	// Network is the VPC the stack creates and how it reaches the internet.
	Network NetworkSpec `json:"network"`

	// Database is the PostgreSQL instance that stores document metadata.
	// +kubebuilder:default={}
	// +optional
	Database DatabaseSpec `json:"database"`

	// Service is the DocuFlow API container and how ECS runs it.
	Service ServiceSpec `json:"service"`

	// LoadBalancer is the internet-facing Application Load Balancer in front of
	// the service. It needs at least certificateARN (or, in development,
	// insecureHTTPOnly).
	// +optional
	LoadBalancer LoadBalancerSpec `json:"loadBalancer"`

	// Autoscaling bounds the number of tasks and sets the signals that scale it.
	// +kubebuilder:default={}
	// +optional
	Autoscaling AutoscalingSpec `json:"autoscaling"`

	// Observability is log retention and alarm notification.
	// +kubebuilder:default={}
	// +optional
	Observability ObservabilitySpec `json:"observability"`

	// Adopt names AWS resources that exist already (built by Terraform, say)
	// for the stack to take over instead of creating its own: ACK adopts each
	// one by its ID and never creates it, then the stack's spec is applied to
	// it in place. status.adopted says what was adopted and what AWS had that
	// differed. It is set when the stack is created and cannot change
	// afterwards. README: "Migrating from Terraform".
	// +kubebuilder:validation:XValidation:rule="self == oldSelf",message="adopt cannot change: ACK adopts a resource only when the stack creates its child; create a new stack to adopt other resources"
	// +optional
	Adopt *AdoptSpec `json:"adopt,omitempty"`
}

// AdoptSpec names existing AWS resources by ID, each optional. A VPC comes
// with its internet gateway and a public and a private subnet in every zone
// of network.availabilityZones; a database needs its VPC adopted too, since
// it cannot move between VPCs in place.
// +kubebuilder:validation:XValidation:rule="!has(self.vpcID) || has(self.internetGatewayID)",message="internetGatewayID is required with vpcID: a VPC has one internet gateway, and the stack cannot attach a second",fieldPath=.internetGatewayID
// +kubebuilder:validation:XValidation:rule="!has(self.internetGatewayID) || has(self.vpcID)",message="internetGatewayID needs vpcID: the gateway is adopted with its VPC",fieldPath=.vpcID
// +kubebuilder:validation:XValidation:rule="!has(self.subnets) || has(self.vpcID)",message="subnets need vpcID: subnets are adopted with their VPC",fieldPath=.vpcID
// +kubebuilder:validation:XValidation:rule="!has(self.subnets) || self.subnets.all(s, s.publicSubnetID != s.privateSubnetID && self.subnets.exists_one(t, t.publicSubnetID == s.publicSubnetID) && self.subnets.exists_one(t, t.privateSubnetID == s.privateSubnetID) && !self.subnets.exists(t, t.privateSubnetID == s.publicSubnetID))",message="every adopted subnet ID must appear once: a subnet is either public or private, in one zone",fieldPath=.subnets
// +kubebuilder:validation:XValidation:rule="!has(self.dbInstanceIdentifier) || has(self.vpcID)",message="dbInstanceIdentifier needs vpcID: a database stays in its VPC, so the stack adopts that VPC and its subnets too",fieldPath=.vpcID
type AdoptSpec struct {
	// VPCID is the VPC to adopt, for example vpc-0a1b2c3d4e5f67890. Its
	// IPv4 CIDR must be network.vpcCIDR: a VPC's range cannot change.
	// +kubebuilder:validation:Pattern=`^vpc-[0-9a-f]{8,17}$`
	// +optional
	// +kubebuilder:validation:MaxLength=21
	VPCID string `json:"vpcID,omitempty"`

	// InternetGatewayID is the VPC's internet gateway, for example
	// igw-0a1b2c3d4e5f67890.
	// +kubebuilder:validation:Pattern=`^igw-[0-9a-f]{8,17}$`
	// +optional
	// +kubebuilder:validation:MaxLength=21
	InternetGatewayID string `json:"internetGatewayID,omitempty"`

	// Subnets are the VPC's subnets to adopt, a public and a private one per
	// zone of network.availabilityZones. They keep their CIDR blocks and
	// zones, which AWS cannot change. Since adopt cannot change, a stack that
	// adopts a VPC keeps its zones.
	// +kubebuilder:validation:MaxItems=6
	// +listType=map
	// +listMapKey=zone
	// +optional
	Subnets []AdoptedSubnets `json:"subnets,omitempty"`

	// DBInstanceIdentifier is the RDS PostgreSQL instance to adopt (RDS
	// keeps identifiers in lowercase), which
	// becomes the stack's database (and keeps its identifier, its DB subnet
	// group, its storage encryption and its master user: none of those
	// changes in place; and its deletion protection, unless the stack turns
	// it on). It is never replaced.
	// +kubebuilder:validation:MaxLength=63
	// +kubebuilder:validation:Pattern=`^[a-z][a-z0-9]*(-[a-z0-9]+)*$`
	// +optional
	DBInstanceIdentifier string `json:"dbInstanceIdentifier,omitempty"`

	// ECSClusterName is the ECS cluster to adopt; the stack's service runs in it.
	// +kubebuilder:validation:Pattern=`^[a-zA-Z0-9_-]{1,255}$`
	// +optional
	ECSClusterName string `json:"ecsClusterName,omitempty"`
}

// AdoptedSubnets are the two subnets of one zone to adopt.
type AdoptedSubnets struct {
	// Zone is the subnets' availability zone, one of network.availabilityZones.
	// +kubebuilder:validation:MaxLength=32
	Zone string `json:"zone"`
	// PublicSubnetID is the zone's public subnet (the load balancer's and the
	// NAT gateway's), for example subnet-0a1b2c3d4e5f67890.
	// +kubebuilder:validation:Pattern=`^subnet-[0-9a-f]{8,17}$`
	// +kubebuilder:validation:MaxLength=24
	PublicSubnetID string `json:"publicSubnetID"`
	// PrivateSubnetID is the zone's private subnet (the tasks' and the
	// database's).
	// +kubebuilder:validation:Pattern=`^subnet-[0-9a-f]{8,17}$`
	// +kubebuilder:validation:MaxLength=24
	PrivateSubnetID string `json:"privateSubnetID"`
}

// NetworkSpec is the VPC of a stack: a public and a private subnet in every
// availability zone, NAT for egress, optional VPC endpoints and flow logs.
type NetworkSpec struct {
	// VPCCIDR is the VPC's IPv4 range, an RFC 1918 block from /16 to /22. The
	// subnets are carved from it deterministically (sixteen equal blocks,
	// private ones first). It cannot change once set.
	// +kubebuilder:default="10.0.0.0/16"
	// +kubebuilder:validation:MaxLength=18
	// +kubebuilder:validation:XValidation:rule="isCIDR(self) && cidr(self).ip().family() == 4",message="must be an IPv4 CIDR such as 10.40.0.0/16"
	// +kubebuilder:validation:XValidation:rule="!isCIDR(self) || (cidr(self).prefixLength() >= 16 && cidr(self).prefixLength() <= 22)",message="must be a /16 to /22 block"
	// +kubebuilder:validation:XValidation:rule="!isCIDR(self) || cidr(self).masked() == cidr(self)",message="must be the network address of the block, such as 10.40.0.0/16 rather than 10.40.1.0/16"
	// +kubebuilder:validation:XValidation:rule="!isCIDR(self) || cidr('10.0.0.0/8').containsCIDR(self) || cidr('172.16.0.0/12').containsCIDR(self) || cidr('192.168.0.0/16').containsCIDR(self)",message="must be inside a private RFC 1918 range (10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16)"
	// +kubebuilder:validation:XValidation:rule="self == oldSelf",message="vpcCIDR cannot change: subnets, routes and the database live in it; create a new stack instead"
	// +optional
	VPCCIDR string `json:"vpcCIDR,omitempty"`

	// AvailabilityZones are the zones of spec.region the stack spreads over,
	// two to six distinct ones (zone letters a to h). Zones can be added but not
	// removed: the database and the load balancer live in their subnets.
	// +kubebuilder:validation:MinItems=2
	// +kubebuilder:validation:MaxItems=6
	// +listType=set
	// +kubebuilder:validation:items:Pattern=`^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-[0-9][a-h]$`
	// +kubebuilder:validation:items:MaxLength=32
	// +kubebuilder:validation:XValidation:rule="oldSelf.all(z, z in self)",message="availability zones cannot be removed while their subnets hold the database and the load balancer"
	AvailabilityZones []string `json:"availabilityZones"`

	// NATGateways is PerZone (one per availability zone) or Single. Defaults
	// to PerZone in production and Single in development.
	// +optional
	NATGateways *NATGatewayMode `json:"natGateways,omitempty"`

	// FlowLogs records the VPC's traffic in CloudWatch Logs.
	// +kubebuilder:default={}
	// +optional
	FlowLogs FlowLogsSpec `json:"flowLogs"`

	// PrivateEndpoints adds VPC endpoints (an S3 gateway endpoint and interface
	// endpoints for ECR, CloudWatch Logs and Secrets Manager) so that image
	// pulls, logs and secrets never leave the AWS network. Defaults to true in
	// production and false in development.
	// +optional
	PrivateEndpoints *bool `json:"privateEndpoints,omitempty"`

	// EgressCIDRs are further IPv4 ranges the service may reach on port 443
	// when its HTTPS egress is closed: with privateEndpoints on, once every
	// endpoint is available, and with an image from ECR in spec.region, the
	// service reaches over HTTPS only the VPC (the interface endpoints) and S3
	// through the gateway endpoint. Anything else it calls over HTTPS must be
	// listed here: for example the OIDC issuer of spec.service.auth, whose
	// signing keys the API fetches. 0.0.0.0/0 opens HTTPS to anywhere again.
	// Otherwise the service reaches AWS and its registry through NAT and HTTPS
	// stays open to anywhere, so the list has no effect.
	// +kubebuilder:validation:MaxItems=16
	// +listType=set
	// +kubebuilder:validation:items:MaxLength=18
	// +kubebuilder:validation:items:XValidation:rule="isCIDR(self) && cidr(self).ip().family() == 4 && cidr(self).masked() == cidr(self)",message="must be an IPv4 CIDR in network form, such as 203.0.113.0/24 or 0.0.0.0/0"
	// +optional
	EgressCIDRs []string `json:"egressCIDRs,omitempty"`
}

// FlowLogsSpec configures VPC flow logs.
type FlowLogsSpec struct {
	// Enabled turns VPC flow logs on. Defaults to true in production and false
	// in development.
	// +optional
	Enabled *bool `json:"enabled,omitempty"`

	// RetentionDays is how long flow logs are kept, a value CloudWatch Logs
	// accepts. Once the stack exists it can be lowered down to the default,
	// 90, but not below.
	// +kubebuilder:default=90
	// +kubebuilder:validation:XValidation:rule="self >= oldSelf || self >= 90",message="flow log retention cannot be lowered below 90 days, the default: CloudWatch deletes the older flow logs at once"
	// +kubebuilder:validation:Enum=1;3;5;7;14;30;60;90;120;150;180;365;400;545;731;1096;1827;2192;2557;2922;3288;3653
	// +optional
	RetentionDays int32 `json:"retentionDays,omitempty"`
}

// DatabaseSpec is the stack's PostgreSQL instance on Amazon RDS. It is always
// encrypted, private, TLS-only, with IAM authentication on and its master
// password managed by RDS in Secrets Manager.
// +kubebuilder:validation:XValidation:rule="!has(self.maxStorageGiB) || self.maxStorageGiB >= self.storageGiB",message="maxStorageGiB must be at least storageGiB",fieldPath=.maxStorageGiB
// +kubebuilder:validation:XValidation:rule="has(self.maxStorageGiB) || !has(self.storageGiB) || self.storageGiB <= 32768",message="storageGiB above 32768 needs maxStorageGiB: its default, twice storageGiB, would exceed the 65536 GiB RDS allows",fieldPath=.storageGiB
type DatabaseSpec struct {
	// EngineVersion is the PostgreSQL version, major or major.minor, for
	// example "16" or "16.4". The major version can be raised but never
	// lowered.
	// +kubebuilder:default="16.4"
	// +kubebuilder:validation:Pattern=`^1[3-8](\.[0-9]{1,2})?$`
	// +kubebuilder:validation:MaxLength=5
	// +kubebuilder:validation:XValidation:rule="int(self.split('.')[0]) >= int(oldSelf.split('.')[0])",message="the PostgreSQL major version cannot be downgraded"
	// +optional
	EngineVersion string `json:"engineVersion,omitempty"`

	// InstanceClass is the RDS instance class, for example db.t4g.medium.
	// Defaults to db.t4g.medium in production and db.t4g.micro in development.
	// +kubebuilder:validation:Pattern=`^db\.[a-z0-9-]+\.[a-z0-9]+$`
	// +kubebuilder:validation:MaxLength=32
	// +optional
	InstanceClass string `json:"instanceClass,omitempty"`

	// StorageGiB is the allocated gp3 storage. It can grow but not shrink.
	// With storage autoscaling (maxStorageGiB above it) it is the initial
	// size: RDS grows the volume up to maxStorageGiB, and a later increase
	// here is not sent (ACK cannot tell it from a shrink of a grown volume);
	// raise maxStorageGiB instead.
	// +kubebuilder:default=20
	// +kubebuilder:validation:Minimum=20
	// +kubebuilder:validation:Maximum=65536
	// +kubebuilder:validation:XValidation:rule="self >= oldSelf",message="storage cannot shrink: RDS does not reduce allocated storage"
	// +optional
	StorageGiB int32 `json:"storageGiB,omitempty"`

	// MaxStorageGiB is the cap for RDS storage autoscaling, at least
	// storageGiB. Defaults to twice storageGiB. Set it to storageGiB to
	// switch storage autoscaling off; autoscaling needs the rds ACK
	// controller's IgnoreFieldDrift feature gate.
	// +kubebuilder:validation:Minimum=20
	// +kubebuilder:validation:Maximum=65536
	// +optional
	MaxStorageGiB *int32 `json:"maxStorageGiB,omitempty"`

	// MultiAZ keeps a synchronous standby in a second zone. Defaults to true in
	// production and false in development.
	// +optional
	MultiAZ *bool `json:"multiAZ,omitempty"`

	// BackupRetentionDays is how long automated backups are kept, 1 to 35.
	// Defaults to 14 in production and 7 in development. Once the stack
	// exists it can be lowered down to that default, but not below.
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=35
	// +optional
	BackupRetentionDays *int32 `json:"backupRetentionDays,omitempty"`

	// DeletionPolicy is what deleting the stack does to the data: Retain keeps
	// the database (and the network it needs) in AWS, Snapshot takes a final
	// snapshot and deletes it, Delete deletes it outright. Defaults to Retain in
	// production and Snapshot in development; Delete is never a default.
	// Changing a production stack to Delete needs confirmDataDeletion.
	// +optional
	DeletionPolicy *DeletionPolicy `json:"deletionPolicy,omitempty"`

	// ConfirmDataDeletion confirms that a production stack may be switched to
	// deletionPolicy Delete: it must be the stack's name. Only admission reads
	// it; a stack created with Delete does not need it.
	// +kubebuilder:validation:MaxLength=253
	// +optional
	ConfirmDataDeletion string `json:"confirmDataDeletion,omitempty"`

	// PerformanceInsights turns on Performance Insights (7 days, the free
	// tier). Defaults to true in production and false in development.
	// +optional
	PerformanceInsights *bool `json:"performanceInsights,omitempty"`

	// DatabaseName is the PostgreSQL database DocuFlow uses.
	// +kubebuilder:default=docuflow
	// +kubebuilder:validation:Pattern=`^[a-z][a-z0-9_]{0,62}$`
	// +optional
	DatabaseName string `json:"databaseName,omitempty"`
}

// EnvVar is a plain, non-secret setting passed to the container.
// +kubebuilder:validation:XValidation:rule="!self.name.matches('(?i)(PASSWORD|PASSWD|SECRET|TOKEN|API_?KEY|PRIVATE_?KEY|CREDENTIAL|ACCESS_?KEY)')",message="this name looks like a secret: plain environment is visible in the task definition; secrets come from Secrets Manager",fieldPath=.name
// +kubebuilder:validation:XValidation:rule="!self.name.startsWith('DOCUFLOW_')",message="names starting with DOCUFLOW_ are reserved for the settings the operator injects",fieldPath=.name
type EnvVar struct {
	// Name is the variable's name.
	// +kubebuilder:validation:Pattern=`^[A-Za-z_][A-Za-z0-9_]*$`
	// +kubebuilder:validation:MaxLength=128
	Name string `json:"name"`
	// Value is the variable's value.
	// +kubebuilder:validation:MaxLength=4096
	// +optional
	Value string `json:"value,omitempty"`
}

// ServiceSpec is the DocuFlow API container and its Fargate size.
// +kubebuilder:validation:XValidation:rule="(self.cpu == 256 && self.memory in [512, 1024, 2048]) || (self.cpu == 512 && self.memory >= 1024 && self.memory <= 4096 && self.memory % 1024 == 0) || (self.cpu == 1024 && self.memory >= 2048 && self.memory <= 8192 && self.memory % 1024 == 0) || (self.cpu == 2048 && self.memory >= 4096 && self.memory <= 16384 && self.memory % 1024 == 0) || (self.cpu == 4096 && self.memory >= 8192 && self.memory <= 30720 && self.memory % 1024 == 0) || (self.cpu == 8192 && self.memory >= 16384 && self.memory <= 61440 && self.memory % 4096 == 0) || (self.cpu == 16384 && self.memory >= 32768 && self.memory <= 122880 && self.memory % 8192 == 0)",message="cpu and memory must be a pair Fargate offers, for example cpu 512 with memory 1024 to 4096 in steps of 1024",fieldPath=.memory
type ServiceSpec struct {
	// Image is the DocuFlow API container image: a registry host, a
	// repository and a tag or a digest, for example
	// public.ecr.aws/docuflow/api:1.4.2 or
	// 123456789012.dkr.ecr.us-east-1.amazonaws.com/docuflow/api@sha256:<64 hex>.
	// :latest and untagged images (which mean :latest) are refused.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=255
	// +kubebuilder:validation:Pattern=`^[^\s]+$`
	// +kubebuilder:validation:XValidation:rule="!self.endsWith(':latest')",message="pin a version or a digest instead of :latest so that every rollout is deliberate"
	// +kubebuilder:validation:XValidation:rule="!self.contains('*') && !self.contains('?')",message="must not contain the wildcards * or ?: the image names the only repository the task may pull from"
	// +kubebuilder:validation:XValidation:rule="self.matches(r'^((localhost|[A-Za-z0-9-]+(\\.[A-Za-z0-9-]+)+)(:[0-9]{1,5})?|[A-Za-z0-9-]+:[0-9]{1,5})/[a-z0-9]+((\\.|_|__|-+)[a-z0-9]+)*(/[a-z0-9]+((\\.|_|__|-+)[a-z0-9]+)*)*(:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(@sha256:[a-f0-9]{64})?$')",message="must be registry/repository:tag or registry/repository@sha256:<64 hex>, with a registry host such as public.ecr.aws (OCI reference grammar)"
	// +kubebuilder:validation:XValidation:rule="self.matches(r':[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$') || self.matches(r'@sha256:[a-f0-9]{64}$')",message="needs a tag or a digest: an untagged image means :latest"
	Image string `json:"image"`

	// ContainerPort is the port the container listens on, 1 to 65535 but
	// 9090, the app's metrics port, which the load balancer never reaches.
	// +kubebuilder:default=8080
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=65535
	// +kubebuilder:validation:XValidation:rule="self != 9090",message="9090 is the app's metrics port, which the load balancer must not reach: choose another port"
	// +optional
	ContainerPort int32 `json:"containerPort,omitempty"`

	// CPU is the task's CPU units (256 = a quarter vCPU).
	// +kubebuilder:default=512
	// +kubebuilder:validation:Enum=256;512;1024;2048;4096;8192;16384
	// +optional
	CPU int32 `json:"cpu,omitempty"`

	// Memory is the task's memory in MiB; it must be a size Fargate offers for
	// the chosen cpu.
	// +kubebuilder:default=1024
	// +kubebuilder:validation:Minimum=512
	// +kubebuilder:validation:Maximum=122880
	// +optional
	Memory int32 `json:"memory,omitempty"`

	// Env are plain settings for the container. Names that look like secrets
	// (PASSWORD, SECRET, TOKEN, API_KEY, ...) and the reserved DOCUFLOW_ prefix
	// are rejected: the database credentials are injected from Secrets Manager.
	// Together, names and values (plus 24 bytes a variable for the JSON
	// around them) must stay within 48 KiB: ECS refuses task definitions
	// above 64 KiB, and the operator's own settings need the rest.
	// +kubebuilder:validation:MaxItems=100
	// +listType=map
	// +listMapKey=name
	// +kubebuilder:validation:XValidation:rule="self.map(e, size(bytes(e.name)) + (has(e.value) ? size(bytes(e.value)) : 0) + 24).sum() <= 49152",message="the environment totals more than 48 KiB (names, values and 24 bytes a variable): ECS refuses task definitions above 64 KiB"
	// +optional
	Env []EnvVar `json:"env,omitempty"`

	// HealthCheckPath is the HTTP path the load balancer probes, starting
	// with "/". The default, /readyz, fails while the task cannot reach the
	// database, so the load balancer stops sending it requests.
	// +kubebuilder:default="/readyz"
	// +kubebuilder:validation:MaxLength=1024
	// +kubebuilder:validation:Pattern=`^/[^\s]*$`
	// +optional
	HealthCheckPath string `json:"healthCheckPath,omitempty"`

	// Auth is how the API authenticates its callers: OpenID Connect bearer
	// tokens from one issuer. Without it the API refuses every /api/ request
	// with 401; the health endpoints stay open.
	// +optional
	Auth *ServiceAuthSpec `json:"auth,omitempty"`
}

// ServiceAuthSpec names the OpenID Connect issuer whose tokens the API accepts.
type ServiceAuthSpec struct {
	// Issuer is the issuer URL (the token's iss claim); the API reads its
	// signing keys from the issuer's discovery document.
	// +kubebuilder:validation:MaxLength=512
	// +kubebuilder:validation:Pattern=`^https://[^\s]+$`
	Issuer string `json:"issuer"`

	// Audience is the value the token's aud claim must contain.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=256
	// +kubebuilder:validation:Pattern=`^[^\s]+$`
	Audience string `json:"audience"`

	// AdminGroup is a value of the token's groups claim (or a scope) that lets
	// a caller see and change every document, not only its own.
	// +kubebuilder:validation:MaxLength=256
	// +kubebuilder:validation:Pattern=`^[^\s]+$`
	// +optional
	AdminGroup string `json:"adminGroup,omitempty"`
}

// AccessLogsSpec sends the load balancer's access logs to S3.
type AccessLogsSpec struct {
	// Bucket is an existing S3 bucket whose policy lets Elastic Load Balancing
	// write to it.
	// +kubebuilder:validation:Pattern=`^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$`
	Bucket string `json:"bucket"`
	// Prefix is the key prefix inside the bucket, without leading or trailing
	// slash.
	// +kubebuilder:validation:MaxLength=200
	// +kubebuilder:validation:Pattern=`^([^/\s]+(/[^/\s]+)*)?$`
	// +optional
	Prefix string `json:"prefix,omitempty"`
}

// LoadBalancerSpec is the internet-facing Application Load Balancer: HTTPS on
// 443 with an ACM certificate, and HTTP on 80 only to redirect to HTTPS.
// +kubebuilder:validation:XValidation:rule="!(has(self.certificateARN) && has(self.insecureHTTPOnly) && self.insecureHTTPOnly)",message="insecureHTTPOnly and certificateARN contradict each other: remove one",fieldPath=.insecureHTTPOnly
type LoadBalancerSpec struct {
	// CertificateARN is the ACM certificate for the HTTPS listener, in the
	// stack's region. Required unless insecureHTTPOnly.
	// +kubebuilder:validation:MaxLength=256
	// +kubebuilder:validation:Pattern=`^arn:aws[a-z-]*:acm:[a-z0-9-]+:[0-9]{12}:certificate/[A-Za-z0-9-]+$`
	// +optional
	CertificateARN *string `json:"certificateARN,omitempty"`

	// InsecureHTTPOnly serves plain HTTP on port 80 without TLS. Development
	// stacks only; rejected with profile production.
	// +kubebuilder:default=false
	// +optional
	InsecureHTTPOnly bool `json:"insecureHTTPOnly,omitempty"`

	// AllowedCIDRs are the IPv4 ranges allowed to reach the load balancer on
	// ports 443 and 80.
	// +kubebuilder:default={"0.0.0.0/0"}
	// +kubebuilder:validation:MinItems=1
	// +kubebuilder:validation:MaxItems=25
	// +listType=set
	// +kubebuilder:validation:items:MaxLength=18
	// +kubebuilder:validation:items:XValidation:rule="isCIDR(self) && cidr(self).ip().family() == 4 && cidr(self).masked() == cidr(self)",message="must be an IPv4 CIDR in network form, such as 203.0.113.0/24 or 0.0.0.0/0"
	// +optional
	AllowedCIDRs []string `json:"allowedCIDRs,omitempty"`

	// SSLPolicy is the HTTPS listener's security policy: one of the ELB
	// TLS 1.3 policies whose minimum is TLS 1.2 or 1.3 and whose TLS 1.2
	// ciphers are AEAD or SHA-2 (Ext2, with CBC and SHA-1 ciphers, and the
	// TLS13-1-0 and TLS13-1-1 policies are refused).
	// +kubebuilder:default="ELBSecurityPolicy-TLS13-1-2-2021-06"
	// +kubebuilder:validation:MaxLength=64
	// +kubebuilder:validation:Enum=ELBSecurityPolicy-TLS13-1-2-2021-06;ELBSecurityPolicy-TLS13-1-2-Res-2021-06;ELBSecurityPolicy-TLS13-1-2-Ext1-2021-06;ELBSecurityPolicy-TLS13-1-3-2021-06;ELBSecurityPolicy-TLS13-1-2-FIPS-2023-04;ELBSecurityPolicy-TLS13-1-2-Res-FIPS-2023-04;ELBSecurityPolicy-TLS13-1-2-Ext0-FIPS-2023-04;ELBSecurityPolicy-TLS13-1-2-Ext1-FIPS-2023-04;ELBSecurityPolicy-TLS13-1-3-FIPS-2023-04;ELBSecurityPolicy-TLS13-1-2-PQ-2025-09;ELBSecurityPolicy-TLS13-1-2-Res-PQ-2025-09;ELBSecurityPolicy-TLS13-1-2-Ext1-PQ-2025-09;ELBSecurityPolicy-TLS13-1-3-PQ-2025-09;ELBSecurityPolicy-TLS13-1-2-FIPS-PQ-2025-09;ELBSecurityPolicy-TLS13-1-2-Res-FIPS-PQ-2025-09;ELBSecurityPolicy-TLS13-1-2-Ext0-FIPS-PQ-2025-09;ELBSecurityPolicy-TLS13-1-2-Ext1-FIPS-PQ-2025-09;ELBSecurityPolicy-TLS13-1-3-FIPS-PQ-2025-09
	// +optional
	SSLPolicy string `json:"sslPolicy,omitempty"`

	// IdleTimeoutSeconds closes idle connections after this many seconds.
	// +kubebuilder:default=60
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=4000
	// +optional
	IdleTimeoutSeconds int32 `json:"idleTimeoutSeconds,omitempty"`

	// AccessLogs sends access logs to an S3 bucket you own. Optional, but
	// AWS Security Hub (ELB.5) expects it for production.
	// +optional
	AccessLogs *AccessLogsSpec `json:"accessLogs,omitempty"`
}

// AutoscalingSpec bounds the service's task count and sets target-tracking
// signals.
type AutoscalingSpec struct {
	// MinTasks is the fewest tasks the service runs. Defaults to 2 in
	// production (one zone can fail) and 1 in development.
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=1000
	// +optional
	MinTasks *int32 `json:"minTasks,omitempty"`

	// MaxTasks is the most tasks the service runs.
	// +kubebuilder:default=10
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=1000
	// +optional
	MaxTasks int32 `json:"maxTasks,omitempty"`

	// TargetCPUPercent is the average CPU utilisation the service scales to.
	// +kubebuilder:default=60
	// +kubebuilder:validation:Minimum=10
	// +kubebuilder:validation:Maximum=95
	// +optional
	TargetCPUPercent int32 `json:"targetCPUPercent,omitempty"`

	// TargetMemoryPercent, when set, also scales on average memory utilisation.
	// +kubebuilder:validation:Minimum=10
	// +kubebuilder:validation:Maximum=95
	// +optional
	TargetMemoryPercent *int32 `json:"targetMemoryPercent,omitempty"`

	// RequestsPerTarget, when set, also scales on load balancer requests per
	// task per minute.
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=1000000
	// +optional
	RequestsPerTarget *int32 `json:"requestsPerTarget,omitempty"`

	// ScaleInCooldownSeconds is how long after a scale-in before another.
	// +kubebuilder:default=300
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=3600
	// +optional
	ScaleInCooldownSeconds int32 `json:"scaleInCooldownSeconds,omitempty"`

	// ScaleOutCooldownSeconds is how long after a scale-out before another.
	// +kubebuilder:default=60
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=3600
	// +optional
	ScaleOutCooldownSeconds int32 `json:"scaleOutCooldownSeconds,omitempty"`
}

// ObservabilitySpec is log retention and where alarms go.
type ObservabilitySpec struct {
	// LogRetentionDays is how long the application's logs are kept, a value
	// CloudWatch Logs accepts. Defaults to 365 in production (AWS Security Hub
	// CloudWatch.16) and 30 in development.
	// +kubebuilder:validation:Enum=1;3;5;7;14;30;60;90;120;150;180;365;400;545;731;1096;1827;2192;2557;2922;3288;3653
	// +optional
	LogRetentionDays *int32 `json:"logRetentionDays,omitempty"`

	// AlarmTopicARN is an SNS topic; when set, the stack creates CloudWatch
	// alarms (load balancer 5xx, unhealthy targets, latency, service CPU and
	// memory, database CPU and free storage) that notify it.
	// +kubebuilder:validation:MaxLength=1024
	// +kubebuilder:validation:Pattern=`^arn:aws[a-z-]*:sns:[a-z0-9-]+:[0-9]{12}:[A-Za-z0-9_-]{1,256}(\.fifo)?$`
	// +optional
	AlarmTopicARN *string `json:"alarmTopicARN,omitempty"`
}

// DatabaseStatus is where the application finds its database.
type DatabaseStatus struct {
	// Endpoint is the database's DNS name.
	// +optional
	Endpoint string `json:"endpoint,omitempty"`
	// Port is the database's port.
	// +optional
	Port int32 `json:"port,omitempty"`
	// SecretARN is the Secrets Manager secret RDS keeps the master
	// credentials in.
	// +optional
	SecretARN string `json:"secretARN,omitempty"`
}

// ResourceStatus is the state of one ACK resource the stack owns.
type ResourceStatus struct {
	// Kind is the ACK kind, for example DBInstance.
	Kind string `json:"kind"`
	// Name is the ACK resource's name in the stack's namespace.
	Name string `json:"name"`
	// Ready is true when ACK reports the AWS resource in sync.
	Ready bool `json:"ready"`
	// Reason is a CamelCase word for the resource's state.
	// +optional
	Reason string `json:"reason,omitempty"`
	// Message says, in a sentence, why the resource is not ready.
	// +optional
	Message string `json:"message,omitempty"`
}

// AdoptedStatus is one adopted AWS resource.
type AdoptedStatus struct {
	// Kind is the ACK kind, for example DBInstance.
	Kind string `json:"kind"`
	// Name is the ACK resource's name in the stack's namespace.
	Name string `json:"name"`
	// ID is the AWS ID the stack adopted it by.
	ID string `json:"id"`
	// State is Adopting (ACK has not found it yet; a wrong ID stays here,
	// nothing is created), Held (adopted, and the stack's spec is not applied
	// because of a difference that cannot change in place: see Message) or
	// Adopted (adopted, and the stack's spec applied to it in place).
	State string `json:"state"`
	// AdoptedAt is when the operator applied the stack's spec to it.
	// +optional
	AdoptedAt *metav1.Time `json:"adoptedAt,omitempty"`
	// Differences are the fields AWS had that differed from the stack's spec
	// when it was adopted, as "field: AWS value → stack value"; they were
	// applied in place.
	// +optional
	Differences []string `json:"differences,omitempty"`
	// Message says what holds it, or what ACK reports while adopting.
	// +optional
	Message string `json:"message,omitempty"`
}

// The states of an adopted resource.
const (
	AdoptionAdopting = "Adopting"
	AdoptionHeld     = "Held"
	AdoptionAdopted  = "Adopted"
)

// RolloutStatus is the ECS service's current deployment as ECS reports it.
type RolloutStatus struct {
	// TaskDefinition is the revisioned task definition ARN the primary
	// deployment runs.
	// +optional
	TaskDefinition string `json:"taskDefinition,omitempty"`
	// State is the primary deployment's rollout state: IN_PROGRESS,
	// COMPLETED or FAILED.
	// +optional
	State string `json:"state,omitempty"`
	// Reason is ECS's explanation of the state.
	// +optional
	Reason string `json:"reason,omitempty"`
	// Desired is the number of tasks the deployment wants.
	// +optional
	Desired int64 `json:"desired"`
	// Running is the number of tasks running.
	// +optional
	Running int64 `json:"running"`
	// Pending is the number of tasks starting.
	// +optional
	Pending int64 `json:"pending"`
	// Deployments is how many deployments the service has; more than one
	// means a rollout is under way.
	// +optional
	Deployments int32 `json:"deployments,omitempty"`
}

// CostStatus is the stack's estimated monthly cost in US dollars at
// on-demand prices, from the price table the operator carries (internal/cost).
// Amounts are decimal strings with two decimals, such as "412.37".
type CostStatus struct {
	// MonthlyUSD is the estimated total a month.
	// +optional
	MonthlyUSD string `json:"monthlyUSD,omitempty"`

	// Families are the estimate by family: network, database, service,
	// loadBalancer and observability.
	// +listType=map
	// +listMapKey=family
	// +optional
	Families []FamilyCost `json:"families,omitempty"`

	// PricesAsOf is the date of the prices the estimate uses, YYYY-MM-DD.
	// +optional
	PricesAsOf string `json:"pricesAsOf,omitempty"`

	// Error says why there is no estimate, for example that the price table
	// has no prices for the stack's region or instance class.
	// +optional
	Error string `json:"error,omitempty"`
}

// FamilyCost is the estimated monthly cost of one family of a stack.
type FamilyCost struct {
	// Family is the family's name.
	Family string `json:"family"`
	// MonthlyUSD is the family's estimated cost a month.
	MonthlyUSD string `json:"monthlyUSD"`
}

// DocuFlowStackStatus is the observed state of a stack.
type DocuFlowStackStatus struct {
	// ObservedGeneration is the spec generation the status describes.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`

	// Conditions: Ready (summary), Reconciling, Stalled, Suspended, Deleting,
	// RolledBack, and one per component family: NetworkReady, DatabaseReady,
	// LoadBalancerReady, ServiceReady, AutoscalingReady, AlarmsReady.
	// +listType=map
	// +listMapKey=type
	// +optional
	Conditions []metav1.Condition `json:"conditions,omitempty"`

	// URL is where DocuFlow is served.
	// +optional
	URL string `json:"url,omitempty"`

	// LoadBalancerDNSName is the load balancer's DNS name, for a CNAME or
	// alias record.
	// +optional
	LoadBalancerDNSName string `json:"loadBalancerDNSName,omitempty"`

	// Database is where the application finds its database.
	// +optional
	Database *DatabaseStatus `json:"database,omitempty"`

	// Tasks is running/desired tasks of the service, for example "2/2".
	// +optional
	Tasks string `json:"tasks,omitempty"`

	// Rollout is the state of the ECS service's deployments.
	// +optional
	Rollout *RolloutStatus `json:"rollout,omitempty"`

	// TaskDefinitions are the task definitions the service has been given,
	// newest first: the current one and the previous ones kept for rollback.
	// +optional
	TaskDefinitions []string `json:"taskDefinitions,omitempty"`

	// Retained lists, while a stack with deletionPolicy Retain is deleted, the
	// AWS resources released rather than deleted, with their ARNs.
	// +optional
	Retained []string `json:"retained,omitempty"`

	// Adopted lists the AWS resources the stack adopted (spec.adopt), and
	// what AWS had that differed from the stack's spec when it took them
	// over.
	// +listType=map
	// +listMapKey=kind
	// +listMapKey=name
	// +optional
	Adopted []AdoptedStatus `json:"adopted,omitempty"`

	// Resources lists every ACK resource the stack owns and its state.
	// +listType=map
	// +listMapKey=kind
	// +listMapKey=name
	// +optional
	Resources []ResourceStatus `json:"resources,omitempty"`

	// Cost is the stack's estimated monthly cost at on-demand prices, from
	// the spec alone; usage (traffic, log volume) is assumed.
	// +optional
	Cost *CostStatus `json:"cost,omitempty"`
}

// DocuFlowStack runs one DocuFlow environment on AWS through AWS Controllers
// for Kubernetes: network, PostgreSQL, the API service on ECS Fargate behind an
// Application Load Balancer, autoscaling and alarms.
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:shortName=dfs;docuflow,categories=docuflow
// +kubebuilder:validation:XValidation:rule="oldSelf.hasValue() || size(self.metadata.name) <= 149",optionalOldSelf=true,message="metadata.name: must be at most 149 characters: CloudWatch alarm names, docuflow/<namespace>/<name>-<8-character scope>/alarm-unhealthy-targets, may not exceed 255 and a namespace may be 63 characters long"
// +kubebuilder:validation:XValidation:rule="self.spec.profile != 'production' || !has(self.spec.database.deletionPolicy) || self.spec.database.deletionPolicy != 'Delete' || (has(oldSelf.spec.database.deletionPolicy) && oldSelf.spec.database.deletionPolicy == 'Delete') || (has(self.spec.database.confirmDataDeletion) && self.spec.database.confirmDataDeletion == self.metadata.name)",message="switching a production stack to deletionPolicy Delete deletes the database and its automated backups when the stack is deleted: set spec.database.confirmDataDeletion to the stack's name to confirm",fieldPath=.spec.database.confirmDataDeletion
// +kubebuilder:printcolumn:name="Ready",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].status`
// +kubebuilder:printcolumn:name="Reason",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].reason`
// +kubebuilder:printcolumn:name="URL",type=string,JSONPath=`.status.url`
// +kubebuilder:printcolumn:name="Tasks",type=string,JSONPath=`.status.tasks`
// +kubebuilder:printcolumn:name="Cost/mo",type=string,JSONPath=`.status.cost.monthlyUSD`,priority=1,description="Estimated monthly cost in USD at on-demand prices"
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
type DocuFlowStack struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// Spec is the desired environment.
	Spec DocuFlowStackSpec `json:"spec"`
	// Status is what the operator observed.
	// +optional
	Status DocuFlowStackStatus `json:"status,omitempty"`
}

// DocuFlowStackList is a list of DocuFlowStacks.
// +kubebuilder:object:root=true
type DocuFlowStackList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	// Items are the stacks.
	Items []DocuFlowStack `json:"items"`
}

func init() {
	SchemeBuilder.Register(&DocuFlowStack{}, &DocuFlowStackList{})
}
