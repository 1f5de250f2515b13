package ack

import (
	"k8s.io/apimachinery/pkg/runtime"

	applicationautoscalingv1alpha1 "github.com/docuflow/docuflow-operator/internal/ack/applicationautoscaling/v1alpha1"
	cloudwatchv1alpha1 "github.com/docuflow/docuflow-operator/internal/ack/cloudwatch/v1alpha1"
	cloudwatchlogsv1alpha1 "github.com/docuflow/docuflow-operator/internal/ack/cloudwatchlogs/v1alpha1"
	"github.com/docuflow/docuflow-operator/internal/ack/core"
	ec2v1alpha1 "github.com/docuflow/docuflow-operator/internal/ack/ec2/v1alpha1"
	ecsv1alpha1 "github.com/docuflow/docuflow-operator/internal/ack/ecs/v1alpha1"
	elbv2v1alpha1 "github.com/docuflow/docuflow-operator/internal/ack/elbv2/v1alpha1"
	iamv1alpha1 "github.com/docuflow/docuflow-operator/internal/ack/iam/v1alpha1"
	rdsv1alpha1 "github.com/docuflow/docuflow-operator/internal/ack/rds/v1alpha1"
)

// AddToScheme registers every mirrored ACK kind.
func AddToScheme(s *runtime.Scheme) error {
	for _, add := range []func(*runtime.Scheme) error{
		iamv1alpha1.AddToScheme,
		cloudwatchlogsv1alpha1.AddToScheme,
		ec2v1alpha1.AddToScheme,
		rdsv1alpha1.AddToScheme,
		elbv2v1alpha1.AddToScheme,
		ecsv1alpha1.AddToScheme,
		applicationautoscalingv1alpha1.AddToScheme,
		cloudwatchv1alpha1.AddToScheme,
	} {
		if err := add(s); err != nil {
			return err
		}
	}
	return nil
}

// Kinds returns one empty object of every mirrored kind, in dependency order:
// a kind never depends on one listed after it, except where the kinds form a
// cycle that only instances break. RouteTable routes may target a NATGateway
// (which needs a Subnet) or a VPCEndpoint, and SecurityGroup rules may name
// other SecurityGroups; RouteTable comes before Subnet because AWS refuses to
// delete a route table that subnets are still associated with.
func Kinds() []core.Object {
	return []core.Object{
		&iamv1alpha1.Role{},
		&cloudwatchlogsv1alpha1.LogGroup{},
		&ec2v1alpha1.VPC{},
		&ec2v1alpha1.InternetGateway{},
		&ec2v1alpha1.ElasticIPAddress{},
		&ec2v1alpha1.RouteTable{},
		&ec2v1alpha1.Subnet{},
		&ec2v1alpha1.NATGateway{},
		&ec2v1alpha1.SecurityGroup{},
		&ec2v1alpha1.VPCEndpoint{},
		&ec2v1alpha1.FlowLog{},
		&rdsv1alpha1.DBSubnetGroup{},
		&rdsv1alpha1.DBParameterGroup{},
		&rdsv1alpha1.DBInstance{},
		&elbv2v1alpha1.LoadBalancer{},
		&elbv2v1alpha1.TargetGroup{},
		&elbv2v1alpha1.Listener{},
		&ecsv1alpha1.Cluster{},
		&ecsv1alpha1.TaskDefinition{},
		&ecsv1alpha1.Service{},
		&applicationautoscalingv1alpha1.ScalableTarget{},
		&applicationautoscalingv1alpha1.ScalingPolicy{},
		&cloudwatchv1alpha1.MetricAlarm{},
	}
}
