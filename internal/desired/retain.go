package desired

import (
	"slices"
	"strings"

	platformv1alpha1 "github.com/docuflow/docuflow-operator/api/v1alpha1"
	"github.com/docuflow/docuflow-operator/internal/ack/core"
)

// Retained lists the children that deletionPolicy Retain keeps in AWS: the
// database and everything it needs to keep running and stay reachable from
// inside the VPC — its subnet and parameter groups, the VPC, the private
// subnets and their route tables, and the security groups. The service and
// load balancer groups stay too, because the database group's rules refer to
// them and AWS refuses to delete a group another group refers to.
func Retained(stack *platformv1alpha1.DocuFlowStack) []Key {
	b := &builder{stack: stack, s: Resolve(stack)}
	zones, err := carveZones(b.s.VPCCIDR, b.s.AvailabilityZones)
	if err != nil {
		return nil
	}
	b.zones = zones
	keys := []Key{
		{"DBInstance", b.name(componentDB, KubernetesName)},
		{"DBSubnetGroup", b.name(componentDBSubnets, KubernetesName)},
		{"DBParameterGroup", b.name(parameterGroupComponent(strings.SplitN(b.s.EngineVersion, ".", 2)[0]), KubernetesName)},
		{"VPC", b.name(componentVPC, KubernetesName)},
		{"SecurityGroup", b.name(componentDatabaseSG, KubernetesName)},
		{"SecurityGroup", b.name(componentServiceSG, KubernetesName)},
		{"SecurityGroup", b.name(componentLoadBalancerSG, KubernetesName)},
	}
	for _, n := range b.privateSubnetNames() {
		keys = append(keys, Key{"Subnet", n})
	}
	for _, n := range b.privateRouteTableNames() {
		keys = append(keys, Key{"RouteTable", n})
	}
	return keys
}

// markRetained puts ACK's retain annotation on the retained children from
// the start, so that no path that deletes them (a namespace deletion, a
// foreground cascade, a hand-run kubectl delete) can take the data with it.
func (b *builder) markRetained(objs []core.Object) {
	if b.s.DeletionPolicy != platformv1alpha1.DeletionPolicyRetain {
		return
	}
	keep := Retained(b.stack)
	for _, o := range objs {
		if slices.Contains(keep, Key{o.GetObjectKind().GroupVersionKind().Kind, o.GetName()}) {
			ann := o.GetAnnotations()
			if ann == nil {
				ann = map[string]string{}
			}
			ann[AnnotationDeletionPolicy] = "retain"
			o.SetAnnotations(ann)
		}
	}
}
