package controllers

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/cli-utils/pkg/kstatus/status"
	"sigs.k8s.io/controller-runtime/pkg/client"

	platformv1alpha1 "github.com/docuflow/docuflow-operator/api/v1alpha1"
	appautoscalingv1alpha1 "github.com/docuflow/docuflow-operator/internal/ack/applicationautoscaling/v1alpha1"
	ecsv1alpha1 "github.com/docuflow/docuflow-operator/internal/ack/ecs/v1alpha1"
)

func taskDefinitions(t *testing.T, key client.ObjectKey) []*ecsv1alpha1.TaskDefinition {
	t.Helper()
	var out []*ecsv1alpha1.TaskDefinition
	for _, o := range children(t, key) {
		if td, ok := o.(*ecsv1alpha1.TaskDefinition); ok && td.DeletionTimestamp.IsZero() {
			out = append(out, td)
		}
	}
	return out
}

func TestEachImageChangeMakesOneTaskDefinitionAndThreeAreKept(t *testing.T) {
	ns := newNamespace(t)
	key := createStack(t, sampleStack(t, ns))
	waitReady(t, key)
	for i := 1; i <= 5; i++ {
		if i == 4 {
			// The history of task definitions is in the stack's status: a
			// new operator keeps the same ones.
			restartOperator(t)
		}
		image := fmt.Sprintf("public.ecr.aws/docuflow/api:2.0.%d", i)
		stack := getStack(t, key)
		stack.Spec.Service.Image = image
		if err := k8s.Update(context.Background(), stack); err != nil {
			t.Fatal(err)
		}
		eventually(t, 30*time.Second, "service on "+image, func() error {
			svc := only[*ecsv1alpha1.Service](t, key)
			td := taskDefinitionByARN(t, key, ptr.Deref(svc.Spec.TaskDefinition, ""))
			if td == nil || *td.Spec.ContainerDefinitions[0].Image != image {
				return fmt.Errorf("the service does not run %s yet", image)
			}
			return nil
		})
		waitReady(t, key)
		// One new task definition per change, up to the current one and three
		// previous ones.
		want := min(i+1, 1+keptTaskDefinitions)
		eventually(t, 10*time.Second, "old task definitions pruned", func() error {
			if got := len(taskDefinitions(t, key)); got != want {
				return fmt.Errorf("%d task definitions after %d image changes, want %d", got, i, want)
			}
			return nil
		})
	}
	images := map[string]bool{}
	for _, td := range taskDefinitions(t, key) {
		images[*td.Spec.ContainerDefinitions[0].Image] = true
	}
	for _, want := range []string{"2.0.5", "2.0.4", "2.0.3", "2.0.2"} {
		if !images["public.ecr.aws/docuflow/api:"+want] {
			t.Errorf("the task definition for %s is gone; kept: %v", want, images)
		}
	}
}

func TestSuspendFreezesChildrenAndResumeConverges(t *testing.T) {
	t.Parallel()
	ns := newNamespace(t)
	key := createStack(t, sampleStack(t, ns))
	waitReady(t, key)

	stack := getStack(t, key)
	stack.Spec.Suspend = true
	if err := k8s.Update(context.Background(), stack); err != nil {
		t.Fatal(err)
	}
	eventually(t, 30*time.Second, "Suspended", func() error {
		s := getStack(t, key)
		if !meta.IsStatusConditionTrue(s.Status.Conditions, platformv1alpha1.ConditionSuspended) || s.Status.ObservedGeneration != s.Generation {
			return fmt.Errorf("not suspended yet")
		}
		return nil
	})
	before := namespaceWrites(ns)

	stack = getStack(t, key)
	stack.Spec.Autoscaling.MaxTasks = 40
	if err := k8s.Update(context.Background(), stack); err != nil {
		t.Fatal(err)
	}
	eventually(t, 30*time.Second, "the suspended change observed", func() error {
		if s := getStack(t, key); s.Status.ObservedGeneration != s.Generation {
			return fmt.Errorf("generation %d not observed", s.Generation)
		}
		return nil
	})
	if st := only[*appautoscalingv1alpha1.ScalableTarget](t, key); ptr.Deref(st.Spec.MaxCapacity, 0) == 40 {
		t.Error("a suspended stack changed its scalable target")
	}
	// The only writes allowed are the stack's own status.
	if d := namespaceWrites(ns) - before; d > 2 {
		t.Errorf("%d writes while suspended; only status writes are expected", d)
	}

	stack = getStack(t, key)
	stack.Spec.Suspend = false
	if err := k8s.Update(context.Background(), stack); err != nil {
		t.Fatal(err)
	}
	eventually(t, 30*time.Second, "resumed", func() error {
		if st := only[*appautoscalingv1alpha1.ScalableTarget](t, key); ptr.Deref(st.Spec.MaxCapacity, 0) != 40 {
			return fmt.Errorf("maxCapacity %d", ptr.Deref(st.Spec.MaxCapacity, 0))
		}
		return nil
	})
	s := waitReady(t, key)
	if meta.FindStatusCondition(s.Status.Conditions, platformv1alpha1.ConditionSuspended) != nil {
		t.Error("Suspended is still reported after resuming")
	}
}

func TestSwitchingOffPrivateEndpointsPrunesThem(t *testing.T) {
	t.Parallel()
	ns := newNamespace(t)
	key := createStack(t, sampleStack(t, ns))
	waitReady(t, key)
	stack := getStack(t, key)
	stack.Spec.Network.PrivateEndpoints = ptr.To(false)
	if err := k8s.Update(context.Background(), stack); err != nil {
		t.Fatal(err)
	}
	eventually(t, 30*time.Second, "endpoints pruned", func() error {
		for name, o := range children(t, key) {
			if strings.HasPrefix(name, "VPCEndpoint/") && o.GetDeletionTimestamp().IsZero() {
				return fmt.Errorf("%s still exists", name)
			}
		}
		return nil
	})
	waitReady(t, key)
}

// TestKStatusReadsEveryState computes kstatus, as Flux and kubectl wait do,
// on the stack in each state the operator reports.
func TestKStatusReadsEveryState(t *testing.T) {
	ready := []childFacts{{Family: FamilyNetwork, Kind: "VPC", Name: "p-vpc", Live: vpcWith(synced)}}
	creating := []childFacts{{Family: FamilyNetwork, Kind: "VPC", Name: "p-vpc", Live: vpcWith(creating)}}
	terminal := []childFacts{{Family: FamilyNetwork, Kind: "VPC", Name: "p-vpc", Live: vpcWith(cond("ACK.Terminal", "True", "InvalidVpcRange"))}}
	tests := []struct {
		name  string
		build func(s *platformv1alpha1.DocuFlowStack)
		want  status.Status
	}{
		{"a new generation not yet observed is in progress", func(s *platformv1alpha1.DocuFlowStack) {
			computeStatus(passFacts{Generation: 1, Families: []Family{FamilyNetwork}, Children: ready}, &s.Status)
			s.Status.ObservedGeneration = 1
			s.Generation = 2
		}, status.InProgressStatus},
		{"a converging stack is in progress", func(s *platformv1alpha1.DocuFlowStack) {
			computeStatus(passFacts{Generation: 2, Families: []Family{FamilyNetwork}, Children: creating}, &s.Status)
		}, status.InProgressStatus},
		{"a ready stack is current", func(s *platformv1alpha1.DocuFlowStack) {
			computeStatus(passFacts{Generation: 2, Families: []Family{FamilyNetwork}, Children: ready}, &s.Status)
		}, status.CurrentStatus},
		{"a stalled stack has failed", func(s *platformv1alpha1.DocuFlowStack) {
			computeStatus(passFacts{Generation: 2, Families: []Family{FamilyNetwork}, Children: terminal}, &s.Status)
		}, status.FailedStatus},
		{"a deleting stack is terminating", func(s *platformv1alpha1.DocuFlowStack) {
			now := metav1.Now()
			s.DeletionTimestamp = &now
			markDeleting(&s.Status, 2, &deletingFacts{Waves: 6, Left: 20, Waiting: []string{"DBInstance p-db"}, Since: now.Time})
		}, status.TerminatingStatus},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := &platformv1alpha1.DocuFlowStack{}
			s.Generation, s.Status.ObservedGeneration = 2, 2
			tt.build(s)
			assertKStatus(t, s, tt.want)
		})
	}
}
