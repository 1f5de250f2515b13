package desired

import (
	"slices"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	applicationautoscalingv1alpha1 "github.com/docuflow/docuflow-operator/internal/ack/applicationautoscaling/v1alpha1"
)

// Components of the autoscaling family.
const (
	componentScalableTarget = "api"
	componentCPUPolicy      = "api-cpu"
	componentMemoryPolicy   = "api-memory"
	componentRequestsPolicy = "api-requests"
)

// Application Auto Scaling identifiers of an ECS service's task count.
const (
	scalingNamespace = "ecs"
	scalingDimension = "ecs:service:DesiredCount"
	policyType       = "TargetTrackingScaling"

	defaultTargetCPUPercent        = 60
	defaultScaleInCooldownSeconds  = 300
	defaultScaleOutCooldownSeconds = 60
)

// autoscalingMeta is the TypeMeta of an Application Auto Scaling kind.
func autoscalingMeta(kind string) metav1.TypeMeta {
	return metav1.TypeMeta{APIVersion: applicationautoscalingv1alpha1.GroupVersion.String(), Kind: kind}
}

// scalingResourceID is the ECS service as Application Auto Scaling names it.
func (b *builder) scalingResourceID() string {
	return "service/" + b.clusterName() + "/" + b.serviceName()
}

// albResourceLabel is the ALBRequestCountPerTarget resource label,
// app/<lb-name>/<lb-id>/targetgroup/<tg-name>/<tg-id>, or "" when either ARN
// is not in the expected form.
func albResourceLabel(lbARN, tgARN string) string {
	lb := loadBalancerDimension(lbARN)
	tg := targetGroupDimension(tgARN)
	if lb == "" || tg == "" {
		return ""
	}
	return lb + "/" + tg
}

// loadBalancerDimension is the part of a load balancer ARN after
// "loadbalancer/", app/<name>/<id>: CloudWatch's LoadBalancer dimension.
func loadBalancerDimension(arn string) string {
	_, rest, ok := strings.Cut(arn, ":loadbalancer/")
	if !ok || rest == "" {
		return ""
	}
	return rest
}

// targetGroupDimension is the part of a target group ARN from
// "targetgroup/", targetgroup/<name>/<id>: CloudWatch's TargetGroup dimension.
func targetGroupDimension(arn string) string {
	i := strings.Index(arn, ":targetgroup/")
	if i < 0 || len(arn) == i+len(":targetgroup/") {
		return ""
	}
	return arn[i+1:]
}

// autoscaling renders the scalable target over the service's task count and
// the target tracking policies on it. The target waits until the ECS service
// exists in AWS (registering a target for a missing service fails), and the
// policies until the target is synced (a policy has no ref to its target).
func (b *builder) autoscaling() {
	targetName := b.name(componentScalableTarget, KubernetesName)
	if b.obs.ServiceARN == "" {
		b.wait(FamilyAutoscaling, "ScalableTarget", targetName, "Service "+b.name(componentService, KubernetesName)+" ARN")
	} else {
		target := &applicationautoscalingv1alpha1.ScalableTarget{
			TypeMeta:   autoscalingMeta("ScalableTarget"),
			ObjectMeta: objectMeta(b.stack, FamilyAutoscaling, componentScalableTarget),
			Spec: applicationautoscalingv1alpha1.ScalableTargetSpec{
				ServiceNamespace:  ptrTo(scalingNamespace),
				ResourceID:        ptrTo(b.scalingResourceID()),
				ScalableDimension: ptrTo(scalingDimension),
				MinCapacity:       ptrTo(int64(b.s.MinTasks)),
				MaxCapacity:       ptrTo(int64(b.s.MaxTasks)),
			},
		}
		// The target names the service by its resource ID; there is no
		// reference field.
		b.uses(target, Key{"Service", b.name(componentService, KubernetesName)})
		b.emit(target)
	}

	as := b.stack.Spec.Autoscaling
	var unsynced []string
	if !b.obs.ScalableTargetSynced {
		unsynced = []string{"ScalableTarget " + targetName + " synced"}
	}
	b.policy(componentCPUPolicy, "ECSServiceAverageCPUUtilization", orDefault(as.TargetCPUPercent, defaultTargetCPUPercent), "", unsynced)
	if as.TargetMemoryPercent != nil {
		b.policy(componentMemoryPolicy, "ECSServiceAverageMemoryUtilization", *as.TargetMemoryPercent, "", unsynced)
	}
	if as.RequestsPerTarget != nil {
		missing := slices.Clone(unsynced)
		if b.obs.LoadBalancerARN == "" {
			missing = append(missing, "LoadBalancer "+b.name(componentLoadBalancer, KubernetesName)+" ARN")
		}
		if b.obs.TargetGroupARN == "" {
			missing = append(missing, "TargetGroup "+b.name(componentTargetGroup, KubernetesName)+" ARN")
		}
		label := albResourceLabel(b.obs.LoadBalancerARN, b.obs.TargetGroupARN)
		if b.obs.LoadBalancerARN != "" && b.obs.TargetGroupARN != "" && label == "" {
			missing = append(missing, "LoadBalancer and TargetGroup ARNs of the expected form")
		}
		b.policy(componentRequestsPolicy, "ALBRequestCountPerTarget", *as.RequestsPerTarget, label, missing)
	}
}

// policy renders one target tracking policy, or records it as waiting for
// the missing values.
func (b *builder) policy(component, metric string, target int32, resourceLabel string, missing []string) {
	name := b.name(component, KubernetesName)
	if len(missing) > 0 {
		b.wait(FamilyAutoscaling, "ScalingPolicy", name, missing...)
		return
	}
	as := b.stack.Spec.Autoscaling
	spec := &applicationautoscalingv1alpha1.PredefinedMetricSpecification{PredefinedMetricType: ptrTo(metric)}
	if resourceLabel != "" {
		spec.ResourceLabel = ptrTo(resourceLabel)
	}
	policy := &applicationautoscalingv1alpha1.ScalingPolicy{
		TypeMeta:   autoscalingMeta("ScalingPolicy"),
		ObjectMeta: objectMeta(b.stack, FamilyAutoscaling, component),
		Spec: applicationautoscalingv1alpha1.ScalingPolicySpec{
			PolicyName:        ptrTo(b.awsName(component, ECSName)),
			ServiceNamespace:  ptrTo(scalingNamespace),
			ResourceID:        ptrTo(b.scalingResourceID()),
			ScalableDimension: ptrTo(scalingDimension),
			PolicyType:        ptrTo(policyType),
			TargetTrackingScalingPolicyConfiguration: &applicationautoscalingv1alpha1.TargetTrackingScalingPolicyConfiguration{
				TargetValue:                   ptrTo(float64(target)),
				PredefinedMetricSpecification: spec,
				ScaleInCooldown:               ptrTo(int64(orDefault(as.ScaleInCooldownSeconds, defaultScaleInCooldownSeconds))),
				ScaleOutCooldown:              ptrTo(int64(orDefault(as.ScaleOutCooldownSeconds, defaultScaleOutCooldownSeconds))),
			},
		},
	}
	b.uses(policy, Key{"ScalableTarget", b.name(componentScalableTarget, KubernetesName)})
	if resourceLabel != "" {
		b.uses(policy, Key{"LoadBalancer", b.name(componentLoadBalancer, KubernetesName)}, Key{"TargetGroup", b.name(componentTargetGroup, KubernetesName)})
	}
	b.emit(policy)
}
