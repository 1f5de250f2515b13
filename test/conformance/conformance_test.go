//go:build conformance

package conformance

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"reflect"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/rest"

	"github.com/docuflow/docuflow-operator/internal/ack"
	"github.com/docuflow/docuflow-operator/internal/ack/acktest"
	"github.com/docuflow/docuflow-operator/internal/ack/core"
	"github.com/docuflow/docuflow-operator/internal/controlplane"
)

const fieldManager = "docuflow-conformance"

var (
	upstreamDir string
	cfg         *rest.Config
	dyn         *dynamic.DynamicClient
	scheme      = runtime.NewScheme()
)

func TestMain(m *testing.M) {
	upstreamDir = os.Getenv("ACK_CRDS_DIR")
	if upstreamDir == "" {
		fmt.Fprintln(os.Stderr, "ACK_CRDS_DIR is not set: conformance needs the upstream ACK CRDs; run 'make conformance ACK_CRDS_DIR=../shared/ack/crds'")
		os.Exit(1)
	}
	if err := ack.AddToScheme(scheme); err != nil {
		panic(err)
	}
	// controlplane installs the CRDs found in ACK_CRDS_DIR: the upstream ones.
	env, c, err := controlplane.Start()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	cfg = c
	dyn = dynamic.NewForConfigOrDie(cfg)
	code := m.Run()
	if err := env.Stop(); err != nil {
		fmt.Fprintln(os.Stderr, err)
	}
	os.Exit(code)
}

// gvr returns the mirror's group/version/kind and the upstream plural for it.
func gvr(t *testing.T, obj core.Object) (schema.GroupVersionKind, schema.GroupVersionResource) {
	t.Helper()
	gvks, _, err := scheme.ObjectKinds(obj)
	if err != nil || len(gvks) != 1 {
		t.Fatalf("kind of %T: %v", obj, err)
	}
	gvk := gvks[0]
	crds, err := acktest.LoadCRDs(upstreamDir)
	if err != nil {
		t.Fatal(err)
	}
	crd, ok := crds[gvk.GroupKind()]
	if !ok {
		t.Fatalf("upstream CRDs in %s have no %s", upstreamDir, gvk.GroupKind())
	}
	return gvk, gvk.GroupVersion().WithResource(crd.Spec.Names.Plural)
}

// TestMirrorsMatchUpstreamSchemas walks every mirrored field, spec and status,
// and compares it with the upstream schema: names, types, plural, scope.
func TestMirrorsMatchUpstreamSchemas(t *testing.T) {
	crds, err := acktest.LoadCRDs(upstreamDir)
	if err != nil {
		t.Fatal(err)
	}
	for _, obj := range ack.Kinds() {
		gvk, _ := gvr(t, obj)
		t.Run(gvk.Kind, func(t *testing.T) {
			for _, p := range acktest.CheckAgainstCRD(obj, crds[gvk.GroupKind()]) {
				t.Error(p)
			}
		})
	}
}

// applyDryRun server-side applies u with strict field validation and dry run,
// to the object or to one of its subresources.
func applyDryRun(ctx context.Context, res schema.GroupVersionResource, u *unstructured.Unstructured, subresource ...string) error {
	body, err := json.Marshal(u.Object)
	if err != nil {
		return err
	}
	force := true
	_, err = dyn.Resource(res).Namespace(u.GetNamespace()).Patch(ctx, u.GetName(), types.ApplyPatchType, body, metav1.PatchOptions{
		DryRun:          []string{metav1.DryRunAll},
		Force:           &force,
		FieldManager:    fieldManager,
		FieldValidation: metav1.FieldValidationStrict,
	}, subresource...)
	return err
}

func toUnstructured(t *testing.T, obj runtime.Object, gvk schema.GroupVersionKind, name string) *unstructured.Unstructured {
	t.Helper()
	m, err := runtime.DefaultUnstructuredConverter.ToUnstructured(obj)
	if err != nil {
		t.Fatal(err)
	}
	u := &unstructured.Unstructured{Object: m}
	u.SetGroupVersionKind(gvk)
	u.SetName(name)
	u.SetNamespace("default")
	unstructured.RemoveNestedField(u.Object, "metadata", "creationTimestamp")
	return u
}

// TestFullyPopulatedMirrorsPassStrictValidation fills every spec field of every
// mirror and has the API server, serving the upstream CRDs, accept it with
// strict field validation. The object is then created for real so that a fully
// populated status can be checked against the status subresource too.
func TestFullyPopulatedMirrorsPassStrictValidation(t *testing.T) {
	ctx := context.Background()
	for _, kind := range ack.Kinds() {
		gvk, res := gvr(t, kind)
		t.Run(gvk.Kind, func(t *testing.T) {
			obj := kind.DeepCopyObject().(core.Object)
			acktest.Populate(obj)
			if zero := acktest.ZeroFields(obj); len(zero) > 0 {
				t.Fatalf("Populate left fields empty, so they would go unchecked: %v", zero)
			}
			name := "conformance-" + strings.ToLower(gvk.Kind)
			u := toUnstructured(t, obj, gvk, name)
			unstructured.RemoveNestedField(u.Object, "status")
			if err := applyDryRun(ctx, res, u); err != nil {
				t.Fatalf("upstream %s rejects the mirror's spec: %v", gvk.Kind, err)
			}

			// Create it for real (status is dropped on create), then check status.
			created, err := dyn.Resource(res).Namespace("default").Create(ctx, u, metav1.CreateOptions{FieldManager: fieldManager, FieldValidation: metav1.FieldValidationStrict})
			if err != nil {
				t.Fatalf("creating %s: %v", gvk.Kind, err)
			}
			withStatus := kind.DeepCopyObject().(core.Object)
			status := reflect.ValueOf(withStatus).Elem().FieldByName("Status").Addr().Interface()
			acktest.Populate(status)
			su := toUnstructured(t, withStatus, gvk, name)
			unstructured.RemoveNestedField(su.Object, "spec")
			su.SetResourceVersion(created.GetResourceVersion())
			if err := applyDryRun(ctx, res, su, "status"); err != nil {
				t.Fatalf("upstream %s rejects the mirror's status: %v", gvk.Kind, err)
			}
		})
	}
}

// TestMisspelledFieldsAreCaught proves the check above can fail: the API server
// serving the upstream CRDs refuses a misspelled field and a wrong type.
func TestMisspelledFieldsAreCaught(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name  string
		field string
		value any
		says  string
	}{
		{"a misspelled field name", "cidrBlock", []any{"10.0.0.0/16"}, ".spec.cidrBlock: field not declared in schema"},
		{"a field of the wrong type", "enableDNSSupport", "yes", "spec.enableDNSSupport"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u := &unstructured.Unstructured{Object: map[string]any{
				"apiVersion": "ec2.services.k8s.aws/v1alpha1",
				"kind":       "VPC",
				"metadata":   map[string]any{"name": "misspelled", "namespace": "default"},
				"spec":       map[string]any{"cidrBlocks": []any{"10.0.0.0/16"}, tt.field: tt.value},
			}}
			err := applyDryRun(ctx, schema.GroupVersionResource{Group: "ec2.services.k8s.aws", Version: "v1alpha1", Resource: "vpcs"}, u)
			if err == nil {
				t.Fatalf("the upstream VPC schema accepted spec.%s", tt.field)
			}
			if !strings.Contains(err.Error(), tt.says) {
				t.Fatalf("error does not mention %q: %v", tt.says, err)
			}
		})
	}
}
