// Package envtestutil holds what the envtest suites (controllers,
// test/reliability) share: the simulated ACK's manager, a client that reports
// every write, a namespace per test, the production sample, listing a
// namespace's ACK objects, and polling with a deadline.
package envtestutil

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/rest"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"
	"sigs.k8s.io/yaml"

	platformv1alpha1 "github.com/docuflow/docuflow-operator/api/v1alpha1"
	"github.com/docuflow/docuflow-operator/internal/ack"
	"github.com/docuflow/docuflow-operator/internal/ack/core"
	"github.com/docuflow/docuflow-operator/internal/acksim"
	"github.com/docuflow/docuflow-operator/internal/controlplane"
)

// WriteFunc is told about every write: its verb ("create", "update",
// "patch", "apply", "delete", "status"), the object's namespace, and the
// object (nil for an apply, which carries an apply configuration).
type WriteFunc func(ctx context.Context, verb, namespace string, obj client.Object)

// CountingClient wraps c so that onWrite hears of every write made through it.
func CountingClient(c client.Client, onWrite WriteFunc) client.Client {
	w, ok := c.(client.WithWatch)
	if !ok {
		w = noWatch{c}
	}
	return interceptor.NewClient(w, interceptor.Funcs{
		Create: func(ctx context.Context, c client.WithWatch, obj client.Object, opts ...client.CreateOption) error {
			onWrite(ctx, "create", obj.GetNamespace(), obj)
			return c.Create(ctx, obj, opts...)
		},
		Update: func(ctx context.Context, c client.WithWatch, obj client.Object, opts ...client.UpdateOption) error {
			onWrite(ctx, "update", obj.GetNamespace(), obj)
			return c.Update(ctx, obj, opts...)
		},
		Patch: func(ctx context.Context, c client.WithWatch, obj client.Object, patch client.Patch, opts ...client.PatchOption) error {
			onWrite(ctx, "patch", obj.GetNamespace(), obj)
			return c.Patch(ctx, obj, patch, opts...)
		},
		Apply: func(ctx context.Context, c client.WithWatch, obj runtime.ApplyConfiguration, opts ...client.ApplyOption) error {
			ns := ""
			if u, ok := obj.(interface{ GetNamespace() string }); ok {
				ns = u.GetNamespace()
			}
			onWrite(ctx, "apply", ns, nil)
			return c.Apply(ctx, obj, opts...)
		},
		Delete: func(ctx context.Context, c client.WithWatch, obj client.Object, opts ...client.DeleteOption) error {
			onWrite(ctx, "delete", obj.GetNamespace(), obj)
			return c.Delete(ctx, obj, opts...)
		},
		SubResourceUpdate: func(ctx context.Context, c client.Client, sub string, obj client.Object, opts ...client.SubResourceUpdateOption) error {
			onWrite(ctx, sub, obj.GetNamespace(), obj)
			return c.SubResource(sub).Update(ctx, obj, opts...)
		},
		SubResourcePatch: func(ctx context.Context, c client.Client, sub string, obj client.Object, patch client.Patch, opts ...client.SubResourcePatchOption) error {
			onWrite(ctx, sub, obj.GetNamespace(), obj)
			return c.SubResource(sub).Patch(ctx, obj, patch, opts...)
		},
	})
}

// noWatch adapts a client without Watch to the interceptor; Watch is never
// called through it.
type noWatch struct{ client.Client }

func (noWatch) Watch(context.Context, client.ObjectList, ...client.ListOption) (watch.Interface, error) {
	return nil, errors.New("watch is not supported by the manager's client")
}

// NewNamespace creates a namespace named after the test, so tests never share
// objects.
func NewNamespace(t testing.TB, c client.Client) string {
	t.Helper()
	name := strings.Trim(strings.ToLower(strings.NewReplacer("/", "-", "_", "-", " ", "-").Replace(t.Name())), "-")
	if len(name) > 45 {
		name = strings.Trim(name[:45], "-")
	}
	name = fmt.Sprintf("%s-%d", name, time.Now().UnixNano()%1000000)
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}
	if err := c.Create(context.Background(), ns); err != nil {
		t.Fatalf("creating namespace %s: %v", name, err)
	}
	return name
}

// SampleStack returns the production sample in the given namespace.
func SampleStack(t testing.TB, namespace string) *platformv1alpha1.DocuFlowStack {
	t.Helper()
	root, err := controlplane.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(root, "config", "samples", "platform_v1alpha1_docuflowstack.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	stack := &platformv1alpha1.DocuFlowStack{}
	if err := yaml.UnmarshalStrict(b, stack); err != nil {
		t.Fatal(err)
	}
	stack.Namespace = namespace
	return stack
}

// Eventually polls cond every 100ms until it returns nil or the timeout
// passes, then fails with cond's last error.
func Eventually(t testing.TB, timeout time.Duration, what string, cond func() error) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	var last error
	for time.Now().Before(deadline) {
		if last = cond(); last == nil {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("%s: not within %s: %v", what, timeout, last)
}

// StartSim runs the simulated ACK (AWS) in a manager of its own, so the
// operator under test can come and go while it carries on. stop stops it
// and waits for it to exit.
func StartSim(cfg *rest.Config, scheme *runtime.Scheme) (sim *acksim.Sim, stop func(), err error) {
	mgr, err := ctrl.NewManager(cfg, ctrl.Options{Scheme: scheme, Metrics: metricsserver.Options{BindAddress: "0"}})
	if err != nil {
		return nil, nil, fmt.Errorf("creating the simulated ACK's manager: %w", err)
	}
	sim = acksim.New(acksim.Options{ReferenceRequeueInterval: 100 * time.Millisecond})
	if err := sim.SetupWithManager(mgr); err != nil {
		return nil, nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := mgr.Start(ctx); err != nil {
			fmt.Fprintln(os.Stderr, "simulated ACK manager:", err)
		}
	}()
	return sim, func() { cancel(); <-done }, nil
}

// Children lists the ACK objects in namespace ns that match opts, by
// "Kind/name".
func Children(t testing.TB, c client.Client, ns string, opts ...client.ListOption) map[string]core.Object {
	t.Helper()
	out := map[string]core.Object{}
	for _, kind := range ack.Kinds() {
		list, err := ack.NewList(kind)
		if err != nil {
			t.Fatal(err)
		}
		if err := c.List(context.Background(), list, append([]client.ListOption{client.InNamespace(ns)}, opts...)...); err != nil {
			t.Fatal(err)
		}
		for _, o := range ack.Items(list) {
			out[ack.KindOf(kind)+"/"+o.GetName()] = o
		}
	}
	return out
}

// WaitDeleting waits until obj, as the API server has it, carries a
// deletion timestamp.
func WaitDeleting(t testing.TB, c client.Client, obj client.Object, timeout time.Duration) {
	t.Helper()
	Eventually(t, timeout, fmt.Sprintf("%s being deleted", obj.GetName()), func() error {
		now := obj.DeepCopyObject().(client.Object)
		if err := c.Get(context.Background(), client.ObjectKeyFromObject(obj), now); err != nil {
			return err
		}
		if now.GetDeletionTimestamp().IsZero() {
			return fmt.Errorf("%s is not being deleted yet", obj.GetName())
		}
		return nil
	})
}
