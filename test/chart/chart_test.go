package chart

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chart/loader"
	"helm.sh/helm/v3/pkg/chartutil"
	"helm.sh/helm/v3/pkg/engine"
	"helm.sh/helm/v3/pkg/lint"
	"helm.sh/helm/v3/pkg/lint/support"
	"helm.sh/helm/v3/pkg/releaseutil"
	"sigs.k8s.io/yaml"
)

// Paths from this package's directory, where go test runs.
var (
	chartDir   = filepath.Join("..", "..", "dist", "chart")
	bundleFile = filepath.Join("..", "..", "dist", "install.yaml")
)

// releaseName is the release the default render is compared under; object
// names do not depend on it.
const releaseName = "docuflow-operator"

// kubeVersion is the Kubernetes version the chart is linted for: the one
// envtest runs (ENVTEST_K8S_VERSION in the Makefile), so lint flags any API
// that version deprecates.
const kubeVersion = "v1.37.2"

// object is one parsed Kubernetes object.
type object = map[string]any

func loadChart(t *testing.T) *chart.Chart {
	t.Helper()
	c, err := loader.Load(chartDir)
	if err != nil {
		t.Fatalf("loading the chart from %s: %v", chartDir, err)
	}
	return c
}

// render renders the chart as 'helm install' would into namespace ns, with
// vals over the chart's values, keyed by kind/namespace/name.
func render(t *testing.T, ns string, vals map[string]any) (map[string]object, error) {
	t.Helper()
	c := loadChart(t)
	kv, err := chartutil.ParseKubeVersion(kubeVersion)
	if err != nil {
		t.Fatal(err)
	}
	caps := chartutil.DefaultCapabilities.Copy()
	caps.KubeVersion = *kv
	values, err := chartutil.ToRenderValues(c, vals, chartutil.ReleaseOptions{Name: releaseName, Namespace: ns, IsInstall: true, Revision: 1}, caps)
	if err != nil {
		return nil, err
	}
	files, err := engine.Render(c, values)
	if err != nil {
		return nil, err
	}
	objs := map[string]object{}
	for name, text := range files {
		if strings.HasSuffix(name, "NOTES.txt") {
			continue
		}
		for _, doc := range releaseutil.SplitManifests(text) {
			if err := add(objs, doc, name); err != nil {
				t.Fatal(err)
			}
		}
	}
	return objs, nil
}

// mustRender is render for values that must render.
func mustRender(t *testing.T, ns string, vals map[string]any) map[string]object {
	t.Helper()
	objs, err := render(t, ns, vals)
	if err != nil {
		t.Fatalf("rendering the chart: %v", err)
	}
	return objs
}

// bundle reads dist/install.yaml, keyed by kind/namespace/name.
func bundle(t *testing.T) map[string]object {
	t.Helper()
	b, err := os.ReadFile(bundleFile)
	if err != nil {
		t.Fatalf("%v: run 'make build-installer'", err)
	}
	objs := map[string]object{}
	for _, doc := range strings.Split(string(b), "\n---\n") {
		if err := add(objs, doc, bundleFile); err != nil {
			t.Fatal(err)
		}
	}
	return objs
}

// add parses one YAML document into objs, skipping documents with nothing
// but comments, and refuses two objects with the same key.
func add(objs map[string]object, doc, from string) error {
	var o object
	if err := yaml.Unmarshal([]byte(doc), &o); err != nil {
		return fmt.Errorf("%s: %w", from, err)
	}
	if len(o) == 0 {
		return nil
	}
	k := key(o)
	if _, dup := objs[k]; dup {
		return fmt.Errorf("%s: %s twice", from, k)
	}
	objs[k] = o
	return nil
}

func key(o object) string {
	return fmt.Sprintf("%v/%v/%v", o["kind"], str(o, "metadata", "namespace"), str(o, "metadata", "name"))
}

// get walks o along path; nil when a step is missing.
func get(o any, path ...string) any {
	for _, p := range path {
		m, ok := o.(map[string]any)
		if !ok {
			return nil
		}
		o = m[p]
	}
	return o
}

func str(o any, path ...string) string {
	s, _ := get(o, path...).(string)
	return s
}

// releaseNamespace is the namespace the bundle installs into: the name of
// its one Namespace.
func releaseNamespace(t *testing.T, b map[string]object) string {
	t.Helper()
	var names []string
	for _, o := range b {
		if o["kind"] == "Namespace" {
			names = append(names, str(o, "metadata", "name"))
		}
	}
	if len(names) != 1 {
		t.Fatalf("%s holds %d Namespaces, want 1", bundleFile, len(names))
	}
	return names[0]
}

func keys(m map[string]object) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}

func TestTheChartLintsCleanStrictly(t *testing.T) {
	kv, err := chartutil.ParseKubeVersion(kubeVersion)
	if err != nil {
		t.Fatal(err)
	}
	for name, vals := range map[string]map[string]any{
		"default values": nil,
		// Every toggle off, so the other side of each branch is linted too.
		"every toggle off": {
			"controllerManager": map[string]any{"replicas": 1},
			"leaderElection":    map[string]any{"enable": false},
			"metrics":           map[string]any{"enable": false},
			"crd":               map[string]any{"enable": false, "keep": false},
		},
	} {
		t.Run(name, func(t *testing.T) {
			linter := lint.AllWithKubeVersion(chartDir, vals, "docuflow-system", kv)
			for _, m := range linter.Messages {
				// As 'helm lint --strict': warnings fail as errors do.
				if m.Severity >= support.WarningSev {
					t.Error(m.Error())
				} else {
					t.Log(m.Error())
				}
			}
		})
	}
}

// helmLabels are the metadata labels in which the default render may differ
// from dist/install.yaml, with the value each must have in the render:
//   - app.kubernetes.io/managed-by says who applies the object: kustomize in
//     the bundle (on some objects), Helm in the chart (on every one);
//   - helm.sh/chart and app.kubernetes.io/instance are Helm's own, naming the
//     chart version and the release; the bundle has neither.
//
// They are on objects' metadata only: selectors and pod labels are the
// bundle's exactly.
func helmLabels(c *chart.Chart) map[string]string {
	return map[string]string{
		"app.kubernetes.io/managed-by": "Helm",
		"helm.sh/chart":                c.Metadata.Name + "-" + c.Metadata.Version,
		"app.kubernetes.io/instance":   releaseName,
	}
}

func TestTheDefaultRenderIsTheInstallBundle(t *testing.T) {
	want := bundle(t)
	ns := releaseNamespace(t, want)
	got := mustRender(t, ns, nil)
	c := loadChart(t)

	// The chart does not render the Namespace: Helm records the release in it
	// before creating anything, so it must exist before 'helm install'
	// (dist/chart/README.md says how to create it).
	delete(want, "Namespace//"+ns)

	for k, o := range got {
		labels, _ := get(o, "metadata", "labels").(map[string]any)
		for l, v := range helmLabels(c) {
			if labels[l] != v {
				t.Errorf("%s: label %s is %v, want %q", k, l, labels[l], v)
			}
			delete(labels, l)
		}
		// The CRD's keep policy (crd.keep, on by default) is the one
		// annotation the bundle cannot have: it tells Helm, not the cluster.
		if o["kind"] == "CustomResourceDefinition" {
			annotations, _ := get(o, "metadata", "annotations").(map[string]any)
			if annotations["helm.sh/resource-policy"] != "keep" {
				t.Errorf("%s: annotation helm.sh/resource-policy is %v, want keep", k, annotations["helm.sh/resource-policy"])
			}
			delete(annotations, "helm.sh/resource-policy")
		}
	}
	for _, o := range want {
		if labels, ok := get(o, "metadata", "labels").(map[string]any); ok {
			delete(labels, "app.kubernetes.io/managed-by")
		}
	}

	if len(want) == 0 {
		t.Fatalf("%s holds no object but the Namespace", bundleFile)
	}
	if diff := cmp.Diff(keys(want), keys(got)); diff != "" {
		t.Errorf("objects (-%s +chart):\n%s", bundleFile, diff)
	}
	for _, k := range keys(want) {
		if g, ok := got[k]; ok {
			if diff := cmp.Diff(want[k], g); diff != "" {
				t.Errorf("%s differs (-%s +chart):\n%s", k, bundleFile, diff)
			}
		}
	}
}

func TestTheChartDeploysTheBundlesImage(t *testing.T) {
	want := bundle(t)
	ns := releaseNamespace(t, want)
	c := loadChart(t)
	deploy := "Deployment/" + ns + "/docuflow-operator-controller-manager"
	bundleImage := str(get(want[deploy], "spec", "template", "spec", "containers").([]any)[0], "image")
	chartImage := image(t, mustRender(t, ns, nil), deploy)
	if chartImage != bundleImage {
		t.Errorf("the chart deploys %s, %s deploys %s", chartImage, bundleFile, bundleImage)
	}
	// The tag comes from appVersion, so a release bumps one field.
	if !strings.HasSuffix(chartImage, ":"+c.Metadata.AppVersion) {
		t.Errorf("the chart deploys %s, not the tag of its appVersion %q", chartImage, c.Metadata.AppVersion)
	}
}

// container returns the manager container of the rendered Deployment.
func container(t *testing.T, objs map[string]object, deploy string) map[string]any {
	t.Helper()
	d, ok := objs[deploy]
	if !ok {
		t.Fatalf("no %s in the render", deploy)
	}
	cs, _ := get(d, "spec", "template", "spec", "containers").([]any)
	if len(cs) != 1 {
		t.Fatalf("%s has %d containers, want 1", deploy, len(cs))
	}
	return cs[0].(map[string]any)
}

func image(t *testing.T, objs map[string]object, deploy string) string {
	t.Helper()
	return str(container(t, objs, deploy), "image")
}

func args(t *testing.T, objs map[string]object, deploy string) []string {
	t.Helper()
	var out []string
	for _, a := range container(t, objs, deploy)["args"].([]any) {
		out = append(out, a.(string))
	}
	return out
}

func portNames(t *testing.T, objs map[string]object, deploy string) []string {
	t.Helper()
	var out []string
	ports, _ := container(t, objs, deploy)["ports"].([]any)
	for _, p := range ports {
		out = append(out, str(p, "name"))
	}
	return out
}

func TestValuesReachTheObjects(t *testing.T) {
	const ns = "ops"
	deploy := "Deployment/" + ns + "/docuflow-operator-controller-manager"
	crd := "CustomResourceDefinition//docuflowstacks.platform.docuflow.io"
	metricsObjects := []string{
		"Service/" + ns + "/docuflow-operator-controller-manager-metrics-service",
		"ClusterRole//docuflow-operator-metrics-auth-role",
		"ClusterRoleBinding//docuflow-operator-metrics-auth-rolebinding",
		"ClusterRole//docuflow-operator-metrics-reader",
	}
	leaderObjects := []string{
		"Role/" + ns + "/docuflow-operator-leader-election-role",
		"RoleBinding/" + ns + "/docuflow-operator-leader-election-rolebinding",
	}
	defaults := mustRender(t, ns, nil)

	cases := []struct {
		name  string
		vals  map[string]any
		check func(t *testing.T, objs map[string]object)
	}{
		{
			name: "crd.enable=false drops the CRD and nothing else",
			vals: map[string]any{"crd": map[string]any{"enable": false}},
			check: func(t *testing.T, objs map[string]object) {
				if _, ok := objs[crd]; ok {
					t.Error("the CRD is still rendered")
				}
				if len(objs) != len(defaults)-1 {
					t.Errorf("%d objects, want %d", len(objs), len(defaults)-1)
				}
			},
		},
		{
			name: "crd.keep=false drops Helm's keep policy from the CRD",
			vals: map[string]any{"crd": map[string]any{"keep": false}},
			check: func(t *testing.T, objs map[string]object) {
				if v := get(objs[crd], "metadata", "annotations", "helm.sh/resource-policy"); v != nil {
					t.Errorf("helm.sh/resource-policy is %v, want none", v)
				}
				if v := str(objs[crd], "metadata", "annotations", "controller-gen.kubebuilder.io/version"); v == "" {
					t.Error("the CRD lost controller-gen's annotation")
				}
			},
		},
		{
			name: "metrics.enable=false drops the metrics Service and its RBAC and turns the endpoint off",
			vals: map[string]any{"metrics": map[string]any{"enable": false}},
			check: func(t *testing.T, objs map[string]object) {
				for _, k := range metricsObjects {
					if _, ok := objs[k]; ok {
						t.Errorf("%s is still rendered", k)
					}
				}
				if len(objs) != len(defaults)-len(metricsObjects) {
					t.Errorf("%d objects, want %d", len(objs), len(defaults)-len(metricsObjects))
				}
				if a := args(t, objs, deploy); !slices.Contains(a, "--metrics-bind-address=0") {
					t.Errorf("args %q do not turn metrics off", a)
				}
				if p := portNames(t, objs, deploy); slices.Contains(p, "metrics") {
					t.Errorf("ports %q still hold metrics", p)
				}
			},
		},
		{
			name: "leaderElection.enable=false with one replica drops the lease RBAC and the flag",
			vals: map[string]any{"leaderElection": map[string]any{"enable": false}, "controllerManager": map[string]any{"replicas": 1}},
			check: func(t *testing.T, objs map[string]object) {
				for _, k := range leaderObjects {
					if _, ok := objs[k]; ok {
						t.Errorf("%s is still rendered", k)
					}
				}
				if a := args(t, objs, deploy); !slices.Contains(a, "--leader-elect=false") || slices.Contains(a, "--leader-elect") {
					t.Errorf("args %q, want --leader-elect=false", a)
				}
				if r := get(objs[deploy], "spec", "replicas"); r != float64(1) {
					t.Errorf("replicas %v, want 1", r)
				}
			},
		},
		{
			name: "replicas, image and resources reach the Deployment",
			vals: map[string]any{"controllerManager": map[string]any{
				"replicas": 3,
				"container": map[string]any{
					"image":     map[string]any{"repository": "registry.example.com/platform/docuflow-operator", "tag": "v1.4.2", "pullPolicy": "Always"},
					"resources": map[string]any{"requests": map[string]any{"cpu": "250m", "memory": "256Mi"}, "limits": map[string]any{"cpu": "2", "memory": "1Gi"}},
				},
			}},
			check: func(t *testing.T, objs map[string]object) {
				if r := get(objs[deploy], "spec", "replicas"); r != float64(3) {
					t.Errorf("replicas %v, want 3", r)
				}
				c := container(t, objs, deploy)
				if c["image"] != "registry.example.com/platform/docuflow-operator:v1.4.2" || c["imagePullPolicy"] != "Always" {
					t.Errorf("image %v, pull policy %v", c["image"], c["imagePullPolicy"])
				}
				want := map[string]any{"requests": map[string]any{"cpu": "250m", "memory": "256Mi"}, "limits": map[string]any{"cpu": "2", "memory": "1Gi"}}
				if diff := cmp.Diff(want, c["resources"]); diff != "" {
					t.Errorf("resources (-want +got):\n%s", diff)
				}
				if a := args(t, objs, deploy); !slices.Contains(a, "--leader-elect") {
					t.Errorf("args %q lack --leader-elect", a)
				}
			},
		},
		{
			name: "watchNamespaces reach the manager's flag; none by default",
			vals: map[string]any{"watchNamespaces": []any{"team-a", "team-b"}},
			check: func(t *testing.T, objs map[string]object) {
				if a := args(t, objs, deploy); !slices.Contains(a, "--watch-namespaces=team-a,team-b") {
					t.Errorf("args %q lack --watch-namespaces=team-a,team-b", a)
				}
				for _, a := range args(t, defaults, deploy) {
					if strings.HasPrefix(a, "--watch-namespaces") {
						t.Errorf("the default render restricts namespaces: %q", a)
					}
				}
			},
		},
		{
			name: "installationID and iamPermissionsBoundary reach the manager's flags; neither by default",
			vals: map[string]any{"installationID": "cluster-eu-1", "iamPermissionsBoundary": "arn:aws:iam::123456789012:policy/docuflow-boundary"},
			check: func(t *testing.T, objs map[string]object) {
				a := args(t, objs, deploy)
				for _, want := range []string{"--installation-id=cluster-eu-1", "--iam-permissions-boundary=arn:aws:iam::123456789012:policy/docuflow-boundary"} {
					if !slices.Contains(a, want) {
						t.Errorf("args %q lack %s", a, want)
					}
				}
				for _, a := range args(t, defaults, deploy) {
					if strings.HasPrefix(a, "--installation-id") || strings.HasPrefix(a, "--iam-permissions-boundary") {
						t.Errorf("the default render sets %q", a)
					}
				}
			},
		},
		{
			name: "every namespaced object lands in the release namespace",
			check: func(t *testing.T, objs map[string]object) {
				for k, o := range objs {
					if n := str(o, "metadata", "namespace"); n != "" && n != ns {
						t.Errorf("%s is in namespace %s", k, n)
					}
				}
				for _, k := range []string{"ClusterRoleBinding//docuflow-operator-manager-rolebinding", "RoleBinding/" + ns + "/docuflow-operator-leader-election-rolebinding"} {
					if n := str(get(objs[k], "subjects").([]any)[0], "namespace"); n != ns {
						t.Errorf("%s binds a service account in namespace %s", k, n)
					}
				}
			},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			c.check(t, mustRender(t, ns, c.vals))
		})
	}
}

func TestValuesTheChartRefuses(t *testing.T) {
	for _, c := range []struct {
		name string
		vals map[string]any
		want string
	}{
		{
			name: "several replicas without leader election, which would all write",
			vals: map[string]any{"leaderElection": map[string]any{"enable": false}},
			want: "needs leaderElection.enable",
		},
		{
			name: "a misspelt key, which would otherwise be ignored",
			vals: map[string]any{"metrics": map[string]any{"enabled": false}},
			want: "enabled",
		},
		{
			name: "a watched namespace that is no namespace name",
			vals: map[string]any{"watchNamespaces": []any{"Team A"}},
			want: "watchNamespaces",
		},
		{
			name: "an unknown pull policy",
			vals: map[string]any{"controllerManager": map[string]any{"container": map[string]any{"image": map[string]any{"pullPolicy": "Sometimes"}}}},
			want: "pullPolicy",
		},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := render(t, "ops", c.vals)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("got error %v, want one containing %q", err, c.want)
			}
			t.Logf("refused: %v", err)
		})
	}
}
