package desired

import (
	"reflect"
	"strings"
	"testing"

	platformv1alpha1 "github.com/docuflow/docuflow-operator/api/v1alpha1"
	elbv2v1alpha1 "github.com/docuflow/docuflow-operator/internal/ack/elbv2/v1alpha1"
	"github.com/docuflow/docuflow-operator/internal/apply"
)

func TestTargetGroupNeverDeclaresTargets(t *testing.T) {
	for _, c := range stacksUnderTest() {
		t.Run("with "+c.name+" the target group leaves its targets to ECS and ignores their drift", func(t *testing.T) {
			tg := only[*elbv2v1alpha1.TargetGroup](t, mustBuild(t, c.stack, observedAll()).Objects)
			if tg.Spec.Targets != nil {
				t.Errorf("TargetGroup %s declares targets %v", tg.Name, tg.Spec.Targets)
			}
			u, err := apply.ToUnstructured(tg)
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
				refTo(s.VPCRef) != c.stack.Name+"-vpc" || *s.HealthCheckPath != "/healthz" || *s.HealthCheckPort != "traffic-port" ||
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
			out = append(out, "forward "+refTo(a.TargetGroupRef))
		case "redirect":
			r := a.RedirectConfig
			out = append(out, "redirect "+*r.Protocol+":"+*r.Port+" "+*r.StatusCode)
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
				"prod-http HTTP redirect HTTPS:443 HTTP_301",
			},
		},
		{
			name: "a chosen SSL policy is used",
			stack: newStack("prod", func(s *platformv1alpha1.DocuFlowStack) {
				s.Spec.LoadBalancer.SSLPolicy = "ELBSecurityPolicy-TLS13-1-3-2021-06"
			}),
			want: []string{
				"prod-https HTTPS forward prod-api ELBSecurityPolicy-TLS13-1-3-2021-06 " + cert,
				"prod-http HTTP redirect HTTPS:443 HTTP_301",
			},
		},
		{
			name:  "an insecure development stack has a single HTTP listener that forwards",
			stack: newStack("dev", withDevelopment()),
			want:  []string{"dev-http HTTP forward dev-api"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, l := range ofKind[*elbv2v1alpha1.Listener](mustBuild(t, tt.stack, Observed{}).Objects) {
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
			objs := mustBuild(t, newStack(stackName), Observed{}).Objects
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
