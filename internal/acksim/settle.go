package acksim

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/apiutil"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	"github.com/docuflow/docuflow-operator/internal/ack"
	"github.com/docuflow/docuflow-operator/internal/ack/core"
)

// maxSettlePasses bounds Settle: every pass syncs at least the objects whose
// references point at objects synced by the one before, and the longest
// reference chain of a stack is far shorter.
const maxSettlePasses = 32

// Settle runs the simulated ACK over objs without a cluster, as if AWS had
// created every one of them, and returns copies whose status holds what ACK
// would report: IDs, ARNs, endpoints, conditions. The inputs are not changed.
// Objects whose references cannot resolve within objs stay not synced; Settle
// reports them in its error. It serves `docuflow-dev render`.
func Settle(ctx context.Context, objs []core.Object, opts Options) ([]core.Object, error) {
	sim := New(opts)
	scheme := runtime.NewScheme()
	if err := ack.AddToScheme(scheme); err != nil {
		return nil, err
	}
	if err := corev1.AddToScheme(scheme); err != nil {
		return nil, err
	}
	builder := fake.NewClientBuilder().WithScheme(scheme)
	reconcilers := map[string]*reconciler{}
	for _, proto := range ack.Kinds() {
		gvk, err := apiutil.GVKForObject(proto, scheme)
		if err != nil {
			return nil, err
		}
		builder = builder.WithStatusSubresource(proto.DeepCopyObject().(client.Object))
		sim.protos[gvk.Kind] = proto
		reconcilers[gvk.Kind] = &reconciler{sim: sim, kind: gvk.Kind, group: gvk.Group, finalizer: "finalizers." + gvk.Group + "/" + gvk.Kind, proto: proto}
	}
	c := builder.Build()
	for _, r := range reconcilers {
		r.client, r.reader = c, c
	}

	keys := make([]objKey, 0, len(objs))
	for _, o := range objs {
		in := o.DeepCopyObject().(core.Object)
		in.SetResourceVersion("")
		gvk, err := apiutil.GVKForObject(in, scheme)
		if err != nil {
			return nil, err
		}
		if err := c.Create(ctx, in); err != nil {
			return nil, fmt.Errorf("settling %s %s: %w", gvk.Kind, in.GetName(), err)
		}
		key := objKey{gvk.Kind, in.GetNamespace(), in.GetName()}
		keys = append(keys, key)
		// As if AWS had created every one of them: a read-only object (the
		// ECS service between the operator's changes) is read, not created.
		sim.state(key, in.GetUID(), func(s *objState) { s.exists = true })
	}

	var pending []objKey
	for range maxSettlePasses {
		pending = pending[:0]
		for _, k := range keys {
			res, err := reconcilers[k.kind].Reconcile(ctx, ctrl.Request{NamespacedName: types.NamespacedName{Namespace: k.namespace, Name: k.name}})
			if err != nil {
				return nil, err
			}
			if res.RequeueAfter > 0 {
				pending = append(pending, k)
			}
		}
		if len(pending) == 0 {
			break
		}
	}

	out := make([]core.Object, 0, len(keys))
	for _, k := range keys {
		o := sim.protos[k.kind].DeepCopyObject().(core.Object)
		if err := c.Get(ctx, types.NamespacedName{Namespace: k.namespace, Name: k.name}, o); err != nil {
			return nil, err
		}
		out = append(out, o)
	}
	if len(pending) > 0 {
		return out, fmt.Errorf("the simulated ACK could not sync %d objects whose references do not resolve, first %s", len(pending), pending[0])
	}
	return out, nil
}
