package desired

import (
	"reflect"
	"testing"

	platformv1alpha1 "github.com/docuflow/docuflow-operator/api/v1alpha1"
	applicationautoscalingv1alpha1 "github.com/docuflow/docuflow-operator/internal/ack/applicationautoscaling/v1alpha1"
)

func TestScalableTarget(t *testing.T) {
	st := only[*applicationautoscalingv1alpha1.ScalableTarget](t, mustBuild(t, newStack("prod", withMinTasks(3), withMaxTasks(12)), observedAll()).Objects)
	got := []any{*st.Spec.ServiceNamespace, *st.Spec.ResourceID, *st.Spec.ScalableDimension, *st.Spec.MinCapacity, *st.Spec.MaxCapacity}
	want := []any{"ecs", "service/prod-cluster/prod-api", "ecs:service:DesiredCount", int64(3), int64(12)}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("namespace, resource ID, dimension, min, max = %v, want %v", got, want)
	}
	if st.Spec.RoleARN != nil || st.Spec.RoleRef != nil {
		t.Errorf("the scalable target sets a role; AWS fills in the service-linked role")
	}
}

func TestScalingPolicies(t *testing.T) {
	stack := newStack("prod", withTargetMemoryPercent(70), withRequestsPerTarget(500), func(s *platformv1alpha1.DocuFlowStack) {
		s.Spec.Autoscaling.ScaleInCooldownSeconds, s.Spec.Autoscaling.ScaleOutCooldownSeconds = 600, 30
	})
	obs := observedAll()
	type policy struct {
		name, metric, label string
		target              float64
	}
	var got []policy
	for _, p := range ofKind[*applicationautoscalingv1alpha1.ScalingPolicy](mustBuild(t, stack, obs).Objects) {
		s := p.Spec
		c := s.TargetTrackingScalingPolicyConfiguration
		if *s.PolicyName != p.Name || *s.ServiceNamespace != "ecs" || *s.ResourceID != "service/prod-cluster/prod-api" ||
			*s.ScalableDimension != "ecs:service:DesiredCount" || *s.PolicyType != "TargetTrackingScaling" {
			t.Errorf("policy %s does not target the service's task count: %+v", p.Name, s)
		}
		if *c.ScaleInCooldown != 600 || *c.ScaleOutCooldown != 30 {
			t.Errorf("policy %s cooldowns = %d/%d, want 600/30", p.Name, *c.ScaleInCooldown, *c.ScaleOutCooldown)
		}
		label := ""
		if c.PredefinedMetricSpecification.ResourceLabel != nil {
			label = *c.PredefinedMetricSpecification.ResourceLabel
		}
		got = append(got, policy{p.Name, *c.PredefinedMetricSpecification.PredefinedMetricType, label, *c.TargetValue})
	}
	want := []policy{
		{"prod-api-cpu", "ECSServiceAverageCPUUtilization", "", 60},
		{"prod-api-memory", "ECSServiceAverageMemoryUtilization", "", 70},
		{"prod-api-requests", "ALBRequestCountPerTarget", "app/prod-alb/50dc6c495c0c9188/targetgroup/prod-api/73e2d6bc24d8a067", 500},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("policies = %+v, want %+v", got, want)
	}
}

func TestAutoscalingWaits(t *testing.T) {
	stack := newStack("prod", withRequestsPerTarget(500))
	tests := []struct {
		name string
		obs  func(o *Observed)
		want []string
	}{
		{
			name: "before the ECS service exists nothing of autoscaling is rendered",
			obs: func(o *Observed) {
				o.ServiceARN, o.ScalableTargetSynced, o.LoadBalancerARN, o.TargetGroupARN = "", false, "", ""
			},
			want: []string{
				"ScalableTarget prod-api: Service prod-api ARN",
				"ScalingPolicy prod-api-cpu: ScalableTarget prod-api synced",
				"ScalingPolicy prod-api-requests: ScalableTarget prod-api synced and LoadBalancer prod-alb ARN and TargetGroup prod-api ARN",
			},
		},
		{
			name: "a scalable target that is not synced holds back the policies",
			obs:  func(o *Observed) { o.ScalableTargetSynced = false },
			want: []string{
				"ScalingPolicy prod-api-cpu: ScalableTarget prod-api synced",
				"ScalingPolicy prod-api-requests: ScalableTarget prod-api synced",
			},
		},
		{
			name: "the request policy also waits for the target group's ARN",
			obs:  func(o *Observed) { o.TargetGroupARN = "" },
			want: []string{"ScalingPolicy prod-api-requests: TargetGroup prod-api ARN"},
		},
		{
			name: "ARNs of an unexpected form hold back the request policy",
			obs:  func(o *Observed) { o.TargetGroupARN = "arn:aws:elasticloadbalancing:us-east-1:123456789012:something" },
			want: []string{"ScalingPolicy prod-api-requests: LoadBalancer and TargetGroup ARNs of the expected form"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			obs := observedAll()
			tt.obs(&obs)
			var got []string
			for _, w := range mustBuild(t, stack, obs).Waiting {
				if w.Family == FamilyAutoscaling {
					got = append(got, w.Kind+" "+w.Name+": "+w.WaitsFor)
				}
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("autoscaling waits = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestALBResourceLabel(t *testing.T) {
	tests := []struct {
		name, lb, tg, want string
	}{
		{
			name: "the label joins the load balancer part and the target group part",
			lb:   "arn:aws:elasticloadbalancing:eu-central-1:123456789012:loadbalancer/app/docs-alb/50dc6c495c0c9188",
			tg:   "arn:aws:elasticloadbalancing:eu-central-1:123456789012:targetgroup/docs-api/73e2d6bc24d8a067",
			want: "app/docs-alb/50dc6c495c0c9188/targetgroup/docs-api/73e2d6bc24d8a067",
		},
		{name: "a missing load balancer ARN gives no label", tg: "arn:aws:elasticloadbalancing:eu-central-1:123456789012:targetgroup/docs-api/73e2d6bc24d8a067"},
		{name: "a target group ARN without its resource gives no label", lb: "arn:aws:elasticloadbalancing:eu-central-1:123456789012:loadbalancer/app/docs-alb/1", tg: "arn:aws:elasticloadbalancing:eu-central-1:123456789012:targetgroup/"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := albResourceLabel(tt.lb, tt.tg); got != tt.want {
				t.Errorf("albResourceLabel() = %q, want %q", got, tt.want)
			}
		})
	}
}
