package operator

import (
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
