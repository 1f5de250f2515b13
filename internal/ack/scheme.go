package ack

import (
	"fmt"
	"sync"

	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

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

var (
	schemeOnce sync.Once
	scheme     *runtime.Scheme
)

// Scheme returns a scheme that knows every mirrored kind and nothing else.
func Scheme() *runtime.Scheme {
	schemeOnce.Do(func() {
		scheme = runtime.NewScheme()
		if err := AddToScheme(scheme); err != nil {
			panic(fmt.Sprintf("registering the ACK mirrors: %v", err))
		}
	})
	return scheme
}

// NewList returns an empty list object for the kind of obj.
func NewList(obj core.Object) (client.ObjectList, error) {
	gvks, _, err := Scheme().ObjectKinds(obj)
	if err != nil || len(gvks) == 0 {
		return nil, fmt.Errorf("%T is not a mirrored ACK kind: %w", obj, err)
	}
	gvk := gvks[0]
	gvk.Kind += "List"
	o, err := Scheme().New(gvk)
	if err != nil {
		return nil, fmt.Errorf("creating a %s: %w", gvk.Kind, err)
	}
	list, ok := o.(client.ObjectList)
	if !ok {
		return nil, fmt.Errorf("%s is not a list", gvk.Kind)
	}
	return list, nil
}

// Items returns the items of a list of mirrored objects.
func Items(list client.ObjectList) []core.Object {
	var out []core.Object
	_ = meta.EachListItem(list, func(o runtime.Object) error {
		if obj, ok := o.(core.Object); ok {
			out = append(out, obj)
		}
		return nil
	})
	return out
}

// kindOrder maps each kind's name to its place in Kinds.
var kindOrder = sync.OnceValue(func() map[string]int {
	out := map[string]int{}
	for i, k := range Kinds() {
		out[KindOf(k)] = i
	}
	return out
})

// KindIndex returns a kind's place in Kinds, or len(Kinds()) for a kind
// that is not mirrored.
func KindIndex(kind string) int {
	if i, ok := kindOrder()[kind]; ok {
		return i
	}
	return len(kindOrder())
}

// KindOf returns the Kind of a mirrored object: its TypeMeta when set (objects
// the builders make), else the scheme's (objects read from the API server).
func KindOf(obj core.Object) string {
	if k := obj.GetObjectKind().GroupVersionKind().Kind; k != "" {
		return k
	}
	gvks, _, err := Scheme().ObjectKinds(obj)
	if err != nil || len(gvks) == 0 {
		return fmt.Sprintf("%T", obj)
	}
	return gvks[0].Kind
}
