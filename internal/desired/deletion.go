package desired

import (
	"slices"
	"strings"

	ackv1alpha1 "github.com/aws-controllers-k8s/runtime/apis/core/v1alpha1"
	"k8s.io/utils/ptr"

	platformv1alpha1 "github.com/docuflow/docuflow-operator/api/v1alpha1"
	"github.com/docuflow/docuflow-operator/internal/ack/core"
	elbv2v1alpha1 "github.com/docuflow/docuflow-operator/internal/ack/elbv2/v1alpha1"
	rdsv1alpha1 "github.com/docuflow/docuflow-operator/internal/ack/rds/v1alpha1"
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
			ann[AnnotationDeletionPolicy] = string(ackv1alpha1.DeletionPolicyRetain)
			o.SetAnnotations(ann)
		}
	}
}

// DeletionStep is what must change on a child before the operator deletes
// it, or releases it under deletionPolicy Retain.
type DeletionStep struct {
	// Annotations to set.
	Annotations map[string]string
	// Spec holds spec fields to change; ACK must report them synced, and
	// act on them, before the child is deleted.
	Spec map[string]any
	// Note says what the step does, for the Deleting condition.
	Note string
}

// PrepareForDeletion returns the step a child needs before it is deleted
// under policy (or, with retain, released), or nil once none is left:
//   - released: ACK's retain annotation, so ACK leaves it in AWS;
//   - deleted: ACK's read-only hold lifted (a read-only resource is left in
//     AWS when its object is deleted), deletion protection switched off on
//     the database and the load balancer, and for the database the
//     final-snapshot annotations policy asks for.
func PrepareForDeletion(obj core.Object, policy platformv1alpha1.DeletionPolicy, retain bool) *DeletionStep {
	if retain {
		if obj.GetAnnotations()[AnnotationDeletionPolicy] == string(ackv1alpha1.DeletionPolicyRetain) {
			return nil
		}
		return &DeletionStep{Annotations: map[string]string{AnnotationDeletionPolicy: string(ackv1alpha1.DeletionPolicyRetain)}, Note: "marking it retained"}
	}
	step := &DeletionStep{Annotations: map[string]string{}}
	var notes []string
	if _, probe := IsProbe(obj); !probe && strings.EqualFold(obj.GetAnnotations()[AnnotationReadOnly], "true") {
		step.Annotations[AnnotationReadOnly] = "false"
		notes = append(notes, "lifting ACK's read-only hold")
	}
	switch o := obj.(type) {
	case *rdsv1alpha1.DBInstance:
		if policy == platformv1alpha1.DeletionPolicyDelete {
			for k, v := range map[string]string{AnnotationSkipFinalSnapshot: "true", AnnotationDeleteAutomatedBackups: "true"} {
				if o.GetAnnotations()[k] != v {
					step.Annotations[k] = v
				}
			}
		}
		if ptr.Deref(o.Spec.DeletionProtection, false) {
			step.Spec = map[string]any{"deletionProtection": false}
			notes = append(notes, "switching off deletion protection")
		}
	case *elbv2v1alpha1.LoadBalancer:
		if attributeValue(o.Spec.Attributes, attributeDeletionProtection) == "true" {
			attrs := make([]any, 0, len(o.Spec.Attributes))
			for _, a := range o.Spec.Attributes {
				v := ptr.Deref(a.Value, "")
				if ptr.Deref(a.Key, "") == attributeDeletionProtection {
					v = "false"
				}
				attrs = append(attrs, map[string]any{"key": ptr.Deref(a.Key, ""), "value": v})
			}
			step.Spec = map[string]any{"attributes": attrs}
			notes = append(notes, "switching off deletion protection")
		}
	}
	if len(step.Annotations) == 0 && step.Spec == nil {
		return nil
	}
	step.Note = strings.Join(notes, " and ")
	if step.Note == "" {
		step.Note = "setting the final snapshot annotations"
	}
	return step
}

// attributeValue is the value of the load balancer attribute key, or "".
func attributeValue(attrs []*elbv2v1alpha1.LoadBalancerAttribute, key string) string {
	for _, a := range attrs {
		if a != nil && ptr.Deref(a.Key, "") == key {
			return ptr.Deref(a.Value, "")
		}
	}
	return ""
}

// RecordedDeletionPolicy reads the deletion policy the stack's database was
// last applied with from the DBInstance child's own annotations: what a
// deletion must honour, whatever the spec says by the time it runs (an edit
// from Retain to Delete after the deletion started must not destroy the
// database or its backups). False when the stack has no such child.
func RecordedDeletionPolicy(stack *platformv1alpha1.DocuFlowStack, children []core.Object) (platformv1alpha1.DeletionPolicy, bool) {
	want := Name(stack.Name, componentDB, KubernetesName)
	for _, c := range children {
		db, ok := c.(*rdsv1alpha1.DBInstance)
		if !ok || db.Name != want || db.Namespace != stack.Namespace {
			continue
		}
		a := db.GetAnnotations()
		switch {
		case a[AnnotationDeletionPolicy] == string(ackv1alpha1.DeletionPolicyRetain):
			return platformv1alpha1.DeletionPolicyRetain, true
		case a[AnnotationDeletionPolicy] == string(ackv1alpha1.DeletionPolicyDelete) && a[AnnotationSkipFinalSnapshot] == "true":
			return platformv1alpha1.DeletionPolicyDelete, true
		case a[AnnotationDeletionPolicy] == string(ackv1alpha1.DeletionPolicyDelete):
			return platformv1alpha1.DeletionPolicySnapshot, true
		}
	}
	return "", false
}
