package manifests

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	psaapi "k8s.io/pod-security-admission/api"
	"k8s.io/pod-security-admission/policy"
	"sigs.k8s.io/yaml"

	"github.com/docuflow/docuflow-operator/internal/controlplane"
)

// deployment reads the operator's Deployment from config/manager.
func deployment(t *testing.T) *appsv1.Deployment {
	t.Helper()
	root, err := controlplane.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(root, "config", "manager", "manager.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, doc := range strings.Split(string(b), "\n---\n") {
		if !strings.Contains(doc, "kind: Deployment") {
			continue
		}
		d := &appsv1.Deployment{}
		if err := yaml.UnmarshalStrict([]byte(doc), d); err != nil {
			t.Fatal(err)
		}
		return d
	}
	t.Fatal("config/manager/manager.yaml has no Deployment")
	return nil
}

func TestTheOperatorPassesTheRestrictedPodSecurityStandard(t *testing.T) {
	d := deployment(t)
	evaluator, err := policy.NewEvaluator(policy.DefaultChecks(), nil)
	if err != nil {
		t.Fatal(err)
	}
	results := evaluator.EvaluatePod(psaapi.LevelVersion{Level: psaapi.LevelRestricted, Version: psaapi.LatestVersion()}, &d.Spec.Template.ObjectMeta, &d.Spec.Template.Spec)
	for _, r := range results {
		if !r.Allowed {
			t.Errorf("restricted Pod Security: %s: %s", r.ForbiddenReason, r.ForbiddenDetail)
		}
	}
	if len(results) == 0 {
		t.Fatal("the evaluator ran no check")
	}
}

func TestTheOperatorIsHardened(t *testing.T) {
	d := deployment(t)
	c := d.Spec.Template.Spec.Containers[0]
	sc := c.SecurityContext
	checks := map[string]bool{
		"read-only root filesystem":        sc != nil && sc.ReadOnlyRootFilesystem != nil && *sc.ReadOnlyRootFilesystem,
		"no privilege escalation":          sc != nil && sc.AllowPrivilegeEscalation != nil && !*sc.AllowPrivilegeEscalation,
		"all capabilities dropped":         sc != nil && sc.Capabilities != nil && slices.Contains(sc.Capabilities.Drop, "ALL"),
		"runs as non-root":                 d.Spec.Template.Spec.SecurityContext != nil && d.Spec.Template.Spec.SecurityContext.RunAsNonRoot != nil && *d.Spec.Template.Spec.SecurityContext.RunAsNonRoot,
		"cpu and memory requests":          !c.Resources.Requests.Cpu().IsZero() && !c.Resources.Requests.Memory().IsZero(),
		"cpu and memory limits":            !c.Resources.Limits.Cpu().IsZero() && !c.Resources.Limits.Memory().IsZero(),
		"liveness probe":                   c.LivenessProbe != nil && c.LivenessProbe.HTTPGet != nil && c.LivenessProbe.HTTPGet.Path == "/healthz",
		"readiness probe":                  c.ReadinessProbe != nil && c.ReadinessProbe.HTTPGet != nil && c.ReadinessProbe.HTTPGet.Path == "/readyz",
		"leader election":                  slices.Contains(c.Args, "--leader-elect"),
		"metrics served on the HTTPS port": slices.Contains(c.Args, "--metrics-bind-address=:8443"),
	}
	for what, ok := range checks {
		if !ok {
			t.Errorf("the operator's Deployment lacks: %s", what)
		}
	}
}
