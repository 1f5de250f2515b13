package plan

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"golang.org/x/sync/errgroup"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	platformv1alpha1 "github.com/docuflow/docuflow-operator/api/v1alpha1"
	"github.com/docuflow/docuflow-operator/controllers"
	"github.com/docuflow/docuflow-operator/internal/ack/core"
	iamv1alpha1 "github.com/docuflow/docuflow-operator/internal/ack/iam/v1alpha1"
	"github.com/docuflow/docuflow-operator/internal/desired"
	"github.com/docuflow/docuflow-operator/internal/trace"
)

// Options are how a plan renders the stack: as the operator installation
// does.
type Options struct {
	// FieldManager is the field manager the stack itself is applied with in
	// the server-side dry run: the one of the apply being planned (kubectl's
	// is "kubectl"), so that the fields it leaves out are removed exactly
	// as that apply removes them.
	FieldManager string
	// InstallationID is the operator's --installation-id: it names the AWS
	// resources of a stack the operator has not reconciled yet.
	InstallationID string
	// Platform is what the operator's installation sets (its
	// --iam-permissions-boundary). Nil: read from the stack's live roles,
	// which carry it.
	Platform *desired.Platform
	// Scheme holds DocuFlowStack and every ACK kind.
	Scheme *runtime.Scheme
	// Price prices a stack by the month; nil leaves the cost out.
	Price Pricer
}

// Against plans the stack (manifest, as the file holds it, and stack, the
// same validated and defaulted offline) against the cluster c: the
// server-side dry run of the stack, the operator's pass over the live
// children, a server-side dry run of every child the operator would write,
// with its field manager and force, and the live children it would prune.
// An error means no plan could be made; a stack the API server refuses is a
// plan with Refused set.
func Against(ctx context.Context, c client.Client, manifest *unstructured.Unstructured, stack *platformv1alpha1.DocuFlowStack, o Options) (Plan, error) {
	key := client.ObjectKey{Namespace: manifest.GetNamespace(), Name: manifest.GetName()}
	var before *platformv1alpha1.DocuFlowStack
	live := &platformv1alpha1.DocuFlowStack{}
	switch err := c.Get(ctx, key, live); {
	case err == nil:
		before = live
	case apierrors.IsNotFound(err):
	default:
		return Plan{}, fmt.Errorf("reading DocuFlowStack %s: %w", key, err)
	}
	if before != nil && !before.DeletionTimestamp.IsZero() {
		return Plan{}, fmt.Errorf("DocuFlowStack %s is being deleted: there is nothing to plan until it is gone", key)
	}

	// The stack first, as the apply being planned sends it: the CRD's CEL
	// transition rules and the admission policies judge the change itself.
	u := manifest.DeepCopy()
	refused := ""
	planned := &platformv1alpha1.DocuFlowStack{}
	err := c.Apply(ctx, client.ApplyConfigurationFromUnstructured(u), client.DryRunAll, client.FieldOwner(o.FieldManager), client.ForceOwnership)
	switch {
	case err == nil:
		if err := runtime.DefaultUnstructuredConverter.FromUnstructured(u.Object, planned); err != nil {
			return Plan{}, fmt.Errorf("decoding the dry run of DocuFlowStack %s: %w", key, err)
		}
	case apierrors.IsInvalid(err) || apierrors.IsForbidden(err) && strings.Contains(err.Error(), "ValidatingAdmissionPolicy"):
		// What it would have meant: the stack as written, with what the
		// cluster keeps on it (its identity, its AWS-name record, its
		// status).
		refused = err.Error()
		planned = stack.DeepCopy()
		if before != nil {
			planned.UID, planned.ResourceVersion, planned.Generation = before.UID, before.ResourceVersion, before.Generation
			if v, ok := before.Annotations[desired.AnnotationAWSNames]; ok {
				metav1.SetMetaDataAnnotation(&planned.ObjectMeta, desired.AnnotationAWSNames, v)
			}
			planned.Status = *before.Status.DeepCopy()
		} else {
			// A stack the cluster never stored has no UID; its children's
			// dry runs need one for their controller reference.
			planned.UID = "00000000-0000-0000-0000-000000000000"
		}
	default:
		return Plan{}, fmt.Errorf("server-side dry run of DocuFlowStack %s: %w", key, err)
	}

	var children []core.Object
	var missing []string
	if before != nil {
		if children, missing, err = trace.ReadChildren(ctx, c, before); err != nil {
			return Plan{}, err
		}
	}
	platform, inferred := platformOf(o.Platform, children)
	r := &controllers.DocuFlowStackReconciler{Scheme: o.Scheme, InstallationID: o.InstallationID, Platform: platform}
	pv, err := r.Preview(planned, children)
	if err != nil {
		return Plan{}, fmt.Errorf("rendering DocuFlowStack %s as the operator would: %w", key, err)
	}
	runs, err := dryRunChildren(ctx, c, pv.Writes)
	if err != nil {
		return Plan{}, err
	}
	p := Make(Input{Preview: pv, Children: children, DryRuns: runs})
	p.Refused = refused
	if refused == "" {
		p.Check = fmt.Sprintf("accepted by the API server (server-side dry run as field manager %q)", o.FieldManager)
	}
	if inferred != "" {
		p.Notes = append(p.Notes, "IAM permissions boundary "+inferred+", as the stack's live roles carry it (--iam-permissions-boundary says otherwise).")
	}
	if len(missing) > 0 {
		p.Notes = append(p.Notes, "The cluster has no CRD for "+strings.Join(missing, ", ")+": install the ACK controllers that serve them.")
	}
	p.Cost = costDelta(o.Price, before, pv.Stack)
	return p, nil
}

// Offline plans the stack against an empty cluster: every child is
// created, the ones whose inputs only AWS knows once those exist.
func Offline(stack *platformv1alpha1.DocuFlowStack, o Options) (Plan, error) {
	platform, _ := platformOf(o.Platform, nil)
	r := &controllers.DocuFlowStackReconciler{Scheme: o.Scheme, InstallationID: o.InstallationID, Platform: platform}
	pv, err := r.Preview(stack, nil)
	if err != nil {
		return Plan{}, fmt.Errorf("rendering DocuFlowStack %s/%s as the operator would: %w", stack.Namespace, stack.Name, err)
	}
	p := Make(Input{Preview: pv})
	p.Offline = true
	p.Check = "valid for the CRD's schema and rules, checked offline as a new stack"
	p.Cost = costDelta(o.Price, nil, pv.Stack)
	return p, nil
}

// dryRunConcurrency is how many child dry runs are in flight at once.
const dryRunConcurrency = 8

// dryRunChildren applies every write's body in a server-side dry run, as the
// operator applies it: its field manager, force. The answers are kept per
// child; only a failure to reach the API server at all is an error.
func dryRunChildren(ctx context.Context, c client.Client, writes []controllers.PreviewWrite) (map[desired.Key]DryRun, error) {
	runs := make([]DryRun, len(writes))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(dryRunConcurrency)
	for i, w := range writes {
		if w.Body == nil {
			continue
		}
		g.Go(func() error {
			u := w.Body.DeepCopy()
			err := c.Apply(gctx, client.ApplyConfigurationFromUnstructured(u), client.DryRunAll, client.FieldOwner(controllers.FieldManager), client.ForceOwnership)
			if err != nil && !answered(err) {
				return fmt.Errorf("server-side dry run of %s %s: %w", w.Kind, w.Name, err)
			}
			runs[i] = DryRun{After: u.Object, Err: err}
			if err != nil {
				runs[i].After = nil
			}
			if w.Live == nil {
				return nil
			}
			live := &unstructured.Unstructured{}
			live.SetGroupVersionKind(w.Body.GroupVersionKind())
			switch err := c.Get(gctx, client.ObjectKey{Namespace: w.Body.GetNamespace(), Name: w.Name}, live); {
			case err == nil:
				runs[i].Live = live.Object
			case !apierrors.IsNotFound(err):
				return fmt.Errorf("reading %s %s: %w", w.Kind, w.Name, err)
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	out := map[desired.Key]DryRun{}
	for i, w := range writes {
		if w.Body != nil {
			out[desired.Key{Kind: w.Kind, Name: w.Name}] = runs[i]
		}
	}
	return out, nil
}

// answered reports whether the API server judged the request (a refusal
// the plan shows on the child) rather than failing to answer.
func answered(err error) bool {
	var status apierrors.APIStatus
	if errors.As(err, &status) {
		return !apierrors.IsTimeout(err) && !apierrors.IsServerTimeout(err) && !apierrors.IsServiceUnavailable(err) && !apierrors.IsUnauthorized(err)
	}
	return meta.IsNoMatchError(err)
}

// platformOf is the installation's settings: given, or read from the live
// roles (every role of a stack carries the installation's permissions
// boundary). inferred names a boundary read from the roles.
func platformOf(given *desired.Platform, children []core.Object) (p desired.Platform, inferred string) {
	if given != nil {
		return *given, ""
	}
	for _, c := range children {
		if r, ok := c.(*iamv1alpha1.Role); ok && r.Spec.PermissionsBoundary != nil && *r.Spec.PermissionsBoundary != "" {
			return desired.Platform{IAMPermissionsBoundary: *r.Spec.PermissionsBoundary}, *r.Spec.PermissionsBoundary
		}
	}
	return desired.Platform{}, ""
}
