package acksim

import (
	"fmt"
	"strings"

	ackv1alpha1 "github.com/aws-controllers-k8s/runtime/apis/core/v1alpha1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/docuflow/docuflow-operator/internal/ack/core"
)

// Messages and reasons. The ACK runtime's own texts are kept where the
// operator may match on them; every successful sync says it was simulated.
const (
	// SyncedMessage is the ACK.ResourceSynced and Ready message of a resource
	// the simulator has synced.
	SyncedMessage = "Resource synced successfully (simulated ACK, no AWS call)"
	// notSyncedMessage is the ACK runtime's NotSyncedMessage.
	notSyncedMessage = "Resource not synced"
	// unknownSyncedMessage is the ACK runtime's UnknownSyncedMessage.
	unknownSyncedMessage = "Unable to determine if desired resource state matches latest observed state"
	// terminalReason is the Synced reason the ACK runtime uses for ackerr.Terminal.
	terminalReason = "resource is in terminal condition"
	// referencesMessage is the message of an unresolved
	// ACK.ReferencesResolved; the runtime puts the cause in the reason.
	referencesMessage = "Reference resolution failed"
	// provisioningReason explains Synced=False during a simulated delay.
	provisioningReason = "simulated AWS resource is still being provisioned"
	// neverSyncReason explains Synced=False under SetNeverSync.
	neverSyncReason = "simulated AWS resource never becomes ready (injected fault)"
)

// setCondition sets one condition in place, keeping its position and its
// lastTransitionTime unless the status changes, so that a pass that observes
// nothing new leaves the status byte-for-byte equal.
func setCondition(st *core.ResourceStatus, t ackv1alpha1.ConditionType, status corev1.ConditionStatus, reason, message string, now metav1.Time) {
	c := st.Condition(t)
	if c == nil {
		c = &ackv1alpha1.Condition{Type: t}
		st.Conditions = append(st.Conditions, c)
	}
	if c.Status != status || c.LastTransitionTime == nil {
		c.LastTransitionTime = &now
	}
	c.Status = status
	c.Reason = optional(reason)
	c.Message = optional(message)
}

// removeCondition drops every condition of type t.
func removeCondition(st *core.ResourceStatus, t ackv1alpha1.ConditionType) {
	kept := st.Conditions[:0]
	for _, c := range st.Conditions {
		if c != nil && c.Type != t {
			kept = append(kept, c)
		}
	}
	if len(kept) == 0 {
		kept = nil
	}
	st.Conditions = kept
}

func optional(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// isTrue reports whether the condition of type t is True.
func isTrue(st *core.ResourceStatus, t ackv1alpha1.ConditionType) bool {
	c := st.Condition(t)
	return c != nil && c.Status == corev1.ConditionTrue
}

// markReferences sets or removes ACK.ReferencesResolved: present only while
// the resource uses references. An unresolved reference is the runtime's:
// status Unknown, the cause in the reason, a generic message; and Sync
// returns before anything else, so it is the only condition left.
func markReferences(st *core.ResourceStatus, hasRefs bool, failure string, now metav1.Time) {
	switch {
	case !hasRefs:
		removeCondition(st, ackv1alpha1.ConditionTypeReferencesResolved)
	case failure != "":
		setCondition(st, ackv1alpha1.ConditionTypeReferencesResolved, corev1.ConditionUnknown, failure, referencesMessage, now)
	default:
		setCondition(st, ackv1alpha1.ConditionTypeReferencesResolved, corev1.ConditionTrue, "", "", now)
	}
}

// markUnknown records a pass that ended on an error other than a terminal
// one: after an unresolved reference only ACK.ReferencesResolved is left
// (the runtime resets the conditions and returns before setting others);
// otherwise ACK.ResourceSynced is Unknown with the error as its reason.
func markUnknown(st *core.ResourceStatus, reason string, now metav1.Time) {
	if c := st.Condition(ackv1alpha1.ConditionTypeReferencesResolved); c != nil && c.Status == corev1.ConditionUnknown {
		for _, t := range []ackv1alpha1.ConditionType{ackv1alpha1.ConditionTypeResourceSynced, ackv1alpha1.ConditionTypeReady, ackv1alpha1.ConditionTypeTerminal, ackv1alpha1.ConditionTypeRecoverable} {
			removeCondition(st, t)
		}
		return
	}
	clearErrors(st)
	setCondition(st, ackv1alpha1.ConditionTypeResourceSynced, corev1.ConditionUnknown, reason, unknownSyncedMessage, now)
	setCondition(st, ackv1alpha1.ConditionTypeReady, corev1.ConditionFalse, reason, unknownSyncedMessage, now)
}

// markSynced records a finished simulated sync.
func markSynced(st *core.ResourceStatus, now metav1.Time) {
	clearErrors(st)
	setCondition(st, ackv1alpha1.ConditionTypeResourceSynced, corev1.ConditionTrue, "", SyncedMessage, now)
	setCondition(st, ackv1alpha1.ConditionTypeReady, corev1.ConditionTrue, "", SyncedMessage, now)
}

// touchSynced moves ACK.ResourceSynced's lastTransitionTime to now. The real
// runtime sets the condition afresh at every reconcile; the simulator does it
// only for a reconcile that called AWS for a new generation, so that its own
// status writes do not wake it up again.
func touchSynced(st *core.ResourceStatus, now metav1.Time) {
	if c := st.Condition(ackv1alpha1.ConditionTypeResourceSynced); c != nil {
		c.LastTransitionTime = &now
	}
}

// markNotSynced records a pass that has to wait: Ready mirrors Synced, as the
// runtime's ensureConditions does.
func markNotSynced(st *core.ResourceStatus, reason string, now metav1.Time) {
	clearErrors(st)
	setCondition(st, ackv1alpha1.ConditionTypeResourceSynced, corev1.ConditionFalse, reason, notSyncedMessage, now)
	setCondition(st, ackv1alpha1.ConditionTypeReady, corev1.ConditionFalse, reason, notSyncedMessage, now)
}

// markTerminal is REFERENCE §1.2 for a terminal error: Terminal=True with the
// message, Synced=False, Ready=False with reason ACK.Terminal.
func markTerminal(st *core.ResourceStatus, message string, now metav1.Time) {
	removeCondition(st, ackv1alpha1.ConditionTypeRecoverable)
	setCondition(st, ackv1alpha1.ConditionTypeTerminal, corev1.ConditionTrue, "", message, now)
	setCondition(st, ackv1alpha1.ConditionTypeResourceSynced, corev1.ConditionFalse, terminalReason, notSyncedMessage, now)
	setCondition(st, ackv1alpha1.ConditionTypeReady, corev1.ConditionFalse, string(ackv1alpha1.ConditionTypeTerminal), message, now)
}

// markTerminalOnly is the runtime's refusal before any AWS call (a
// malformed ignore-field-drift annotation): Terminal=True and nothing else
// touched, as condition.WithTerminalCondition does.
func markTerminalOnly(st *core.ResourceStatus, message string, now metav1.Time) {
	setCondition(st, ackv1alpha1.ConditionTypeTerminal, corev1.ConditionTrue, "", message, now)
}

// markRecoverable is REFERENCE §1.2 for a retried error: Recoverable=True,
// Synced=Unknown, Ready=False with reason ACK.Recoverable.
func markRecoverable(st *core.ResourceStatus, message string, now metav1.Time) {
	removeCondition(st, ackv1alpha1.ConditionTypeTerminal)
	setCondition(st, ackv1alpha1.ConditionTypeRecoverable, corev1.ConditionTrue, "", message, now)
	setCondition(st, ackv1alpha1.ConditionTypeResourceSynced, corev1.ConditionUnknown, message, unknownSyncedMessage, now)
	setCondition(st, ackv1alpha1.ConditionTypeReady, corev1.ConditionFalse, string(ackv1alpha1.ConditionTypeRecoverable), message, now)
}

func clearErrors(st *core.ResourceStatus) {
	removeCondition(st, ackv1alpha1.ConditionTypeTerminal)
	removeCondition(st, ackv1alpha1.ConditionTypeRecoverable)
}

// The runtime's reference errors (pkg/errors in the ACK runtime), spelled out
// here because that package pulls in the AWS SDK.

func referenceAndIDMessage(fields ...string) string {
	return "both resource reference wrapper and ID cannot be used together: " + strings.Join(fields, ", ")
}

func referenceTerminalMessage(kind, namespace, name string) string {
	return fmt.Sprintf("the referenced resource has 'ACK.Terminal' condition 'True'. Cannot be referenced. resource:%s, namespace:%s, name:%s", kind, namespace, name)
}

func referenceNotSyncedMessage(kind, namespace, name string) string {
	return fmt.Sprintf("the referenced resource is not synced yet. resource:%s, namespace:%s, name:%s", kind, namespace, name)
}

func referenceMissingFieldMessage(kind, namespace, name, field string) string {
	return fmt.Sprintf("the referenced resource is missing the target field. resource:%s, namespace:%s, name:%s, targetField:%s", kind, namespace, name, field)
}

func crossNamespaceMessage(source, target, name string) string {
	return fmt.Sprintf("cross-namespace resource reference is not allowed. Set --enable-cross-namespace=true to allow it. sourceNamespace:%s, targetNamespace:%s, name:%s", source, target, name)
}
