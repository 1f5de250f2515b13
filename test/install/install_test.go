package install

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/rest"
	psaapi "k8s.io/pod-security-admission/api"
	"k8s.io/pod-security-admission/policy"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client/apiutil"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
	"sigs.k8s.io/yaml"

	"github.com/docuflow/docuflow-operator/internal/controlplane"
	"github.com/docuflow/docuflow-operator/internal/envtestutil"
)

// fieldManager applies the bundle, as kubectl apply --server-side would.
const fieldManager = "install-test"

// The suite: one bare control plane (no CRD installed: the bundle brings its
// own) for the package.
var (
	dyn    dynamic.Interface
	mapper meta.RESTMapper
	root   string
)

func TestMain(m *testing.M) {
	os.Exit(runSuite(m))
}

func runSuite(m *testing.M) int {
	var err error
	if root, err = controlplane.RepoRoot(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	assets, err := controlplane.AssetsDir(root)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	env := &envtest.Environment{BinaryAssetsDirectory: assets}
	cfg, err := env.Start()
	if err != nil {
		fmt.Fprintf(os.Stderr, "starting the embedded control plane from %s: %v\n", assets, err)
		return 1
	}
	defer func() { _ = env.Stop() }()
	cfg = rest.CopyConfig(cfg)
	cfg.WarningHandlerWithContext = warningRecorder{}
	httpClient, err := rest.HTTPClientFor(cfg)
	if err != nil {
		panic(err)
	}
	if dyn, err = dynamic.NewForConfigAndClient(cfg, httpClient); err != nil {
		panic(err)
	}
	if mapper, err = apiutil.NewDynamicRESTMapper(cfg, httpClient); err != nil {
		panic(err)
	}
	return m.Run()
}

// warningRecorder hands the API server's warnings to the collector in the
// request's context, so each call sees its own.
type warningRecorder struct{}

type warningsKey struct{}

type warnings struct {
	mu    sync.Mutex
	texts []string
}

func (warningRecorder) HandleWarningHeaderWithContext(ctx context.Context, _ int, _ string, text string) {
	if w, ok := ctx.Value(warningsKey{}).(*warnings); ok {
		w.mu.Lock()
		defer w.mu.Unlock()
		w.texts = append(w.texts, text)
	}
}

// withWarnings returns a context that collects the warnings of the calls
// made with it.
func withWarnings(ctx context.Context) (context.Context, *warnings) {
	w := &warnings{}
	return context.WithValue(ctx, warningsKey{}, w), w
}

// bundleFile is the release bundle, from the repository root.
const bundleFile = "dist/install.yaml"

// readBundle returns dist/install.yaml's text and its objects, in order.
func readBundle(t *testing.T) (string, []*unstructured.Unstructured) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root, bundleFile))
	if err != nil {
		t.Fatalf("%v: run 'make build-installer'", err)
	}
	var objs []*unstructured.Unstructured
	for _, doc := range strings.Split(string(b), "\n---\n") {
		u := &unstructured.Unstructured{}
		if err := yaml.Unmarshal([]byte(doc), &u.Object); err != nil {
			t.Fatalf("%s: %v", bundleFile, err)
		}
		if len(u.Object) == 0 {
			continue
		}
		objs = append(objs, u)
	}
	if len(objs) == 0 {
		t.Fatalf("%s holds no object", bundleFile)
	}
	return string(b), objs
}

func describe(u *unstructured.Unstructured) string {
	if u.GetNamespace() != "" {
		return fmt.Sprintf("%s %s/%s", u.GetKind(), u.GetNamespace(), u.GetName())
	}
	return fmt.Sprintf("%s %s", u.GetKind(), u.GetName())
}

// apply server-side applies u with strict field validation, so that a field
// the API server does not know, or a field given twice, is an error rather
// than a warning.
func apply(ctx context.Context, u *unstructured.Unstructured, dryRun bool) (*unstructured.Unstructured, error) {
	m, err := mapper.RESTMapping(u.GroupVersionKind().GroupKind(), u.GroupVersionKind().Version)
	if err != nil {
		return nil, fmt.Errorf("mapping %s: %w", describe(u), err)
	}
	data, err := json.Marshal(u.Object)
	if err != nil {
		return nil, err
	}
	var r dynamic.ResourceInterface = dyn.Resource(m.Resource)
	if m.Scope.Name() == meta.RESTScopeNameNamespace {
		r = dyn.Resource(m.Resource).Namespace(u.GetNamespace())
	}
	opts := metav1.PatchOptions{FieldManager: fieldManager, Force: ptr.To(true), FieldValidation: metav1.FieldValidationStrict}
	if dryRun {
		opts.DryRun = []string{metav1.DryRunAll}
	}
	out, err := r.Patch(ctx, u.GetName(), types.ApplyPatchType, data, opts)
	if err != nil {
		return nil, fmt.Errorf("applying %s: %w", describe(u), err)
	}
	return out, nil
}

func get(ctx context.Context, u *unstructured.Unstructured) (*unstructured.Unstructured, error) {
	m, err := mapper.RESTMapping(u.GroupVersionKind().GroupKind(), u.GroupVersionKind().Version)
	if err != nil {
		return nil, err
	}
	if m.Scope.Name() == meta.RESTScopeNameNamespace {
		return dyn.Resource(m.Resource).Namespace(u.GetNamespace()).Get(ctx, u.GetName(), metav1.GetOptions{})
	}
	return dyn.Resource(m.Resource).Get(ctx, u.GetName(), metav1.GetOptions{})
}

func TestEveryObjectOfTheBundleIsAcceptedWithStrictFieldValidation(t *testing.T) {
	_, objs := readBundle(t)
	ctx, warned := withWarnings(context.Background())

	kinds := map[string]int{}
	for _, u := range objs {
		if _, err := apply(ctx, u, false); err != nil {
			t.Fatal(err)
		}
		kinds[u.GetKind()]++
	}
	t.Logf("applied %d objects: %v", len(objs), kinds)
	for _, kind := range []string{"Namespace", "CustomResourceDefinition", "ServiceAccount", "ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding", "Service", "Deployment"} {
		if kinds[kind] == 0 {
			t.Errorf("the bundle holds no %s", kind)
		}
	}
	// The bundle's namespace warns on the restricted Pod Security Standard,
	// so a Deployment whose pod breaks it would be accepted with a warning
	// (TestTheAPIServerWarnsOfAPodThatBreaksTheRestrictedStandard); a
	// deprecated API would warn too.
	if len(warned.texts) > 0 {
		t.Errorf("the API server warned while applying the bundle:\n%s", strings.Join(warned.texts, "\n"))
	}

	t.Run("the CRD is established", func(t *testing.T) {
		for _, u := range objs {
			if u.GetKind() != "CustomResourceDefinition" {
				continue
			}
			envtestutil.Eventually(t, 30*time.Second, describe(u)+" established", func() error {
				got, err := get(ctx, u)
				if err != nil {
					return err
				}
				crd := &apiextensionsv1.CustomResourceDefinition{}
				if err := runtime.DefaultUnstructuredConverter.FromUnstructured(got.Object, crd); err != nil {
					return err
				}
				for _, c := range crd.Status.Conditions {
					if c.Type == apiextensionsv1.Established && c.Status == apiextensionsv1.ConditionTrue {
						return nil
					}
				}
				return fmt.Errorf("conditions %v", crd.Status.Conditions)
			})
		}
	})

	// A GitOps agent applies the bundle again and again: that must be a
	// no-op, or it would fight the API server's defaulting.
	t.Run("applying it again changes nothing", func(t *testing.T) {
		for _, u := range objs {
			before, err := get(ctx, u)
			if err != nil {
				t.Fatal(err)
			}
			after, err := apply(ctx, u, false)
			if err != nil {
				t.Fatal(err)
			}
			if before.GetResourceVersion() != after.GetResourceVersion() {
				t.Errorf("%s: re-applying changed it (resourceVersion %s to %s)", describe(u), before.GetResourceVersion(), after.GetResourceVersion())
			}
		}
	})
}

func TestStrictFieldValidationRejectsAnUnknownField(t *testing.T) {
	_, objs := readBundle(t)
	for _, u := range objs {
		if u.GetKind() != "Deployment" {
			continue
		}
		bad := u.DeepCopy()
		containers, _, _ := unstructured.NestedSlice(bad.Object, "spec", "template", "spec", "containers")
		containers[0].(map[string]any)["imagePullPolicyy"] = "Always"
		if err := unstructured.SetNestedSlice(bad.Object, containers, "spec", "template", "spec", "containers"); err != nil {
			t.Fatal(err)
		}
		// Into a namespace of its own, dry run: the namespace of the bundle
		// belongs to the test that applies it.
		bad.SetNamespace(newNamespace(t, nil))
		_, err := apply(context.Background(), bad, true)
		if err == nil || !strings.Contains(err.Error(), "imagePullPolicyy") {
			t.Fatalf("got %v, want the unknown field imagePullPolicyy refused", err)
		}
		t.Logf("refused: %v", err)
		return
	}
	t.Fatalf("%s holds no Deployment", bundleFile)
}

// newNamespace creates a namespace named after the test, with labels.
func newNamespace(t *testing.T, labels map[string]string) string {
	t.Helper()
	name := strings.ToLower(strings.NewReplacer("/", "-", "_", "-").Replace(t.Name()))
	if len(name) > 50 {
		name = strings.Trim(name[:50], "-")
	}
	name = fmt.Sprintf("%s-%d", name, time.Now().UnixNano()%100000)
	ns := &unstructured.Unstructured{}
	ns.SetAPIVersion("v1")
	ns.SetKind("Namespace")
	ns.SetName(name)
	ns.SetLabels(labels)
	if _, err := apply(context.Background(), ns, false); err != nil {
		t.Fatal(err)
	}
	return name
}

// deploymentOf returns the bundle's Deployment, decoded strictly.
func deploymentOf(t *testing.T, objs []*unstructured.Unstructured) *appsv1.Deployment {
	t.Helper()
	for _, u := range objs {
		if u.GetKind() != "Deployment" {
			continue
		}
		b, err := json.Marshal(u.Object)
		if err != nil {
			t.Fatal(err)
		}
		d := &appsv1.Deployment{}
		if err := yaml.UnmarshalStrict(b, d); err != nil {
			t.Fatalf("%s: %v", describe(u), err)
		}
		return d
	}
	t.Fatalf("%s holds no Deployment", bundleFile)
	return nil
}

// restrictedViolations evaluates a pod against the latest restricted Pod
// Security Standard, as the PodSecurity admission plugin does.
func restrictedViolations(t *testing.T, podMeta *metav1.ObjectMeta, spec *corev1.PodSpec) []string {
	t.Helper()
	evaluator, err := policy.NewEvaluator(policy.DefaultChecks(), nil)
	if err != nil {
		t.Fatal(err)
	}
	results := evaluator.EvaluatePod(psaapi.LevelVersion{Level: psaapi.LevelRestricted, Version: psaapi.LatestVersion()}, podMeta, spec)
	if len(results) == 0 {
		t.Fatal("the Pod Security evaluator ran no check")
	}
	var out []string
	for _, r := range results {
		if !r.Allowed {
			out = append(out, r.ForbiddenReason+": "+r.ForbiddenDetail)
		}
	}
	return out
}

// insecure turns a pod into one the restricted standard forbids: root,
// privilege escalation, no seccomp profile, capabilities kept.
func insecure(spec *corev1.PodSpec) {
	spec.SecurityContext = nil
	c := &spec.Containers[0]
	c.SecurityContext = &corev1.SecurityContext{AllowPrivilegeEscalation: ptr.To(true), RunAsNonRoot: ptr.To(false)}
}

func TestTheOperatorPodPassesTheRestrictedPodSecurityStandard(t *testing.T) {
	_, objs := readBundle(t)
	d := deploymentOf(t, objs)
	if v := restrictedViolations(t, &d.Spec.Template.ObjectMeta, &d.Spec.Template.Spec); len(v) > 0 {
		t.Errorf("%s: the operator's pod breaks the restricted Pod Security Standard:\n%s", bundleFile, strings.Join(v, "\n"))
	}

	// The same check on a pod that breaks the standard must fail, or the
	// check above proves nothing.
	bad := d.Spec.Template.DeepCopy()
	insecure(&bad.Spec)
	if v := restrictedViolations(t, &bad.ObjectMeta, &bad.Spec); len(v) == 0 {
		t.Error("the evaluator passes a root pod that may escalate privileges")
	} else {
		t.Logf("a pod that breaks the standard fails it: %s", strings.Join(v, "; "))
	}
}

// TestTheAPIServerWarnsOfAPodThatBreaksTheRestrictedStandard shows that the
// absence of warnings when the bundle is applied means something: in a
// namespace labelled as the bundle's, the API server warns of a Deployment
// whose pod breaks the restricted standard.
func TestTheAPIServerWarnsOfAPodThatBreaksTheRestrictedStandard(t *testing.T) {
	_, objs := readBundle(t)
	var labels map[string]string
	for _, u := range objs {
		if u.GetKind() == "Namespace" {
			labels = u.GetLabels()
		}
	}
	if labels["pod-security.kubernetes.io/warn"] != "restricted" || labels["pod-security.kubernetes.io/enforce"] != "restricted" {
		t.Fatalf("the bundle's namespace does not enforce and warn on the restricted standard: labels %v", labels)
	}
	ns := newNamespace(t, labels)

	d := deploymentOf(t, objs)
	insecure(&d.Spec.Template.Spec)
	d.Namespace = ns
	d.SetGroupVersionKind(appsv1.SchemeGroupVersion.WithKind("Deployment"))
	u, err := runtime.DefaultUnstructuredConverter.ToUnstructured(d)
	if err != nil {
		t.Fatal(err)
	}
	ctx, warned := withWarnings(context.Background())
	if _, err := apply(ctx, &unstructured.Unstructured{Object: u}, true); err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(warned.texts, func(s string) bool { return strings.Contains(s, `violate PodSecurity "restricted`) }) {
		t.Fatalf("no Pod Security warning for a root Deployment; warnings: %q", warned.texts)
	}
	t.Logf("warned: %s", strings.Join(warned.texts, "; "))
}

// imgDefault finds the image the Makefile builds the committed bundle for.
var imgDefault = regexp.MustCompile(`(?m)^BUNDLE_IMG := (\S+)$`)

// bundleHeader is the line hack/build-installer.sh writes with the IMG it
// built the bundle for.
var bundleHeader = regexp.MustCompile(`(?m)^# The docuflow-operator release bundle for IMG=(\S+)\.$`)

func TestTheBundleIsPinnedToTheMakefilesImage(t *testing.T) {
	text, objs := readBundle(t)
	makefile, err := os.ReadFile(filepath.Join(root, "Makefile"))
	if err != nil {
		t.Fatal(err)
	}
	m := imgDefault.FindSubmatch(makefile)
	if m == nil {
		t.Fatal("the Makefile sets no BUNDLE_IMG (BUNDLE_IMG := ...)")
	}
	img := string(m[1])
	h := bundleHeader.FindStringSubmatch(text)
	if h == nil {
		t.Fatalf("%s does not say which IMG it was built for: run 'make build-installer'", bundleFile)
	}
	if h[1] != img {
		t.Errorf("%s was built for IMG=%s, the Makefile's BUNDLE_IMG is %s: run 'make build-installer'", bundleFile, h[1], img)
	}
	d := deploymentOf(t, objs)
	images := 0
	for _, c := range append(d.Spec.Template.Spec.InitContainers, d.Spec.Template.Spec.Containers...) {
		images++
		if c.Image != h[1] {
			t.Errorf("container %s runs %s, not the IMG the bundle was built for, %s", c.Name, c.Image, h[1])
		}
	}
	if images == 0 {
		t.Fatal("the Deployment has no container")
	}
	// Kustomize's placeholder must not survive.
	if bytes.Contains([]byte(text), []byte("image: controller")) {
		t.Errorf("%s still holds the image placeholder 'controller'", bundleFile)
	}
}
