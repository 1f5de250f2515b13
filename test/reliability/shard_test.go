package reliability

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/rest"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	platformv1alpha1 "github.com/docuflow/docuflow-operator/api/v1alpha1"
	"github.com/docuflow/docuflow-operator/controllers"
	"github.com/docuflow/docuflow-operator/internal/ack"
	ackcore "github.com/docuflow/docuflow-operator/internal/ack/core"
	"github.com/docuflow/docuflow-operator/internal/desired"
)

// withShard makes the operator one shard's manager, as --shard does: the
// shipped cache settings for that shard (controllers.CacheOptions), kept to
// the namespaces the test gave it, and the reconciler's Shard.
func withShard(shard string) operatorOption {
	return func(o *ctrl.Options, _ *rest.Config, r *controllers.DocuFlowStackReconciler) {
		namespaces := o.Cache.DefaultNamespaces
		o.Cache = controllers.CacheOptions(shard)
		o.Cache.DefaultNamespaces = namespaces
		r.Shard = shard
	}
}

// requestLog records an operator's writes at its transport: every request
// but GET (get, list and watch), whatever client or recorder made it.
type requestLog struct {
	mu     sync.Mutex
	writes []string
}

// withRequestLog records the operator's writes in l.
func withRequestLog(l *requestLog) operatorOption {
	return func(_ *ctrl.Options, c *rest.Config, _ *controllers.DocuFlowStackReconciler) {
		c.Wrap(func(rt http.RoundTripper) http.RoundTripper {
			return roundTripperFunc(func(req *http.Request) (*http.Response, error) {
				if req.Method != http.MethodGet {
					l.mu.Lock()
					l.writes = append(l.writes, req.Method+" "+req.URL.Path)
					l.mu.Unlock()
				}
				return rt.RoundTrip(req)
			})
		})
	}
}

// count returns how many writes the log holds.
func (l *requestLog) count() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.writes)
}

// since returns the writes after the first n.
func (l *requestLog) since(n int) []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.writes[n:]...)
}

// waitQuiet waits until the operator has made no write for window, and
// fails if that does not happen within timeout.
func waitQuiet(t *testing.T, name string, l *requestLog, window, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		n := l.count()
		time.Sleep(window)
		if l.count() == n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("shard %s still writing after %s: %v", name, timeout, l.since(n))
		}
	}
}

// readyWatch watches a stack and remembers the first time it is seen not
// Ready=True at its generation, or its observedGeneration going back.
type readyWatch struct {
	mu     sync.Mutex
	broken []string
	stop   context.CancelFunc
	done   chan struct{}
}

// watchReady starts watching the stack at key, which is Ready now.
func watchReady(t *testing.T, key client.ObjectKey) *readyWatch {
	t.Helper()
	wc, err := client.NewWithWatch(cfg, client.Options{Scheme: testScheme})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	w, err := wc.Watch(ctx, &platformv1alpha1.DocuFlowStackList{}, client.InNamespace(key.Namespace), client.MatchingFields{"metadata.name": key.Name})
	if err != nil {
		cancel()
		t.Fatalf("watching the stack: %v", err)
	}
	rw := &readyWatch{stop: cancel, done: make(chan struct{})}
	go func() {
		defer close(rw.done)
		defer w.Stop()
		var lastObserved int64
		for {
			select {
			case <-ctx.Done():
				return
			case ev, ok := <-w.ResultChan():
				if !ok {
					if ctx.Err() == nil {
						rw.record("the watch ended early")
					}
					return
				}
				stack, ok := ev.Object.(*platformv1alpha1.DocuFlowStack)
				if !ok || ev.Type == watch.Deleted {
					continue
				}
				if err := readyErr(stack); err != nil {
					rw.record(fmt.Sprintf("resourceVersion %s: %v", stack.ResourceVersion, err))
				}
				if stack.Status.ObservedGeneration < lastObserved {
					rw.record(fmt.Sprintf("resourceVersion %s: observedGeneration went back from %d to %d", stack.ResourceVersion, lastObserved, stack.Status.ObservedGeneration))
				}
				lastObserved = stack.Status.ObservedGeneration
			}
		}
	}()
	t.Cleanup(rw.close)
	return rw
}

func (rw *readyWatch) record(s string) {
	rw.mu.Lock()
	defer rw.mu.Unlock()
	rw.broken = append(rw.broken, s)
}

// check fails the test if the stack was ever seen not Ready.
func (rw *readyWatch) check(t *testing.T, during string) {
	t.Helper()
	rw.mu.Lock()
	defer rw.mu.Unlock()
	if len(rw.broken) > 0 {
		t.Fatalf("the stack was not Ready during %s: %s", during, strings.Join(rw.broken, "; "))
	}
}

func (rw *readyWatch) close() {
	rw.stop()
	<-rw.done
}

// assertChildrenOnShard checks, from the API server, that the stack has want
// children and that every one carries shard's label (none for the default
// shard), and that the stack records shard as its owner.
func assertChildrenOnShard(key client.ObjectKey, shard string, want int) error {
	stack := &platformv1alpha1.DocuFlowStack{}
	if err := k8s.Get(context.Background(), key, stack); err != nil {
		return err
	}
	all, err := childrenOf(key)
	if err != nil {
		return err
	}
	kids := map[string]string{}
	for k, o := range all {
		if o.GetLabels()[desired.LabelStack] != key.Name || !desired.IsChildOf(o, stack) {
			return fmt.Errorf("%s is in the stack's namespace but not its child", k)
		}
		if got, ok := o.GetLabels()[desired.LabelShard]; got != shard || (shard == "" && ok) {
			kids[k] = got
		}
	}
	if len(kids) > 0 {
		return fmt.Errorf("children not on shard %q: %v", shard, kids)
	}
	if n := len(all); n != want {
		return fmt.Errorf("%d children, want %d", n, want)
	}
	if got := stack.Annotations[controllers.AnnotationShardOwner]; got != shard {
		return fmt.Errorf("the stack records shard %q as its owner, want %q", got, shard)
	}
	return nil
}

// childrenOf lists the ACK objects in the stack's namespace from the API
// server, by "Kind/name".
func childrenOf(key client.ObjectKey) (map[string]ackcore.Object, error) {
	out := map[string]ackcore.Object{}
	for _, kind := range ack.Kinds() {
		list, err := ack.NewList(kind)
		if err != nil {
			return nil, err
		}
		if err := k8s.List(context.Background(), list, client.InNamespace(key.Namespace)); err != nil {
			return nil, err
		}
		for _, o := range ack.Items(list) {
			out[kindOf(kind)+"/"+o.GetName()] = o
		}
	}
	return out, nil
}

// TestAStackMovesBetweenShardsWithoutADoubleWriterOrAnOrphan runs the
// default shard and shard "b" side by side, each a manager with the shipped
// sharded cache, and moves a Ready stack from one to the other and back by
// its label: every child follows, under the new shard's label; the stack
// stays Ready throughout; the shard it left writes nothing more and the one
// it joined settles. Deleting it then leaves no child behind.
func TestAStackMovesBetweenShardsWithoutADoubleWriterOrAnOrphan(t *testing.T) {
	ns := newNamespace(t)
	logs := map[string]*requestLog{"": {}, "b": {}}
	for shard, l := range logs {
		startOperator(t, "shard-"+shard, ns, withShard(shard), withRequestLog(l))
	}
	key := createStack(t, sampleStack(t, ns))
	waitReady(t, key, 90*time.Second)
	waitQuiet(t, "default", logs[""], 3*time.Second, 60*time.Second)
	n := len(children(t, key))
	if err := assertChildrenOnShard(key, "", n); err != nil {
		t.Fatal(err)
	}
	if w := logs["b"].since(0); len(w) > 0 {
		t.Fatalf("shard b wrote although no stack is its: %v", w)
	}
	ready := watchReady(t, key)

	// move labels the stack for shard to (or unlabels it) and checks the
	// move from shard from.
	move := func(from, to string) {
		t.Helper()
		stack := getStack(t, key)
		patch := client.MergeFrom(stack.DeepCopy())
		if to == "" {
			delete(stack.Labels, desired.LabelShard)
		} else {
			metav1.SetMetaDataLabel(&stack.ObjectMeta, desired.LabelShard, to)
		}
		if err := k8s.Patch(context.Background(), stack, patch); err != nil {
			t.Fatalf("labelling the stack for shard %q: %v", to, err)
		}
		eventually(t, 60*time.Second, fmt.Sprintf("every child moved to shard %q", to), func() error {
			return assertChildrenOnShard(key, to, n)
		})
		// From here on the shard the stack left must not write at all.
		left := logs[from].count()
		waitQuiet(t, to, logs[to], 3*time.Second, 60*time.Second)
		time.Sleep(2 * time.Second)
		if w := logs[from].since(left); len(w) > 0 {
			t.Errorf("shard %q wrote after the stack moved to shard %q: %v", from, to, w)
		}
		if err := assertChildrenOnShard(key, to, n); err != nil {
			t.Error(err)
		}
		if err := readyErr(getStack(t, key)); err != nil {
			t.Error(err)
		}
		ready.check(t, fmt.Sprintf("the move from shard %q to shard %q", from, to))
	}
	move("", "b")
	move("b", "")
	ready.close()

	if err := k8s.Delete(context.Background(), getStack(t, key)); err != nil {
		t.Fatal(err)
	}
	eventually(t, 90*time.Second, "the stack gone", func() error {
		err := k8s.Get(context.Background(), key, &platformv1alpha1.DocuFlowStack{})
		if apierrors.IsNotFound(err) {
			return nil
		}
		return fmt.Errorf("the stack still exists (%w)", err)
	})
	if left := children(t, key); len(left) != 0 {
		t.Errorf("%d children left after the stack went: %v", len(left), keys(left))
	}
}

// TestAShardLeavesAStackOfAnotherShardUntouched labels a new stack for a
// shard no manager runs: the default shard, which sees it from the API
// server, writes nothing to it (no finalizer, no status, no child).
func TestAShardLeavesAStackOfAnotherShardUntouched(t *testing.T) {
	ns := newNamespace(t)
	var l requestLog
	op := startOperator(t, "default", ns, withShard(""), withRequestLog(&l))
	stack := sampleStack(t, ns)
	metav1.SetMetaDataLabel(&stack.ObjectMeta, desired.LabelShard, "elsewhere")
	key := createStack(t, stack)
	// The cache never holds the stack, so a pass is asked for directly, as
	// a stale event or a requeue would, through a client that reads the API
	// server (as a cache that has not yet seen the label change would still
	// hold the stack) and writes through the manager's logged transport.
	direct, err := client.New(op.mgr.GetConfig(), client.Options{Scheme: testScheme})
	if err != nil {
		t.Fatal(err)
	}
	r := &controllers.DocuFlowStackReconciler{Client: direct, APIReader: direct, Scheme: testScheme}
	if _, err := r.Reconcile(context.Background(), ctrl.Request{NamespacedName: key}); err != nil {
		t.Fatal(err)
	}
	time.Sleep(2 * time.Second)
	if w := l.since(0); len(w) > 0 {
		t.Errorf("the default shard wrote for a stack of another shard: %v", w)
	}
	got := getStack(t, key)
	if len(got.Finalizers) > 0 || meta.FindStatusCondition(got.Status.Conditions, platformv1alpha1.ConditionReady) != nil || len(children(t, key)) > 0 {
		t.Errorf("the stack of another shard was touched: finalizers %v, conditions %v, %d children", got.Finalizers, got.Status.Conditions, len(children(t, key)))
	}
	// The same pass on the stack's own shard does write: the check can fail.
	r.Shard = "elsewhere"
	if _, err := r.Reconcile(context.Background(), ctrl.Request{NamespacedName: key}); err != nil {
		t.Fatal(err)
	}
	if got := getStack(t, key); got.Annotations[controllers.AnnotationShardOwner] != "elsewhere" || len(got.Finalizers) == 0 {
		t.Errorf("its own shard's pass did not take the stack: annotations %v, finalizers %v", got.Annotations, got.Finalizers)
	}
}

// TestADeletedStackWithAForgedShardOwnerLeavesNoOrphan has the tenant move a
// stack to shard b and, in the same write, forge the record that shard b
// already took it over, then delete it: shard b's cache holds none of the
// children, still under the default shard's label, so only the deletion's
// look at the API server finds them; they are moved and deleted, and the
// stack goes only after them.
func TestADeletedStackWithAForgedShardOwnerLeavesNoOrphan(t *testing.T) {
	ns := newNamespace(t)
	for _, shard := range []string{"", "b"} {
		startOperator(t, "shard-"+shard, ns, withShard(shard))
	}
	key := createStack(t, sampleStack(t, ns))
	waitReady(t, key, 90*time.Second)
	n := len(children(t, key))

	stack := getStack(t, key)
	patch := client.MergeFrom(stack.DeepCopy())
	metav1.SetMetaDataLabel(&stack.ObjectMeta, desired.LabelShard, "b")
	metav1.SetMetaDataAnnotation(&stack.ObjectMeta, controllers.AnnotationShardOwner, "b")
	if err := k8s.Patch(context.Background(), stack, patch); err != nil {
		t.Fatal(err)
	}
	if err := k8s.Delete(context.Background(), stack); err != nil {
		t.Fatal(err)
	}
	eventually(t, 90*time.Second, "the stack gone", func() error {
		err := k8s.Get(context.Background(), key, &platformv1alpha1.DocuFlowStack{})
		if apierrors.IsNotFound(err) {
			return nil
		}
		return fmt.Errorf("the stack still exists (%w)", err)
	})
	if left := children(t, key); len(left) != 0 {
		t.Errorf("%d of %d children left after the stack went: %v", len(left), n, keys(left))
	}
}
