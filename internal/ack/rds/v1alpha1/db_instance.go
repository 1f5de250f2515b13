package v1alpha1

import (
	ackv1alpha1 "github.com/aws-controllers-k8s/runtime/apis/core/v1alpha1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/docuflow/docuflow-operator/internal/ack/core"
)

// DBInstanceSpec is the desired state of a DBInstance. Several fields are
// late-initialized by ACK from AWS when left empty.
type DBInstanceSpec struct {
	// DBInstanceIdentifier is the AWS name and primary key of the instance.
	// +kubebuilder:validation:Required
	DBInstanceIdentifier *string `json:"dbInstanceIdentifier,omitempty"`
	// DBInstanceClass is the instance class, e.g. db.t4g.medium.
	// +kubebuilder:validation:Required
	DBInstanceClass *string `json:"dbInstanceClass,omitempty"`
	// Engine is the database engine, e.g. postgres.
	// +kubebuilder:validation:Required
	Engine *string `json:"engine,omitempty"`
	// EngineVersion is the engine version; a major version alone matches any
	// minor version.
	EngineVersion *string `json:"engineVersion,omitempty"`
	// DBName is the name of the database created with the instance.
	DBName *string `json:"dbName,omitempty"`
	// Port is the port the database listens on.
	Port *int64 `json:"port,omitempty"`
	// MasterUsername is the name of the master user.
	MasterUsername *string `json:"masterUsername,omitempty"`
	// ManageMasterUserPassword makes RDS keep the master password in a Secrets
	// Manager secret, reported in status.masterUserSecret.
	ManageMasterUserPassword *bool `json:"manageMasterUserPassword,omitempty"`
	// AllocatedStorage is the storage size in GiB.
	AllocatedStorage *int64 `json:"allocatedStorage,omitempty"`
	// MaxAllocatedStorage is the storage autoscaling limit in GiB.
	MaxAllocatedStorage *int64 `json:"maxAllocatedStorage,omitempty"`
	// StorageType is gp2, gp3, io1, io2 or standard.
	StorageType *string `json:"storageType,omitempty"`
	// StorageEncrypted encrypts the storage; it can only be set at creation.
	StorageEncrypted *bool `json:"storageEncrypted,omitempty"`
	// KMSKeyID is the KMS key that encrypts the storage.
	KMSKeyID *string `json:"kmsKeyID,omitempty"`
	// KMSKeyRef resolves KMSKeyID from a kms Key's ARN.
	KMSKeyRef *ackv1alpha1.AWSResourceReferenceWrapper `json:"kmsKeyRef,omitempty"`
	// MultiAZ runs a standby in a second availability zone.
	MultiAZ *bool `json:"multiAZ,omitempty"`
	// PubliclyAccessible gives the instance a public address.
	PubliclyAccessible *bool `json:"publiclyAccessible,omitempty"`
	// BackupRetentionPeriod is the number of days automated backups are kept;
	// 0 disables them.
	BackupRetentionPeriod *int64 `json:"backupRetentionPeriod,omitempty"`
	// PreferredBackupWindow is the daily UTC backup window, e.g. 03:00-04:00.
	PreferredBackupWindow *string `json:"preferredBackupWindow,omitempty"`
	// PreferredMaintenanceWindow is the weekly UTC maintenance window, e.g.
	// sun:05:00-sun:06:00.
	PreferredMaintenanceWindow *string `json:"preferredMaintenanceWindow,omitempty"`
	// DeletionProtection makes AWS refuse to delete the instance.
	DeletionProtection *bool `json:"deletionProtection,omitempty"`
	// CopyTagsToSnapshot copies the instance's tags to its snapshots.
	CopyTagsToSnapshot *bool `json:"copyTagsToSnapshot,omitempty"`
	// AutoMinorVersionUpgrade lets AWS apply minor engine upgrades.
	AutoMinorVersionUpgrade *bool `json:"autoMinorVersionUpgrade,omitempty"`
	// EnableIAMDatabaseAuthentication lets IAM identities log in.
	EnableIAMDatabaseAuthentication *bool `json:"enableIAMDatabaseAuthentication,omitempty"`
	// PerformanceInsightsEnabled turns on Performance Insights.
	PerformanceInsightsEnabled *bool `json:"performanceInsightsEnabled,omitempty"`
	// PerformanceInsightsRetentionPeriod is the number of days Performance
	// Insights data is kept; 7 is the free tier.
	PerformanceInsightsRetentionPeriod *int64 `json:"performanceInsightsRetentionPeriod,omitempty"`
	// MonitoringInterval is the Enhanced Monitoring interval in seconds; 0
	// turns it off.
	MonitoringInterval *int64 `json:"monitoringInterval,omitempty"`
	// MonitoringRoleARN is the IAM role Enhanced Monitoring publishes with.
	MonitoringRoleARN *string `json:"monitoringRoleARN,omitempty"`
	// MonitoringRoleRef resolves MonitoringRoleARN from a Role's ARN.
	MonitoringRoleRef *ackv1alpha1.AWSResourceReferenceWrapper `json:"monitoringRoleRef,omitempty"`
	// EnableCloudwatchLogsExports are the log types exported to CloudWatch
	// Logs, e.g. postgresql and upgrade.
	EnableCloudwatchLogsExports []*string `json:"enableCloudwatchLogsExports,omitempty"`
	// CACertificateIdentifier is the server certificate authority, e.g.
	// rds-ca-rsa2048-g1.
	CACertificateIdentifier *string `json:"caCertificateIdentifier,omitempty"`
	// DBSubnetGroupName is the subnet group the instance is placed in.
	DBSubnetGroupName *string `json:"dbSubnetGroupName,omitempty"`
	// DBSubnetGroupRef resolves DBSubnetGroupName from a DBSubnetGroup's
	// spec.name.
	DBSubnetGroupRef *ackv1alpha1.AWSResourceReferenceWrapper `json:"dbSubnetGroupRef,omitempty"`
	// DBParameterGroupName is the parameter group of the instance.
	DBParameterGroupName *string `json:"dbParameterGroupName,omitempty"`
	// DBParameterGroupRef resolves DBParameterGroupName from a
	// DBParameterGroup's spec.name.
	DBParameterGroupRef *ackv1alpha1.AWSResourceReferenceWrapper `json:"dbParameterGroupRef,omitempty"`
	// VPCSecurityGroupIDs are the security groups of the instance.
	VPCSecurityGroupIDs []*string `json:"vpcSecurityGroupIDs,omitempty"`
	// VPCSecurityGroupRefs resolve VPCSecurityGroupIDs from SecurityGroups'
	// status.id.
	VPCSecurityGroupRefs []*ackv1alpha1.AWSResourceReferenceWrapper `json:"vpcSecurityGroupRefs,omitempty"`
	// NetworkType is IPV4 or DUAL.
	NetworkType *string `json:"networkType,omitempty"`
	// Tags are the AWS tags of the instance.
	Tags []*Tag `json:"tags,omitempty"`
}

// Endpoint is the DNS address and port of a DB instance.
type Endpoint struct {
	// Address is the DNS name of the instance.
	Address *string `json:"address,omitempty"`
	// Port is the port the instance listens on.
	Port *int64 `json:"port,omitempty"`
	// HostedZoneID is the Route 53 hosted zone of the address.
	HostedZoneID *string `json:"hostedZoneID,omitempty"`
}

// MasterUserSecret is the Secrets Manager secret that holds the managed master
// password, as JSON with username and password keys.
type MasterUserSecret struct {
	// SecretARN is the ARN of the secret.
	SecretARN *string `json:"secretARN,omitempty"`
	// SecretStatus is creating, active, rotating or impaired.
	SecretStatus *string `json:"secretStatus,omitempty"`
	// KMSKeyID is the KMS key that encrypts the secret.
	KMSKeyID *string `json:"kmsKeyID,omitempty"`
}

// PendingModifiedValues are changes AWS has accepted but not applied yet.
type PendingModifiedValues struct {
	// DBInstanceClass is the pending instance class.
	DBInstanceClass *string `json:"dbInstanceClass,omitempty"`
	// EngineVersion is the pending engine version.
	EngineVersion *string `json:"engineVersion,omitempty"`
	// AllocatedStorage is the pending storage size in GiB.
	AllocatedStorage *int64 `json:"allocatedStorage,omitempty"`
	// MultiAZ is the pending Multi-AZ setting.
	MultiAZ *bool `json:"multiAZ,omitempty"`
}

// DBInstanceStatus is what ACK reports about a DBInstance.
type DBInstanceStatus struct {
	core.ResourceStatus `json:",inline"`
	// DBInstanceStatus is AWS's status, e.g. creating, available or modifying;
	// ACK reports the resource synced only when it is available.
	DBInstanceStatus *string `json:"dbInstanceStatus,omitempty"`
	// Endpoint is where clients connect.
	Endpoint *Endpoint `json:"endpoint,omitempty"`
	// MasterUserSecret is the managed master password secret.
	MasterUserSecret *MasterUserSecret `json:"masterUserSecret,omitempty"`
	// DBIResourceID is the region-unique resource ID used in rds-db:connect
	// IAM policies.
	DBIResourceID *string `json:"dbiResourceID,omitempty"`
	// PendingModifiedValues are changes not applied yet.
	PendingModifiedValues *PendingModifiedValues `json:"pendingModifiedValues,omitempty"`
	// EnabledCloudwatchLogsExports are the log types exported to CloudWatch
	// Logs.
	EnabledCloudwatchLogsExports []*string `json:"enabledCloudwatchLogsExports,omitempty"`
	// IAMDatabaseAuthenticationEnabled reports whether IAM authentication is
	// on.
	IAMDatabaseAuthenticationEnabled *bool `json:"iamDatabaseAuthenticationEnabled,omitempty"`
}

// DBInstance mirrors ACK's rds DBInstance.
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:path=dbinstances,scope=Namespaced
type DBInstance struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec   DBInstanceSpec   `json:"spec,omitempty"`
	Status DBInstanceStatus `json:"status,omitempty"`
}

// DBInstanceList is a list of DBInstances.
// +kubebuilder:object:root=true
type DBInstanceList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []DBInstance `json:"items"`
}

// ACKStatus returns the shared ACK status block.
func (r *DBInstance) ACKStatus() *core.ResourceStatus { return &r.Status.ResourceStatus }

func init() {
	SchemeBuilder.Register(&DBInstance{}, &DBInstanceList{})
}
