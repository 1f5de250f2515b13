package desired

import (
	"strings"
	"testing"

	platformv1alpha1 "github.com/docuflow/docuflow-operator/api/v1alpha1"
	"github.com/docuflow/docuflow-operator/internal/ack"
	applicationautoscalingv1alpha1 "github.com/docuflow/docuflow-operator/internal/ack/applicationautoscaling/v1alpha1"
	cloudwatchv1alpha1 "github.com/docuflow/docuflow-operator/internal/ack/cloudwatch/v1alpha1"
	cloudwatchlogsv1alpha1 "github.com/docuflow/docuflow-operator/internal/ack/cloudwatchlogs/v1alpha1"
	"github.com/docuflow/docuflow-operator/internal/ack/core"
	ecsv1alpha1 "github.com/docuflow/docuflow-operator/internal/ack/ecs/v1alpha1"
	iamv1alpha1 "github.com/docuflow/docuflow-operator/internal/ack/iam/v1alpha1"
)

// everyAWSName lists, by kind and metadata name, every name the rendered
// children give AWS: the named kinds of awsName plus log groups, alarms and
// the scalable target's resource ID. Gate probes are left out: AWS refuses
// them by design and nothing is ever created under their names.
func everyAWSName(t *testing.T, objs []core.Object) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, o := range objs {
		if _, probe := IsProbe(o); probe {
			continue
		}
		key := ack.KindOf(o) + " " + o.GetName()
		if n, _, ok := awsName(o); ok {
			out[key] = n
			continue
		}
		switch v := o.(type) {
		case *cloudwatchlogsv1alpha1.LogGroup:
			out[key] = *v.Spec.Name
		case *cloudwatchv1alpha1.MetricAlarm:
			out[key] = *v.Spec.Name
		case *applicationautoscalingv1alpha1.ScalableTarget:
			out[key] = *v.Spec.ResourceID
		}
	}
	if len(out) == 0 {
		t.Fatal("no AWS names found in the rendering")
	}
	return out
}

// TestAWSNamesAreScopedToTheStack: two stacks of one name in two namespaces,
// or in two installations sharing an account, give AWS different names for
// every resource (security review H1); IAM names, global to the account,
// carry the region too. Metadata names do not change. A stack created before
// scoping keeps its names through the legacy annotation, and a forged value
// is refused rather than rendered.
func TestAWSNamesAreScopedToTheStack(t *testing.T) {
	stackIn := func(namespace, installation string) *platformv1alpha1.DocuFlowStack {
		s := newStack("prod", withAlarmTopic("arn:aws:sns:us-east-1:123456789012:ops"))
		s.Namespace = namespace
		delete(s.Annotations, AnnotationAWSNames)
		names, err := AWSNamesFor(s, installation, nil)
		if err != nil {
			t.Fatal(err)
		}
		s.Annotations[AnnotationAWSNames] = names
		return s
	}
	render := func(s *platformv1alpha1.DocuFlowStack) []core.Object {
		return mustBuild(t, s, observedFor(t, s, observedAll())).Objects
	}

	a := render(stackIn("team-a", "cluster-1"))
	namesA := everyAWSName(t, a)
	for _, other := range []struct{ what, namespace, installation string }{
		{"another namespace", "team-b", "cluster-1"},
		{"another installation", "team-a", "cluster-2"},
	} {
		namesB := everyAWSName(t, render(stackIn(other.namespace, other.installation)))
		for key, n := range namesA {
			if namesB[key] == n {
				t.Errorf("%s: %s has the same AWS name %q", other.what, key, n)
			}
		}
		if len(namesB) != len(namesA) {
			t.Errorf("%s: %d AWS names, want %d", other.what, len(namesB), len(namesA))
		}
	}

	scope := AWSNameScope("cluster-1", "team-a", "prod")
	for _, o := range a {
		if n, rule, ok := awsName(o); ok {
			if _, probe := IsProbe(o); !probe && !ValidName(n, rule) {
				t.Errorf("%s %s: AWS name %q breaks its rule %+v", ack.KindOf(o), o.GetName(), n, rule)
			}
		}
		if r, ok := o.(*iamv1alpha1.Role); ok && !strings.Contains(*r.Spec.Name, "us-east-1") {
			t.Errorf("Role %s: IAM name %q does not name the region", r.Name, *r.Spec.Name)
		}
	}
	for key, n := range namesA {
		if !strings.Contains(n, scope) {
			t.Errorf("%s: AWS name %q does not carry the scope %s", key, n, scope)
		}
	}

	legacy := newStack("prod", withAlarmTopic("arn:aws:sns:us-east-1:123456789012:ops"))
	legacy.Namespace = "team-a"
	l := render(legacy)
	if len(l) != len(a) {
		t.Fatalf("legacy rendering has %d children, scoped %d", len(l), len(a))
	}
	for i := range l {
		// A task definition's name hashes its content, which holds the log
		// group's name: it differs, and is new in either case.
		if _, td := l[i].(*ecsv1alpha1.TaskDefinition); !td && l[i].GetName() != a[i].GetName() {
			t.Errorf("metadata name %s became %s under scoped names", l[i].GetName(), a[i].GetName())
		}
	}
	for key, n := range everyAWSName(t, l) {
		if strings.Contains(n, scope) {
			t.Errorf("legacy %s: AWS name %q carries the scope", key, n)
		}
	}
	if got, _ := AWSNamesFor(stackIn("team-a", "cluster-1"), "cluster-9", nil); got != scope {
		t.Errorf("a stack's recorded scope was replaced: %q, want %q", got, scope)
	}
	// A stack without the record but with children: an older operator made
	// it, or a tool that replaces whole objects dropped the annotation. Its
	// children say which; renaming would replace resources.
	logsOf := func(objs []core.Object) []core.Object {
		return []core.Object{ofKind[*cloudwatchlogsv1alpha1.LogGroup](objs)[0]}
	}
	unrecorded := func() *platformv1alpha1.DocuFlowStack {
		s := stackIn("team-a", "cluster-1")
		delete(s.Annotations, AnnotationAWSNames)
		return s
	}
	for _, c := range []struct {
		what     string
		children []core.Object
		want     string
	}{
		{"children with unscoped names (an older operator's)", logsOf(l), AWSNamesLegacy},
		{"children with scoped names (the annotation was dropped)", logsOf(a), scope},
	} {
		if got, err := AWSNamesFor(unrecorded(), "cluster-2", c.children); err != nil || got != c.want {
			t.Errorf("%s: %q, %v; want %q", c.what, got, err, c.want)
		}
	}
	if got, err := AWSNamesFor(unrecorded(), "cluster-1", []core.Object{ofKind[*iamv1alpha1.Role](a)[0]}); err == nil {
		t.Errorf("children that show no naming: %q, want an error rather than a guess", got)
	}

	forged := newStack("prod")
	forged.Annotations[AnnotationAWSNames] = "../x"
	if _, err := Build(forged, Observed{}); err == nil || !strings.Contains(err.Error(), AnnotationAWSNames) {
		t.Errorf("Build with annotation %q: err = %v, want one naming the annotation", "../x", err)
	}
}

// TestEveryRoleIsBoundedAndTrustsOnlyItsOwnAccount: every role of a scoped
// stack lives under RolePath with the installation's permissions boundary,
// and its trust policy names the account and the source (security review M3,
// L4); a legacy stack's roles keep the path they were created with.
func TestEveryRoleIsBoundedAndTrustsOnlyItsOwnAccount(t *testing.T) {
	const boundary = "arn:aws:iam::123456789012:policy/docuflow-boundary"
	scoped := newStack("prod")
	delete(scoped.Annotations, AnnotationAWSNames)
	obs := observedFor(t, scoped, observedAll())
	obs.Platform = Platform{IAMPermissionsBoundary: boundary}
	roles := ofKind[*iamv1alpha1.Role](mustBuild(t, scoped, obs).Objects)
	if len(roles) != 3 {
		t.Fatalf("%d roles, want 3", len(roles))
	}
	for _, r := range roles {
		if got := ptrValue(r.Spec.Path); got != RolePath {
			t.Errorf("Role %s: path %q, want %q", r.Name, got, RolePath)
		}
		if got := ptrValue(r.Spec.PermissionsBoundary); got != boundary {
			t.Errorf("Role %s: permissions boundary %q, want %q", r.Name, got, boundary)
		}
		trust := ptrValue(r.Spec.AssumeRolePolicyDocument)
		for _, want := range []string{`"aws:SourceAccount":"123456789012"`, `"aws:SourceArn":"arn:aws:`} {
			if !strings.Contains(trust, want) {
				t.Errorf("Role %s: trust policy %s lacks %s", r.Name, trust, want)
			}
		}
	}

	legacy := newStack("prod")
	for _, r := range ofKind[*iamv1alpha1.Role](mustBuild(t, legacy, observedFor(t, legacy, observedAll())).Objects) {
		if got := ptrValue(r.Spec.Path); got != "/" {
			t.Errorf("legacy Role %s: path %q, want / (IAM cannot move a role)", r.Name, got)
		}
		if r.Spec.PermissionsBoundary != nil {
			t.Errorf("legacy Role %s: a boundary %q without one configured", r.Name, *r.Spec.PermissionsBoundary)
		}
	}
}
