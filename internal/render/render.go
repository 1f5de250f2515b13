// Package render turns a DocuFlowStack into the complete set of ACK objects the
// operator creates for it once every dependency is ready, without a cluster:
// it alternates the pure builders with the simulated ACK until nothing waits.
package render

import (
	"bytes"
	"context"
	"fmt"
	"reflect"

	"sigs.k8s.io/yaml"

	platformv1alpha1 "github.com/docuflow/docuflow-operator/api/v1alpha1"
	"github.com/docuflow/docuflow-operator/internal/ack/core"
	"github.com/docuflow/docuflow-operator/internal/acksim"
	"github.com/docuflow/docuflow-operator/internal/desired"
	"github.com/docuflow/docuflow-operator/internal/writecheck"
)

// maxRounds bounds the build/observe alternation; each round unblocks at least
// one waiting child, and the longest chain (VPC → flow-log role → flow log, or
// role and database → task definition → service → scalable target → policy)
// is well below it.
const maxRounds = 12

// Stack renders every ACK object the operator creates for the stack once all
// its dependencies are ready, in dependency order. Values only AWS knows come
// from the simulated ACK.
func Stack(ctx context.Context, stack *platformv1alpha1.DocuFlowStack) ([]core.Object, error) {
	var obs desired.Observed
	var previous []core.Object
	var settleErr error
	for range maxRounds {
		res, err := desired.Build(stack, obs)
		if err != nil {
			return nil, err
		}
		// Done when nothing waits and the rendering is a fixed point. (Not
		// when the observations repeat: each round settles afresh, and the
		// times in them, such as when ACK last synced the service, move with
		// the clock.)
		if len(res.Waiting) == 0 && reflect.DeepEqual(res.Objects, previous) {
			if settleErr != nil {
				return nil, settleErr
			}
			return res.Objects, nil
		}
		previous = res.Objects
		// References into children still waiting cannot resolve yet; the next
		// round renders those children, so Settle's error only counts at the end.
		var settled []core.Object
		settled, settleErr = acksim.Settle(ctx, res.Objects, acksim.Options{Region: stack.Spec.Region})
		if settled == nil && settleErr != nil {
			return nil, settleErr
		}
		obs = desired.ReadBuildInputs(stack, settled)
	}
	return nil, fmt.Errorf("rendering DocuFlowStack %s/%s: children still wait after %d rounds", stack.Namespace, stack.Name, maxRounds)
}

// YAML writes objects as a multi-document YAML stream in the form the operator
// applies them: no status, no server-set metadata.
func YAML(objs []core.Object) ([]byte, error) {
	var buf bytes.Buffer
	for i, o := range objs {
		u, err := writecheck.ToUnstructured(o)
		if err != nil {
			return nil, err
		}
		b, err := yaml.Marshal(u.Object)
		if err != nil {
			return nil, fmt.Errorf("writing %s as YAML: %w", o.GetName(), err)
		}
		if i > 0 {
			buf.WriteString("---\n")
		}
		buf.Write(b)
	}
	return buf.Bytes(), nil
}
