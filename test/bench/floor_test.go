package bench

import (
	"context"
	"fmt"
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"
	toolscache "k8s.io/client-go/tools/cache"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"

	platformv1alpha1 "github.com/docuflow/docuflow-operator/api/v1alpha1"
	"github.com/docuflow/docuflow-operator/controllers"
	"github.com/docuflow/docuflow-operator/internal/ack"
	"github.com/docuflow/docuflow-operator/internal/ack/core"
	"github.com/docuflow/docuflow-operator/internal/desired"
	"github.com/docuflow/docuflow-operator/internal/writecheck"
)

// runFloor measures what the API server and the simulated ACK need for the
// same stacks without the operator: a plain client, reading the children
// from an informer cache, patches each stack's finalizer, creates each child
// once (the render of internal/desired, as the operator's) as soon as every
// child it depends on is synced, with the operator's eight writes in flight,
// and writes one status (Ready) when all are synced. No comparison, no
// status computed, no second write: the time and the API server's CPU the
// operator's figures are read against.
func runFloor(ctx context.Context, cfg *rest.Config, k8s client.Client, sc scenario, res result) (result, error) {
	counter := &requestCounter{counts: map[string]int64{}}
	fcfg := rest.CopyConfig(cfg)
	fcfg.QPS, fcfg.Burst = -1, 0
	fcfg.WrapTransport = counter.wrap
	scheme := k8s.Scheme()
	writer, err := client.New(fcfg, client.Options{Scheme: scheme})
	if err != nil {
		return res, err
	}
	opts := controllers.CacheOptions("")
	opts.Scheme = scheme
	c, err := cache.New(cfg, opts)
	if err != nil {
		return res, err
	}
	cctx, cancel := context.WithCancel(ctx)
	defer cancel()

	// Each stack's goroutine waits on its namespace's channel for a change
	// to one of its children.
	var mu sync.Mutex
	wake := map[string]chan struct{}{}
	notify := func(obj any) {
		if t, ok := obj.(toolscache.DeletedFinalStateUnknown); ok {
			obj = t.Obj
		}
		o, ok := obj.(client.Object)
		if !ok {
			return
		}
		mu.Lock()
		ch := wake[o.GetNamespace()]
		mu.Unlock()
		if ch != nil {
			select {
			case ch <- struct{}{}:
			default:
			}
		}
	}
	handler := toolscache.ResourceEventHandlerFuncs{AddFunc: notify, UpdateFunc: func(_, o any) { notify(o) }, DeleteFunc: notify}
	for _, kind := range ack.Kinds() {
		inf, err := c.GetInformer(cctx, kind)
		if err != nil {
			return res, err
		}
		if _, err := inf.AddEventHandler(handler); err != nil {
			return res, err
		}
	}
	go func() { _ = c.Start(cctx) }()
	if !c.WaitForCacheSync(cctx) {
		return res, fmt.Errorf("the floor client's cache did not sync")
	}

	proto, err := sampleStack(sc.profile)
	if err != nil {
		return res, err
	}
	names, err := createNamespaces(ctx, k8s, sc.n)
	if err != nil {
		return res, err
	}
	for _, ns := range names {
		wake[ns] = make(chan struct{}, 1)
	}
	apiBefore := apiServerCPU(cfg)
	before := counter.snapshot()
	writes := make(chan struct{}, controllers.DefaultApplyConcurrency)
	errs := make(chan error, len(names))
	var wg sync.WaitGroup

	created, start, err := createStacks(ctx, k8s, proto, names, 1)
	if err != nil {
		return res, err
	}
	for _, ns := range names {
		wg.Go(func() {
			if err := floorStack(cctx, writer, c, ns, proto.Name, wake[ns], writes); err != nil {
				errs <- fmt.Errorf("floor, stack %s: %w", ns, err)
				cancel()
			}
		})
	}
	ready, err := waitAllReady(ctx, k8s, names, sc.timeout)
	cancel()
	wg.Wait()
	close(errs)
	if ferr := <-errs; ferr != nil {
		return res, ferr
	}
	if err != nil {
		return res, err
	}
	res.wall, res.p50, res.p99 = readyTimes(created, ready, start)
	res.apiCPU = apiServerCPU(cfg) - apiBefore
	res.converge = diff(counter.snapshot(), before)
	if res.children, err = countChildren(ctx, k8s, names[0]); err != nil {
		return res, err
	}
	res.after = loadAvg()
	return res, nil
}

// floorStack drives one stack to Ready as the floor: see runFloor.
func floorStack(ctx context.Context, w client.Client, c cache.Cache, ns, name string, wake <-chan struct{}, writes chan struct{}) error {
	stack := &platformv1alpha1.DocuFlowStack{}
	if err := w.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, stack); err != nil {
		return err
	}
	patch := client.MergeFrom(stack.DeepCopy())
	controllerutil.AddFinalizer(stack, controllers.Finalizer)
	names, err := desired.AWSNamesFor(stack, "", nil)
	if err != nil {
		return err
	}
	metav1.SetMetaDataAnnotation(&stack.ObjectMeta, desired.AnnotationAWSNames, names)
	if err := w.Patch(ctx, stack, patch); err != nil {
		return err
	}
	sel := client.MatchingLabels{desired.LabelStack: desired.Labels(stack)[desired.LabelStack]}
	written := map[[2]string]bool{}
	for {
		live := map[[2]string]core.Object{}
		var children []core.Object
		for _, kind := range ack.Kinds() {
			list, err := ack.NewList(kind)
			if err != nil {
				return err
			}
			if err := c.List(ctx, list, client.InNamespace(ns), sel); err != nil {
				return err
			}
			for _, item := range ack.Items(list) {
				live[[2]string{ack.KindOf(item), item.GetName()}] = item
				children = append(children, item)
			}
		}
		r, err := desired.Build(stack, desired.ReadBuildInputs(stack, children))
		if err != nil {
			return err
		}
		synced := len(r.Waiting) == 0
		var todo []core.Object
		for _, obj := range r.Objects {
			k := [2]string{ack.KindOf(obj), obj.GetName()}
			l := live[k]
			if l == nil || !desired.StateOf(k[0], l, name, 0).Ready {
				synced = false
			}
			if l != nil || written[k] || !depsSynced(obj, live, name) {
				continue
			}
			written[k] = true
			if err := controllerutil.SetControllerReference(stack, obj, w.Scheme()); err != nil {
				return err
			}
			todo = append(todo, obj)
		}
		if err := applyAll(ctx, w, todo, writes); err != nil {
			return err
		}
		if synced {
			patch := client.MergeFrom(stack.DeepCopy())
			meta.SetStatusCondition(&stack.Status.Conditions, metav1.Condition{Type: platformv1alpha1.ConditionReady, Status: metav1.ConditionTrue,
				Reason: "Floor", Message: "every child synced", ObservedGeneration: stack.Generation})
			stack.Status.ObservedGeneration = stack.Generation
			return w.Status().Patch(ctx, stack, patch)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-wake:
		case <-time.After(time.Second):
		}
	}
}

// depsSynced reports whether every child obj depends on exists and is ready.
func depsSynced(obj core.Object, live map[[2]string]core.Object, stack string) bool {
	if _, probe := desired.IsProbe(obj); probe {
		return true
	}
	for _, d := range desired.DependenciesOf(obj) {
		l := live[[2]string{d.Kind, d.Name}]
		if l == nil || !desired.StateOf(d.Kind, l, stack, 0).Ready {
			return false
		}
	}
	return true
}

// applyAll server-side applies objs, each under the shared limit of writes
// in flight.
func applyAll(ctx context.Context, w client.Client, objs []core.Object, writes chan struct{}) error {
	var wg sync.WaitGroup
	errs := make(chan error, len(objs))
	for _, obj := range objs {
		u, err := writecheck.ToUnstructured(obj)
		if err != nil {
			return err
		}
		writes <- struct{}{}
		wg.Go(func() {
			defer func() { <-writes }()
			if err := w.Apply(ctx, client.ApplyConfigurationFromUnstructured(u), client.FieldOwner(controllers.FieldManager), client.ForceOwnership); err != nil {
				errs <- fmt.Errorf("applying %s %s: %w", u.GetKind(), u.GetName(), err)
			}
		})
	}
	wg.Wait()
	close(errs)
	return <-errs
}
