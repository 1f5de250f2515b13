package desired

import (
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"sort"
	"strings"

	ackv1alpha1 "github.com/aws-controllers-k8s/runtime/apis/core/v1alpha1"
	"k8s.io/apimachinery/pkg/runtime"

	platformv1alpha1 "github.com/docuflow/docuflow-operator/api/v1alpha1"
	"github.com/docuflow/docuflow-operator/internal/ack/core"
	ec2v1alpha1 "github.com/docuflow/docuflow-operator/internal/ack/ec2/v1alpha1"
	ecsv1alpha1 "github.com/docuflow/docuflow-operator/internal/ack/ecs/v1alpha1"
	rdsv1alpha1 "github.com/docuflow/docuflow-operator/internal/ack/rds/v1alpha1"
)

// ACK's adoption annotations (runtime v0.57 and v0.62 alike: every
// controller a stack needs honours them; the ResourceAdoption feature gate is
// on by default).
const (
	// AnnotationAdoptionPolicy is "adopt": ACK looks the resource up by the
	// adoption fields, never creates it, and writes AWS's values into the
	// spec when it finds it.
	AnnotationAdoptionPolicy = "services.k8s.aws/adoption-policy"
	// AnnotationAdoptionFields is a JSON object of the fields ACK finds the
	// resource by (its "adopt keys").
	AnnotationAdoptionFields = "services.k8s.aws/adoption-fields"
	// AnnotationAdopted is what ACK sets, "true", once it adopted a resource.
	AnnotationAdopted = "services.k8s.aws/adopted"
	// AdoptionPolicyAdopt is the only policy the operator uses: adopt or
	// nothing. "adopt-or-create" would create a new, empty database where an
	// identifier is mistyped.
	AdoptionPolicyAdopt = "adopt"
)

// Adoption is one child the stack adopts (spec.adopt).
type Adoption struct {
	Key
	// ID is the AWS ID it is adopted by.
	ID string
	// fields are ACK's adoption fields for it.
	fields map[string]string
}

// Adoptions lists the children spec.adopt names, in the order of the stack's
// families.
func Adoptions(stack *platformv1alpha1.DocuFlowStack) []Adoption {
	a := stack.Spec.Adopt
	if a == nil {
		return nil
	}
	n := func(component string) string { return Name(stack.Name, component, KubernetesName) }
	var out []Adoption
	if a.VPCID != "" {
		out = append(out, Adoption{Key{"VPC", n(componentVPC)}, a.VPCID, map[string]string{"vpcID": a.VPCID}})
	}
	if a.InternetGatewayID != "" {
		out = append(out, Adoption{Key{"InternetGateway", n(componentIGW)}, a.InternetGatewayID, map[string]string{"internetGatewayID": a.InternetGatewayID}})
	}
	for _, s := range a.Subnets {
		z := zone{name: s.Zone}
		out = append(out,
			Adoption{Key{"Subnet", n(publicSubnetComponent(z))}, s.PublicSubnetID, map[string]string{"subnetID": s.PublicSubnetID}},
			Adoption{Key{"Subnet", n(privateSubnetComponent(z))}, s.PrivateSubnetID, map[string]string{"subnetID": s.PrivateSubnetID}})
	}
	if a.DBInstanceIdentifier != "" {
		out = append(out, Adoption{Key{"DBInstance", n(componentDB)}, a.DBInstanceIdentifier, map[string]string{"dbInstanceIdentifier": a.DBInstanceIdentifier}})
	}
	if a.ECSClusterName != "" {
		out = append(out, Adoption{Key{"Cluster", n(componentCluster)}, a.ECSClusterName, map[string]string{"name": a.ECSClusterName}})
	}
	return out
}

// dbIdentifier is the database's RDS identifier: the adopted one, or the
// stack's own.
func (b *builder) dbIdentifier() string {
	if a := b.stack.Spec.Adopt; a != nil && a.DBInstanceIdentifier != "" {
		return a.DBInstanceIdentifier
	}
	return b.awsName(componentDB, RDSName)
}

// markAdopted puts ACK's adoption annotations on the adopted children, and
// leaves out of their render what AWS cannot change in place, which they keep:
// a subnet's CIDR block and zone, a database's DB subnet group; and a
// database's deletion protection, unless the stack turns it on. Adopted
// children are kept in AWS when the stack is deleted, whatever its
// deletionPolicy: they were there before it.
func (b *builder) markAdopted(objs []core.Object) {
	adoptions := Adoptions(b.stack)
	if len(adoptions) == 0 {
		return
	}
	for _, o := range objs {
		key := Key{o.GetObjectKind().GroupVersionKind().Kind, o.GetName()}
		i := slices.IndexFunc(adoptions, func(a Adoption) bool { return a.Key == key })
		if i < 0 {
			continue
		}
		fields, err := json.Marshal(adoptions[i].fields)
		if err != nil {
			panic("encoding adoption fields: " + err.Error())
		}
		ann := o.GetAnnotations()
		if ann == nil {
			ann = map[string]string{}
		}
		ann[AnnotationAdoptionPolicy] = AdoptionPolicyAdopt
		ann[AnnotationAdoptionFields] = string(fields)
		ann[AnnotationDeletionPolicy] = string(ackv1alpha1.DeletionPolicyRetain)
		o.SetAnnotations(ann)
		switch x := o.(type) {
		case *ec2v1alpha1.Subnet:
			x.Spec.CIDRBlock = nil
			x.Spec.AvailabilityZone = nil
		case *rdsv1alpha1.DBInstance:
			// Set when the instance was created, and compared by the rds
			// controller at every reconcile although ModifyDBInstance
			// cannot change them: rendered, they would make it modify for
			// ever. (The database's name is checked, AdoptionHold.)
			x.Spec.DBSubnetGroupRef = nil
			x.Spec.MasterUsername = nil
			x.Spec.StorageEncrypted = nil
			x.Spec.DBName = nil
			if x.Spec.DeletionProtection != nil && !*x.Spec.DeletionProtection {
				// A stack without deletion protection (development) leaves
				// the adopted database's as AWS has it: an adoption never
				// weakens what protected a database before it.
				x.Spec.DeletionProtection = nil
			}
		case *ecsv1alpha1.Cluster:
			// Sent only by CreateCluster.
			x.Spec.CapacityProviders = nil
		}
		if !b.obs.Adopted[key] {
			// Until ACK has adopted it, a child names nothing by reference:
			// ACK resolves references before it adopts and applies them
			// right after, before the operator could compare (a subnet of
			// another VPC would lose its route table). ACK writes AWS's IDs
			// instead, and the references replace them at the take-over.
			stripRefs(o)
		}
	}
}

// stripRefs clears the top-level reference fields of an object's spec.
func stripRefs(obj core.Object) {
	spec := reflect.ValueOf(obj).Elem().FieldByName("Spec")
	if !spec.IsValid() {
		return
	}
	t := spec.Type()
	for i := range t.NumField() {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
		if strings.HasSuffix(name, "Ref") || strings.HasSuffix(name, "Refs") {
			spec.Field(i).Set(reflect.Zero(t.Field(i).Type))
		}
	}
}

// IsAdoptedByACK reports whether ACK has adopted a live child.
func IsAdoptedByACK(live core.Object) bool {
	return live != nil && strings.EqualFold(live.GetAnnotations()[AnnotationAdopted], "true")
}

// AdoptionSettled reports whether ACK has adopted a live child and written
// AWS's values into its spec. The runtime marks the child adopted in one
// write and puts AWS's values into the spec in the next; the status it writes
// at the end of that reconcile carries the resource's AWS identity
// (ackResourceMetadata), which a child still waiting to be adopted never has.
// Taken over between the two writes, a child would show no difference, and
// ACK's second write would then put AWS's values back over the stack's.
func AdoptionSettled(live core.Object) bool {
	return IsAdoptedByACK(live) && live.ACKStatus() != nil && live.ACKStatus().ACKResourceMetadata != nil
}

// AdoptionHold is why the stack's spec must not be applied to an adopted
// child, or "": a difference that cannot change in place, or that the
// stack's spec would change for the worse. A VPC's range cannot change (the
// ec2 controller would associate the stack's block as a second one); a
// subnet or gateway of another VPC is not the adopted VPC's; a database's
// engine, major version or name is not what an adoption should change, and
// RDS refuses to shrink its storage.
func AdoptionHold(stack *platformv1alpha1.DocuFlowStack, want, live core.Object) string {
	vpcID := ""
	if stack.Spec.Adopt != nil {
		vpcID = stack.Spec.Adopt.VPCID
	}
	const keeps = "(deleting this stack keeps every adopted resource)"
	switch w := want.(type) {
	case *ec2v1alpha1.VPC:
		l, ok := live.(*ec2v1alpha1.VPC)
		if !ok {
			return ""
		}
		if got, wanted := derefs(l.Spec.CIDRBlocks), derefs(w.Spec.CIDRBlocks); len(got) > 0 && !slices.Equal(got, wanted) {
			return fmt.Sprintf("the adopted VPC's CIDR is %s, spec.network.vpcCIDR is %s: a VPC's range cannot change, so create the stack again with vpcCIDR %s %s",
				strings.Join(got, ", "), strings.Join(wanted, ", "), got[0], keeps)
		}
	case *ec2v1alpha1.Subnet:
		if l, ok := live.(*ec2v1alpha1.Subnet); ok && l.Spec.VPCID != nil && *l.Spec.VPCID != vpcID {
			return fmt.Sprintf("the adopted subnet is in %s, not in the adopted VPC %s", *l.Spec.VPCID, vpcID)
		}
	case *ec2v1alpha1.InternetGateway:
		if l, ok := live.(*ec2v1alpha1.InternetGateway); ok && l.Spec.VPC != nil && *l.Spec.VPC != "" && *l.Spec.VPC != vpcID {
			return fmt.Sprintf("the adopted internet gateway is attached to %s, not to the adopted VPC %s", *l.Spec.VPC, vpcID)
		}
	case *rdsv1alpha1.DBInstance:
		l, ok := live.(*rdsv1alpha1.DBInstance)
		if !ok {
			return ""
		}
		s := Resolve(stack)
		if l.Spec.Engine != nil && w.Spec.Engine != nil && *l.Spec.Engine != *w.Spec.Engine {
			return fmt.Sprintf("the adopted database's engine is %s, not %s: only a PostgreSQL instance can be adopted", *l.Spec.Engine, *w.Spec.Engine)
		}
		if l.Spec.EngineVersion != nil && w.Spec.EngineVersion != nil && major(*l.Spec.EngineVersion) != major(*w.Spec.EngineVersion) {
			return fmt.Sprintf("the adopted database runs PostgreSQL %s, spec.database.engineVersion is %s: an adoption does not change the major version, so create the stack again with engineVersion %s %s, and upgrade afterwards, deliberately",
				*l.Spec.EngineVersion, *w.Spec.EngineVersion, *l.Spec.EngineVersion, keeps)
		}
		if l.Spec.DBName != nil && *l.Spec.DBName != s.DatabaseName {
			return fmt.Sprintf("the adopted instance's database is %q, spec.database.databaseName is %q: DocuFlow would connect to a database that does not exist, so create the stack again with databaseName %q %s",
				*l.Spec.DBName, s.DatabaseName, *l.Spec.DBName, keeps)
		}
		if l.Spec.AllocatedStorage != nil && w.Spec.AllocatedStorage != nil && *l.Spec.AllocatedStorage > *w.Spec.AllocatedStorage {
			return fmt.Sprintf("the adopted database has %d GiB, spec.database.storageGiB is %d: RDS does not shrink storage, so set storageGiB (and maxStorageGiB) to at least %d",
				*l.Spec.AllocatedStorage, *w.Spec.AllocatedStorage, *l.Spec.AllocatedStorage)
		}
	}
	return ""
}

func major(v string) string { return strings.SplitN(v, ".", 2)[0] }

func derefs(in []*string) []string {
	out := make([]string, 0, len(in))
	for _, p := range in {
		if p != nil {
			out = append(out, *p)
		}
	}
	return out
}

// AdoptionDifferences lists the spec fields the operator renders for an
// adopted child whose value in AWS (the live spec, which ACK filled from AWS
// when it adopted the resource) differs, as "field: AWS value → stack
// value", sorted. References are left out: an adopted resource names its
// peers by ID, which the stack's references replace (ShadowedLiterals).
func AdoptionDifferences(want, live core.Object) []string {
	w, l := specMap(want), specMap(live)
	var out []string
	for k, wv := range w {
		if strings.HasSuffix(k, "Ref") || strings.HasSuffix(k, "Refs") {
			continue
		}
		lv, ok := l[k]
		if ok && reflect.DeepEqual(normalise(lv), normalise(wv)) {
			continue
		}
		got := "(none)"
		if ok {
			got = compact(lv)
		}
		out = append(out, fmt.Sprintf("%s: %s → %s", k, got, compact(wv)))
	}
	sort.Strings(out)
	return out
}

// ShadowedLiterals are the spec fields of a live child that name by ID what
// the render names by reference: ACK writes AWS's IDs there when it adopts a
// resource, and refuses a reference and its ID side by side. The operator
// removes them before it applies the stack's spec.
func ShadowedLiterals(want, live core.Object) []string {
	w, l := specMap(want), specMap(live)
	var out []string
	for k := range w {
		base, plural := strings.CutSuffix(k, "Refs")
		if !plural {
			var single bool
			if base, single = strings.CutSuffix(k, "Ref"); !single {
				continue
			}
		}
		var candidates []string
		if plural {
			candidates = []string{base + "s", base + "IDs", base + "Names", base + "ARNs"}
		} else {
			candidates = []string{base, base + "ID", base + "Name", base + "ARN"}
		}
		for _, c := range candidates {
			if v, ok := l[c]; ok && v != nil {
				out = append(out, c)
			}
		}
	}
	sort.Strings(out)
	return out
}

func specMap(obj core.Object) map[string]any {
	if obj == nil {
		return nil
	}
	m, err := runtime.DefaultUnstructuredConverter.ToUnstructured(obj)
	if err != nil {
		return nil
	}
	spec, _ := m["spec"].(map[string]any)
	return spec
}

// normalise makes JSON numbers comparable whatever their Go type.
func normalise(v any) any {
	b, err := json.Marshal(v)
	if err != nil {
		return v
	}
	var out any
	if err := json.Unmarshal(b, &out); err != nil {
		return v
	}
	return out
}

func compact(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

// AdoptionRetained are the children a stack's deletion keeps in AWS because
// of what it adopted, whatever its deletionPolicy: the adopted resources
// themselves; with a VPC, every route table too (AWS refuses to delete a
// route table a subnet is associated with, and the adopted subnets stay)
// and the NAT gateways with their addresses (the private subnets' egress);
// with a database, what Retained keeps for one (its groups and security
// groups, which AWS will not delete while the database uses them).
func AdoptionRetained(stack *platformv1alpha1.DocuFlowStack) []Key {
	var out []Key
	for _, a := range Adoptions(stack) {
		out = append(out, a.Key)
	}
	a := stack.Spec.Adopt
	if a == nil {
		return out
	}
	if a.VPCID != "" {
		// The adopted subnets keep the stack's route tables, and the NAT
		// gateways those route through: deleted, the private subnets would
		// lose their egress without a word.
		out = append(out, Key{"RouteTable", Name(stack.Name, componentPublicRoutes, KubernetesName)})
		for _, z := range stack.Spec.Network.AvailabilityZones {
			zz := zone{name: z}
			out = append(out,
				Key{"RouteTable", Name(stack.Name, privateRoutesComponent(zz), KubernetesName)},
				Key{"NATGateway", Name(stack.Name, natComponent(zz), KubernetesName)},
				Key{"ElasticIPAddress", Name(stack.Name, natEIPComponent(zz), KubernetesName)})
		}
	}
	if a.DBInstanceIdentifier != "" {
		out = append(out, Retained(stack)...)
	}
	return out
}
