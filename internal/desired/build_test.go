package desired

import (
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"testing"

	platformv1alpha1 "github.com/docuflow/docuflow-operator/api/v1alpha1"
	applicationautoscalingv1alpha1 "github.com/docuflow/docuflow-operator/internal/ack/applicationautoscaling/v1alpha1"
	cloudwatchv1alpha1 "github.com/docuflow/docuflow-operator/internal/ack/cloudwatch/v1alpha1"
	cloudwatchlogsv1alpha1 "github.com/docuflow/docuflow-operator/internal/ack/cloudwatchlogs/v1alpha1"
	"github.com/docuflow/docuflow-operator/internal/ack/core"
	ec2v1alpha1 "github.com/docuflow/docuflow-operator/internal/ack/ec2/v1alpha1"
	ecsv1alpha1 "github.com/docuflow/docuflow-operator/internal/ack/ecs/v1alpha1"
	elbv2v1alpha1 "github.com/docuflow/docuflow-operator/internal/ack/elbv2/v1alpha1"
	iamv1alpha1 "github.com/docuflow/docuflow-operator/internal/ack/iam/v1alpha1"
	rdsv1alpha1 "github.com/docuflow/docuflow-operator/internal/ack/rds/v1alpha1"
	"github.com/docuflow/docuflow-operator/internal/writecheck"
)

func TestBuildCounts(t *testing.T) {
	network3 := map[string]int{
		"VPC": 1, "InternetGateway": 1, "RouteTable": 4, "Subnet": 6, "ElasticIPAddress": 3, "NATGateway": 3,
		"SecurityGroup": 4, "VPCEndpoint": 5,
	}
	with := func(base map[string]int, extra map[string]int) map[string]int {
		out := map[string]int{}
		for k, v := range base {
			out[k] = v
		}
		for k, v := range extra {
			out[k] = v
		}
		return out
	}
	tests := []struct {
		name        string
		stack       *platformv1alpha1.DocuFlowStack
		obs         Observed
		want        map[string]int
		wantWaiting int
	}{
		{
			name:  "a production stack over three zones with everything observed renders every family but the alarms",
			stack: newStack("prod", withAZs(3)),
			obs:   observedAll(),
			want: with(network3, map[string]int{
				"FlowLog": 1, "LogGroup": 2, "Role": 3,
				"DBSubnetGroup": 2, "DBParameterGroup": 1, "DBInstance": 1,
				"LoadBalancer": 1, "TargetGroup": 2, "Listener": 2,
				"Cluster": 1, "TaskDefinition": 1, "Service": 1,
				"ScalableTarget": 1, "ScalingPolicy": 1,
			}),
		},
		{
			name:  "a production stack with an alarm topic and every scaling signal adds three policies and eight alarms",
			stack: newStack("prod", withAZs(3), withAlarmTopic(alarmTopic), withTargetMemoryPercent(70), withRequestsPerTarget(500)),
			obs:   observedAll(),
			want: with(network3, map[string]int{
				"FlowLog": 1, "LogGroup": 2, "Role": 3,
				"DBSubnetGroup": 2, "DBParameterGroup": 1, "DBInstance": 1,
				"LoadBalancer": 1, "TargetGroup": 2, "Listener": 2,
				"Cluster": 1, "TaskDefinition": 1, "Service": 1,
				"ScalableTarget": 1, "ScalingPolicy": 3, "MetricAlarm": 8,
			}),
		},
		{
			name:  "a new production stack holds back everything that needs a value only AWS knows",
			stack: newStack("prod", withAZs(3), withAlarmTopic(alarmTopic), withRequestsPerTarget(500)),
			obs:   Observed{},
			want: with(network3, map[string]int{
				"VPCEndpoint":   3,
				"LogGroup":      2,
				"DBSubnetGroup": 2, "DBParameterGroup": 1,
				"LoadBalancer": 1, "TargetGroup": 1, "Listener": 1,
				"Cluster": 1,
			}),
			// Flow-log role, flow log, the S3 and Secrets Manager endpoints
			// (their policies name the account and the database secret),
			// database and target group (until their
			// gate probes answer), HTTPS listener, execution and task roles
			// (their trust policies name the account), task definition,
			// service, scalable target, two policies, eight alarms. The
			// probes (a TargetGroup, a DBSubnetGroup) and the redirecting
			// HTTP listener need nothing.
			wantWaiting: 22,
		},
		{
			name:  "a development stack over two zones has one NAT gateway, no endpoints, no flow log and one HTTP listener",
			stack: newStack("dev", withDevelopment()),
			obs:   observedAll(),
			want: map[string]int{
				"VPC": 1, "InternetGateway": 1, "RouteTable": 3, "Subnet": 4, "ElasticIPAddress": 1, "NATGateway": 1,
				"SecurityGroup": 3, "LogGroup": 1, "Role": 2,
				"DBSubnetGroup": 2, "DBParameterGroup": 1, "DBInstance": 1,
				"LoadBalancer": 1, "TargetGroup": 2, "Listener": 1,
				"Cluster": 1, "TaskDefinition": 1, "Service": 1,
				"ScalableTarget": 1, "ScalingPolicy": 1,
			},
		},
		{
			name:  "a new development stack waits for the task execution role's inputs and everything downstream of them",
			stack: newStack("dev", withDevelopment()),
			obs:   Observed{},
			want: map[string]int{
				"VPC": 1, "InternetGateway": 1, "RouteTable": 3, "Subnet": 4, "ElasticIPAddress": 1, "NATGateway": 1,
				"SecurityGroup": 3, "LogGroup": 1,
				"DBSubnetGroup": 2, "DBParameterGroup": 1,
				"LoadBalancer": 1, "TargetGroup": 1,
				"Cluster": 1,
			},
			// Database, target group, HTTP listener, execution and task
			// roles, task definition, service, scalable target, CPU policy.
			wantWaiting: 9,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := mustBuild(t, tt.stack, tt.obs)
			if got := kindCounts(r.Objects); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("counts per kind = %v, want %v", got, tt.want)
			}
			if len(r.Waiting) != tt.wantWaiting {
				t.Errorf("waiting = %v, want %d entries", r.Waiting, tt.wantWaiting)
			}
			for _, w := range r.Waiting {
				switch w.Family {
				case FamilyNetwork, FamilyDatabase, FamilyLoadBalancer, FamilyService, FamilyAutoscaling, FamilyAlarms:
				default:
					t.Errorf("waiting %s %s has family %q", w.Kind, w.Name, w.Family)
				}
			}
		})
	}
}

// awsName returns the AWS-side name of an object and the rule it must follow,
// or ok=false for kinds whose AWS identity is an ID AWS assigns.
func awsName(o core.Object) (name string, rule NameRule, ok bool) {
	switch v := o.(type) {
	case *ec2v1alpha1.SecurityGroup:
		return *v.Spec.Name, SecurityGroupName, true
	case *iamv1alpha1.Role:
		return *v.Spec.Name, IAMRoleName, true
	case *rdsv1alpha1.DBInstance:
		return *v.Spec.DBInstanceIdentifier, RDSName, true
	case *rdsv1alpha1.DBSubnetGroup:
		return *v.Spec.Name, RDSName, true
	case *rdsv1alpha1.DBParameterGroup:
		return *v.Spec.Name, RDSName, true
	case *elbv2v1alpha1.LoadBalancer:
		return *v.Spec.Name, ELBName, true
	case *elbv2v1alpha1.TargetGroup:
		return *v.Spec.Name, ELBName, true
	case *ecsv1alpha1.Cluster:
		return *v.Spec.Name, ECSName, true
	case *ecsv1alpha1.Service:
		return *v.Spec.Name, ECSName, true
	case *ecsv1alpha1.TaskDefinition:
		return *v.Spec.Family, ECSName, true
	case *applicationautoscalingv1alpha1.ScalingPolicy:
		return *v.Spec.PolicyName, ECSName, true
	}
	return "", NameRule{}, false
}

// expectedFamily is the family an object belongs to, by kind and, for the
// kinds several families use, by name.
func expectedFamily(o core.Object) string {
	switch o.(type) {
	case *ec2v1alpha1.VPC, *ec2v1alpha1.Subnet, *ec2v1alpha1.InternetGateway, *ec2v1alpha1.ElasticIPAddress,
		*ec2v1alpha1.NATGateway, *ec2v1alpha1.RouteTable, *ec2v1alpha1.SecurityGroup, *ec2v1alpha1.VPCEndpoint, *ec2v1alpha1.FlowLog:
		return FamilyNetwork
	case *rdsv1alpha1.DBSubnetGroup, *rdsv1alpha1.DBParameterGroup, *rdsv1alpha1.DBInstance:
		return FamilyDatabase
	case *elbv2v1alpha1.LoadBalancer, *elbv2v1alpha1.TargetGroup, *elbv2v1alpha1.Listener:
		return FamilyLoadBalancer
	case *ecsv1alpha1.Cluster, *ecsv1alpha1.TaskDefinition, *ecsv1alpha1.Service:
		return FamilyService
	case *applicationautoscalingv1alpha1.ScalableTarget, *applicationautoscalingv1alpha1.ScalingPolicy:
		return FamilyAutoscaling
	case *cloudwatchv1alpha1.MetricAlarm:
		return FamilyAlarms
	case *cloudwatchlogsv1alpha1.LogGroup, *iamv1alpha1.Role:
		if strings.HasSuffix(o.GetName(), "-"+componentFlowLogs) {
			return FamilyNetwork
		}
		return FamilyService
	}
	return "unknown"
}

// tagsOf returns an object's AWS tags as a map, and whether it has a tags field.
func tagsOf(t *testing.T, o core.Object) (map[string]string, bool) {
	t.Helper()
	if lg, ok := o.(*cloudwatchlogsv1alpha1.LogGroup); ok {
		out := map[string]string{}
		for k, v := range lg.Spec.Tags {
			out[k] = *v
		}
		return out, true
	}
	raw, err := json.Marshal(o)
	if err != nil {
		t.Fatalf("marshalling %s: %v", o.GetName(), err)
	}
	var doc struct {
		Spec struct {
			Tags *[]struct{ Key, Value string } `json:"tags"`
		} `json:"spec"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatalf("reading the tags of %s: %v", o.GetName(), err)
	}
	if doc.Spec.Tags == nil {
		return nil, false
	}
	out := map[string]string{}
	for _, tag := range *doc.Spec.Tags {
		out[tag.Key] = tag.Value
	}
	return out, true
}

func TestEveryObjectIsIdentifiedLabelledAndTagged(t *testing.T) {
	for _, c := range stacksUnderTest() {
		stack := c.stack
		t.Run("with "+c.name+" every object carries type, namespace, labels, region, tags and a valid name", func(t *testing.T) {
			r := mustBuild(t, stack, observedAll())
			seen := map[string]bool{}
			for _, o := range r.Objects {
				gvk := o.GetObjectKind().GroupVersionKind()
				id := gvk.Kind + " " + o.GetName()
				if gvk.Kind == "" || gvk.Version != "v1alpha1" || !strings.HasSuffix(gvk.Group, ".services.k8s.aws") {
					t.Errorf("%s has TypeMeta %v, want an ACK v1alpha1 kind", id, gvk)
				}
				if seen[id] {
					t.Errorf("%s is rendered twice", id)
				}
				seen[id] = true
				if o.GetNamespace() != stack.Namespace {
					t.Errorf("%s is in namespace %q, want %q", id, o.GetNamespace(), stack.Namespace)
				}
				if !ValidName(o.GetName(), KubernetesName) {
					t.Errorf("%s has an invalid metadata.name", id)
				}
				wantLabels := Labels(stack)
				wantLabels[LabelFamily] = expectedFamily(o)
				if !reflect.DeepEqual(o.GetLabels(), wantLabels) {
					t.Errorf("%s has labels %v, want %v", id, o.GetLabels(), wantLabels)
				}
				if got := o.GetAnnotations()[AnnotationRegion]; got != stack.Spec.Region {
					t.Errorf("%s has region annotation %q, want %q", id, got, stack.Spec.Region)
				}
				if len(o.GetOwnerReferences()) != 0 || !o.GetCreationTimestamp().Time.IsZero() {
					t.Errorf("%s sets owner references or a creation timestamp; the apply layer owns those", id)
				}
				if name, rule, ok := awsName(o); ok && !ValidName(name, rule) {
					t.Errorf("%s has AWS name %q (%d characters), which breaks %+v", id, name, len(name), rule)
				}
				tags, ok := tagsOf(t, o)
				if !ok {
					// Application Auto Scaling kinds have no tags field.
					if expectedFamily(o) != FamilyAutoscaling {
						t.Errorf("%s has no tags", id)
					}
					continue
				}
				if tags[TagStack] != stack.Name || tags[TagNamespace] != stack.Namespace || tags[TagComponent] == "" {
					t.Errorf("%s has tags %v, want the identifying tags", id, tags)
				}
				for k, v := range stack.Spec.Tags {
					if tags[k] != v {
						t.Errorf("%s has tag %s=%q, want spec.tags value %q", id, k, tags[k], v)
					}
				}
			}
		})
	}
}

func TestBuildIsDeterministic(t *testing.T) {
	for _, c := range stacksUnderTest() {
		t.Run("rendering "+c.name+" twice gives the same objects in the same order", func(t *testing.T) {
			for _, obs := range []Observed{{}, observedAll()} {
				a := mustBuild(t, c.stack, obs)
				b := mustBuild(t, c.stack, obs)
				if !reflect.DeepEqual(a, b) {
					t.Fatalf("two renderings differ")
				}
				ja, _ := json.Marshal(a.Objects)
				jb, _ := json.Marshal(b.Objects)
				if string(ja) != string(jb) {
					t.Fatalf("two renderings serialize differently")
				}
			}
		})
	}
	t.Run("listing the zones in another order renders the same objects", func(t *testing.T) {
		a := mustBuild(t, newStack("prod", withZones("us-east-1a", "us-east-1b", "us-east-1c")), observedAll())
		b := mustBuild(t, newStack("prod", withZones("us-east-1c", "us-east-1a", "us-east-1b")), observedAll())
		if !reflect.DeepEqual(a, b) {
			t.Errorf("zone order changed the rendering")
		}
	})
}

// TestEveryChildComesAfterWhatItDependsOn holds the creation order to the
// dependency graph (references and literal IDs alike), not to the kind
// order Build sorts by: a child is listed after every child it depends on,
// but for the security groups whose rules name each other, which are created
// together.
func TestEveryChildComesAfterWhatItDependsOn(t *testing.T) {
	for _, c := range stacksUnderTest() {
		t.Run(c.name, func(t *testing.T) {
			objs := mustBuild(t, c.stack, observedFor(t, c.stack, observedAll())).Objects
			at := map[Key]int{}
			for i, o := range objs {
				at[KeyOf(o)] = i
			}
			checked := 0
			for i, o := range objs {
				if _, probe := IsProbe(o); probe {
					continue // a gate probe names what does not exist, on purpose
				}
				for _, d := range DependenciesOf(o) {
					j, ok := at[d]
					if !ok {
						t.Errorf("%s depends on %s, which is not rendered", KeyOf(o), d)
						continue
					}
					checked++
					if j < i {
						continue
					}
					if slices.Contains(DependenciesOf(objs[j]), KeyOf(o)) {
						continue // a cycle, created together
					}
					t.Errorf("%s (at %d) comes before %s (at %d), which it depends on", KeyOf(o), i, d, j)
				}
			}
			if checked == 0 {
				t.Fatal("no dependencies checked: DependenciesOf found none")
			}
		})
	}
}

func TestAppliedJSONHasNoStatusOrCreationTimestamp(t *testing.T) {
	for _, c := range stacksUnderTest() {
		t.Run("applying "+c.name+" claims neither status nor creationTimestamp", func(t *testing.T) {
			for _, o := range mustBuild(t, c.stack, observedAll()).Objects {
				u, err := writecheck.ToUnstructured(o)
				if err != nil {
					t.Fatalf("writecheck.ToUnstructured(%s): %v", o.GetName(), err)
				}
				raw, err := json.Marshal(u)
				if err != nil {
					t.Fatalf("marshalling %s: %v", o.GetName(), err)
				}
				var doc map[string]any
				if err := json.Unmarshal(raw, &doc); err != nil {
					t.Fatal(err)
				}
				if _, ok := doc["status"]; ok {
					t.Errorf("%s applies a status", o.GetName())
				}
				meta, _ := doc["metadata"].(map[string]any)
				if _, ok := meta["creationTimestamp"]; ok {
					t.Errorf("%s applies a creationTimestamp", o.GetName())
				}
				if doc["apiVersion"] == nil || doc["kind"] == nil || doc["spec"] == nil {
					t.Errorf("%s lost apiVersion, kind or spec on the way to apply", o.GetName())
				}

				// The typed object itself never carries a creation timestamp,
				// and its status is the empty block the mirrors always write.
				raw, _ = json.Marshal(o)
				doc = nil
				_ = json.Unmarshal(raw, &doc)
				meta, _ = doc["metadata"].(map[string]any)
				if _, ok := meta["creationTimestamp"]; ok {
					t.Errorf("%s carries a creationTimestamp", o.GetName())
				}
				if st, ok := doc["status"].(map[string]any); ok && len(st) != 0 {
					t.Errorf("%s carries status %v", o.GetName(), st)
				}
			}
		})
	}
}

func TestBuildRejectsIncompleteStacks(t *testing.T) {
	tests := []struct {
		name  string
		stack *platformv1alpha1.DocuFlowStack
	}{
		{name: "a nil stack is an error", stack: nil},
		{name: "a stack without namespace is an error", stack: newStack("prod", func(s *platformv1alpha1.DocuFlowStack) { s.Namespace = "" })},
		{name: "a stack without region is an error", stack: newStack("prod", func(s *platformv1alpha1.DocuFlowStack) { s.Spec.Region = "" })},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := Build(tt.stack, Observed{}); err == nil {
				t.Errorf("Build succeeded, want an error")
			}
		})
	}
}
