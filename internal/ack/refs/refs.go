package refs

import (
	"fmt"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"sync"

	ackv1alpha1 "github.com/aws-controllers-k8s/runtime/apis/core/v1alpha1"

	"github.com/docuflow/docuflow-operator/internal/ack/core"
)

// Target is what a reference field resolves to (REFERENCE §13).
type Target struct {
	// Kind is the referenced ACK kind.
	Kind string
	// Group is the referenced kind's API group.
	Group string
	// Resource is the referenced kind's plural resource name.
	Resource string
	// Path is the JSON path of the value in the referenced object.
	Path []string
	// Field is the runtime's spelling of that path, used in its messages.
	Field string
	// SkipState skips the Synced and Terminal checks, as the ec2 controller
	// does for SecurityGroup groupRef so that groups can reference each other.
	SkipState bool
}

// ec2StatusField is a target in the status of an EC2 kind: every kind whose
// status holds a reference target is an EC2 one.
func ec2StatusField(kind, resource, jsonName, goName string) Target {
	return Target{Kind: kind, Group: ec2Group, Resource: resource, Path: []string{"status", jsonName}, Field: "Status." + goName}
}

func specField(kind, group, resource, jsonName, goName string) Target {
	return Target{Kind: kind, Group: group, Resource: resource, Path: []string{"spec", jsonName}, Field: "Spec." + goName}
}

func arnField(kind, group, resource string) Target {
	return Target{Kind: kind, Group: group, Resource: resource, Path: []string{"status", "ackResourceMetadata", "arn"}, Field: "Status.ACKResourceMetadata.ARN"}
}

const (
	ec2Group    = "ec2.services.k8s.aws"
	rdsGroup    = "rds.services.k8s.aws"
	iamGroup    = "iam.services.k8s.aws"
	ecsGroup    = "ecs.services.k8s.aws"
	elbv2Group  = "elbv2.services.k8s.aws"
	logsGroup   = "cloudwatchlogs.services.k8s.aws"
	kmsGroup    = "kms.services.k8s.aws"
	kmsResource = "keys"
)

var (
	vpcTarget    = ec2StatusField("VPC", "vpcs", "vpcID", "VPCID")
	subnetTarget = ec2StatusField("Subnet", "subnets", "subnetID", "SubnetID")
	sgTarget     = ec2StatusField("SecurityGroup", "securitygroups", "id", "ID")
	rtbTarget    = ec2StatusField("RouteTable", "routetables", "routeTableID", "RouteTableID")
	roleTarget   = arnField("Role", iamGroup, "roles")
	policyTarget = arnField("Policy", iamGroup, "policies")
	kmsTarget    = arnField("Key", kmsGroup, kmsResource)
	groupTarget  = func() Target { t := sgTarget; t.SkipState = true; return t }()
)

// Targets maps a reference field's JSON name, without its Ref or Refs
// suffix, to its target. The names mean the same thing in every mirrored kind.
var Targets = map[string]Target{
	"vpc":                        vpcTarget,
	"subnet":                     subnetTarget,
	"routeTable":                 rtbTarget,
	"securityGroup":              sgTarget,
	"vpcSecurityGroup":           sgTarget,
	"group":                      groupTarget,
	"gateway":                    ec2StatusField("InternetGateway", "internetgateways", "internetGatewayID", "InternetGatewayID"),
	"natGateway":                 ec2StatusField("NATGateway", "natgateways", "natGatewayID", "NATGatewayID"),
	"vpcEndpoint":                ec2StatusField("VPCEndpoint", "vpcendpoints", "vpcEndpointID", "VPCEndpointID"),
	"allocation":                 ec2StatusField("ElasticIPAddress", "elasticipaddresses", "allocationID", "AllocationID"),
	"dbSubnetGroup":              specField("DBSubnetGroup", rdsGroup, "dbsubnetgroups", "name", "Name"),
	"dbParameterGroup":           specField("DBParameterGroup", rdsGroup, "dbparametergroups", "name", "Name"),
	"logGroup":                   specField("LogGroup", logsGroup, "loggroups", "name", "Name"),
	"cluster":                    specField("Cluster", ecsGroup, "clusters", "name", "Name"),
	"taskDefinition":             specField("TaskDefinition", ecsGroup, "taskdefinitions", "family", "Family"),
	"role":                       roleTarget,
	"taskRole":                   roleTarget,
	"monitoringRole":             roleTarget,
	"deliverLogsPermission":      roleTarget,
	"policy":                     policyTarget,
	"permissionsBoundary":        policyTarget,
	"targetGroup":                arnField("TargetGroup", elbv2Group, "targetgroups"),
	"loadBalancer":               arnField("LoadBalancer", elbv2Group, "loadbalancers"),
	"listener":                   arnField("Listener", elbv2Group, "listeners"),
	"kmsKey":                     kmsTarget,
	"masterUserSecretKMSKey":     kmsTarget,
	"performanceInsightsKMSKey":  kmsTarget,
	"certificateAuthority":       arnField("CertificateAuthority", "acmpca.services.k8s.aws", "certificateauthorities"),
	"transitGateway":             ec2StatusField("TransitGateway", "transitgateways", "transitGatewayID", "TransitGatewayID"),
	"vpcPeeringConnection":       ec2StatusField("VPCPeeringConnection", "vpcpeeringconnections", "vpcPeeringConnectionID", "VPCPeeringConnectionID"),
	"service":                    ec2StatusField("VPCEndpointServiceConfiguration", "vpcendpointserviceconfigurations", "serviceName", "ServiceName"),
	"secretsManagerSecretKMSKey": kmsTarget,
}

var (
	wrapperType      = reflect.TypeFor[*ackv1alpha1.AWSResourceReferenceWrapper]()
	wrapperSliceType = reflect.TypeFor[[]*ackv1alpha1.AWSResourceReferenceWrapper]()
)

// Site is one reference field found in a spec.
type Site struct {
	// Path is the field's JSON path, e.g. spec.routes[0].gatewayRef.
	Path string
	// Field is the field's JSON name, e.g. gatewayRef.
	Field string
	// Base is Field without the Ref or Refs suffix, the key of Targets.
	Base string
	// Literal is the JSON name of the value field the reference replaces
	// (vpcID for vpcRef), or "" when the struct has none.
	Literal string
	// LiteralSet reports that the value field is set beside the reference,
	// which ACK refuses.
	LiteralSet bool
	// Refs are the set references; an empty wrapper is no reference.
	Refs []*ackv1alpha1.AWSResourceReferenceWrapper
}

// TargetOf returns the target of a reference site.
func TargetOf(s Site) (Target, bool) {
	t, ok := Targets[s.Base]
	return t, ok
}

// Names returns the names of the objects a site's references point to.
func (s Site) Names() []string {
	out := make([]string, 0, len(s.Refs))
	for _, r := range s.Refs {
		out = append(out, *r.From.Name)
	}
	return out
}

// Sites finds every *Ref and *Refs field of type
// AWSResourceReferenceWrapper in obj's spec, at any depth, in field order.
// Sites whose references are all empty are included with no refs, so callers
// can still check the literal/ref exclusion.
func Sites(obj core.Object) []Site {
	v := reflect.ValueOf(obj)
	for v.Kind() == reflect.Pointer {
		if v.IsNil() {
			return nil
		}
		v = v.Elem()
	}
	if v.Kind() != reflect.Struct {
		return nil
	}
	spec := v.FieldByName("Spec")
	if !spec.IsValid() {
		return nil
	}
	var sites []Site
	walkRefs(spec, "spec", &sites)
	return sites
}

func walkRefs(v reflect.Value, path string, sites *[]Site) {
	if !mayHoldRefs(v.Type()) {
		return
	}
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			walkRefs(v.Elem(), path, sites)
		}
	case reflect.Slice, reflect.Array:
		for i := range v.Len() {
			walkRefs(v.Index(i), path+"["+strconv.Itoa(i)+"]", sites)
		}
	case reflect.Map:
		keys := v.MapKeys()
		sort.Slice(keys, func(i, j int) bool { return fmt.Sprint(keys[i]) < fmt.Sprint(keys[j]) })
		for _, k := range keys {
			walkRefs(v.MapIndex(k), fmt.Sprintf("%s[%v]", path, k), sites)
		}
	case reflect.Struct:
		for _, f := range planOf(v.Type()) {
			fv := v.Field(f.index)
			switch {
			case f.inline:
				walkRefs(fv, path, sites)
			case f.base != "":
				site := Site{Path: path + "." + f.name, Field: f.name, Base: f.base, Literal: f.literal}
				if f.literalIndex >= 0 {
					site.LiteralSet = literalSet(v.Field(f.literalIndex))
				}
				site.Refs = setRefs(fv)
				*sites = append(*sites, site)
			default:
				walkRefs(fv, path+"."+f.name, sites)
			}
		}
	}
}

// fieldPlan is what the walk needs of one struct field, worked out once per
// type: the reflection over tags and sibling names is most of a walk's cost,
// and a render walks every child's spec several times a pass.
type fieldPlan struct {
	index int
	// name is the field's JSON name; inline is set for an embedded struct.
	name   string
	inline bool
	// base is set for a reference field: its name without Ref or Refs.
	base string
	// literal and literalIndex locate the value field the reference
	// replaces; literalIndex is -1 when the struct has none.
	literal      string
	literalIndex int
}

var (
	plans    sync.Map // reflect.Type -> []fieldPlan
	holdRefs sync.Map // reflect.Type -> bool
)

// planOf returns the fields of struct type t the walk visits: exported, not
// "-", and (for a field that is no reference) able to hold one.
func planOf(t reflect.Type) []fieldPlan {
	if p, ok := plans.Load(t); ok {
		return p.([]fieldPlan)
	}
	var out []fieldPlan
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		name, inline := jsonName(f)
		if name == "-" {
			continue
		}
		fp := fieldPlan{index: i, name: name, inline: inline, literalIndex: -1}
		if base, ok := refBase(f, name); !inline && ok {
			fp.base = base
			fp.literal, fp.literalIndex = literalSibling(t, base)
		} else if !mayHoldRefs(f.Type) {
			continue
		}
		out = append(out, fp)
	}
	plans.Store(t, out)
	return out
}

// mayHoldRefs reports whether a value of type t can contain a reference
// field at any depth. Each type is worked out once.
func mayHoldRefs(t reflect.Type) bool {
	if v, ok := holdRefs.Load(t); ok {
		return v.(bool)
	}
	out := holdsRefs(t, map[reflect.Type]bool{})
	holdRefs.Store(t, out)
	return out
}

// holdsRefs is mayHoldRefs without the cache; visiting guards a type that
// contains itself, which holds a reference only through another field.
func holdsRefs(t reflect.Type, visiting map[reflect.Type]bool) bool {
	if visiting[t] {
		return false
	}
	visiting[t] = true
	defer delete(visiting, t)
	switch t.Kind() {
	case reflect.Pointer, reflect.Slice, reflect.Array, reflect.Map:
		return holdsRefs(t.Elem(), visiting)
	case reflect.Interface:
		return true
	case reflect.Struct:
		for i := range t.NumField() {
			f := t.Field(i)
			if !f.IsExported() {
				continue
			}
			name, _ := jsonName(f)
			if name == "-" {
				continue
			}
			if _, ok := refBase(f, name); ok || holdsRefs(f.Type, visiting) {
				return true
			}
		}
	}
	return false
}

// refBase returns the name without its Ref or Refs suffix when f is a
// reference field.
func refBase(f reflect.StructField, name string) (string, bool) {
	switch {
	case f.Type == wrapperType && strings.HasSuffix(name, "Ref"):
		return strings.TrimSuffix(name, "Ref"), true
	case f.Type == wrapperSliceType && strings.HasSuffix(name, "Refs"):
		return strings.TrimSuffix(name, "Refs"), true
	}
	return "", false
}

// setRefs returns the non-empty references of a wrapper or wrapper slice.
func setRefs(v reflect.Value) []*ackv1alpha1.AWSResourceReferenceWrapper {
	var all []*ackv1alpha1.AWSResourceReferenceWrapper
	switch x := v.Interface().(type) {
	case *ackv1alpha1.AWSResourceReferenceWrapper:
		all = append(all, x)
	case []*ackv1alpha1.AWSResourceReferenceWrapper:
		all = x
	}
	var out []*ackv1alpha1.AWSResourceReferenceWrapper
	for _, r := range all {
		if r != nil && r.From != nil && r.From.Name != nil && *r.From.Name != "" {
			out = append(out, r)
		}
	}
	return out
}

// literalSibling finds the value field that a reference replaces, by the
// generator's naming: vpcRef/vpcID, vpcRef/vpc (InternetGateway),
// taskRoleRef/taskRoleARN, dbSubnetGroupRef/dbSubnetGroupName,
// subnetRefs/subnetIDs or subnets, policyRefs/policies. It returns the
// field's JSON name and index, or "" and -1.
func literalSibling(t reflect.Type, base string) (string, int) {
	candidates := []string{
		base + "ID", base + "ARN", base + "Name", base,
		base + "IDs", base + "ARNs", base + "Names", base + "s",
	}
	if strings.HasSuffix(base, "y") {
		candidates = append(candidates, strings.TrimSuffix(base, "y")+"ies")
	}
	for _, want := range candidates {
		for i := range t.NumField() {
			f := t.Field(i)
			name, _ := jsonName(f)
			if name != want || !f.IsExported() {
				continue
			}
			switch f.Type.Kind() {
			case reflect.Pointer, reflect.Slice, reflect.String:
				return name, i
			}
		}
	}
	return "", -1
}

// literalSet reports whether a literal value field is set.
func literalSet(fv reflect.Value) bool {
	switch fv.Kind() {
	case reflect.Pointer:
		return !fv.IsNil() && (fv.Elem().Kind() != reflect.String || fv.Elem().String() != "")
	case reflect.Slice, reflect.String:
		return fv.Len() > 0
	}
	return false
}

// jsonName returns a field's JSON name and whether it is inlined.
func jsonName(f reflect.StructField) (string, bool) {
	tag := f.Tag.Get("json")
	name, opts, _ := strings.Cut(tag, ",")
	if name == "" && (f.Anonymous || strings.Contains(opts, "inline")) {
		return "", true
	}
	if name == "" {
		return f.Name, false
	}
	return name, false
}
