package admission

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/docuflow/docuflow-operator/internal/controlplane"
	"github.com/docuflow/docuflow-operator/internal/envtestutil"
	"github.com/docuflow/docuflow-operator/internal/validate/validatetest"
)

var (
	k8s  client.Client
	root string
)

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	var err error
	root, err = controlplane.RepoRoot()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	env, err := controlplane.Environment()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	// The guard rail's parameter CRD is config/policy's, not config/crd's.
	env.CRDInstallOptions.Paths = append(env.CRDInstallOptions.Paths, filepath.Join(root, "config", "policy", "crd"))
	cfg, err := env.Start()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer func() {
		if err := env.Stop(); err != nil {
			fmt.Fprintln(os.Stderr, err)
		}
	}()
	k8s, err = client.New(cfg, client.Options{})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	// The shipped policies as written, the example guard rail and its
	// binding, and a second guard rail that requires digests.
	for _, f := range []string{
		"config/default/stack_admission_policy.yaml",
		"config/policy/guard_rails_policy.yaml",
		"config/policy/example/guardrail.yaml",
		"config/policy/example/binding.yaml",
	} {
		objs, err := readObjects(filepath.Join(root, f))
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		for _, o := range objs {
			if err := k8s.Create(context.Background(), o, client.FieldValidation("Strict")); err != nil {
				fmt.Fprintf(os.Stderr, "creating %s %s from %s: %v\n", o.GetKind(), o.GetName(), f, err)
				return 1
			}
		}
	}
	for _, o := range append(digestsOnly(), bindingFor("missing")) {
		if err := k8s.Create(context.Background(), o, client.FieldValidation("Strict")); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
	}
	return m.Run()
}

// digestsOnly is a guard rail that only requires digests, bound to namespaces
// labelled platform.docuflow.io/guard-rail=digests-only. A binding to the
// guard rail "missing", which does not exist, is created next to it.
func digestsOnly() []*unstructured.Unstructured {
	rail := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "policy.docuflow.io/v1alpha1",
		"kind":       "DocuFlowGuardRail",
		"metadata":   map[string]any{"name": "digests-only"},
		"spec":       map[string]any{"requireImageDigest": true},
	}}
	return []*unstructured.Unstructured{rail, bindingFor("digests-only")}
}

// bindingFor binds the guard rail named rail, as the example binding does, to
// namespaces labelled platform.docuflow.io/guard-rail=<rail>.
func bindingFor(rail string) *unstructured.Unstructured {
	return &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "admissionregistration.k8s.io/v1",
		"kind":       "ValidatingAdmissionPolicyBinding",
		"metadata":   map[string]any{"name": "docuflow-guard-rails-" + rail},
		"spec": map[string]any{
			"policyName":        "docuflow-guard-rails",
			"validationActions": []any{"Deny"},
			"paramRef":          map[string]any{"name": rail, "parameterNotFoundAction": "Deny"},
			"matchResources": map[string]any{"namespaceSelector": map[string]any{
				"matchLabels": map[string]any{guardRailLabel: rail},
			}},
		},
	}}
}

// guardRailLabel selects a namespace's guard rail in the example binding.
const guardRailLabel = "platform.docuflow.io/guard-rail"

// readObjects reads every object of a multi-document YAML file.
func readObjects(path string) ([]*unstructured.Unstructured, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	dec := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(b), 4096)
	var objs []*unstructured.Unstructured
	for {
		o := map[string]any{}
		if err := dec.Decode(&o); errors.Is(err, io.EOF) {
			return objs, nil
		} else if err != nil {
			return nil, fmt.Errorf("reading %s: %w", path, err)
		}
		if len(o) > 0 {
			objs = append(objs, &unstructured.Unstructured{Object: o})
		}
	}
}

// namespace creates a namespace for one test, with labels.
func namespace(t *testing.T, labels map[string]string) string {
	t.Helper()
	name := strings.Map(func(r rune) rune {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') {
			return r
		}
		return '-'
	}, strings.ToLower(t.Name()))
	if len(name) > 50 {
		name = name[:50]
	}
	name = strings.Trim(name, "-") + fmt.Sprintf("-%d", time.Now().UnixNano()%100000)
	ns := &unstructured.Unstructured{}
	ns.SetAPIVersion("v1")
	ns.SetKind("Namespace")
	ns.SetName(name)
	ns.SetLabels(labels)
	if err := k8s.Create(context.Background(), ns); err != nil {
		t.Fatalf("creating namespace %s: %v", name, err)
	}
	return name
}

// sample is the production sample in namespace ns.
func sample(t *testing.T, ns string) *unstructured.Unstructured {
	t.Helper()
	o := &unstructured.Unstructured{Object: validatetest.Sample(t)}
	o.SetNamespace(ns)
	return o
}

var set = validatetest.Set

// eventually retries f until it returns nil: a new policy, binding or
// namespace label reaches the admission plugin through informers.
func eventually(t *testing.T, what string, f func() error) {
	t.Helper()
	envtestutil.Eventually(t, 20*time.Second, what, f)
}

// refusedNaming returns nil when err is an admission refusal naming field and
// saying says.
func refusedNaming(err error, field, says string) error {
	if err == nil {
		return fmt.Errorf("accepted; want a refusal naming %s", field)
	}
	if !apierrors.IsInvalid(err) && !apierrors.IsForbidden(err) {
		return fmt.Errorf("want an Invalid or Forbidden error naming %s, got %w", field, err)
	}
	if msg := err.Error(); !strings.Contains(msg, field) || !strings.Contains(msg, says) {
		return fmt.Errorf("the error does not name %s and say %q: %w", field, says, err)
	}
	return nil
}
