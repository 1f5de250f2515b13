package desired

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"

	"k8s.io/apimachinery/pkg/runtime"

	"github.com/docuflow/docuflow-operator/internal/ack"
	"github.com/docuflow/docuflow-operator/internal/ack/core"
	"github.com/docuflow/docuflow-operator/internal/writecheck"
)

// Annotations the operator writes on children to remember what it applied;
// package apply reads them to decide whether to write.
const (
	// AnnotationAppliedHash is the hash of the child's render (RenderHash).
	AnnotationAppliedHash = writecheck.AnnotationAppliedHash
	// AnnotationAppliedAt is when the operator last applied the child.
	AnnotationAppliedAt = writecheck.AnnotationAppliedAt
	// AnnotationReadOnly is ACK's read-only switch: ACK reads the resource
	// from AWS into the status but never updates it. The operator holds
	// the ECS Service read-only between its own deliberate changes, so that
	// neither a resync nor a restart of the ECS controller resets the task
	// count Application Auto Scaling chose or undoes a circuit-breaker
	// rollback (ecs-controller 1.2.1 has no ignore-field-drift).
	AnnotationReadOnly = writecheck.AnnotationReadOnly
)

// unhashed are the annotations that are not part of a render: the hash itself,
// the time of the write, and ACK's read-only switch, which the operator sets
// and lifts around a deliberate change without the change being one.
var unhashed = []string{AnnotationAppliedHash, AnnotationAppliedAt, AnnotationReadOnly}

// volatile are the spec fields of a kind that the operator writes but does not
// hash: values it carries from AWS (the ECS service's desired count, which
// Application Auto Scaling moves) rather than decides.
var volatile = map[string][]string{
	"Service": {"desiredCount"},
}

// RenderHash returns the hash of a child's render: its labels, its
// annotations but the unhashed ones, and its spec without the volatile
// fields. Two renders hash equally exactly when applying one over the other
// would change nothing the operator decides.
func RenderHash(obj core.Object) string {
	u, err := runtime.DefaultUnstructuredConverter.ToUnstructured(obj)
	if err != nil {
		panic("converting a rendered " + ack.KindOf(obj) + " to unstructured: " + err.Error())
	}
	ann := map[string]string{}
	for k, v := range obj.GetAnnotations() {
		ann[k] = v
	}
	for _, k := range unhashed {
		delete(ann, k)
	}
	spec, _ := u["spec"].(map[string]any)
	if fields := volatile[ack.KindOf(obj)]; len(fields) > 0 && spec != nil {
		trimmed := make(map[string]any, len(spec))
		for k, v := range spec {
			trimmed[k] = v
		}
		for _, f := range fields {
			delete(trimmed, f)
		}
		spec = trimmed
	}
	raw, err := json.Marshal(map[string]any{"labels": obj.GetLabels(), "annotations": ann, "spec": spec})
	if err != nil {
		panic("encoding a rendered " + ack.KindOf(obj) + ": " + err.Error())
	}
	sum := sha256.Sum256(raw)
	return hex.EncodeToString(sum[:16])
}

// markHashes writes AnnotationAppliedHash on every rendered object. It runs
// last, once every other annotation is in place.
func markHashes(objs []core.Object) {
	for _, o := range objs {
		setAnnotation(o, AnnotationAppliedHash, RenderHash(o))
	}
}
