package controllers

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	platformv1alpha1 "github.com/docuflow/docuflow-operator/api/v1alpha1"
)

func stackWithReady(name string, created time.Time, ready metav1.ConditionStatus, since time.Time) *platformv1alpha1.DocuFlowStack {
	s := &platformv1alpha1.DocuFlowStack{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "m", CreationTimestamp: metav1.NewTime(created)}}
	if ready != "" {
		s.Status.Conditions = []metav1.Condition{{Type: platformv1alpha1.ConditionReady, Status: ready, Reason: "R", LastTransitionTime: metav1.NewTime(since)}}
	}
	return s
}

func TestTheStackGaugeCountsWhatTheCacheHoldsAtEachScrape(t *testing.T) {
	created := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	c := fake.NewClientBuilder().WithScheme(testScheme).WithObjects(
		stackWithReady("a", created, metav1.ConditionTrue, created),
		stackWithReady("b", created, metav1.ConditionFalse, created),
		stackWithReady("c", created, "", created),
	).Build()
	countStacksFrom(c)
	t.Cleanup(func() { countStacksFrom(nil) })
	want := `
# HELP docuflow_stacks DocuFlowStacks this operator manages, by the status of their Ready condition.
# TYPE docuflow_stacks gauge
docuflow_stacks{ready="False"} 1
docuflow_stacks{ready="True"} 1
docuflow_stacks{ready="Unknown"} 1
`
	if err := testutil.CollectAndCompare(stacks, strings.NewReader(want)); err != nil {
		t.Fatal(err)
	}
	// A deleted stack leaves the count at the next scrape; nothing to forget.
	if err := c.Delete(t.Context(), stackWithReady("b", created, "", created)); err != nil {
		t.Fatal(err)
	}
	if err := testutil.CollectAndCompare(stacks, strings.NewReader(strings.Replace(want, `{ready="False"} 1`, `{ready="False"} 0`, 1))); err != nil {
		t.Fatal(err)
	}
}

func TestTimeToReadyIsObservedWhenAWriteTurnsReadyTrue(t *testing.T) {
	created := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	firstStatus := created.Add(time.Second)
	now := created.Add(91 * time.Second)
	tests := []struct {
		name    string
		written *platformv1alpha1.DocuFlowStack // the status before the write
		now     metav1.ConditionStatus          // Ready after it
		want    []float64
	}{
		{"a new stack turning ready: from its first status", stackWithReady("a", created, metav1.ConditionFalse, firstStatus), metav1.ConditionTrue, []float64{90}},
		{"a stack with no Ready yet: from its creation", stackWithReady("a", created, "", created), metav1.ConditionTrue, []float64{91}},
		{"ready again after an outage: from when it stopped", stackWithReady("a", created, metav1.ConditionFalse, now.Add(-30*time.Second)), metav1.ConditionTrue, []float64{30}},
		{"ready and still ready: nothing", stackWithReady("a", created, metav1.ConditionTrue, firstStatus), metav1.ConditionTrue, nil},
		{"not ready yet: nothing", stackWithReady("a", created, metav1.ConditionFalse, firstStatus), metav1.ConditionFalse, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := &observations{}
			observeReadyTransition(h, stackWithReady("a", created, tt.now, now), &tt.written.Status, now)
			if !slices.Equal(h.values, tt.want) {
				t.Errorf("observed %v, want %v", h.values, tt.want)
			}
		})
	}
}

// observations records what is observed.
type observations struct{ values []float64 }

func (o *observations) Observe(v float64) { o.values = append(o.values, v) }
