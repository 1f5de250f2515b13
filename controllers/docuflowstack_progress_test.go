package controllers

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"

	platformv1alpha1 "github.com/docuflow/docuflow-operator/api/v1alpha1"
	rdsv1alpha1 "github.com/docuflow/docuflow-operator/internal/ack/rds/v1alpha1"
	"github.com/docuflow/docuflow-operator/internal/desired"
)

// TestProgressInsideAFamilyReachesTheStatusWhileTheFamilyWaits checks that a
// progress-only status change held back by StatusProgressInterval is written
// once the interval is over, without waiting for the next significant change:
// the database's subnet and parameter groups show ready while the instance
// itself is still being created (for a minute, far beyond the wait here).
func TestProgressInsideAFamilyReachesTheStatusWhileTheFamilyWaits(t *testing.T) {
	sim.SetDelay("DBInstance", time.Minute)
	t.Cleanup(func() { sim.SetDelay("DBInstance", 0) })
	ns := newNamespace(t)
	key := createStack(t, sampleStack(t, ns))

	eventually(t, 30*time.Second, "the database's groups synced in ACK", func() error {
		kids := children(t, key)
		for _, k := range []string{"DBSubnetGroup/", "DBParameterGroup/"} {
			n := 0
			for name, o := range kids {
				if _, probe := desired.IsProbe(o); probe {
					continue
				}
				if strings.HasPrefix(name, k) {
					if !desired.IsSynced(o) {
						return fmt.Errorf("%s not synced", name)
					}
					n++
				}
			}
			if n == 0 {
				return fmt.Errorf("no %s yet", k)
			}
		}
		return nil
	})
	eventually(t, 5*testStatusProgressInterval, "the groups shown ready in the stack's status", func() error {
		stack := getStack(t, key)
		for _, r := range stack.Status.Resources {
			if (r.Kind == "DBSubnetGroup" || r.Kind == "DBParameterGroup") && !r.Ready {
				return fmt.Errorf("status.resources says %s %s: %s %s", r.Kind, r.Name, r.Reason, r.Message)
			}
		}
		return nil
	})
	stack := getStack(t, key)
	if c := meta.FindStatusCondition(stack.Status.Conditions, platformv1alpha1.ConditionDatabaseReady); c == nil || c.Status != "False" {
		t.Fatalf("DatabaseReady = %+v, want False while the instance is being created", c)
	}
	if db := only[*rdsv1alpha1.DBInstance](t, key); desired.IsSynced(db) {
		t.Fatal("the DBInstance synced: the test no longer shows a held-back change being written on its own")
	}
}
