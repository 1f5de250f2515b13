package desired

import (
	"reflect"
	"strings"
	"testing"

	ackv1alpha1 "github.com/aws-controllers-k8s/runtime/apis/core/v1alpha1"
	corev1 "k8s.io/api/core/v1"

	platformv1alpha1 "github.com/docuflow/docuflow-operator/api/v1alpha1"
	elbv2v1alpha1 "github.com/docuflow/docuflow-operator/internal/ack/elbv2/v1alpha1"
	"github.com/docuflow/docuflow-operator/internal/writecheck"
)

func TestTargetGroupNeverDeclaresTargets(t *testing.T) {
	for _, c := range stacksUnderTest() {
		t.Run("with "+c.name+" the target group leaves its targets to ECS and ignores their drift", func(t *testing.T) {
			tg := only[*elbv2v1alpha1.TargetGroup](t, mustBuild(t, c.stack, observedAll()).Objects)
			if tg.Spec.Targets != nil {
				t.Errorf("TargetGroup %s declares targets %v", tg.Name, tg.Spec.Targets)
			}
			u, err := writecheck.ToUnstructured(tg)
			if err != nil {
				t.Fatal(err)
			}
			if _, found := u.Object["spec"].(map[string]any)["targets"]; found {
				t.Errorf("the applied TargetGroup %s claims spec.targets", tg.Name)
			}
			if got := tg.Annotations[AnnotationIgnoreFieldDrift]; got != "spec.targets" {
				t.Errorf("TargetGroup %s has %s=%q, want spec.targets", tg.Name, AnnotationIgnoreFieldDrift, got)
			}
			s := tg.Spec
			if *s.TargetType != "ip" || *s.Protocol != "HTTP" || *s.ProtocolVersion != "HTTP1" || *s.Port != 8080 ||
				refTo(s.VPCRef) != c.stack.Name+"-vpc" || *s.HealthCheckPath != "/readyz" || *s.HealthCheckPort != "traffic-port" ||
				*s.Matcher.HTTPCode != "200-399" || *s.Attributes[0].Key != "deregistration_delay.timeout_seconds" || *s.Attributes[0].Value != "30" {
				t.Errorf("TargetGroup %s spec = %+v", tg.Name, s)
			}
		})
	}
}

// listenerSummary flattens a listener to "port protocol action…".
func listenerSummary(l *elbv2v1alpha1.Listener) string {
	out := []string{l.Name, *l.Spec.Protocol}
	for _, a := range l.Spec.DefaultActions {
		switch *a.Type {
		case "forward":
			// The ARN literally, as AWS answers, and its forwardConfig.
			arn := *a.TargetGroupARN
			fc := a.ForwardConfig
			if a.TargetGroupRef != nil || fc == nil || len(fc.TargetGroups) != 1 || *fc.TargetGroups[0].TargetGroupARN != arn ||
				*fc.TargetGroups[0].Weight != 1 || *fc.TargetGroupStickinessConfig.Enabled {
				out = append(out, "forward in another form than AWS's")
				continue
			}
			name, _, _ := strings.Cut(strings.TrimPrefix(targetGroupDimension(arn), "targetgroup/"), "/")
			out = append(out, "forward "+name)
		case "redirect":
			r := a.RedirectConfig
			out = append(out, "redirect "+*r.Protocol+":"+*r.Port+*r.Path+"?"+*r.Query+" "+*r.StatusCode)
		default:
			out = append(out, *a.Type)
		}
	}
	if l.Spec.SSLPolicy != nil {
		out = append(out, *l.Spec.SSLPolicy)
	}
	for _, c := range l.Spec.Certificates {
		out = append(out, *c.CertificateARN)
	}
	return strings.Join(out, " ")
}

func TestListeners(t *testing.T) {
	cert := *newStack("prod").Spec.LoadBalancer.CertificateARN
	tests := []struct {
		name  string
		stack *platformv1alpha1.DocuFlowStack
		want  []string
	}{
		{
			name:  "a production stack serves HTTPS and only redirects HTTP with a 301",
			stack: newStack("prod"),
			want: []string{
				"prod-https HTTPS forward prod-api ELBSecurityPolicy-TLS13-1-2-2021-06 " + cert,
				"prod-http HTTP redirect HTTPS:443/#{path}?#{query} HTTP_301",
			},
		},
		{
			name: "a chosen SSL policy is used",
			stack: newStack("prod", func(s *platformv1alpha1.DocuFlowStack) {
				s.Spec.LoadBalancer.SSLPolicy = "ELBSecurityPolicy-TLS13-1-3-2021-06"
			}),
			want: []string{
				"prod-https HTTPS forward prod-api ELBSecurityPolicy-TLS13-1-3-2021-06 " + cert,
				"prod-http HTTP redirect HTTPS:443/#{path}?#{query} HTTP_301",
			},
		},
		{
			name:  "an insecure development stack has a single HTTP listener that forwards",
			stack: newStack("dev", withDevelopment()),
			want:  []string{"dev-http HTTP forward prod-api"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, l := range ofKind[*elbv2v1alpha1.Listener](mustBuild(t, tt.stack, observedAll()).Objects) {
				got = append(got, listenerSummary(l))
				if refTo(l.Spec.LoadBalancerRef) != tt.stack.Name+"-alb" {
					t.Errorf("listener %s is on %q", l.Name, refTo(l.Spec.LoadBalancerRef))
				}
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("listeners = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestLoadBalancerAttributes(t *testing.T) {
	tests := []struct {
		name  string
		stack *platformv1alpha1.DocuFlowStack
		want  [][2]string
	}{
		{
			name:  "a production load balancer is deletion protected and hardened, without access logs unless asked",
			stack: newStack("prod"),
			want: [][2]string{
				{"access_logs.s3.enabled", "false"},
				{"deletion_protection.enabled", "true"},
				{"idle_timeout.timeout_seconds", "60"},
				{"routing.http.drop_invalid_header_fields.enabled", "true"},
				{"routing.http.desync_mitigation_mode", "defensive"},
			},
		},
		{
			name:  "access logs name their bucket and prefix",
			stack: newStack("prod", withAccessLogs("docuflow-logs", "alb/prod"), func(s *platformv1alpha1.DocuFlowStack) { s.Spec.LoadBalancer.IdleTimeoutSeconds = 120 }),
			want: [][2]string{
				{"access_logs.s3.bucket", "docuflow-logs"},
				{"access_logs.s3.enabled", "true"},
				{"access_logs.s3.prefix", "alb/prod"},
				{"deletion_protection.enabled", "true"},
				{"idle_timeout.timeout_seconds", "120"},
				{"routing.http.drop_invalid_header_fields.enabled", "true"},
				{"routing.http.desync_mitigation_mode", "defensive"},
			},
		},
		{
			name:  "a development load balancer can be deleted",
			stack: newStack("dev", withDevelopment()),
			want: [][2]string{
				{"access_logs.s3.enabled", "false"},
				{"deletion_protection.enabled", "false"},
				{"idle_timeout.timeout_seconds", "60"},
				{"routing.http.drop_invalid_header_fields.enabled", "true"},
				{"routing.http.desync_mitigation_mode", "defensive"},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lb := only[*elbv2v1alpha1.LoadBalancer](t, mustBuild(t, tt.stack, Observed{}).Objects)
			var got [][2]string
			for _, a := range lb.Spec.Attributes {
				got = append(got, [2]string{*a.Key, *a.Value})
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("attributes = %v, want %v (sorted by key)", got, tt.want)
			}
			s := lb.Spec
			var subnets []string
			for _, r := range s.SubnetRefs {
				subnets = append(subnets, refTo(r))
			}
			if *s.Type != "application" || *s.Scheme != "internet-facing" || *s.IPAddressType != "ipv4" ||
				!reflect.DeepEqual(subnets, []string{tt.stack.Name + "-public-us-east-1a", tt.stack.Name + "-public-us-east-1b"}) ||
				len(s.SecurityGroupRefs) != 1 || refTo(s.SecurityGroupRefs[0]) != tt.stack.Name+"-alb-sg" {
				t.Errorf("load balancer spec = %+v", s)
			}
		})
	}
}

func TestLoadBalancerNames(t *testing.T) {
	for _, stackName := range []string{"prod", "internal", "internal-docs", "customer-documents-production-eu-central"} {
		t.Run("a stack named "+stackName+" gets load balancer and target group names AWS accepts", func(t *testing.T) {
			objs := mustBuild(t, newStack(stackName), observedAll()).Objects
			lb := only[*elbv2v1alpha1.LoadBalancer](t, objs)
			tg := only[*elbv2v1alpha1.TargetGroup](t, objs)
			for _, n := range []string{*lb.Spec.Name, *tg.Spec.Name} {
				if !ValidName(n, ELBName) || len(n) > 32 || strings.HasPrefix(n, "internal-") {
					t.Errorf("name %q is not a valid ELB name", n)
				}
			}
		})
	}
}

func TestTheTargetGroupNeedsTheELBv2IgnoreFieldDriftGate(t *testing.T) {
	tests := []struct {
		name     string
		gate     Gate
		exists   bool
		rendered bool
		readOnly bool
		waits    string
	}{
		{name: "with the gate, the target group ignores the drift of its targets", gate: GateOn, exists: true, rendered: true},
		{name: "with the gate, a new target group is created", gate: GateOn, rendered: true},
		{name: "without the gate, a new target group is not created and says why", gate: GateOff, waits: "IgnoreFieldDrift feature gate"},
		{name: "without the gate, an existing target group is held read-only", gate: GateOff, exists: true, rendered: true, readOnly: true},
		{name: "until the probe answers, a new target group waits for it", gate: GateUnknown, waits: "gate probe"},
		{name: "until the probe answers, an existing target group is held read-only", gate: GateUnknown, exists: true, rendered: true, readOnly: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stack := newStack("prod")
			obs := withNetworkUp(stack, observedAll())
			obs.ELBv2IgnoreFieldDrift = tt.gate
			if !tt.exists {
				obs.TargetGroupARN = ""
			}
			res, err := Build(stack, obs)
			if err != nil {
				t.Fatal(err)
			}
			tgs := ofKind[*elbv2v1alpha1.TargetGroup](res.Objects)
			if got := len(tgs) == 1; got != tt.rendered {
				t.Fatalf("target group rendered = %v, want %v", got, tt.rendered)
			}
			if !tt.rendered {
				for _, w := range res.Waiting {
					if w.Kind == "TargetGroup" && strings.Contains(w.WaitsFor, tt.waits) {
						return
					}
				}
				t.Fatalf("waiting %+v, want the target group waiting for %q", res.Waiting, tt.waits)
			}
			tg := tgs[0]
			if tg.Annotations[AnnotationIgnoreFieldDrift] != "spec.targets" {
				t.Errorf("ignore-field-drift = %q, want spec.targets", tg.Annotations[AnnotationIgnoreFieldDrift])
			}
			if got := tg.Annotations[AnnotationReadOnly] == "true"; got != tt.readOnly {
				t.Errorf("read-only = %v, want %v", got, tt.readOnly)
			}
		})
	}
}

func TestGateProbesCannotChangeAnythingInAWS(t *testing.T) {
	for _, c := range stacksUnderTest() {
		t.Run("the probes of "+c.name+" are read-only, retained and refer to nothing", func(t *testing.T) {
			ps := probes(mustBuild(t, c.stack, Observed{}).Objects)
			if len(ps) != 2 {
				t.Fatalf("probes = %v, want elbv2 and rds", ps)
			}
			for controller, p := range ps {
				a := p.GetAnnotations()
				if a[AnnotationReadOnly] != "true" || a[AnnotationDeletionPolicy] != "retain" || a[AnnotationIgnoreFieldDrift] != probeMalformedPath {
					t.Errorf("%s probe annotations = %v", controller, a)
				}
				for _, d := range DependenciesOf(p) {
					if !strings.HasSuffix(d.Name, "-"+componentAbsent) {
						t.Errorf("%s probe depends on %s, a child that exists", controller, d)
					}
				}
			}
		})
	}
}

func TestProbeResult(t *testing.T) {
	cond := func(typ ackv1alpha1.ConditionType, status corev1.ConditionStatus, msg string) *ackv1alpha1.Condition {
		return &ackv1alpha1.Condition{Type: typ, Status: status, Message: &msg}
	}
	tests := []struct {
		name  string
		conds []*ackv1alpha1.Condition
		want  Gate
	}{
		{"no answer yet", nil, GateUnknown},
		{"the runtime refused the malformed path: the gate is on", []*ackv1alpha1.Condition{
			cond(ackv1alpha1.ConditionTypeTerminal, corev1.ConditionTrue, "ignore-field-drift annotation contains malformed paths [spec..docuflowGateProbe]; fix the annotation"),
		}, GateOn},
		{"the runtime went on to the references: the gate is off", []*ackv1alpha1.Condition{
			cond(ackv1alpha1.ConditionTypeReferencesResolved, corev1.ConditionUnknown, "Reference resolution failed"),
		}, GateOff},
		{"another terminal error is no answer of the gate", []*ackv1alpha1.Condition{
			cond(ackv1alpha1.ConditionTypeTerminal, corev1.ConditionTrue, "read-only resource not found"),
		}, GateOff},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := &elbv2v1alpha1.TargetGroup{}
			p.Status.Conditions = tt.conds
			if got := ProbeResult(p); got != tt.want {
				t.Errorf("ProbeResult = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestTheTargetGroupGetsItsAttributesOnceItsARNIsKnown(t *testing.T) {
	// Created with attributes, the elbv2 controller leaves the target group
	// without an ARN in its status until a resync, hours later; created
	// without, it records the ARN at once, and the attributes follow.
	stack := newStack("prod")
	before := observedAll()
	before.TargetGroupARN = ""
	tgs := ofKind[*elbv2v1alpha1.TargetGroup](mustBuild(t, stack, before).Objects)
	if len(tgs) != 1 {
		t.Fatalf("%d target groups before the ARN is known, want 1", len(tgs))
	}
	if a := tgs[0].Spec.Attributes; len(a) != 0 {
		t.Errorf("the target group is created with %d attributes; the elbv2 controller would then hide its ARN until a resync", len(a))
	}
	tgs = ofKind[*elbv2v1alpha1.TargetGroup](mustBuild(t, stack, observedAll()).Objects)
	got := map[string]string{}
	for _, a := range tgs[0].Spec.Attributes {
		got[*a.Key] = *a.Value
	}
	if got["deregistration_delay.timeout_seconds"] != "30" || got["load_balancing.algorithm.type"] != "round_robin" {
		t.Errorf("attributes once the ARN is known: %v", got)
	}
}
