package acksim

import (
	"slices"
	"testing"
	"time"
)

func TestRevisionIncrementsOnlyWhenTheSpecChanges(t *testing.T) {
	s := New(Options{})
	key := objKey{"TaskDefinition", "prod", "api"}
	steps := []struct {
		hash    string
		current int64
		want    int64
	}{
		{"a", 0, 1},
		{"a", 1, 1},
		{"b", 1, 2},
		{"b", 2, 2},
		{"a", 2, 3},
	}
	for i, st := range steps {
		if got := s.revision(key, "uid-1", st.hash, st.current); got != st.want {
			t.Errorf("step %d: revision = %d, want %d", i, got, st.want)
		}
	}
	if got := s.revision(key, "uid-2", "a", 0); got != 1 {
		t.Errorf("a new object under the same name: revision = %d, want 1", got)
	}
	restarted := New(Options{})
	if got := restarted.revision(key, "uid-1", "a", 7); got != 7 {
		t.Errorf("a restarted simulator: revision = %d, want the 7 in status", got)
	}
}

func TestProvisioningWaitsOutTheDelayPerGeneration(t *testing.T) {
	s := New(Options{})
	s.SetDelay("DBInstance", time.Minute)
	key := objKey{"DBInstance", "prod", "db"}
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	if pending, remaining, _, _ := s.provisioning(key, "u", 1, false, t0); !pending || remaining != time.Minute {
		t.Errorf("new object: pending %v, remaining %s", pending, remaining)
	}
	if pending, remaining, _, _ := s.provisioning(key, "u", 1, false, t0.Add(40*time.Second)); !pending || remaining != 20*time.Second {
		t.Errorf("after 40s: pending %v, remaining %s", pending, remaining)
	}
	if pending, _, _, _ := s.provisioning(key, "u", 1, false, t0.Add(time.Minute)); pending {
		t.Error("after the delay: still pending")
	}
	if pending, _, _, _ := s.provisioning(key, "u", 2, true, t0.Add(2*time.Minute)); !pending {
		t.Error("a spec change did not restart provisioning")
	}
	adopted := objKey{"DBInstance", "prod", "old"}
	if pending, _, _, _ := s.provisioning(adopted, "v", 1, true, t0); pending {
		t.Error("an object synced before a restart is provisioned again")
	}
	s.SetNeverSync("DBInstance", "prod", "db")
	if pending, _, reason, _ := s.provisioning(key, "u", 2, false, t0.Add(time.Hour)); !pending || reason != neverSyncReason {
		t.Errorf("never-sync: pending %v, reason %q", pending, reason)
	}
}

func TestResetClearsFaultsDelaysAndRecords(t *testing.T) {
	s := New(Options{})
	s.SetTerminal("VPC", "prod", "main", "boom")
	s.SetDelay("VPC", time.Second)
	s.SetDeletionDelay("VPC", time.Second)
	s.recordDeletion(objKey{"VPC", "prod", "a"}, true)
	s.recordDeletion(objKey{"VPC", "prod", "b"}, false)
	if got, want := s.Retained(), []string{"VPC prod/a"}; !slices.Equal(got, want) {
		t.Errorf("Retained() = %v, want %v", got, want)
	}
	if got, want := s.Deleted(), []string{"VPC prod/b"}; !slices.Equal(got, want) {
		t.Errorf("Deleted() = %v, want %v", got, want)
	}
	s.Reset()
	if _, ok := s.faultFor(objKey{"VPC", "prod", "main"}); ok {
		t.Error("fault survived Reset")
	}
	if s.deletionDelay("VPC") != 0 || len(s.Retained()) != 0 || len(s.Deleted()) != 0 {
		t.Error("delays or records survived Reset")
	}
}
