package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/docuflow/docuflow-operator/internal/ack/core"
)

// MetricAlarmSpec is the desired state of a single-metric MetricAlarm.
type MetricAlarmSpec struct {
	// Name is the AWS name and primary key of the alarm.
	// +kubebuilder:validation:Required
	Name *string `json:"name,omitempty"`
	// AlarmDescription describes the alarm.
	AlarmDescription *string `json:"alarmDescription,omitempty"`
	// Namespace is the metric's namespace, e.g. AWS/ECS.
	Namespace *string `json:"namespace,omitempty"`
	// MetricName is the metric's name, e.g. CPUUtilization.
	MetricName *string `json:"metricName,omitempty"`
	// Statistic is Average, Sum, Minimum, Maximum or SampleCount.
	Statistic *string `json:"statistic,omitempty"`
	// ExtendedStatistic is a percentile such as p99, instead of Statistic.
	ExtendedStatistic *string `json:"extendedStatistic,omitempty"`
	// Period is the length of one evaluation period in seconds.
	Period *int64 `json:"period,omitempty"`
	// Unit is the metric's unit, e.g. Percent.
	Unit *string `json:"unit,omitempty"`
	// Dimensions select the metric's time series.
	Dimensions []*Dimension `json:"dimensions,omitempty"`
	// ComparisonOperator is e.g. GreaterThanOrEqualToThreshold.
	ComparisonOperator *string `json:"comparisonOperator,omitempty"`
	// Threshold is the value compared against; upstream types it as a number.
	Threshold *float64 `json:"threshold,omitempty"`
	// EvaluationPeriods is the number of periods evaluated.
	EvaluationPeriods *int64 `json:"evaluationPeriods,omitempty"`
	// DatapointsToAlarm is how many breaching periods trigger the alarm.
	DatapointsToAlarm *int64 `json:"datapointsToAlarm,omitempty"`
	// TreatMissingData is breaching, notBreaching, ignore or missing.
	TreatMissingData *string `json:"treatMissingData,omitempty"`
	// ActionsEnabled turns the alarm's actions on.
	ActionsEnabled *bool `json:"actionsEnabled,omitempty"`
	// AlarmActions are the ARNs notified on entering ALARM.
	AlarmActions []*string `json:"alarmActions,omitempty"`
	// OKActions are the ARNs notified on entering OK; upstream spells the
	// JSON key oKActions.
	OKActions []*string `json:"oKActions,omitempty"`
	// InsufficientDataActions are the ARNs notified on entering
	// INSUFFICIENT_DATA.
	InsufficientDataActions []*string `json:"insufficientDataActions,omitempty"`
	// Tags are the AWS tags of the alarm.
	Tags []*Tag `json:"tags,omitempty"`
}

// Dimension is a name/value pair that selects a metric's time series.
type Dimension struct {
	// Name is the dimension's name, e.g. ClusterName.
	Name *string `json:"name,omitempty"`
	// Value is the dimension's value.
	Value *string `json:"value,omitempty"`
}

// MetricAlarmStatus is what ACK reports about a MetricAlarm: its ARN and
// conditions, no alarm state.
type MetricAlarmStatus struct {
	core.ResourceStatus `json:",inline"`
}

// MetricAlarm mirrors ACK's cloudwatch MetricAlarm.
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:path=metricalarms,scope=Namespaced
type MetricAlarm struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec   MetricAlarmSpec   `json:"spec,omitempty"`
	Status MetricAlarmStatus `json:"status,omitempty"`
}

// MetricAlarmList is a list of MetricAlarms.
// +kubebuilder:object:root=true
type MetricAlarmList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []MetricAlarm `json:"items"`
}

// ACKStatus returns the shared ACK status block.
func (r *MetricAlarm) ACKStatus() *core.ResourceStatus { return &r.Status.ResourceStatus }

func init() {
	SchemeBuilder.Register(&MetricAlarm{}, &MetricAlarmList{})
}
