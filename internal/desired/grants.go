package desired

import (
	"slices"
	"strings"

	"github.com/docuflow/docuflow-operator/internal/ack/core"
	iamv1alpha1 "github.com/docuflow/docuflow-operator/internal/ack/iam/v1alpha1"
)

// ForeignGrants returns what a live child grants beyond what the stack
// renders for it, as a JSON merge patch of the child that takes it away, and
// a phrase naming it; nil when there is nothing. Server-side apply leaves
// alone the fields another writer owns, so a grant added by anyone who may
// edit ACK objects would otherwise stay: the stack owns these fields whole
// (security review M3). Only IAM roles grant: managed policies attached (the
// stack attaches none), inline policies under names the stack does not use,
// and a permissions boundary other than the installation's.
func ForeignGrants(want, live core.Object) (map[string]any, string) {
	w, ok := want.(*iamv1alpha1.Role)
	l, ok2 := live.(*iamv1alpha1.Role)
	if !ok || !ok2 {
		return nil, ""
	}
	spec := map[string]any{}
	var what []string
	if extra := extraPolicies(w.Spec.Policies, l.Spec.Policies); len(extra) > 0 {
		if len(w.Spec.Policies) == 0 {
			spec["policies"] = nil
		} else {
			spec["policies"] = w.Spec.Policies
		}
		what = append(what, "managed policies "+strings.Join(extra, ", "))
	}
	var names []string
	for name := range l.Spec.InlinePolicies {
		if _, ours := w.Spec.InlinePolicies[name]; !ours {
			names = append(names, name)
		}
	}
	if len(names) > 0 {
		slices.Sort(names)
		drop := map[string]any{}
		for _, n := range names {
			drop[n] = nil
		}
		spec["inlinePolicies"] = drop
		what = append(what, "inline policies "+strings.Join(names, ", "))
	}
	if l.Spec.PermissionsBoundary != nil && *l.Spec.PermissionsBoundary != "" && w.Spec.PermissionsBoundary == nil {
		spec["permissionsBoundary"] = nil
		what = append(what, "permissions boundary "+*l.Spec.PermissionsBoundary)
	}
	if len(what) == 0 {
		return nil, ""
	}
	return map[string]any{"spec": spec}, strings.Join(what, "; ")
}

// extraPolicies lists the entries of live that want does not hold.
func extraPolicies(want, live []*string) []string {
	var extra []string
	for _, p := range live {
		if p == nil || *p == "" {
			continue
		}
		if !slices.ContainsFunc(want, func(q *string) bool { return q != nil && *q == *p }) {
			extra = append(extra, *p)
		}
	}
	return extra
}
