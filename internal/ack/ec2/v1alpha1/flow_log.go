package v1alpha1

import (
	ackv1alpha1 "github.com/aws-controllers-k8s/runtime/apis/core/v1alpha1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/docuflow/docuflow-operator/internal/ack/core"
)

// FlowLogSpec is the desired state of a FlowLog. Only tags can be updated;
// every other change needs a new FlowLog.
type FlowLogSpec struct {
	// ResourceID is the ID of the logged resource, e.g. a VPC ID; it has no ref.
	// +kubebuilder:validation:Required
	ResourceID *string `json:"resourceID,omitempty"`
	// ResourceType is VPC, Subnet, NetworkInterface and so on.
	// +kubebuilder:validation:Required
	ResourceType *string `json:"resourceType,omitempty"`
	// TrafficType is ACCEPT, REJECT or ALL.
	TrafficType *string `json:"trafficType,omitempty"`
	// LogDestinationType is cloud-watch-logs, s3 or kinesis-data-firehose.
	LogDestinationType *string `json:"logDestinationType,omitempty"`
	// LogGroupName is the CloudWatch Logs group that receives the records.
	LogGroupName *string `json:"logGroupName,omitempty"`
	// LogGroupRef resolves LogGroupName from a LogGroup's spec.name.
	LogGroupRef *ackv1alpha1.AWSResourceReferenceWrapper `json:"logGroupRef,omitempty"`
	// DeliverLogsPermissionARN is the IAM role that may write to the log group.
	DeliverLogsPermissionARN *string `json:"deliverLogsPermissionARN,omitempty"`
	// DeliverLogsPermissionRef resolves DeliverLogsPermissionARN from a Role's
	// ARN.
	DeliverLogsPermissionRef *ackv1alpha1.AWSResourceReferenceWrapper `json:"deliverLogsPermissionRef,omitempty"`
	// MaxAggregationInterval is 60 or 600 seconds.
	MaxAggregationInterval *int64 `json:"maxAggregationInterval,omitempty"`
	// LogFormat is the fields of a flow log record, in order.
	LogFormat *string `json:"logFormat,omitempty"`
	// Tags are the AWS tags of the flow log.
	Tags []*Tag `json:"tags,omitempty"`
}

// FlowLogStatus is what ACK reports about a FlowLog.
type FlowLogStatus struct {
	core.ResourceStatus `json:",inline"`
	// FlowLogID is the AWS ID of the flow log (fl-...).
	FlowLogID *string `json:"flowLogID,omitempty"`
}

// FlowLog mirrors ACK's ec2 FlowLog.
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:path=flowlogs,scope=Namespaced
type FlowLog struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec   FlowLogSpec   `json:"spec,omitempty"`
	Status FlowLogStatus `json:"status,omitempty"`
}

// FlowLogList is a list of FlowLogs.
// +kubebuilder:object:root=true
type FlowLogList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []FlowLog `json:"items"`
}

// ACKStatus returns the shared ACK status block.
func (r *FlowLog) ACKStatus() *core.ResourceStatus { return &r.Status.ResourceStatus }

func init() {
	SchemeBuilder.Register(&FlowLog{}, &FlowLogList{})
}
