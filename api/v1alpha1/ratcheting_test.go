package v1alpha1_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/docuflow/docuflow-operator/internal/envtestutil"
)

// crdName is the DocuFlowStack CRD's name.
const crdName = "docuflowstacks.platform.docuflow.io"

// TestStacksStoredBeforeTheNewRulesKeepWorking stores a stack under a CRD
// without the newer rules (image grammar, TLS policy enum, environment size,
// the derived storage cap, the alarm topic's region), puts the real CRD back
// and edits the stack: the API server ratchets what did not change, so an
// unrelated edit passes; changing a value brings it under the rule.
func TestStacksStoredBeforeTheNewRulesKeepWorking(t *testing.T) {
	ctx := context.Background()
	crd := &unstructured.Unstructured{}
	crd.SetAPIVersion("apiextensions.k8s.io/v1")
	crd.SetKind("CustomResourceDefinition")
	if err := k8s.Get(ctx, client.ObjectKey{Name: crdName}, crd); err != nil {
		t.Fatal(err)
	}
	original, _, _ := unstructured.NestedFieldCopy(crd.Object, "spec")
	t.Cleanup(func() { putCRDSpec(t, original) })

	older := crd.DeepCopy()
	versions, _, _ := unstructured.NestedSlice(older.Object, "spec", "versions")
	spec := versions[0].(map[string]any)["schema"].(map[string]any)["openAPIV3Schema"].(map[string]any)["properties"].(map[string]any)["spec"].(map[string]any)
	props := func(m map[string]any, name string) map[string]any {
		return m["properties"].(map[string]any)[name].(map[string]any)
	}
	dropRules := func(m map[string]any, containing string) {
		var kept []any
		for _, r := range m["x-kubernetes-validations"].([]any) {
			if !strings.Contains(r.(map[string]any)["rule"].(string), containing) {
				kept = append(kept, r)
			}
		}
		m["x-kubernetes-validations"] = kept
	}
	delete(props(props(spec, "service"), "image"), "x-kubernetes-validations")
	delete(props(props(spec, "service"), "env"), "x-kubernetes-validations")
	delete(props(props(spec, "loadBalancer"), "sslPolicy"), "enum")
	dropRules(props(spec, "database"), "32768")
	dropRules(spec, "alarmTopicARN.split")
	if err := unstructured.SetNestedSlice(older.Object, versions, "spec", "versions"); err != nil {
		t.Fatal(err)
	}
	olderSpec, _, _ := unstructured.NestedFieldCopy(older.Object, "spec")
	putCRDSpec(t, olderSpec)

	// What the older CRD accepted.
	obj := sample(t)
	obj.SetNamespace(namespace(t))
	set(obj, "spec.service.image", "docuflow/api:1.4.2")
	set(obj, "spec.loadBalancer.sslPolicy", "ELBSecurityPolicy-TLS-1-2-Ext-2018-06")
	var env []any
	for i := range 12 {
		env = append(env, map[string]any{"name": fmt.Sprintf("BLOB_%02d", i), "value": strings.Repeat("x", 4096)})
	}
	set(obj, "spec.service.env", env)
	set(obj, "spec.database.storageGiB", int64(40000))
	unstructured.RemoveNestedField(obj.Object, "spec", "database", "maxStorageGiB")
	set(obj, "spec.observability.alarmTopicARN", "arn:aws:sns:eu-west-1:123456789012:docuflow-alarms")
	eventually(t, "the older CRD to accept the stack", func() error {
		return k8s.Create(ctx, obj)
	})

	putCRDSpec(t, original)
	eventually(t, "the real CRD to refuse such a stack again", func() error {
		probe := obj.DeepCopy()
		probe.SetName("probe")
		probe.SetResourceVersion("")
		if err := k8s.Create(ctx, probe); err == nil {
			_ = k8s.Delete(ctx, probe)
			return fmt.Errorf("still accepted")
		}
		return nil
	})

	set(obj, "spec.autoscaling.maxTasks", int64(30))
	if err := k8s.Update(ctx, obj); err != nil {
		t.Fatalf("an edit that leaves the old values alone was refused: %v", err)
	}

	tests := []struct {
		name   string
		mutate func(o *unstructured.Unstructured)
		field  string
		says   string
	}{
		{"changing the image to another one without a registry host", func(o *unstructured.Unstructured) {
			set(o, "spec.service.image", "docuflow/api:1.5.0")
		}, "spec.service.image", "with a registry host"},
		{"changing the database next to the derived cap", func(o *unstructured.Unstructured) {
			set(o, "spec.database.backupRetentionDays", int64(21))
		}, "spec.database.storageGiB", "needs maxStorageGiB"},
		{"changing the alarm topic to another one in another region", func(o *unstructured.Unstructured) {
			set(o, "spec.observability.alarmTopicARN", "arn:aws:sns:eu-west-1:123456789012:other-alarms")
		}, "spec.observability.alarmTopicARN", "in spec.region"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			edit := obj.DeepCopy()
			tt.mutate(edit)
			expectRejection(t, k8s.Update(ctx, edit), tt.field, tt.says)
		})
	}
}

// putCRDSpec replaces the DocuFlowStack CRD's spec.
func putCRDSpec(t *testing.T, spec any) {
	t.Helper()
	eventually(t, "updating the CRD", func() error {
		crd := &unstructured.Unstructured{}
		crd.SetAPIVersion("apiextensions.k8s.io/v1")
		crd.SetKind("CustomResourceDefinition")
		if err := k8s.Get(context.Background(), client.ObjectKey{Name: crdName}, crd); err != nil {
			return err
		}
		crd.Object["spec"] = spec
		return k8s.Update(context.Background(), crd)
	})
}

// eventually retries f for up to 30 seconds: CRD changes reach the
// handlers asynchronously.
func eventually(t *testing.T, what string, f func() error) {
	t.Helper()
	envtestutil.Eventually(t, 30*time.Second, what, f)
}
