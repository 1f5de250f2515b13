package e2e

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	ackv1alpha1 "github.com/aws-controllers-k8s/runtime/apis/core/v1alpha1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	platformv1alpha1 "github.com/docuflow/docuflow-operator/api/v1alpha1"
	"github.com/docuflow/docuflow-operator/internal/ack/core"
	ec2v1alpha1 "github.com/docuflow/docuflow-operator/internal/ack/ec2/v1alpha1"
	"github.com/docuflow/docuflow-operator/internal/desired"
	"github.com/docuflow/docuflow-operator/internal/envtestutil"
)

// newNamespace creates a namespace for one test.
func newNamespace(t *testing.T) string {
	t.Helper()
	return envtestutil.NewNamespace(t, suite.k8s)
}

// productionStack is the production sample named name in namespace ns,
// pointing at the account's certificate, topic and bucket.
func productionStack(t *testing.T, ns, name string, p accountPrerequisites) *platformv1alpha1.DocuFlowStack {
	t.Helper()
	stack := envtestutil.SampleStack(t, ns)
	stack.Name = name
	stack.Spec.LoadBalancer.CertificateARN = &p.certificateARN
	stack.Spec.Observability.AlarmTopicARN = &p.topicARN
	stack.Spec.LoadBalancer.AccessLogs.Bucket = p.bucket
	return stack
}

// children lists the stack's ACK children by "Kind/name".
func children(t *testing.T, ns string) map[string]core.Object {
	t.Helper()
	return envtestutil.Children(t, suite.k8s, ns)
}

// getStack reads the stack as the API server has it.
func getStack(t *testing.T, stack *platformv1alpha1.DocuFlowStack) *platformv1alpha1.DocuFlowStack {
	t.Helper()
	now := &platformv1alpha1.DocuFlowStack{}
	if err := suite.k8s.Get(context.Background(), client.ObjectKeyFromObject(stack), now); err != nil {
		t.Fatalf("reading DocuFlowStack %s: %v", stack.Name, err)
	}
	return now
}

// progress summarises a stack for the test log: its Ready condition and how
// many children exist and are synced.
func progress(t *testing.T, stack *platformv1alpha1.DocuFlowStack) string {
	now := getStack(t, stack)
	kids := children(t, stack.Namespace)
	synced := 0
	var notSynced []string
	for k, o := range kids {
		if isSynced(o) {
			synced++
		} else {
			notSynced = append(notSynced, k+" "+conditionSummary(o))
		}
	}
	sort.Strings(notSynced)
	if len(notSynced) > 4 {
		notSynced = append(notSynced[:4], fmt.Sprintf("... %d more", len(notSynced)-4))
	}
	ready := meta.FindStatusCondition(now.Status.Conditions, platformv1alpha1.ConditionReady)
	msg := "no Ready condition"
	if ready != nil {
		msg = fmt.Sprintf("Ready=%s %s: %s", ready.Status, ready.Reason, ready.Message)
	}
	return fmt.Sprintf("%d children, %d synced; %s; not synced: %s", len(kids), synced, msg, strings.Join(notSynced, "; "))
}

// isSynced reports ACK.ResourceSynced=True.
func isSynced(o core.Object) bool {
	c := o.ACKStatus().Condition(ackv1alpha1.ConditionTypeResourceSynced)
	return c != nil && c.Status == corev1.ConditionTrue
}

// conditionSummary is a child's ACK conditions in one line.
func conditionSummary(o core.Object) string {
	var parts []string
	for _, c := range o.ACKStatus().Conditions {
		if c == nil {
			continue
		}
		s := fmt.Sprintf("%s=%s", c.Type, c.Status)
		if c.Reason != nil && *c.Reason != "" {
			s += " reason=" + trim(*c.Reason, 160)
		}
		if c.Message != nil && *c.Message != "" {
			s += " msg=" + trim(*c.Message, 160)
		}
		parts = append(parts, s)
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

func trim(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// waitFor polls cond every interval until it returns nil or timeout passes,
// logging what is still missing every logEvery.
func waitFor(t *testing.T, timeout time.Duration, what string, cond func() error) time.Duration {
	t.Helper()
	start := time.Now()
	lastLog := start
	var last error
	for time.Since(start) < timeout {
		if exited := suite.controllers.Exited(); len(exited) > 0 {
			t.Fatalf("%s: ACK controllers exited: %v", what, exited)
		}
		if !suite.operator.Running() {
			t.Fatalf("%s: the operator exited:\n%s", what, suite.operator.Tail(40))
		}
		if last = cond(); last == nil {
			return time.Since(start)
		}
		if time.Since(lastLog) > 30*time.Second {
			t.Logf("%s, after %s: %v", what, time.Since(start).Round(time.Second), last)
			lastLog = time.Now()
		}
		time.Sleep(2 * time.Second)
	}
	t.Fatalf("%s: not within %s: %v", what, timeout, last)
	return 0
}

// readyNow reports Ready=True at the stack's generation.
func readyNow(s *platformv1alpha1.DocuFlowStack) bool {
	ready := meta.FindStatusCondition(s.Status.Conditions, platformv1alpha1.ConditionReady)
	return ready != nil && ready.Status == metav1.ConditionTrue && s.Status.ObservedGeneration == s.Generation
}

// isTerminal reports ACK.Terminal=True.
func isTerminal(o core.Object) bool {
	c := o.ACKStatus().Condition(ackv1alpha1.ConditionTypeTerminal)
	return c != nil && c.Status == corev1.ConditionTrue
}

// waitReady waits until the stack reports Ready=True at its generation and
// returns how long that took.
func waitReady(t *testing.T, stack *platformv1alpha1.DocuFlowStack, timeout time.Duration) time.Duration {
	t.Helper()
	return waitFor(t, timeout, "DocuFlowStack "+stack.Name+" Ready", func() error {
		if readyNow(getStack(t, stack)) {
			return nil
		}
		return fmt.Errorf("%s", progress(t, stack))
	})
}

// ec2ID returns the ID an EC2 child reports in its status.
func ec2ID(o core.Object) string {
	switch x := o.(type) {
	case *ec2v1alpha1.VPC:
		if x.Status.VPCID != nil {
			return *x.Status.VPCID
		}
	case *ec2v1alpha1.Subnet:
		if x.Status.SubnetID != nil {
			return *x.Status.SubnetID
		}
	}
	return ""
}

// awsNameOf is the AWS name of the stack's component, through the live
// stack's record of how its AWS names are made while it exists.
func awsNameOf(t *testing.T, stack *platformv1alpha1.DocuFlowStack, component string, rule desired.NameRule) string {
	t.Helper()
	n, err := desired.AWSName(liveOr(stack), component, rule)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// awsPathOf is the stack's own part of its log group and alarm names.
func awsPathOf(t *testing.T, stack *platformv1alpha1.DocuFlowStack) string {
	t.Helper()
	p, err := desired.AWSPathPrefix(liveOr(stack))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// liveOr returns the stack as the API server holds it, or stack once it is
// gone.
func liveOr(stack *platformv1alpha1.DocuFlowStack) *platformv1alpha1.DocuFlowStack {
	live := &platformv1alpha1.DocuFlowStack{}
	if err := suite.k8s.Get(context.Background(), client.ObjectKeyFromObject(stack), live); err != nil {
		return stack
	}
	return live
}
