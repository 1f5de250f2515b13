package acksim

import (
	"crypto/sha256"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"

	ackv1alpha1 "github.com/aws-controllers-k8s/runtime/apis/core/v1alpha1"
	"k8s.io/utils/ptr"

	"github.com/docuflow/docuflow-operator/internal/ack/core"
	ecsv1alpha1 "github.com/docuflow/docuflow-operator/internal/ack/ecs/v1alpha1"
	elbv2v1alpha1 "github.com/docuflow/docuflow-operator/internal/ack/elbv2/v1alpha1"
)

// isReadOnly is the runtime's IsReadOnly: services.k8s.aws/read-only is
// "true" (ReadOnlyResources is a Beta gate, on by default).
func isReadOnly(obj core.Object) bool {
	return strings.EqualFold(obj.GetAnnotations()[ackv1alpha1.AnnotationReadOnly], "true")
}

// ignorePaths is the runtime's IgnoreFieldDriftPaths.
func ignorePaths(obj core.Object) []string {
	var out []string
	for _, p := range strings.Split(obj.GetAnnotations()[ackv1alpha1.AnnotationIgnoreFieldDrift], ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// fieldPathSegment is the runtime's check of one segment of an
// ignore-field-drift path.
var fieldPathSegment = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_]*$`)

// malformedIgnorePaths is the runtime's malformedIgnorePaths.
func malformedIgnorePaths(obj core.Object) []string {
	var bad []string
	for _, p := range ignorePaths(obj) {
		for _, seg := range strings.Split(p, ".") {
			if !fieldPathSegment.MatchString(seg) {
				bad = append(bad, p)
				break
			}
		}
	}
	sort.Strings(bad)
	return bad
}

// ignoresField reports whether the object's ignore-field-drift annotation
// lists path.
func ignoresField(obj core.Object, path string) bool {
	return slices.Contains(ignorePaths(obj), path)
}

// awsForm rewrites obj's spec as the real controller writes AWS's answer
// back, and reports whether anything changed. Only what the mirrors carry
// and the controllers rebuild is modelled: the ECS service's network
// configuration and load balancers (literal IDs and ARNs, references
// dropped), the ELBv2 listener's actions (the target group ARN with AWS's
// forwardConfig, a redirect's defaults filled in), and the task definition's
// environment in the order ECS keeps it.
func awsForm(obj core.Object, res resolution) bool {
	changed := false
	set := func(p **string, v string) {
		if v != "" && (*p == nil || **p != v) {
			*p = ptr.To(v)
			changed = true
		}
	}
	switch o := obj.(type) {
	case *ecsv1alpha1.Service:
		if nc := o.Spec.NetworkConfiguration; nc != nil && nc.AWSVPCConfiguration != nil {
			c := nc.AWSVPCConfiguration
			base := "spec.networkConfiguration.awsVPCConfiguration"
			if len(c.SubnetRefs) > 0 {
				c.Subnets, c.SubnetRefs, changed = strPtrs(res.values[base+".subnetRefs"]), nil, true
			}
			if len(c.SecurityGroupRefs) > 0 {
				c.SecurityGroups, c.SecurityGroupRefs, changed = strPtrs(res.values[base+".securityGroupRefs"]), nil, true
			}
		}
		for i, lb := range o.Spec.LoadBalancers {
			if lb != nil && lb.TargetGroupRef != nil {
				vs := res.values["spec.loadBalancers["+strconv.Itoa(i)+"].targetGroupRef"]
				if len(vs) > 0 {
					lb.TargetGroupARN = ptr.To(vs[0])
				}
				lb.TargetGroupRef, changed = nil, true
			}
		}
	case *elbv2v1alpha1.Listener:
		for i, a := range o.Spec.DefaultActions {
			if a == nil {
				continue
			}
			switch ptr.Deref(a.Type, "") {
			case "forward":
				arn := ptr.Deref(a.TargetGroupARN, "")
				if a.TargetGroupRef != nil {
					if vs := res.values["spec.defaultActions["+strconv.Itoa(i)+"].targetGroupRef"]; len(vs) > 0 {
						arn = vs[0]
					}
					a.TargetGroupRef, changed = nil, true
				}
				set(&a.TargetGroupARN, arn)
				want := &elbv2v1alpha1.ForwardActionConfig{
					TargetGroups:                []*elbv2v1alpha1.TargetGroupTuple{{TargetGroupARN: ptr.To(arn), Weight: ptr.To(int64(1))}},
					TargetGroupStickinessConfig: &elbv2v1alpha1.TargetGroupStickinessConfig{Enabled: ptr.To(false)},
				}
				if a.ForwardConfig == nil || !equalForward(a.ForwardConfig, want) {
					a.ForwardConfig, changed = want, true
				}
			case "redirect":
				if rc := a.RedirectConfig; rc != nil {
					if rc.Host == nil {
						set(&rc.Host, "#{host}")
					}
					if rc.Path == nil {
						set(&rc.Path, "/#{path}")
					}
					if rc.Query == nil {
						set(&rc.Query, "#{query}")
					}
				}
			}
		}
	case *ecsv1alpha1.TaskDefinition:
		for _, c := range o.Spec.ContainerDefinitions {
			if c == nil || len(c.Environment) < 2 {
				continue
			}
			env := slices.Clone(c.Environment)
			// ECS keeps the environment in an order of its own, stable
			// but not the order it was given in.
			slices.SortStableFunc(env, func(x, y *ecsv1alpha1.KeyValuePair) int {
				return strings.Compare(ecsOrder(ptr.Deref(x.Name, "")), ecsOrder(ptr.Deref(y.Name, "")))
			})
			if !slices.Equal(env, c.Environment) {
				c.Environment, changed = env, true
			}
		}
	}
	return changed
}

// ecsOrder is the key the simulated ECS orders an environment by.
func ecsOrder(name string) string {
	sum := sha256.Sum256([]byte(name))
	return string(sum[:4])
}

func equalForward(a, b *elbv2v1alpha1.ForwardActionConfig) bool {
	if len(a.TargetGroups) != len(b.TargetGroups) || a.TargetGroupStickinessConfig == nil ||
		ptr.Deref(a.TargetGroupStickinessConfig.Enabled, false) != ptr.Deref(b.TargetGroupStickinessConfig.Enabled, false) {
		return false
	}
	for i := range a.TargetGroups {
		x, y := a.TargetGroups[i], b.TargetGroups[i]
		if x == nil || ptr.Deref(x.TargetGroupARN, "") != ptr.Deref(y.TargetGroupARN, "") || ptr.Deref(x.Weight, 0) != ptr.Deref(y.Weight, 0) || x.TargetGroupRef != nil {
			return false
		}
	}
	return true
}

func strPtrs(in []string) []*string {
	out := make([]*string, 0, len(in))
	for _, s := range in {
		out = append(out, ptr.To(s))
	}
	return out
}
