package acksim

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/docuflow/docuflow-operator/internal/ack/core"
)

// The runtime's adoption annotations (pkg/runtime/util.go and apis/core of
// runtime v0.57 and v0.62).
const (
	annotationAdoptionPolicy = "services.k8s.aws/adoption-policy"
	annotationAdoptionFields = "services.k8s.aws/adoption-fields"
	annotationAdopted        = "services.k8s.aws/adopted"
)

// adopt is the runtime's adoption path (Sync with needAdoption, policy
// "adopt"): for an object with the adoption annotations that ACK has not
// adopted yet, it looks the resource up in the simulated AWS by its adoption
// field; missing, nothing is created and nothing is written; found, the
// object is marked adopted and AWS's values are written into its spec
// (setResourceManagedAndAdopted, then patchResourceMetadataAndSpec), as a
// JSON merge patch with the controller's field manager, and the status
// reports it. It reports whether the pass is over.
func (r *reconciler) adopt(ctx context.Context, key objKey, obj core.Object, now metav1.Time) (bool, ctrl.Result, error) {
	ann := obj.GetAnnotations()
	if ann[annotationAdoptionPolicy] != "adopt" || strings.EqualFold(ann[annotationAdopted], "true") {
		return false, ctrl.Result{}, nil
	}
	st := obj.ACKStatus()
	var fields map[string]string
	if err := json.Unmarshal([]byte(ann[annotationAdoptionFields]), &fields); err != nil || len(fields) == 0 {
		markTerminalOnly(st, fmt.Sprintf("invalid adoption fields: %q", ann[annotationAdoptionFields]), now)
		return true, ctrl.Result{}, nil
	}
	id := adoptionID(fields)
	spec, ok := r.sim.existingSpec(key.kind, id)
	if !ok {
		// The runtime returns AdoptedResourceNotFound with no resource, and
		// ensureConditions, given none, writes nothing: the object shows no
		// condition at all (test/e2e's behaviour test checks).
		return true, ctrl.Result{RequeueAfter: r.sim.opts.ReferenceRequeueInterval}, nil
	}
	latest := obj.DeepCopyObject().(core.Object)
	u, err := runtime.DefaultUnstructuredConverter.ToUnstructured(latest)
	if err != nil {
		return true, ctrl.Result{}, fmt.Errorf("converting %s: %w", key, err)
	}
	specMap, _ := u["spec"].(map[string]any)
	if specMap == nil {
		specMap = map[string]any{}
	}
	for k, v := range runtime.DeepCopyJSON(spec) {
		specMap[k] = v
	}
	u["spec"] = specMap
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(u, latest); err != nil {
		return true, ctrl.Result{}, fmt.Errorf("writing AWS's values into %s: %w", key, err)
	}
	a := latest.GetAnnotations()
	a[annotationAdopted] = "true"
	latest.SetAnnotations(a)
	if err := r.client.Patch(ctx, latest, client.MergeFrom(obj), client.FieldOwner(FieldManager)); err != nil {
		return true, ctrl.Result{}, fmt.Errorf("adopting %s: %w", key, err)
	}
	r.sim.state(key, latest.GetUID(), func(s *objState) {
		s.adoptedID, s.exists, s.synced = id, true, true
		s.generation, s.since = latest.GetGeneration(), now.Time
	})
	reflect.ValueOf(obj).Elem().Set(reflect.ValueOf(latest).Elem())
	// The adopting pass reads the resource and reports it (the runtime
	// ignores unresolvable references while it adopts): its status gets
	// the resource's AWS identity. From the next pass on, the IDs AWS's
	// values put beside the references make them unresolvable.
	o, err := r.observation(ctx, key, obj, resolution{}, true)
	if err != nil {
		return true, ctrl.Result{}, err
	}
	describe(obj, o)
	markSynced(obj.ACKStatus(), now)
	return true, ctrl.Result{}, nil
}

// adoptionID is the value of the adoption field that names the resource: the
// runtime's PopulateResourceFromAnnotation reads one primary field per kind
// (an ECS service's cluster comes with its name).
func adoptionID(fields map[string]string) string {
	for _, k := range []string{"vpcID", "subnetID", "internetGatewayID", "dbInstanceIdentifier", "name", "id", "arn"} {
		if v, ok := fields[k]; ok {
			return v
		}
	}
	return ""
}
