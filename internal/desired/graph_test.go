package desired

import (
	"slices"
	"strings"
	"testing"

	"github.com/docuflow/docuflow-operator/internal/ack/core"
	ec2v1alpha1 "github.com/docuflow/docuflow-operator/internal/ack/ec2/v1alpha1"
	ecsv1alpha1 "github.com/docuflow/docuflow-operator/internal/ack/ecs/v1alpha1"
)

// layerOf maps every child to the index of its deletion layer.
func layerOf(layers [][]core.Object) map[Key]int {
	out := map[Key]int{}
	for i, l := range layers {
		for _, o := range l {
			out[KeyOf(o)] = i
		}
	}
	return out
}

func TestDeletionNeverDeletesWhatAnotherChildStillUses(t *testing.T) {
	for _, c := range stacksUnderTest() {
		t.Run("deleting "+c.name+" in layers", func(t *testing.T) {
			objs := mustBuild(t, c.stack, observedFor(t, c.stack, observedAll())).Objects
			layers := DeletionLayers(objs)
			at := layerOf(layers)
			if len(at) != len(objs) {
				t.Fatalf("%d children in layers, %d rendered", len(at), len(objs))
			}
			for _, o := range objs {
				for _, d := range DependenciesOf(o) {
					if dl, ok := at[d]; ok && dl <= at[KeyOf(o)] {
						t.Errorf("%s (layer %d) depends on %s (layer %d): the dependency would go first or together", KeyOf(o), at[KeyOf(o)], d, dl)
					}
				}
			}
		})
	}
}

func TestDeletionOrderFollowsWhatAWSRefuses(t *testing.T) {
	stack := newStack("prod", withAZs(3))
	objs := mustBuild(t, stack, observedFor(t, stack, observedAll())).Objects
	at := layerOf(DeletionLayers(objs))
	before := func(a, b Key) {
		t.Helper()
		la, oka := at[a]
		lb, okb := at[b]
		if !oka || !okb {
			t.Fatalf("%s or %s is not rendered", a, b)
		}
		if la >= lb {
			t.Errorf("%s (layer %d) must go before %s (layer %d)", a, la, b, lb)
		}
	}
	// AWS refuses to delete a route table with subnets associated
	// (DependencyViolation, retried forever).
	before(Key{"Subnet", "prod-public-us-east-1a"}, Key{"RouteTable", "prod-public"})
	before(Key{"Subnet", "prod-private-us-east-1a"}, Key{"RouteTable", "prod-private-routes-us-east-1a"})
	// A NAT gateway holds its Elastic IP and sits in a public subnet.
	before(Key{"NATGateway", "prod-nat-us-east-1a"}, Key{"ElasticIPAddress", "prod-nat-eip-us-east-1a"})
	before(Key{"NATGateway", "prod-nat-us-east-1a"}, Key{"Subnet", "prod-public-us-east-1a"})
	// The service's ENIs sit in the subnets and its security group; ECS
	// refuses to delete a cluster with services.
	before(Key{"Service", "prod-api"}, Key{"Subnet", "prod-private-us-east-1a"})
	before(Key{"Service", "prod-api"}, Key{"SecurityGroup", "prod-service-sg"})
	before(Key{"Service", "prod-api"}, Key{"Cluster", "prod-cluster"})
	before(Key{"Service", "prod-api"}, Key{"Listener", "prod-https"})
	// A listener forwarding to a target group keeps it in use.
	before(Key{"Listener", "prod-https"}, Key{"TargetGroup", "prod-api"})
	before(Key{"LoadBalancer", "prod-alb"}, Key{"SecurityGroup", "prod-alb-sg"})
	before(Key{"DBInstance", "prod-db"}, Key{"DBSubnetGroup", "prod-db-subnets"})
	before(Key{"DBSubnetGroup", "prod-db-subnets"}, Key{"Subnet", "prod-private-us-east-1a"})
	before(Key{"Subnet", "prod-private-us-east-1a"}, Key{"VPC", "prod-vpc"})
	before(Key{"ScalingPolicy", "prod-api-cpu"}, Key{"ScalableTarget", "prod-api"})
	before(Key{"ScalableTarget", "prod-api"}, Key{"Service", "prod-api"})
	before(Key{"FlowLog", "prod-vpc-flow-log"}, Key{"VPC", "prod-vpc"})
}

func TestSecurityGroupsNamingEachOtherBlockNoCreationAndGoTogether(t *testing.T) {
	// The groups' rules name each other through groupRef, which ACK resolves
	// without waiting for the peer: no creation waits on it. AWS refuses to
	// delete a group another group's rules name (DependencyViolation) and
	// ACK revokes a group's own rules before deleting it, so the groups must
	// be deleted together, after everything that sits in them.
	stack := newStack("prod")
	objs := mustBuild(t, stack, observedFor(t, stack, observedAll())).Objects
	at := layerOf(DeletionLayers(objs))
	groups := ofKind[*ec2v1alpha1.SecurityGroup](objs)
	named := 0
	for _, sg := range groups {
		for _, d := range DependenciesOf(sg) {
			if d.Kind == "SecurityGroup" {
				t.Errorf("SecurityGroup %s waits for %s to be created", sg.Name, d)
			}
		}
		for _, d := range DeletionDependenciesOf(sg) {
			if d.Kind != "SecurityGroup" {
				continue
			}
			named++
			if at[d] < at[KeyOf(sg)] {
				t.Errorf("SecurityGroup %s (layer %d) names %s (layer %d) in a rule; AWS refuses to delete %[3]s first", sg.Name, at[KeyOf(sg)], d, at[d])
			}
		}
	}
	if named == 0 {
		t.Fatal("no security group names another: the scenario does not exercise the cycle")
	}
	for _, user := range []Key{{"Service", "prod-api"}, {"LoadBalancer", "prod-alb"}, {"DBInstance", "prod-db"}} {
		for _, sg := range []string{"prod-alb-sg", "prod-service-sg", "prod-db-sg"} {
			if k := (Key{"SecurityGroup", sg}); at[user] >= at[k] {
				t.Errorf("%s (layer %d) is not deleted before SecurityGroup %s (layer %d)", user, at[user], sg, at[k])
			}
		}
	}
}

func TestPruningWaitsForUsersAndTakesACycleWhole(t *testing.T) {
	mk := func(name, deps string) core.Object {
		o := &ec2v1alpha1.VPC{}
		o.Name, o.Kind = name, "VPC"
		if deps != "" {
			o.Annotations = map[string]string{AnnotationDependsOn: deps}
		}
		return o
	}
	// a and b name each other; c uses a; d stays and uses e.
	objs := []core.Object{mk("a", "VPC/b"), mk("b", "VPC/a"), mk("c", "VPC/a"), mk("d", "VPC/e"), mk("e", "")}
	cases := []struct {
		leaving []string
		want    []string
	}{
		{[]string{"a", "b", "c"}, []string{"c"}},
		{[]string{"a", "b"}, nil},
		{[]string{"a"}, nil},
		{[]string{"e"}, nil},
		{[]string{"d", "e"}, []string{"d"}},
	}
	for _, c := range cases {
		got := Removable(objs, func(k Key) bool { return slices.Contains(c.leaving, k.Name) })
		var names []string
		for _, k := range got {
			names = append(names, k.Name)
		}
		if !slices.Equal(names, c.want) {
			t.Errorf("leaving %v: removable %v, want %v", c.leaving, names, c.want)
		}
	}
	// Once c is gone, the cycle goes whole.
	got := Removable(objs[:2], func(Key) bool { return true })
	if len(got) != 2 {
		t.Errorf("a cycle nothing else uses: removable %v, want both", got)
	}
}

func TestDependenciesOfChildrenWrittenBeforeTheAnnotation(t *testing.T) {
	// A child an older operator wrote has no AnnotationDependsOn; its
	// references still say what it needs.
	subnet := &ec2v1alpha1.Subnet{Spec: ec2v1alpha1.SubnetSpec{VPCRef: ref("prod-vpc"), RouteTableRefs: refs("prod-public")}}
	got := DependenciesOf(subnet)
	want := []Key{{"VPC", "prod-vpc"}, {"RouteTable", "prod-public"}}
	if !slices.Equal(got, want) {
		t.Errorf("DependenciesOf = %v, want %v", got, want)
	}
	svc := &ecsv1alpha1.Service{}
	svc.Annotations = map[string]string{AnnotationDependsOn: "Listener/prod-https, Subnet/prod-private-us-east-1a,nonsense"}
	if got := DependenciesOf(svc); !slices.Equal(got, []Key{{"Listener", "prod-https"}, {"Subnet", "prod-private-us-east-1a"}}) {
		t.Errorf("DependenciesOf(annotated) = %v", got)
	}
}

func TestACycleIsDeletedTogetherRatherThanNever(t *testing.T) {
	a := &ec2v1alpha1.VPC{}
	a.Name, a.Kind = "a", "VPC"
	a.Annotations = map[string]string{AnnotationDependsOn: "VPC/b"}
	b := &ec2v1alpha1.VPC{}
	b.Name, b.Kind = "b", "VPC"
	b.Annotations = map[string]string{AnnotationDependsOn: "VPC/a"}
	c := &ec2v1alpha1.VPC{}
	c.Name, c.Kind = "c", "VPC"
	c.Annotations = map[string]string{AnnotationDependsOn: "VPC/a"}
	layers := DeletionLayers([]core.Object{a, b, c})
	if len(layers) != 2 || len(layers[0]) != 1 || layers[0][0].GetName() != "c" || len(layers[1]) != 2 {
		var names []string
		for _, l := range layers {
			var n []string
			for _, o := range l {
				n = append(n, o.GetName())
			}
			names = append(names, strings.Join(n, "+"))
		}
		t.Errorf("layers = %v, want [c a+b]", names)
	}
}
