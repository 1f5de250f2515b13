package desired

import (
	"strings"

	ackv1alpha1 "github.com/aws-controllers-k8s/runtime/apis/core/v1alpha1"
	corev1 "k8s.io/api/core/v1"

	"github.com/docuflow/docuflow-operator/internal/ack/core"
	elbv2v1alpha1 "github.com/docuflow/docuflow-operator/internal/ack/elbv2/v1alpha1"
	rdsv1alpha1 "github.com/docuflow/docuflow-operator/internal/ack/rds/v1alpha1"
)

// Two children of a stack depend on ACK's IgnoreFieldDrift feature gate
// (Alpha, off unless the controller runs with --feature-gates
// IgnoreFieldDrift=true): the TargetGroup, whose registered targets the elbv2
// controller otherwise deregisters at every reconcile (ECS registers them,
// the spec never lists them), and the DBInstance with storage autoscaling,
// whose grown volume the rds controller otherwise tries to shrink back to
// spec.allocatedStorage (RDS refuses, and the instance goes Terminal).
//
// Nothing in ACK reports its feature gates, so the operator asks: a gate probe
// is a child that ACK can only answer one way with the gate on. It carries
// services.k8s.aws/ignore-field-drift with a malformed path, which a runtime
// with the gate on refuses as Terminal before anything else and before any AWS
// call; without the gate the annotation is ignored. The probe is also
// read-only (so ACK never creates it in AWS), retained on deletion (so ACK
// never deletes anything), and refers to a child that does not exist (so even
// a controller with read-only switched off stops at its references). It stays
// for the stack's lifetime, so a controller restarted without the gate shows
// at once.

// Gate is what a probe found out about one ACK controller's feature gate.
type Gate int

// The states of a Gate.
const (
	// GateUnknown means the controller has not answered the probe yet.
	GateUnknown Gate = iota
	// GateOn means the controller runs with the gate.
	GateOn
	// GateOff means the controller runs without it.
	GateOff
)

// Gate probe identity.
const (
	// AnnotationProbe marks a gate probe; its value names the controller
	// probed.
	AnnotationProbe = "platform.docuflow.io/probe"
	// probeMalformedPath is an ignore-field-drift path with an empty segment,
	// which the runtime's path check refuses.
	probeMalformedPath = "spec..docuflowGateProbe"
	// probeRefusalText is the start of the runtime's Terminal message for a
	// malformed ignore-field-drift path (runtime v0.62 reconciler Sync).
	probeRefusalText = "ignore-field-drift annotation contains malformed paths"
	// componentAbsent names a child no stack has, the probes' reference target.
	componentAbsent = "probe-absent"
)

// Probed controllers, the values of LabelProbe.
const (
	ProbeELBv2 = "elbv2"
	ProbeRDS   = "rds"
)

// gateProbes renders the probes of the gates the stack relies on.
func (b *builder) gateProbes() {
	absent := b.name(componentAbsent, KubernetesName)
	tg := &elbv2v1alpha1.TargetGroup{
		TypeMeta:   elbMeta("TargetGroup"),
		ObjectMeta: objectMeta(b.stack, FamilyLoadBalancer, "probe-"+ProbeELBv2),
		Spec: elbv2v1alpha1.TargetGroupSpec{
			Name:       ptrTo(b.name("probe-"+ProbeELBv2, ELBName)),
			TargetType: ptrTo("ip"),
			Protocol:   ptrTo("HTTP"),
			Port:       ptrTo(int64(80)),
			VPCRef:     ref(absent),
			Tags:       b.elbTags("probe-" + ProbeELBv2),
		},
	}
	b.markProbe(tg, ProbeELBv2)
	b.emit(tg)
	if !b.storageAutoscaling() {
		return
	}
	sg := &rdsv1alpha1.DBSubnetGroup{
		TypeMeta:   rdsMeta("DBSubnetGroup"),
		ObjectMeta: objectMeta(b.stack, FamilyDatabase, "probe-"+ProbeRDS),
		Spec: rdsv1alpha1.DBSubnetGroupSpec{
			Name:        ptrTo(b.name("probe-"+ProbeRDS, RDSName)),
			Description: ptrTo("DocuFlow feature gate probe; never created in AWS"),
			SubnetRefs:  refs(absent),
			Tags:        b.rdsTags("probe-" + ProbeRDS),
		},
	}
	b.markProbe(sg, ProbeRDS)
	b.emit(sg)
}

// markProbe makes obj a gate probe for the controller.
func (b *builder) markProbe(obj core.Object, controller string) {
	setAnnotation(obj, AnnotationProbe, controller)
	setAnnotation(obj, AnnotationReadOnly, "true")
	setAnnotation(obj, AnnotationIgnoreFieldDrift, probeMalformedPath)
	setAnnotation(obj, AnnotationDeletionPolicy, string(ackv1alpha1.DeletionPolicyRetain))
}

// IsProbe reports whether a child is a gate probe, and which controller it
// probes.
func IsProbe(obj core.Object) (string, bool) {
	c, ok := obj.GetAnnotations()[AnnotationProbe]
	return c, ok
}

// ProbeResult reads a gate probe's answer from the conditions ACK set on it.
func ProbeResult(obj core.Object) Gate {
	st := obj.ACKStatus()
	if len(st.Conditions) == 0 {
		return GateUnknown
	}
	if c := st.Condition(ackv1alpha1.ConditionTypeTerminal); c != nil && c.Status == corev1.ConditionTrue &&
		c.Message != nil && strings.Contains(*c.Message, probeRefusalText) {
		return GateOn
	}
	return GateOff
}

// storageAutoscaling reports whether RDS may grow the volume beyond
// allocatedStorage.
func (b *builder) storageAutoscaling() bool {
	return b.s.MaxStorageGiB > b.s.StorageGiB
}
