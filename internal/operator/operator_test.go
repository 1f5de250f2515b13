package operator

import (
	"flag"
	"strings"
	"testing"

	"k8s.io/client-go/rest"
)

func TestWatchNamespacesRefusesWhatIsNoNamespaceName(t *testing.T) {
	_, err := NewManager(&rest.Config{Host: "https://127.0.0.1:1"}, Options{WatchNamespaces: "team-a,Team B", MetricsAddr: "0", ProbeAddr: "0"})
	if err == nil || !strings.Contains(err.Error(), `"Team B" is not a namespace name`) {
		t.Errorf("got %v, want the bad name refused", err)
	}
}

func TestSplitListDropsEmptyEntries(t *testing.T) {
	if got := splitList(" team-a, ,team-b,"); strings.Join(got, "|") != "team-a|team-b" {
		t.Errorf("splitList = %q", got)
	}
}

func TestShardRefusesWhatIsNoShardName(t *testing.T) {
	_, err := NewManager(&rest.Config{Host: "https://127.0.0.1:1"}, Options{Shard: "Team_B", MetricsAddr: "0", ProbeAddr: "0"})
	if err == nil || !strings.Contains(err.Error(), `--shard: "Team_B" is not a shard name`) {
		t.Errorf("got %v, want the bad shard name refused", err)
	}
}

func TestShardFlagIsBound(t *testing.T) {
	var o Options
	fs := flag.NewFlagSet("manager", flag.ContinueOnError)
	o.Bind(fs)
	if err := fs.Parse([]string{"--shard=shard1"}); err != nil {
		t.Fatal(err)
	}
	if o.Shard != "shard1" {
		t.Errorf("Shard = %q after --shard=shard1", o.Shard)
	}
}

func TestEachShardElectsItsLeaderOnALeaseOfItsOwn(t *testing.T) {
	tests := []struct {
		name, shard, want string
	}{
		{name: "the default shard keeps the lease it had before sharding", shard: "", want: "docuflow-operator.platform.docuflow.io"},
		{name: "a named shard gets a lease named after it", shard: "shard1", want: "docuflow-operator.platform.docuflow.io-shard1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := LeaderElectionID(tt.shard); got != tt.want {
				t.Errorf("LeaderElectionID(%q) = %q, want %q", tt.shard, got, tt.want)
			}
		})
	}
}
