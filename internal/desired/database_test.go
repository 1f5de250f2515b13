package desired

import (
	"reflect"
	"strings"
	"testing"

	platformv1alpha1 "github.com/docuflow/docuflow-operator/api/v1alpha1"
	rdsv1alpha1 "github.com/docuflow/docuflow-operator/internal/ack/rds/v1alpha1"
)

// dbInstance renders the stack and returns its only DBInstance.
func dbInstance(t *testing.T, stack *platformv1alpha1.DocuFlowStack) *rdsv1alpha1.DBInstance {
	t.Helper()
	dbs := ofKind[*rdsv1alpha1.DBInstance](mustBuild(t, stack, observedAll()).Objects)
	if len(dbs) != 1 {
		t.Fatalf("rendered %d DB instances, want 1", len(dbs))
	}
	return dbs[0]
}

func TestDatabaseIsAlwaysPrivateEncryptedAndManaged(t *testing.T) {
	for _, c := range stacksUnderTest() {
		t.Run("with "+c.name+" the database is private, encrypted, TLS-only and RDS manages its password", func(t *testing.T) {
			db := dbInstance(t, c.stack)
			s := db.Spec
			checks := []struct {
				what string
				ok   bool
			}{
				{"never publicly accessible", s.PubliclyAccessible != nil && !*s.PubliclyAccessible},
				{"storage encrypted", s.StorageEncrypted != nil && *s.StorageEncrypted},
				{"master password managed by RDS", s.ManageMasterUserPassword != nil && *s.ManageMasterUserPassword},
				{"IAM authentication on", s.EnableIAMDatabaseAuthentication != nil && *s.EnableIAMDatabaseAuthentication},
				{"gp3 storage", s.StorageType != nil && *s.StorageType == "gp3"},
				{"engine postgres on port 5432", *s.Engine == "postgres" && *s.Port == 5432},
				{"master user docuflow", *s.MasterUsername == "docuflow"},
				{"logs exported", reflect.DeepEqual(derefAll(s.EnableCloudwatchLogsExports), []string{"postgresql", "upgrade"})},
				{"in the stack's DB subnet group", refTo(s.DBSubnetGroupRef) == Name(c.stack.Name, componentDBSubnets, KubernetesName)},
				{"behind the database security group only", len(s.VPCSecurityGroupRefs) == 1 && refTo(s.VPCSecurityGroupRefs[0]) == Name(c.stack.Name, componentDatabaseSG, KubernetesName)},
			}
			for _, ch := range checks {
				if !ch.ok {
					t.Errorf("DBInstance %s is not %s", db.Name, ch.what)
				}
			}
		})
	}
}

// derefAll dereferences a list of string pointers.
func derefAll(in []*string) []string {
	out := make([]string, 0, len(in))
	for _, p := range in {
		out = append(out, *p)
	}
	return out
}

func TestDatabaseProfileSettings(t *testing.T) {
	tests := []struct {
		name                            string
		stack                           *platformv1alpha1.DocuFlowStack
		class                           string
		multiAZ, protection, insights   bool
		backupDays, storage, maxStorage int64
		insightsRetention               *int64
	}{
		{
			name:  "a production database is Multi-AZ, protected and watched by Performance Insights",
			stack: newStack("prod"), class: "db.t4g.medium", multiAZ: true, protection: true, insights: true,
			backupDays: 14, storage: 20, maxStorage: 40, insightsRetention: ptrTo(int64(7)),
		},
		{
			name:  "a development database is small, single-AZ and unprotected",
			stack: newStack("dev", withDevelopment()), class: "db.t4g.micro",
			backupDays: 7, storage: 20, maxStorage: 40,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := dbInstance(t, tt.stack).Spec
			got := []any{*s.DBInstanceClass, *s.MultiAZ, *s.DeletionProtection, *s.PerformanceInsightsEnabled, *s.BackupRetentionPeriod, *s.AllocatedStorage, *s.MaxAllocatedStorage, s.PerformanceInsightsRetentionPeriod}
			want := []any{tt.class, tt.multiAZ, tt.protection, tt.insights, tt.backupDays, tt.storage, tt.maxStorage, tt.insightsRetention}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("class, multiAZ, protection, insights, backups, storage, max storage, insights retention = %v, want %v", got, want)
			}
		})
	}
}

func TestDatabaseDeletionAnnotations(t *testing.T) {
	tests := []struct {
		name  string
		stack *platformv1alpha1.DocuFlowStack
		want  map[string]string
	}{
		{
			name:  "a production database is retained, with a final snapshot should it ever be deleted",
			stack: newStack("prod"),
			want: map[string]string{
				AnnotationDeletionPolicy:          "retain",
				AnnotationSkipFinalSnapshot:       "false",
				AnnotationFinalSnapshotIdentifier: "prod-db-final",
			},
		},
		{
			name:  "a development database takes a final snapshot and is deleted",
			stack: newStack("dev", withDevelopment()),
			want: map[string]string{
				AnnotationDeletionPolicy:          "delete",
				AnnotationSkipFinalSnapshot:       "false",
				AnnotationFinalSnapshotIdentifier: "dev-db-final",
				AnnotationDeleteAutomatedBackups:  "false",
			},
		},
		{
			name:  "a database set to Delete is deleted with its backups and without a snapshot",
			stack: newStack("prod", withDeletionPolicy(platformv1alpha1.DeletionPolicyDelete)),
			want: map[string]string{
				AnnotationDeletionPolicy:         "delete",
				AnnotationSkipFinalSnapshot:      "true",
				AnnotationDeleteAutomatedBackups: "true",
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := map[string]string{}
			for k, v := range dbInstance(t, tt.stack).Annotations {
				switch k {
				case AnnotationDependsOn, AnnotationAppliedHash, AnnotationIgnoreFieldDrift:
				default:
					got[k] = v
				}
			}
			want := map[string]string{AnnotationRegion: "us-east-1"}
			for k, v := range tt.want {
				want[k] = v
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("annotations = %v, want %v", got, want)
			}
		})
	}
}

func TestTheFinalSnapshotIsNamedForTheStackBeingDeleted(t *testing.T) {
	first := newStack("prod")
	first.UID = "3f6c2a1e-9b7d-4c55-8e0f-1a2b3c4d5e6f"
	again := newStack("prod")
	again.UID = "8d0e4b2c-1111-4f00-9abc-0123456789ab"
	a := dbInstance(t, first).Annotations[AnnotationFinalSnapshotIdentifier]
	b := dbInstance(t, again).Annotations[AnnotationFinalSnapshotIdentifier]
	if a != "prod-db-final-3f6c2a1e" || b != "prod-db-final-8d0e4b2c" {
		t.Errorf("final snapshots %q and %q, want prod-db-final-3f6c2a1e and prod-db-final-8d0e4b2c", a, b)
	}
	if !ValidName(a, RDSName) {
		t.Errorf("%q is not a valid RDS identifier", a)
	}
}

func TestDatabaseGroups(t *testing.T) {
	tests := []struct {
		name       string
		stack      *platformv1alpha1.DocuFlowStack
		wantFamily string
		wantName   string
	}{
		{name: "a 16.4 database uses a postgres16 parameter group", stack: newStack("prod"), wantFamily: "postgres16", wantName: "prod-db-postgres16"},
		{
			name:       "a major-only 17 database uses a postgres17 parameter group",
			stack:      newStack("prod", func(s *platformv1alpha1.DocuFlowStack) { s.Spec.Database.EngineVersion = "17" }),
			wantFamily: "postgres17", wantName: "prod-db-postgres17",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := mustBuild(t, tt.stack, observedAll())
			pgs := ofKind[*rdsv1alpha1.DBParameterGroup](r.Objects)
			if len(pgs) != 1 {
				t.Fatalf("rendered %d parameter groups, want 1", len(pgs))
			}
			pg := pgs[0]
			if *pg.Spec.Family != tt.wantFamily || pg.Name != tt.wantName || *pg.Spec.Name != tt.wantName {
				t.Errorf("parameter group %s (AWS name %s) has family %s, want %s named %s", pg.Name, *pg.Spec.Name, *pg.Spec.Family, tt.wantFamily, tt.wantName)
			}
			if v := pg.Spec.ParameterOverrides["rds.force_ssl"]; v == nil || *v != "1" {
				t.Errorf("rds.force_ssl = %v, want 1", v)
			}
			db := ofKind[*rdsv1alpha1.DBInstance](r.Objects)[0]
			if refTo(db.Spec.DBParameterGroupRef) != pg.Name {
				t.Errorf("DB instance uses parameter group %s, want %s", refTo(db.Spec.DBParameterGroupRef), pg.Name)
			}
			sg := ofKind[*rdsv1alpha1.DBSubnetGroup](r.Objects)[0]
			if got, want := len(sg.Spec.SubnetRefs), len(tt.stack.Spec.Network.AvailabilityZones); got != want {
				t.Errorf("DB subnet group spans %d subnets, want the %d private ones", got, want)
			}
			for _, s := range sg.Spec.SubnetRefs {
				if n := refTo(s); len(n) < len("prod-private") || n[:len("prod-private")] != "prod-private" {
					t.Errorf("DB subnet group includes %s, want private subnets only", n)
				}
			}
		})
	}
}

func TestStorageAutoscalingIsProtectedFromAShrinkOrHeld(t *testing.T) {
	tests := []struct {
		name     string
		max      int32
		gate     Gate
		exists   bool
		ignored  bool
		readOnly bool
		waits    string
	}{
		{name: "with autoscaling and the rds gate, ACK sends AWS's own size", max: 200, gate: GateOn, ignored: true},
		{name: "with autoscaling and no rds gate, a new database waits and says why", max: 200, gate: GateOff, waits: "IgnoreFieldDrift feature gate"},
		{name: "with autoscaling and no rds gate, an existing database is held read-only", max: 200, gate: GateOff, exists: true, ignored: true, readOnly: true},
		{name: "before the probe answers, a new database waits for it", max: 200, gate: GateUnknown, waits: "gate probe"},
		{name: "without autoscaling, allocatedStorage is the spec's and needs no gate", max: 50, gate: GateOff},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stack := newStack("prod")
			stack.Spec.Database.StorageGiB = 50
			stack.Spec.Database.MaxStorageGiB = &tt.max
			obs := withNetworkUp(stack, observedAll())
			obs.RDSIgnoreFieldDrift = tt.gate
			obs.DBInstanceExists = tt.exists
			res, err := Build(stack, obs)
			if err != nil {
				t.Fatal(err)
			}
			dbs := ofKind[*rdsv1alpha1.DBInstance](res.Objects)
			if tt.waits != "" {
				if len(dbs) != 0 {
					t.Fatal("a DBInstance was rendered, want it to wait")
				}
				for _, w := range res.Waiting {
					if w.Kind == "DBInstance" && strings.Contains(w.WaitsFor, tt.waits) {
						return
					}
				}
				t.Fatalf("waiting %+v, want the DBInstance waiting for %q", res.Waiting, tt.waits)
			}
			if len(dbs) != 1 {
				t.Fatalf("%d DBInstances rendered", len(dbs))
			}
			db := dbs[0]
			if got := *db.Spec.AllocatedStorage; got != 50 {
				t.Errorf("allocatedStorage = %d, want storageGiB 50", got)
			}
			if got := db.Annotations[AnnotationIgnoreFieldDrift] == "spec.allocatedStorage"; got != tt.ignored {
				t.Errorf("ignore-field-drift on spec.allocatedStorage = %v, want %v", got, tt.ignored)
			}
			if got := db.Annotations[AnnotationReadOnly] == "true"; got != tt.readOnly {
				t.Errorf("read-only = %v, want %v", got, tt.readOnly)
			}
		})
	}
}
