package desired

import (
	"strings"
	"testing"
	"time"

	ackv1alpha1 "github.com/aws-controllers-k8s/runtime/apis/core/v1alpha1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/docuflow/docuflow-operator/internal/ack/core"
	ec2v1alpha1 "github.com/docuflow/docuflow-operator/internal/ack/ec2/v1alpha1"
	elbv2v1alpha1 "github.com/docuflow/docuflow-operator/internal/ack/elbv2/v1alpha1"
	iamv1alpha1 "github.com/docuflow/docuflow-operator/internal/ack/iam/v1alpha1"
	rdsv1alpha1 "github.com/docuflow/docuflow-operator/internal/ack/rds/v1alpha1"
)

func withCondition[T core.Object](obj T, t ackv1alpha1.ConditionType, msg string) T {
	obj.ACKStatus().Conditions = append(obj.ACKStatus().Conditions, &ackv1alpha1.Condition{Type: t, Status: corev1.ConditionTrue, Message: ptr.To(msg)})
	return obj
}

func withConditions[T core.Object](obj T, conds ...*ackv1alpha1.Condition) T {
	obj.ACKStatus().Conditions = append(obj.ACKStatus().Conditions, conds...)
	return obj
}

func TestLostTrackIsAnExistsErrorOnAChildWithNoAWSIdentity(t *testing.T) {
	account := ackv1alpha1.AWSAccountID("000000000000")
	region := ackv1alpha1.AWSRegion("us-east-1")
	tests := []struct {
		name string
		obj  core.Object
		lost bool
	}{
		{"a subnet whose CIDR conflicts and that has no ID", withCondition(&ec2v1alpha1.Subnet{}, ackv1alpha1.ConditionTypeRecoverable, "api error InvalidSubnet.Conflict: The CIDR '10.0.16.0/20' conflicts with another subnet"), true},
		{"the account and region the runtime fills before creating are no identity", func() core.Object {
			s := withCondition(&ec2v1alpha1.Subnet{}, ackv1alpha1.ConditionTypeRecoverable, "api error InvalidSubnet.Conflict: conflicts")
			s.Status.ACKResourceMetadata = &core.ResourceMetadata{OwnerAccountID: &account, Region: &region}
			return s
		}(), true},
		{"a security group whose name is taken in the VPC", withCondition(&ec2v1alpha1.SecurityGroup{}, ackv1alpha1.ConditionTypeRecoverable, "api error InvalidGroup.Duplicate: The security group 'p-app' already exists for VPC 'vpc-1'"), true},
		{"an interface endpoint whose private DNS name is taken, reported Terminal", withCondition(&ec2v1alpha1.VPCEndpoint{}, ackv1alpha1.ConditionTypeTerminal, "api error InvalidParameter: private-dns-enabled cannot be set because there is already a conflicting DNS domain for ecr.api.us-east-1.amazonaws.com in the VPC vpc-1"), true},
		{"a load balancer: found again by its name, never this", withCondition(&elbv2v1alpha1.LoadBalancer{}, ackv1alpha1.ConditionTypeTerminal, "api error DuplicateLoadBalancerName: A load balancer with the same name 'p-alb' exists"), false},
		{"a database: found again by its identifier, never this", withCondition(&rdsv1alpha1.DBInstance{}, ackv1alpha1.ConditionTypeRecoverable, "api error DBInstanceAlreadyExists: DB instance already exists"), false},
		{"a role whose tags repeat a key in another case", withCondition(&iamv1alpha1.Role{}, ackv1alpha1.ConditionTypeRecoverable, "api error InvalidInput: Duplicate tag keys found. Please note that Tag keys are case insensitive."), false},
		{"a subnet with its ID recorded", func() core.Object {
			s := withCondition(&ec2v1alpha1.Subnet{}, ackv1alpha1.ConditionTypeRecoverable, "api error InvalidSubnet.Conflict: conflicts")
			s.Status.SubnetID = ptr.To("subnet-0123")
			return s
		}(), false},
		{"a security group with its ID recorded (a rule AWS already has)", func() core.Object {
			g := withCondition(&ec2v1alpha1.SecurityGroup{}, ackv1alpha1.ConditionTypeRecoverable, "api error InvalidGroup.Duplicate: duplicate")
			g.Status.ID = ptr.To("sg-0123")
			return g
		}(), false},
		{"a subnet with its ARN recorded", func() core.Object {
			s := withCondition(&ec2v1alpha1.Subnet{}, ackv1alpha1.ConditionTypeRecoverable, "api error InvalidSubnet.Conflict: conflicts")
			arn := ackv1alpha1.AWSResourceName("arn:aws:ec2:us-east-1:000000000000:subnet/subnet-0123")
			s.Status.ACKResourceMetadata = &core.ResourceMetadata{ARN: &arn}
			return s
		}(), false},
		{"another error on a child with no identity", withCondition(&ec2v1alpha1.Subnet{}, ackv1alpha1.ConditionTypeRecoverable, "api error InvalidParameterValue: bad CIDR"), false},
		{"an exists error in a condition that is not an error", withCondition(&ec2v1alpha1.Subnet{}, ackv1alpha1.ConditionTypeResourceSynced, "already exists"), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.obj.SetNamespace("team-a")
			hint, lost := LostTrack(tt.obj, "p")
			if lost != tt.lost {
				t.Fatalf("LostTrack = %v (%q), want %v", lost, hint, tt.lost)
			}
			if lost && !strings.Contains(hint, TagStack+"=p and "+TagNamespace+"=team-a") {
				t.Errorf("the hint does not name the tags to find the orphan by: %s", hint)
			}
		})
	}
}

func TestSilenceCountsFromCreationUntilACKWritesACondition(t *testing.T) {
	now := time.Date(2026, 12, 2, 5, 0, 0, 0, time.UTC)
	created := func(ago time.Duration, conds ...*ackv1alpha1.Condition) core.Object {
		o := withConditions(&ec2v1alpha1.VPC{}, conds...)
		o.SetCreationTimestamp(metav1.NewTime(now.Add(-ago)))
		return o
	}
	tests := []struct {
		name        string
		obj         core.Object
		silent, due time.Duration
	}{
		{"missing", nil, 0, 0},
		{"with a condition", created(time.Hour, &ackv1alpha1.Condition{Type: ackv1alpha1.ConditionTypeResourceSynced, Status: corev1.ConditionTrue}), 0, 0},
		{"new and silent", created(30 * time.Second), 30 * time.Second, SilentAfter - 30*time.Second},
		{"silent too long", created(5 * time.Minute), 5 * time.Minute, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			silent, due := Silence(tt.obj, now)
			if silent != tt.silent || due != tt.due {
				t.Errorf("silence = %s, due %s; want %s, due %s", silent, due, tt.silent, tt.due)
			}
		})
	}
}
