package desired

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	platformv1alpha1 "github.com/docuflow/docuflow-operator/api/v1alpha1"
	cloudwatchlogsv1alpha1 "github.com/docuflow/docuflow-operator/internal/ack/cloudwatchlogs/v1alpha1"
	"github.com/docuflow/docuflow-operator/internal/ack/core"
)

// Labels, annotations and tag keys every child of a stack carries.
const (
	// LabelManagedBy is the standard label naming the operator.
	LabelManagedBy = "app.kubernetes.io/managed-by"
	// LabelPartOf is the standard label naming the application.
	LabelPartOf = "app.kubernetes.io/part-of"
	// LabelStack names the DocuFlowStack a child belongs to.
	LabelStack = "platform.docuflow.io/stack"
	// LabelFamily names the component family a child belongs to, one of the
	// Family constants; the stack's status has one condition per family.
	LabelFamily = "platform.docuflow.io/family"
	// LabelShard, on a stack, names the operator shard that reconciles it
	// (the manager started with the same --shard); a stack without it
	// belongs to the default shard. Its children carry the stack's value, so
	// each shard caches only its own stacks' children.
	LabelShard = "platform.docuflow.io/shard"
	// ManagedByValue is the value of LabelManagedBy.
	ManagedByValue = "docuflow-operator"
	// PartOfValue is the value of LabelPartOf.
	PartOfValue = "docuflow"

	// AnnotationRegion is ACK's per-resource region annotation.
	AnnotationRegion = "services.k8s.aws/region"

	// TagStack is the AWS tag holding the stack's name.
	TagStack = "docuflow.io/stack"
	// TagNamespace is the AWS tag holding the stack's namespace.
	TagNamespace = "docuflow.io/namespace"
	// TagComponent is the AWS tag naming the part of the stack a resource is.
	TagComponent = "docuflow.io/component"
)

// The component families, the values of LabelFamily and Wait.Family.
const (
	// FamilyNetwork is the VPC, its subnets, gateways, route tables, every
	// security group, the VPC endpoints and the flow logs with their log group
	// and role.
	FamilyNetwork = "network"
	// FamilyDatabase is the DB subnet group, parameter group and instance.
	FamilyDatabase = "database"
	// FamilyLoadBalancer is the load balancer, its target group and listeners.
	FamilyLoadBalancer = "loadbalancer"
	// FamilyService is the application log group, the task execution and task
	// roles, the ECS cluster, the task definition and the ECS service.
	FamilyService = "service"
	// FamilyAutoscaling is the scalable target and its scaling policies.
	FamilyAutoscaling = "autoscaling"
	// FamilyAlarms is the CloudWatch alarms.
	FamilyAlarms = "alarms"
)

// Families are the component families in dependency order.
var Families = []string{FamilyNetwork, FamilyDatabase, FamilyLoadBalancer, FamilyService, FamilyAutoscaling, FamilyAlarms}

// FamilyConditions maps each family to the condition type that reports it on
// the stack's status.
var FamilyConditions = map[string]string{
	FamilyNetwork:      platformv1alpha1.ConditionNetworkReady,
	FamilyDatabase:     platformv1alpha1.ConditionDatabaseReady,
	FamilyLoadBalancer: platformv1alpha1.ConditionLoadBalancerReady,
	FamilyService:      platformv1alpha1.ConditionServiceReady,
	FamilyAutoscaling:  platformv1alpha1.ConditionAutoscalingReady,
	FamilyAlarms:       platformv1alpha1.ConditionAlarmsReady,
}

// NameRule is the set of constraints one kind of name must satisfy.
type NameRule struct {
	// MaxLength is the longest name allowed.
	MaxLength int
	// StartWithLetter requires the first character to be a letter.
	StartWithLetter bool
	// NoDoubleHyphen forbids two hyphens in a row.
	NoDoubleHyphen bool
	// ReservedPrefix, when set, is a prefix the name must not start with.
	ReservedPrefix string
}

// The naming rules of the names a stack's children carry. All of them are
// further restricted to lowercase letters, digits and hyphens, neither
// starting nor ending with a hyphen, which every one of these services
// accepts.
var (
	// KubernetesName is the rule for metadata.name: a DNS-1123 label, so the
	// name is also valid wherever a label value or a DNS name is expected.
	KubernetesName = NameRule{MaxLength: 63}
	// ELBName is the rule for load balancer and target group names. AWS
	// rejects load balancer names starting with "internal-".
	ELBName = NameRule{MaxLength: 32, ReservedPrefix: "internal-"}
	// IAMRoleName is the rule for IAM role names.
	IAMRoleName = NameRule{MaxLength: 64}
	// RDSName is the rule for RDS instance identifiers and the names of DB
	// subnet and parameter groups.
	RDSName = NameRule{MaxLength: 63, StartWithLetter: true, NoDoubleHyphen: true}
	// SecurityGroupName is the rule for security group names.
	SecurityGroupName = NameRule{MaxLength: 255}
	// ECSName is the rule for ECS cluster and service names and task
	// definition families.
	ECSName = NameRule{MaxLength: 255}
)

// AnnotationAWSNames records on the stack how its AWS names are made, once,
// before its first child exists: "legacy" for a stack created before AWS
// names were scoped (its names stay "<stack>-<component>", since renaming
// replaces resources), or the 8 hex characters of AWSNameScope. The operator
// writes it; AWSNamesFor says what it writes.
const AnnotationAWSNames = "platform.docuflow.io/aws-names"

// AWSNamesLegacy is the AnnotationAWSNames value of a stack whose AWS names
// predate scoping.
const AWSNamesLegacy = "legacy"

// AWSNameScope is the short, stable hash every scoped AWS name of a stack
// carries: of the operator installation's ID, the namespace and the name, so
// that stacks of one name in two namespaces or two clusters sharing an AWS
// account never collide.
func AWSNameScope(installationID, namespace, name string) string {
	sum := sha256.Sum256([]byte(installationID + "\x00" + namespace + "\x00" + name))
	return hex.EncodeToString(sum[:])[:hashLength]
}

// AWSNamesFor is the AnnotationAWSNames value the stack keeps: the one it
// carries; else, when it has children already, the one their AWS names show
// (an operator that did not scope names created it, or a tool that replaces
// whole objects dropped the annotation); else its scope under
// installationID. It fails when the children show none: renaming would
// replace resources, so the operator stops and asks.
func AWSNamesFor(stack *platformv1alpha1.DocuFlowStack, installationID string, children []core.Object) (string, error) {
	if v, ok := stack.Annotations[AnnotationAWSNames]; ok {
		return v, nil
	}
	if len(children) == 0 {
		return AWSNameScope(installationID, stack.Namespace, stack.Name), nil
	}
	legacy := "/docuflow/" + stack.Namespace + "/" + stack.Name + "/"
	scoped := "/docuflow/" + stack.Namespace + "/" + stack.Name + "-"
	for _, c := range children {
		lg, ok := c.(*cloudwatchlogsv1alpha1.LogGroup)
		if !ok || lg.Spec.Name == nil {
			continue
		}
		name := *lg.Spec.Name
		if strings.HasPrefix(name, legacy) {
			return AWSNamesLegacy, nil
		}
		if rest, ok := strings.CutPrefix(name, scoped); ok && len(rest) > hashLength && rest[hashLength] == '/' {
			if scope := rest[:hashLength]; strings.Trim(scope, "0123456789abcdef") == "" {
				return scope, nil
			}
		}
	}
	return "", fmt.Errorf("the stack has children but no annotation %s, and no log group of it shows how its AWS names are made: set the annotation to %q for names without a scope, or to the 8 hex characters its AWS names carry", AnnotationAWSNames, AWSNamesLegacy)
}

// awsNameScope is the stack's AnnotationAWSNames value checked, or the scope
// under an empty installation ID when the stack has none yet (a rendering
// outside the operator, which writes the annotation before building).
func awsNameScope(stack *platformv1alpha1.DocuFlowStack) (string, error) {
	v, ok := stack.Annotations[AnnotationAWSNames]
	if !ok {
		return AWSNameScope("", stack.Namespace, stack.Name), nil
	}
	if v == AWSNamesLegacy {
		return v, nil
	}
	if len(v) != hashLength || strings.Trim(v, "0123456789abcdef") != "" {
		return "", fmt.Errorf("annotation %s is %q: it must be %q or the %d hex characters the operator wrote", AnnotationAWSNames, v, AWSNamesLegacy, hashLength)
	}
	return v, nil
}

// hashLength is the number of hex characters of the suffix a cut name gets.
const hashLength = 8

// reservedEscape is put in front of a name that would start with its rule's
// reserved prefix.
const reservedEscape = "df-"

// Name returns "<stack>-<component>" made valid under rule. A name that
// already satisfies the rule is returned unchanged. Otherwise it is cleaned
// (lowercased, other characters replaced by hyphens) and cut to fit, and a
// hash of the original gets appended, so two inputs that clean or cut to the
// same text still get different names. A name that would start with the
// rule's reserved prefix gets "df-" in front and the hash as well, so it
// cannot collide with the name of a stack literally called "df-…".
func Name(stack, component string, rule NameRule) string {
	raw := stack + "-" + component
	clean := cleanName(raw, rule)
	reserved := rule.ReservedPrefix != "" && strings.HasPrefix(clean, rule.ReservedPrefix)
	if reserved {
		clean = reservedEscape + clean
	}
	if clean == raw && len(clean) <= rule.MaxLength {
		return clean
	}
	sum := sha256.Sum256([]byte(raw))
	suffix := hex.EncodeToString(sum[:])[:hashLength]
	body := clean
	if room := rule.MaxLength - hashLength - 1; len(body) > room {
		body = body[:room]
	}
	body = strings.TrimRight(body, "-")
	if body == "" {
		if rule.StartWithLetter {
			return "h" + suffix[:hashLength-1]
		}
		return suffix
	}
	return body + "-" + suffix
}

// cleanName lowercases name, replaces every character other than a letter,
// digit or hyphen with a hyphen and applies the rule's other constraints,
// without cutting.
func cleanName(name string, rule NameRule) string {
	var b strings.Builder
	for _, r := range strings.ToLower(name) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			b.WriteRune(r)
		case rule.NoDoubleHyphen && strings.HasSuffix(b.String(), "-"):
			// Collapse runs of hyphens.
		default:
			b.WriteByte('-')
		}
	}
	out := strings.Trim(b.String(), "-")
	if rule.StartWithLetter && out == "" {
		return "d"
	}
	if rule.StartWithLetter && (out[0] < 'a' || out[0] > 'z') {
		// Stack names may start with a digit; RDS names may not.
		out = "d-" + out
	}
	return out
}

// ValidName reports whether name satisfies rule and the shared character
// constraints; tests use it to check every rendered name.
func ValidName(name string, rule NameRule) bool {
	if name == "" || len(name) > rule.MaxLength {
		return false
	}
	if name[0] == '-' || name[len(name)-1] == '-' {
		return false
	}
	if rule.StartWithLetter && (name[0] < 'a' || name[0] > 'z') {
		return false
	}
	if rule.NoDoubleHyphen && strings.Contains(name, "--") {
		return false
	}
	if rule.ReservedPrefix != "" && strings.HasPrefix(name, rule.ReservedPrefix) {
		return false
	}
	for _, r := range name {
		if (r < 'a' || r > 'z') && (r < '0' || r > '9') && r != '-' {
			return false
		}
	}
	return true
}

// Labels returns the labels every child of the stack carries: the shared
// ones, plus the stack's LabelShard when it has one (the children of a stack
// of the default shard carry none, as they did before sharding).
func Labels(stack *platformv1alpha1.DocuFlowStack) map[string]string {
	out := map[string]string{
		LabelManagedBy: ManagedByValue,
		LabelPartOf:    PartOfValue,
		LabelStack:     labelValue(stack.Name),
	}
	if shard := ShardOf(stack); shard != "" {
		out[LabelShard] = shard
	}
	return out
}

// ShardOf returns the shard a stack or a child belongs to: its LabelShard,
// "" (the default shard) when it has none.
func ShardOf(obj metav1.Object) string {
	return obj.GetLabels()[LabelShard]
}

// labelValue returns v if it is short enough for a label value, or a cut
// version of it with a hash suffix.
func labelValue(v string) string {
	if len(v) <= 63 {
		return v
	}
	sum := sha256.Sum256([]byte(v))
	body := strings.TrimRight(v[:63-hashLength-1], "-.")
	return body + "-" + hex.EncodeToString(sum[:])[:hashLength]
}

// Tag is one AWS tag before it is converted into a service's own tag type.
type Tag struct {
	// Key is the tag's key.
	Key string
	// Value is the tag's value.
	Value string
}

// Tags returns the AWS tags of one component of the stack, sorted by key: the
// stack's spec.tags plus the identifying tags docuflow.io/stack,
// docuflow.io/namespace and docuflow.io/component. The schema rejects
// spec.tags keys with the docuflow.io/ prefix; should one slip through, the
// identifying value wins.
func Tags(stack *platformv1alpha1.DocuFlowStack, component string) []Tag {
	merged := make(map[string]string, len(stack.Spec.Tags)+3)
	for k, v := range stack.Spec.Tags {
		merged[k] = v
	}
	merged[TagStack] = stack.Name
	merged[TagNamespace] = stack.Namespace
	merged[TagComponent] = component
	keys := make([]string, 0, len(merged))
	for k := range merged {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	out := make([]Tag, 0, len(keys))
	for _, k := range keys {
		out = append(out, Tag{Key: k, Value: merged[k]})
	}
	return out
}

// objectMeta returns the metadata of the child named "<stack>-<component>":
// the stack's namespace, the shared labels plus the family label, and the
// region annotation. Owner references are left to the apply layer.
func objectMeta(stack *platformv1alpha1.DocuFlowStack, family, component string) metav1.ObjectMeta {
	labels := Labels(stack)
	labels[LabelFamily] = family
	return metav1.ObjectMeta{
		Name:        Name(stack.Name, component, KubernetesName),
		Namespace:   stack.Namespace,
		Labels:      labels,
		Annotations: map[string]string{AnnotationRegion: stack.Spec.Region},
	}
}

// IsChildOf reports whether the stack is obj's controlling owner: the
// operator's children carry the stack's label too, but a label alone could be
// copied onto someone else's object.
func IsChildOf(obj metav1.Object, stack *platformv1alpha1.DocuFlowStack) bool {
	for _, ref := range obj.GetOwnerReferences() {
		if ref.Controller != nil && *ref.Controller && ref.UID == stack.UID {
			return true
		}
	}
	return false
}
