package desired

import (
	"strings"

	ackv1alpha1 "github.com/aws-controllers-k8s/runtime/apis/core/v1alpha1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	platformv1alpha1 "github.com/docuflow/docuflow-operator/api/v1alpha1"
	rdsv1alpha1 "github.com/docuflow/docuflow-operator/internal/ack/rds/v1alpha1"
)

// Components of the database family.
const (
	componentDBSubnets = "db-subnets"
	componentDB        = "db"
)

// Annotations on the DBInstance that decide what deleting it does.
const (
	// AnnotationDeletionPolicy is ACK's per-resource deletion policy.
	AnnotationDeletionPolicy = "services.k8s.aws/deletion-policy"
	// AnnotationSkipFinalSnapshot is the RDS controller's switch for the final
	// snapshot; absent means "true", so it is always set explicitly.
	AnnotationSkipFinalSnapshot = "rds.services.k8s.aws/skip-final-snapshot"
	// AnnotationFinalSnapshotIdentifier names the final snapshot.
	AnnotationFinalSnapshotIdentifier = "rds.services.k8s.aws/final-db-snapshot-identifier"
	// AnnotationDeleteAutomatedBackups says whether deleting the instance also
	// deletes its automated backups.
	AnnotationDeleteAutomatedBackups = "rds.services.k8s.aws/delete-automated-backups"
)

// FinalSnapshotIdentifier names the database's final snapshot: the instance
// identifier, "final" and the first eight characters of the stack's UID.
// RDS refuses a deletion whose final snapshot name is taken (and ACK retries
// it forever), so the name must differ for every stack that is deleted, also
// for a stack created again under the same name; the UID does that, and a
// restarted operator names the same snapshot.
func FinalSnapshotIdentifier(stack *platformv1alpha1.DocuFlowStack, identifier string) string {
	uid := strings.ReplaceAll(string(stack.UID), "-", "")
	if len(uid) > 8 {
		uid = uid[:8]
	}
	if uid == "" {
		return identifier + "-final"
	}
	return identifier + "-final-" + strings.ToLower(uid)
}

// Fixed database settings.
const (
	masterUsername = "docuflow"
	// performanceInsightsRetentionDays is the free tier.
	performanceInsightsRetentionDays = 7
	// slowQueryMillis logs statements slower than this to the exported
	// postgresql log.
	slowQueryMillis = "1000"
)

// rdsMeta is the TypeMeta of an RDS kind.
func rdsMeta(kind string) metav1.TypeMeta {
	return metav1.TypeMeta{APIVersion: rdsv1alpha1.GroupVersion.String(), Kind: kind}
}

// rdsTags are the component's tags as RDS tags.
func (b *builder) rdsTags(component string) []*rdsv1alpha1.Tag {
	tags := Tags(b.stack, component)
	out := make([]*rdsv1alpha1.Tag, 0, len(tags))
	for _, t := range tags {
		out = append(out, &rdsv1alpha1.Tag{Key: ptrTo(t.Key), Value: ptrTo(t.Value)})
	}
	return out
}

// parameterGroupComponent names the parameter group after the major version:
// a group's family cannot change, so a major upgrade renders a new group.
func parameterGroupComponent(major string) string { return "db-postgres" + major }

// database renders the DB subnet group over the private subnets, the
// parameter group and the PostgreSQL instance.
func (b *builder) database() {
	major, _, _ := strings.Cut(b.s.EngineVersion, ".")

	b.emit(&rdsv1alpha1.DBSubnetGroup{
		TypeMeta:   rdsMeta("DBSubnetGroup"),
		ObjectMeta: objectMeta(b.stack, FamilyDatabase, componentDBSubnets),
		Spec: rdsv1alpha1.DBSubnetGroupSpec{
			Name:        ptrTo(b.awsName(componentDBSubnets, RDSName)),
			Description: ptrTo("Private subnets of DocuFlow stack " + b.stack.Namespace + "/" + b.stack.Name),
			SubnetRefs:  refs(b.privateSubnetNames()...),
			Tags:        b.rdsTags(componentDBSubnets),
		},
	})

	pg := parameterGroupComponent(major)
	b.emit(&rdsv1alpha1.DBParameterGroup{
		TypeMeta:   rdsMeta("DBParameterGroup"),
		ObjectMeta: objectMeta(b.stack, FamilyDatabase, pg),
		Spec: rdsv1alpha1.DBParameterGroupSpec{
			Name:        ptrTo(b.awsName(pg, RDSName)),
			Family:      ptrTo("postgres" + major),
			Description: ptrTo("PostgreSQL " + major + " settings of DocuFlow stack " + b.stack.Namespace + "/" + b.stack.Name),
			ParameterOverrides: map[string]*string{
				// Clients must use TLS.
				"rds.force_ssl":              ptrTo("1"),
				"log_min_duration_statement": ptrTo(slowQueryMillis),
			},
			Tags: b.rdsTags(pg),
		},
	})

	identifier := b.dbIdentifier()
	meta := objectMeta(b.stack, FamilyDatabase, componentDB)
	for k, v := range b.deletionAnnotations(identifier) {
		meta.Annotations[k] = v
	}
	if b.storageAutoscaling() {
		// RDS grows the volume up to maxAllocatedStorage, and the rds
		// controller never writes the grown size back: without this, the
		// next update of the instance sends spec.allocatedStorage, a shrink
		// RDS refuses with a terminal error. With it (and the controller's
		// IgnoreFieldDrift gate) ACK sends AWS's own size instead.
		meta.Annotations[AnnotationIgnoreFieldDrift] = "spec.allocatedStorage"
		switch b.obs.RDSIgnoreFieldDrift {
		case GateOn:
		case GateOff:
			if !b.obs.DBInstanceExists {
				b.wait(FamilyDatabase, "DBInstance", b.name(componentDB, KubernetesName),
					"the rds controller's IgnoreFieldDrift feature gate (without it the controller shrinks an autoscaled volume back, which RDS refuses; or set maxStorageGiB to storageGiB)")
				return
			}
			meta.Annotations[AnnotationReadOnly] = "true"
		default:
			if !b.obs.DBInstanceExists {
				b.wait(FamilyDatabase, "DBInstance", b.name(componentDB, KubernetesName), "the rds controller's answer to the IgnoreFieldDrift gate probe")
				return
			}
			meta.Annotations[AnnotationReadOnly] = "true"
		}
	}
	spec := rdsv1alpha1.DBInstanceSpec{
		DBInstanceIdentifier:            ptrTo(identifier),
		DBInstanceClass:                 ptrTo(b.s.InstanceClass),
		Engine:                          ptrTo("postgres"),
		EngineVersion:                   ptrTo(b.s.EngineVersion),
		DBName:                          ptrTo(b.s.DatabaseName),
		Port:                            ptrTo(int64(portPostgres)),
		MasterUsername:                  ptrTo(masterUsername),
		ManageMasterUserPassword:        ptrTo(true),
		AllocatedStorage:                ptrTo(int64(b.s.StorageGiB)),
		MaxAllocatedStorage:             ptrTo(int64(b.s.MaxStorageGiB)),
		StorageType:                     ptrTo("gp3"),
		StorageEncrypted:                ptrTo(true),
		MultiAZ:                         ptrTo(b.s.MultiAZ),
		PubliclyAccessible:              ptrTo(false),
		BackupRetentionPeriod:           ptrTo(int64(b.s.BackupRetentionDays)),
		DeletionProtection:              ptrTo(b.s.DeletionProtection),
		CopyTagsToSnapshot:              ptrTo(true),
		AutoMinorVersionUpgrade:         ptrTo(true),
		EnableIAMDatabaseAuthentication: ptrTo(true),
		PerformanceInsightsEnabled:      ptrTo(b.s.PerformanceInsights),
		EnableCloudwatchLogsExports:     []*string{ptrTo("postgresql"), ptrTo("upgrade")},
		DBSubnetGroupRef:                ref(b.name(componentDBSubnets, KubernetesName)),
		DBParameterGroupRef:             ref(b.name(pg, KubernetesName)),
		VPCSecurityGroupRefs:            refs(b.name(componentDatabaseSG, KubernetesName)),
		Tags:                            b.rdsTags(componentDB),
	}
	if b.s.PerformanceInsights {
		spec.PerformanceInsightsRetentionPeriod = ptrTo(int64(performanceInsightsRetentionDays))
	}
	b.emit(&rdsv1alpha1.DBInstance{TypeMeta: rdsMeta("DBInstance"), ObjectMeta: meta, Spec: spec})
}

// deletionAnnotations turn spec.database.deletionPolicy into the ACK and RDS
// controller annotations. Every value is explicit, because the defaults come
// from elsewhere (a namespace's rds.services.k8s.aws/deletion-policy, or the
// RDS controller skipping the final snapshot when the annotation is absent).
func (b *builder) deletionAnnotations(identifier string) map[string]string {
	finalSnapshot := FinalSnapshotIdentifier(b.stack, identifier)
	switch b.s.DeletionPolicy {
	case platformv1alpha1.DeletionPolicyRetain:
		// ACK lets go of the instance. Should the retain annotation ever be
		// lost, a deletion still takes a final snapshot.
		return map[string]string{
			AnnotationDeletionPolicy:          string(ackv1alpha1.DeletionPolicyRetain),
			AnnotationSkipFinalSnapshot:       "false",
			AnnotationFinalSnapshotIdentifier: finalSnapshot,
		}
	case platformv1alpha1.DeletionPolicyDelete:
		return map[string]string{
			AnnotationDeletionPolicy:         string(ackv1alpha1.DeletionPolicyDelete),
			AnnotationSkipFinalSnapshot:      "true",
			AnnotationDeleteAutomatedBackups: "true",
		}
	default:
		// Snapshot: a final snapshot, and the automated backups are kept
		// until their retention runs out.
		return map[string]string{
			AnnotationDeletionPolicy:          string(ackv1alpha1.DeletionPolicyDelete),
			AnnotationSkipFinalSnapshot:       "false",
			AnnotationFinalSnapshotIdentifier: finalSnapshot,
			AnnotationDeleteAutomatedBackups:  "false",
		}
	}
}
