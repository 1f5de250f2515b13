package desired

import (
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"time"

	ackv1alpha1 "github.com/aws-controllers-k8s/runtime/apis/core/v1alpha1"
	corev1 "k8s.io/api/core/v1"

	platformv1alpha1 "github.com/docuflow/docuflow-operator/api/v1alpha1"
	"github.com/docuflow/docuflow-operator/internal/ack"
	applicationautoscalingv1alpha1 "github.com/docuflow/docuflow-operator/internal/ack/applicationautoscaling/v1alpha1"
	cloudwatchlogsv1alpha1 "github.com/docuflow/docuflow-operator/internal/ack/cloudwatchlogs/v1alpha1"
	"github.com/docuflow/docuflow-operator/internal/ack/core"
	ec2v1alpha1 "github.com/docuflow/docuflow-operator/internal/ack/ec2/v1alpha1"
	ecsv1alpha1 "github.com/docuflow/docuflow-operator/internal/ack/ecs/v1alpha1"
	elbv2v1alpha1 "github.com/docuflow/docuflow-operator/internal/ack/elbv2/v1alpha1"
	iamv1alpha1 "github.com/docuflow/docuflow-operator/internal/ack/iam/v1alpha1"
	rdsv1alpha1 "github.com/docuflow/docuflow-operator/internal/ack/rds/v1alpha1"
)

// Observed holds the values only AWS knows, copied from the status of the
// stack's children (Observe does the copying). An empty field means "not
// observed yet": the children that need it are held back and listed in
// Result.Waiting.
type Observed struct {
	// Adopted are the adopted children ACK has adopted (AdoptionSettled):
	// only those are rendered with their references (markAdopted).
	Adopted map[Key]bool
	// VPCID is the VPC's status.vpcID; the FlowLog needs it because FlowLog
	// has no reference field for its resource.
	VPCID string
	// VPCAccount is the account ACK reports owning the VPC
	// (ackResourceMetadata.ownerAccountID); the S3 endpoint's policy admits
	// that account's buckets.
	VPCAccount string
	// S3EndpointID is the S3 gateway endpoint's status.vpcEndpointID, once
	// ACK reports the endpoint synced (available).
	S3EndpointID string
	// EndpointsSynced is true when every VPC endpoint of the stack is
	// synced, that is available: only then can the service's HTTPS egress
	// be closed to the VPC.
	EndpointsSynced bool
	// S3PrefixListID is the region's S3 prefix list (pl-...), read from the
	// route AWS added to a private route table for the S3 gateway endpoint;
	// the service's security group reaches S3 through it.
	S3PrefixListID string
	// FlowLogGroupARN is the flow-log LogGroup's status.ackResourceMetadata.arn;
	// the flow-log role's policy is scoped to it.
	FlowLogGroupARN string
	// AppLogGroupARN is the application LogGroup's
	// status.ackResourceMetadata.arn; the task execution role's policy is
	// scoped to it.
	AppLogGroupARN string
	// DBSecretARN is the DBInstance's status.masterUserSecret.secretARN, the
	// Secrets Manager secret RDS keeps the master credentials in.
	DBSecretARN string
	// ExecutionRoleARN is the task execution Role's ARN; TaskDefinition has
	// no reference field for it.
	ExecutionRoleARN string
	// DBEndpointAddress is the DBInstance's status.endpoint.address.
	DBEndpointAddress string
	// DBEndpointPort is the DBInstance's status.endpoint.port, 0 when unknown.
	DBEndpointPort int64
	// TaskDefinitionARN is the revisioned ARN of the TaskDefinition the
	// stack renders now (the one named after the current content hash); an
	// older TaskDefinition's ARN is never taken.
	TaskDefinitionARN string
	// ServiceTaskDefinitionARN is the task definition the live ECS Service's
	// spec names. While a new TaskDefinition's ARN is not observed yet (an
	// image change being registered) the Service keeps running this one
	// instead of being held back.
	ServiceTaskDefinitionARN string
	// ServiceARN is the ECS Service's ARN: the AWS service exists.
	ServiceARN string
	// ServiceDesiredCount is the desired count of the ECS Service's PRIMARY
	// deployment, 0 when unknown (a service of 0 tasks renders like an
	// unknown one: minTasks).
	ServiceDesiredCount int64
	// ScalableTargetSynced is true when the ScalableTarget reports
	// ACK.ResourceSynced=True, so scaling policies can be put on it.
	ScalableTargetSynced bool
	// LoadBalancerARN is the LoadBalancer's ARN.
	LoadBalancerARN string
	// TargetGroupARN is the TargetGroup's ARN.
	TargetGroupARN string
	// SubnetIDs are the Subnets' status.subnetID, by metadata name. The ECS
	// Service names its subnets literally: the ECS controller rebuilds
	// networkConfiguration from AWS's answer without the references.
	SubnetIDs map[string]string
	// SecurityGroupIDs are the SecurityGroups' status.id, by metadata name.
	SecurityGroupIDs map[string]string
	// DBInstanceExists is true once the DBInstance child exists.
	DBInstanceExists bool
	// Service is what the live ECS Service says about the operator's last
	// write to it.
	Service ServiceObservation
	// ELBv2IgnoreFieldDrift is the elbv2 controller's IgnoreFieldDrift gate,
	// as its gate probe found it.
	ELBv2IgnoreFieldDrift Gate
	// RDSIgnoreFieldDrift is the rds controller's IgnoreFieldDrift gate.
	RDSIgnoreFieldDrift Gate
	// Platform is what the operator's installation sets (not read from a
	// child; the caller fills it).
	Platform Platform
}

// Platform is what the operator's installation sets on every stack's
// children: outside the spec, so a tenant who writes stacks cannot change it.
type Platform struct {
	// IAMPermissionsBoundary is the ARN of the managed policy every role of
	// every stack gets as its permissions boundary; "" sets none.
	IAMPermissionsBoundary string
}

// ServiceObservation is what the operator needs to know about the live ECS
// Service to hold it read-only between its own changes.
type ServiceObservation struct {
	// Exists is true once the Service child exists.
	Exists bool
	// Synced is ACK.ResourceSynced=True.
	Synced bool
	// SyncedAt is when ACK last set ACK.ResourceSynced: the time of its last
	// reconcile, since the runtime sets the condition afresh every time.
	SyncedAt time.Time
	// ReadOnly is true while the Service carries services.k8s.aws/read-only.
	ReadOnly bool
	// AppliedHash and AppliedAt are the operator's annotations on it.
	AppliedHash string
	AppliedAt   time.Time
	// TaskDefinition is the task definition its spec names.
	TaskDefinition string
	// PrimaryTaskDefinition is the task definition of its PRIMARY
	// deployment, as ECS reports it.
	PrimaryTaskDefinition string
}

// ReadBuildInputs collects the values Build needs from the stack's children as read
// from the cluster: IDs, ARNs, the database endpoint, the service's desired
// count and whether the scalable target is synced. Only objects of the
// expected kind with the exact expected name in the stack's namespace count,
// and only values ACK has reported. The TaskDefinition's expected name is a
// hash of its content, which depends on the other observed values, so it is
// looked up last.
func ReadBuildInputs(stack *platformv1alpha1.DocuFlowStack, children []core.Object) Observed {
	var obs Observed
	if stack == nil {
		return obs
	}
	name := func(component string) string { return Name(stack.Name, component, KubernetesName) }
	var taskDefs []*ecsv1alpha1.TaskDefinition
	var routes []*ec2v1alpha1.RouteState
	syncedEndpoints := map[string]bool{}
	for _, c := range children {
		if c == nil || c.GetNamespace() != stack.Namespace {
			continue
		}
		if AdoptionSettled(c) {
			if obs.Adopted == nil {
				obs.Adopted = map[Key]bool{}
			}
			obs.Adopted[KeyOf(c)] = true
		}
		if !Trusted(stack, c) {
			// Its values may be another tenant's (a name collision leaves
			// the child Terminal with what AWS holds under that name); only
			// the fact that the object exists is kept.
			switch o := c.(type) {
			case *rdsv1alpha1.DBInstance:
				obs.DBInstanceExists = obs.DBInstanceExists || o.Name == name(componentDB)
			case *ecsv1alpha1.Service:
				if o.Name == name(componentService) {
					// The operator's own annotations and spec still count;
					// what ECS reported does not.
					obs.Service = readService(o)
					obs.Service.Synced, obs.Service.PrimaryTaskDefinition = false, ""
				}
			}
			continue
		}
		switch o := c.(type) {
		case *ec2v1alpha1.VPC:
			if o.Name == name(componentVPC) && o.Status.VPCID != nil {
				obs.VPCID = *o.Status.VPCID
				if md := o.Status.ACKResourceMetadata; md != nil && md.OwnerAccountID != nil {
					obs.VPCAccount = string(*md.OwnerAccountID)
				}
			}
		case *ec2v1alpha1.VPCEndpoint:
			if !IsSynced(o) {
				continue
			}
			syncedEndpoints[o.Name] = true
			if o.Name == name(endpointComponent("s3")) {
				obs.S3EndpointID = ptrValue(o.Status.VPCEndpointID)
			}
		case *ec2v1alpha1.RouteTable:
			for _, az := range stack.Spec.Network.AvailabilityZones {
				if o.Name == name(privateRoutesPrefix+"-"+az) {
					routes = append(routes, o.Status.RouteStatuses...)
				}
			}
		case *ec2v1alpha1.Subnet:
			if id := ptrValue(o.Status.SubnetID); id != "" {
				if obs.SubnetIDs == nil {
					obs.SubnetIDs = map[string]string{}
				}
				obs.SubnetIDs[o.Name] = id
			}
		case *ec2v1alpha1.SecurityGroup:
			if id := ptrValue(o.Status.ID); id != "" {
				if obs.SecurityGroupIDs == nil {
					obs.SecurityGroupIDs = map[string]string{}
				}
				obs.SecurityGroupIDs[o.Name] = id
			}
		case *cloudwatchlogsv1alpha1.LogGroup:
			switch o.Name {
			case name(componentFlowLogs):
				obs.FlowLogGroupARN = o.Status.ARN()
			case name(componentAppLogs):
				obs.AppLogGroupARN = o.Status.ARN()
			}
		case *iamv1alpha1.Role:
			if o.Name == name(componentTaskExecution) {
				obs.ExecutionRoleARN = o.Status.ARN()
			}
		case *rdsv1alpha1.DBInstance:
			if o.Name != name(componentDB) {
				continue
			}
			if o.Status.MasterUserSecret != nil && o.Status.MasterUserSecret.SecretARN != nil {
				obs.DBSecretARN = *o.Status.MasterUserSecret.SecretARN
			}
			obs.DBInstanceExists = true
			if e := o.Status.Endpoint; e != nil && e.Address != nil && *e.Address != "" {
				obs.DBEndpointAddress = *e.Address
				if e.Port != nil {
					obs.DBEndpointPort = *e.Port
				}
			}
		case *elbv2v1alpha1.LoadBalancer:
			if o.Name == name(componentLoadBalancer) {
				obs.LoadBalancerARN = o.Status.ARN()
			}
		case *elbv2v1alpha1.TargetGroup:
			if o.Name == name(componentTargetGroup) {
				obs.TargetGroupARN = o.Status.ARN()
			}
			if p, ok := IsProbe(o); ok && p == ProbeELBv2 {
				obs.ELBv2IgnoreFieldDrift = ProbeResult(o)
			}
		case *rdsv1alpha1.DBSubnetGroup:
			if p, ok := IsProbe(o); ok && p == ProbeRDS {
				obs.RDSIgnoreFieldDrift = ProbeResult(o)
			}
		case *ecsv1alpha1.TaskDefinition:
			taskDefs = append(taskDefs, o)
		case *ecsv1alpha1.Service:
			if o.Name != name(componentService) {
				continue
			}
			obs.ServiceARN = o.Status.ARN()
			if td := o.Spec.TaskDefinition; td != nil && strings.Contains(*td, ":task-definition/") {
				obs.ServiceTaskDefinitionARN = *td
			}
			obs.Service = readService(o)
			for _, d := range o.Status.Deployments {
				if d != nil && d.Status != nil && *d.Status == deploymentPrimary && d.DesiredCount != nil {
					obs.ServiceDesiredCount = *d.DesiredCount
				}
			}
		case *applicationautoscalingv1alpha1.ScalableTarget:
			if o.Name == name(componentScalableTarget) {
				c := o.Status.Condition(ackv1alpha1.ConditionTypeResourceSynced)
				obs.ScalableTargetSynced = c != nil && c.Status == corev1.ConditionTrue
			}
		}
	}
	obs.S3PrefixListID = s3PrefixList(routes, obs.S3EndpointID)
	obs.EndpointsSynced = syncedEndpoints[name(endpointComponent("s3"))]
	for _, svc := range interfaceEndpoints {
		obs.EndpointsSynced = obs.EndpointsSynced && syncedEndpoints[name(endpointComponent(svc))]
	}
	if len(taskDefs) > 0 {
		if want, ok := taskDefinitionName(stack, obs); ok {
			for _, td := range taskDefs {
				if td.Name == want {
					obs.TaskDefinitionARN = td.Status.ARN()
				}
			}
		}
	}
	return obs
}

// s3PrefixList returns the prefix list of the route the S3 gateway endpoint
// put in a private route table, or "". Every private table gets the same one,
// the region's S3 prefix list; the first found is taken.
func s3PrefixList(routes []*ec2v1alpha1.RouteState, endpointID string) string {
	if endpointID == "" {
		return ""
	}
	for _, r := range routes {
		if r != nil && ptrValue(r.GatewayID) == endpointID {
			if pl := ptrValue(r.DestinationPrefixListID); strings.HasPrefix(pl, "pl-") {
				return pl
			}
		}
	}
	return ""
}

// Result is the rendered stack.
type Result struct {
	// Objects are the children to apply, in the kind order of ack.Kinds():
	// an object refers only to objects listed before it, except where that
	// order has to break a cycle (private route tables name the NAT gateways,
	// which sit in subnets associated with route tables; security groups name
	// each other). ACK retries unresolved references, so those converge.
	Objects []core.Object
	// Waiting lists the children held back because a value they need has not
	// been observed yet, in the order they would be rendered.
	Waiting []Wait
}

// Wait says that one child is not rendered yet and what it waits for.
type Wait struct {
	// Family is the child's component family, one of the Family constants.
	Family string
	// Kind is the child's ACK kind, for example FlowLog.
	Kind string
	// Name is the child's metadata.name. A TaskDefinition's name ends in a
	// hash of content not known yet, so a waiting one is named without it.
	Name string
	// WaitsFor names the missing values in a phrase, for example
	// "VPC prod-vpc ID".
	WaitsFor string
}

// builder carries one rendering: the stack, its resolved settings, the
// observed values and the objects rendered so far.
type builder struct {
	stack   *platformv1alpha1.DocuFlowStack
	s       Settings
	obs     Observed
	zones   []zone
	objects []core.Object
	waiting []Wait
	// deps are the children each object was rendered from.
	deps map[core.Object][]Key
	// svc is the rendered ECS Service, nil while it waits.
	svc *ecsv1alpha1.Service
	// scope is the stack's AnnotationAWSNames value, checked.
	scope string
}

// Build renders the stack into the ACK objects it needs, given the values
// observed so far. It fails only on input the CRD schema should have
// rejected, such as a zone whose letter is outside a to h.
func Build(stack *platformv1alpha1.DocuFlowStack, obs Observed) (Result, error) {
	if stack == nil {
		return Result{}, errors.New("rendering a nil DocuFlowStack")
	}
	if stack.Name == "" || stack.Namespace == "" {
		return Result{}, errors.New("rendering a DocuFlowStack without name or namespace")
	}
	scope, err := awsNameScope(stack)
	if err != nil {
		return Result{}, fmt.Errorf("rendering DocuFlowStack %s/%s: %w", stack.Namespace, stack.Name, err)
	}
	b := &builder{stack: stack, s: Resolve(stack), obs: obs, scope: scope}
	if b.s.Region == "" {
		return Result{}, fmt.Errorf("rendering DocuFlowStack %s/%s: spec.region is empty", stack.Namespace, stack.Name)
	}
	zones, err := carveZones(b.s.VPCCIDR, b.s.AvailabilityZones)
	if err != nil {
		return Result{}, fmt.Errorf("rendering the network of DocuFlowStack %s/%s: %w", stack.Namespace, stack.Name, err)
	}
	b.zones = zones

	b.network()
	b.securityGroups()
	b.database()
	b.identity()
	b.loadBalancing()
	b.compute()
	b.autoscaling()
	b.alarms()
	b.gateProbes()
	b.markRetained(b.objects)
	b.markAdopted(b.objects)
	b.markDependencies(b.objects)
	b.holdServiceReadOnly()
	markHashes(b.objects)
	return Result{Objects: creationOrder(b.objects), Waiting: b.waiting}, nil
}

// emit adds rendered objects.
func (b *builder) emit(objs ...core.Object) { b.objects = append(b.objects, objs...) }

// wait records a child held back for the missing values.
func (b *builder) wait(family, kind, name string, missing ...string) {
	b.waiting = append(b.waiting, Wait{Family: family, Kind: kind, Name: name, WaitsFor: strings.Join(missing, " and ")})
}

// name is Name for a component of this stack: the metadata.name of a child.
func (b *builder) name(component string, rule NameRule) string {
	return Name(b.stack.Name, component, rule)
}

// awsName is the name a component of this stack has in AWS. A scoped stack's
// names carry its scope (AnnotationAWSNames), and IAM names, global to the
// account, carry the region as well; a legacy stack's are its metadata names.
func (b *builder) awsName(component string, rule NameRule) string {
	return awsNameIn(b.stack, b.scope, component, rule)
}

func awsNameIn(stack *platformv1alpha1.DocuFlowStack, scope, component string, rule NameRule) string {
	if scope == AWSNamesLegacy {
		return Name(stack.Name, component, rule)
	}
	prefix := stack.Name + "-" + scope
	if rule == IAMRoleName {
		prefix += "-" + stack.Spec.Region
	}
	return Name(prefix, component, rule)
}

// AWSName is the name the stack's component (for example "db", "alb",
// "task-execution") has in AWS under rule, as Build renders it; tests and
// tools that look a resource up in AWS use it.
func AWSName(stack *platformv1alpha1.DocuFlowStack, component string, rule NameRule) (string, error) {
	scope, err := awsNameScope(stack)
	if err != nil {
		return "", err
	}
	return awsNameIn(stack, scope, component, rule), nil
}

// AWSPathPrefix is "<namespace>/<name>[-<scope>]/", the part of the stack's
// log group and alarm names that is the stack's own.
func AWSPathPrefix(stack *platformv1alpha1.DocuFlowStack) (string, error) {
	scope, err := awsNameScope(stack)
	if err != nil {
		return "", err
	}
	b := &builder{stack: stack, scope: scope}
	return b.awsPath(""), nil
}

// awsPath is the "/"-separated form of the stack's scoped identity, for the
// names (log groups, alarms) that are paths rather than labels.
func (b *builder) awsPath(component string) string {
	id := b.stack.Name
	if b.scope != AWSNamesLegacy {
		id += "-" + b.scope
	}
	return b.stack.Namespace + "/" + id + "/" + component
}

// kindRank is the position of each mirrored kind in ack.Kinds(), the
// repository's one dependency order.
var kindRank = func() map[reflect.Type]int {
	m := map[reflect.Type]int{}
	for i, k := range ack.Kinds() {
		m[reflect.TypeOf(k)] = i
	}
	return m
}()

// sortByKind orders objects by kind in dependency order, keeping the rendering
// order within a kind.
func sortByKind(objs []core.Object) []core.Object {
	out := slices.Clone(objs)
	slices.SortStableFunc(out, func(a, b core.Object) int {
		return kindRank[reflect.TypeOf(a)] - kindRank[reflect.TypeOf(b)]
	})
	return out
}

// ref returns a reference to the ACK object of the given name in the stack's
// own namespace (a nil namespace means the referencing object's namespace).
func ref(name string) *ackv1alpha1.AWSResourceReferenceWrapper {
	return &ackv1alpha1.AWSResourceReferenceWrapper{From: &ackv1alpha1.AWSResourceReference{Name: ptrTo(name)}}
}

// refs returns one reference per name, in the given order.
func refs(names ...string) []*ackv1alpha1.AWSResourceReferenceWrapper {
	out := make([]*ackv1alpha1.AWSResourceReferenceWrapper, 0, len(names))
	for _, n := range names {
		out = append(out, ref(n))
	}
	return out
}
