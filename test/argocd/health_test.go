package argocd

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	platformv1alpha1 "github.com/docuflow/docuflow-operator/api/v1alpha1"
)

// Condition types the status contract names but api/v1alpha1 has no
// constants for yet.
const (
	conditionSuspended  = "Suspended"
	conditionDeleting   = "Deleting"
	conditionRolledBack = "RolledBack"
)

// stackOption changes a fixture stack.
type stackOption func(*platformv1alpha1.DocuFlowStack)

// newStack builds a stack at generation 1 whose status is empty, then applies
// opts in order.
func newStack(opts ...stackOption) *platformv1alpha1.DocuFlowStack {
	s := &platformv1alpha1.DocuFlowStack{
		TypeMeta: metav1.TypeMeta{
			APIVersion: platformv1alpha1.GroupVersion.String(),
			Kind:       "DocuFlowStack",
		},
		ObjectMeta: metav1.ObjectMeta{Name: "prod", Namespace: "docuflow-prod", Generation: 1},
	}
	for _, opt := range opts {
		opt(s)
	}
	return s
}

func withGeneration(g int64) stackOption {
	return func(s *platformv1alpha1.DocuFlowStack) { s.Generation = g }
}

// withObserved sets status.observedGeneration to the current generation, so
// it belongs after withGeneration.
func withObserved() stackOption {
	return func(s *platformv1alpha1.DocuFlowStack) { s.Status.ObservedGeneration = s.Generation }
}

func withObservedGeneration(g int64) stackOption {
	return func(s *platformv1alpha1.DocuFlowStack) { s.Status.ObservedGeneration = g }
}

// withCondition adds a condition written at the current generation.
func withCondition(conditionType string, status metav1.ConditionStatus, reason, message string) stackOption {
	return func(s *platformv1alpha1.DocuFlowStack) {
		withStaleCondition(conditionType, status, reason, message, s.Generation)(s)
	}
}

// withStaleCondition adds a condition written at generation g.
func withStaleCondition(conditionType string, status metav1.ConditionStatus, reason, message string, g int64) stackOption {
	return func(s *platformv1alpha1.DocuFlowStack) {
		s.Status.Conditions = append(s.Status.Conditions, metav1.Condition{
			Type:               conditionType,
			Status:             status,
			Reason:             reason,
			Message:            message,
			ObservedGeneration: g,
			LastTransitionTime: metav1.NewTime(time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)),
		})
	}
}

func withURL(url string) stackOption {
	return func(s *platformv1alpha1.DocuFlowStack) { s.Status.URL = url }
}

// withDeletion sets a deletionTimestamp and, as the API server does for
// custom resources, bumps the generation with it.
func withDeletion() stackOption {
	return func(s *platformv1alpha1.DocuFlowStack) {
		ts := metav1.NewTime(time.Date(2026, 11, 25, 13, 0, 0, 0, time.UTC))
		s.DeletionTimestamp = &ts
		s.Finalizers = []string{"platform.docuflow.io/finalizer"}
		s.Generation++
	}
}

// withoutStatus drops the status key entirely, as on an object Argo CD has
// just created from git: the Go type always marshals an empty status.
func withoutStatus(t *testing.T, s *platformv1alpha1.DocuFlowStack) map[string]any {
	t.Helper()
	raw, err := json.Marshal(s)
	if err != nil {
		t.Fatalf("encoding the stack: %v", err)
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatalf("decoding the stack: %v", err)
	}
	delete(m, "status")
	return m
}

func TestHealthCheckReadsEveryStackState(t *testing.T) {
	const (
		creating = "DBInstance prod-db: creating"
		url      = "https://docs.example.com"
	)
	ready := withCondition(platformv1alpha1.ConditionReady, metav1.ConditionTrue, platformv1alpha1.ReasonReady, "Every component is ready")

	tests := []struct {
		name        string
		stack       func(t *testing.T) any
		wantStatus  string
		wantMessage string
	}{
		{
			name:        "a new object without status waits for the operator to observe the stack",
			stack:       func(t *testing.T) any { return withoutStatus(t, newStack()) },
			wantStatus:  "Progressing",
			wantMessage: "Waiting for the operator to observe the stack",
		},
		{
			name:        "an empty status waits for the operator to observe the stack",
			stack:       func(*testing.T) any { return newStack() },
			wantStatus:  "Progressing",
			wantMessage: "Waiting for the operator to observe the stack",
		},
		{
			name: "a generation the operator has not observed is progressing despite a stale Ready=True",
			stack: func(*testing.T) any {
				return newStack(withGeneration(2), ready, withURL(url), withGeneration(3), withObservedGeneration(2))
			},
			wantStatus:  "Progressing",
			wantMessage: "Waiting for the operator to observe generation 3",
		},
		{
			name: "a status without observedGeneration waits for the operator to observe the generation",
			stack: func(*testing.T) any {
				return newStack(withGeneration(2), ready)
			},
			wantStatus:  "Progressing",
			wantMessage: "observe generation 2",
		},
		{
			name: "a converging stack is progressing with Ready's message",
			stack: func(*testing.T) any {
				return newStack(withObserved(),
					withCondition(platformv1alpha1.ConditionReady, metav1.ConditionFalse, platformv1alpha1.ReasonCreating, creating),
					withCondition(platformv1alpha1.ConditionReconciling, metav1.ConditionTrue, platformv1alpha1.ReasonProgressing, "Applying generation 1"))
			},
			wantStatus:  "Progressing",
			wantMessage: creating,
		},
		{
			name: "a converging stack whose Ready has no message falls back to Reconciling's",
			stack: func(*testing.T) any {
				return newStack(withObserved(),
					withCondition(platformv1alpha1.ConditionReady, metav1.ConditionUnknown, platformv1alpha1.ReasonProgressing, ""),
					withCondition(platformv1alpha1.ConditionReconciling, metav1.ConditionTrue, platformv1alpha1.ReasonProgressing, "Applying generation 1"))
			},
			wantStatus:  "Progressing",
			wantMessage: "Applying generation 1",
		},
		{
			name:        "a ready stack is healthy and shows its URL",
			stack:       func(*testing.T) any { return newStack(withGeneration(5), withObserved(), ready, withURL(url)) },
			wantStatus:  "Healthy",
			wantMessage: url,
		},
		{
			name:        "a ready stack without a URL is healthy with Ready's message",
			stack:       func(*testing.T) any { return newStack(withObserved(), ready) },
			wantStatus:  "Healthy",
			wantMessage: "Every component is ready",
		},
		{
			name: "a stalled stack is degraded with Stalled's message",
			stack: func(*testing.T) any {
				return newStack(withObserved(),
					withCondition(platformv1alpha1.ConditionReady, metav1.ConditionFalse, platformv1alpha1.ReasonTerminal, "DBInstance prod-db: InvalidParameterCombination"),
					withCondition(platformv1alpha1.ConditionStalled, metav1.ConditionTrue, platformv1alpha1.ReasonTerminal, "DBInstance prod-db: AWS refused the instance class"))
			},
			wantStatus:  "Degraded",
			wantMessage: "AWS refused the instance class",
		},
		{
			name: "a suspended stack is suspended with Suspended's message",
			stack: func(*testing.T) any {
				return newStack(withObserved(), ready, withURL(url),
					withCondition(conditionSuspended, metav1.ConditionTrue, "Suspended", "spec.suspend is true: no changes are applied"))
			},
			wantStatus:  "Suspended",
			wantMessage: "no changes are applied",
		},
		{
			name: "a deleting stack is progressing with Deleting's message",
			stack: func(*testing.T) any {
				return newStack(withDeletion(), withObserved(),
					withCondition(platformv1alpha1.ConditionReady, metav1.ConditionFalse, "Deleting", "Deleting the stack"),
					withCondition(conditionDeleting, metav1.ConditionTrue, "Deleting", "Waiting for wave 2: DBInstance prod-db"))
			},
			wantStatus:  "Progressing",
			wantMessage: "Waiting for wave 2: DBInstance prod-db",
		},
		{
			// The deletionTimestamp bumps the generation; until the delete
			// path advances observedGeneration, the Deleting message is hidden.
			name: "a deletion the operator has not observed waits for the new generation",
			stack: func(*testing.T) any {
				return newStack(withObserved(), ready, withDeletion())
			},
			wantStatus:  "Progressing",
			wantMessage: "observe generation 2",
		},
		{
			name: "a rolled back rollout is degraded even though the old tasks keep the stack ready",
			stack: func(*testing.T) any {
				return newStack(withObserved(), ready, withURL(url),
					withCondition(conditionRolledBack, metav1.ConditionTrue, "CircuitBreaker", "ECS rolled back task definition prod-api:7 to prod-api:6"))
			},
			wantStatus:  "Degraded",
			wantMessage: "rolled back task definition prod-api:7",
		},
		{
			name: "a Ready=True written for an older generation is progressing",
			stack: func(*testing.T) any {
				return newStack(withGeneration(3), ready, withGeneration(4), withObserved(), withURL(url))
			},
			wantStatus:  "Progressing",
			wantMessage: "Waiting for the operator to report Ready for generation 4",
		},
		{
			name: "conditions without Ready are progressing",
			stack: func(*testing.T) any {
				return newStack(withObserved(),
					withCondition(platformv1alpha1.ConditionNetworkReady, metav1.ConditionTrue, platformv1alpha1.ReasonReady, "Network is ready"))
			},
			wantStatus:  "Progressing",
			wantMessage: "report Ready for generation 1",
		},
	}

	script := readHealthScript(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := runHealth(t, script, tt.stack(t))
			if got.Status != tt.wantStatus {
				t.Errorf("status = %q (message %q), want %q", got.Status, got.Message, tt.wantStatus)
			}
			if !strings.Contains(got.Message, tt.wantMessage) {
				t.Errorf("message = %q, want it to contain %q", got.Message, tt.wantMessage)
			}
		})
	}
}
