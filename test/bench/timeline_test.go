package bench

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	ackv1alpha1 "github.com/aws-controllers-k8s/runtime/apis/core/v1alpha1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/docuflow/docuflow-operator/internal/ack"
	"github.com/docuflow/docuflow-operator/internal/ack/core"
)

// timeline records, from watches of every ACK kind, when each child was
// first seen and when ACK first reported it synced, to the millisecond
// (object timestamps have one-second resolution).
type timeline struct {
	mu      sync.Mutex
	created map[string]time.Time // "ns/Kind/name"
	synced  map[string]time.Time
	stop    context.CancelFunc
	done    sync.WaitGroup
}

// startTimeline watches every ACK kind in every namespace.
func startTimeline(ctx context.Context, cfg *rest.Config, k8s client.Client) (*timeline, error) {
	w, err := client.NewWithWatch(cfg, client.Options{Scheme: k8s.Scheme()})
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(ctx)
	tl := &timeline{created: map[string]time.Time{}, synced: map[string]time.Time{}, stop: cancel}
	for _, kind := range ack.Kinds() {
		list, err := ack.NewList(kind)
		if err != nil {
			cancel()
			return nil, err
		}
		wi, err := w.Watch(ctx, list)
		if err != nil {
			cancel()
			return nil, fmt.Errorf("watching %s: %w", ack.KindOf(kind), err)
		}
		tl.done.Go(func() {
			defer wi.Stop()
			for {
				select {
				case <-ctx.Done():
					return
				case ev, ok := <-wi.ResultChan():
					if !ok {
						return
					}
					if ev.Type == watch.Added || ev.Type == watch.Modified {
						if o, ok := ev.Object.(core.Object); ok {
							tl.record(o, time.Now())
						}
					}
				}
			}
		})
	}
	return tl, nil
}

func (tl *timeline) record(o core.Object, now time.Time) {
	key := o.GetNamespace() + "/" + ack.KindOf(o) + "/" + o.GetName()
	tl.mu.Lock()
	defer tl.mu.Unlock()
	if _, seen := tl.created[key]; !seen {
		tl.created[key] = now
	}
	if c := o.ACKStatus().Condition(ackv1alpha1.ConditionTypeResourceSynced); c != nil && c.Status == corev1.ConditionTrue {
		if _, seen := tl.synced[key]; !seen {
			tl.synced[key] = now
		}
	}
}

func (tl *timeline) finish() {
	tl.stop()
	tl.done.Wait()
}

// span returns the first time among a namespace's objects of the step
// (first=true) or the last.
func span(m map[string]time.Time, ns string, st chainStep, first bool) (time.Time, bool) {
	var out time.Time
	prefix := ns + "/" + st.kind + "/"
	for k, t := range m {
		if !strings.HasPrefix(k, prefix) || !strings.Contains(k[len(prefix):], st.nameHas) {
			continue
		}
		if out.IsZero() || (first && t.Before(out)) || (!first && t.After(out)) {
			out = t
		}
	}
	return out, !out.IsZero()
}

// lagReport follows the longest chain through each stack's timeline and
// says how long each step's provisioning started after what it waited for:
// the first step after the stack's creation, the others after the previous
// step synced (or was created, for startsOnCreate steps), and Ready after
// the last step synced. A step's start is when it synced minus its delay.
// The lags add up to the time to Ready minus the chain's delays; those the
// operator gates (gate "operator") are the idle time of its own.
func (tl *timeline) lagReport(namespaces []string, created, ready map[string]time.Time, delays map[string]time.Duration) string {
	tl.mu.Lock()
	defer tl.mu.Unlock()
	lags := make([][]time.Duration, len(longestChain)+1)
	var firstCreated, operatorSum, totalSum []time.Duration
	for _, ns := range namespaces {
		var op, total time.Duration
		prevDone := created[ns]
		ok := true
		if at, found := span(tl.created, ns, longestChain[0], true); found {
			firstCreated = append(firstCreated, at.Sub(prevDone))
		}
		for i, st := range longestChain {
			var start time.Time
			if st.onPath {
				synced, found := span(tl.synced, ns, st, false)
				ok = ok && found
				start = synced.Add(-delays[st.kind])
			} else {
				var found bool
				start, found = span(tl.created, ns, st, true)
				ok = ok && found
			}
			lag := start.Sub(prevDone)
			lags[i] = append(lags[i], lag)
			total += lag
			if st.gate == "operator" {
				op += lag
			}
			if st.onPath && (i+1 == len(longestChain) || !longestChain[i+1].startsOnCreate) {
				prevDone, _ = span(tl.synced, ns, st, false)
			} else {
				prevDone = start
			}
		}
		if at, found := ready[ns]; found && ok {
			lag := at.Sub(prevDone)
			lags[len(longestChain)] = append(lags[len(longestChain)], lag)
			total += lag
			op += lag
			operatorSum = append(operatorSum, op)
			totalSum = append(totalSum, total)
		}
	}
	parts := []string{fmt.Sprintf("%s created after the stack's creation [operator] %s", longestChain[0], medMax(firstCreated))}
	for i, st := range longestChain {
		what := "synced"
		if i > 0 && st.startsOnCreate {
			what = "created"
		}
		after := "the stack's creation"
		if i > 0 {
			after = longestChain[i-1].String() + " " + what
		}
		verb := "started"
		if !st.onPath {
			verb = "created"
		}
		parts = append(parts, fmt.Sprintf("%s %s after %s [%s] %s", st, verb, after, st.gate, medMax(lags[i])))
	}
	parts = append(parts, fmt.Sprintf("Ready seen after %s synced [operator; the harness polls every 200 ms] %s", longestChain[len(longestChain)-1], medMax(lags[len(longestChain)])))
	return fmt.Sprintf("Lags along the chain, median / max over %d stacks: %s.\nAll lags per stack %s; of which the operator's gates %s.",
		len(totalSum), strings.Join(parts, "; "), medMax(totalSum), medMax(operatorSum))
}

func medMax(d []time.Duration) string {
	if len(d) == 0 {
		return "n/a"
	}
	return fmt.Sprintf("%s / %s", quantile(d, 0.5).Round(10*time.Millisecond), slices.Max(d).Round(10*time.Millisecond))
}
