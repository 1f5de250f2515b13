package desired

import (
	"reflect"
	"strings"
	"testing"

	platformv1alpha1 "github.com/docuflow/docuflow-operator/api/v1alpha1"
	cloudwatchv1alpha1 "github.com/docuflow/docuflow-operator/internal/ack/cloudwatch/v1alpha1"
)

func TestAlarmsOnlyWithATopic(t *testing.T) {
	if n := len(ofKind[*cloudwatchv1alpha1.MetricAlarm](mustBuild(t, newStack("prod"), observedAll()).Objects)); n != 0 {
		t.Errorf("a stack without alarmTopicARN renders %d alarms, want none", n)
	}
	for _, w := range mustBuild(t, newStack("prod"), Observed{}).Waiting {
		if w.Family == FamilyAlarms {
			t.Errorf("a stack without alarmTopicARN waits for alarm %s", w.Name)
		}
	}
}

// dims flattens alarm dimensions to name=value.
func dims(a *cloudwatchv1alpha1.MetricAlarm) []string {
	var out []string
	for _, d := range a.Spec.Dimensions {
		out = append(out, *d.Name+"="+*d.Value)
	}
	return out
}

func TestAlarms(t *testing.T) {
	stack := newStack("prod", withAlarmTopic(alarmTopic), func(s *platformv1alpha1.DocuFlowStack) {
		s.Spec.Database.MaxStorageGiB = ptrTo(int32(100))
	})
	alarms := byName[*cloudwatchv1alpha1.MetricAlarm](mustBuild(t, stack, observedAll()).Objects)
	lb := "LoadBalancer=app/prod-alb/50dc6c495c0c9188"
	tg := "TargetGroup=targetgroup/prod-api/73e2d6bc24d8a067"
	svc := []string{"ClusterName=prod-cluster", "ServiceName=prod-api"}
	db := []string{"DBInstanceIdentifier=prod-db"}
	tests := []struct {
		name                    string
		alarm                   string
		namespace, metric, stat string
		dimensions              []string
		comparison              string
		threshold               float64
		missing                 string
	}{
		{"load balancer 5xx", "prod-alarm-alb-5xx", "AWS/ApplicationELB", "HTTPCode_ELB_5XX_Count", "Sum", []string{lb}, "GreaterThanOrEqualToThreshold", 10, "notBreaching"},
		{"target 5xx", "prod-alarm-target-5xx", "AWS/ApplicationELB", "HTTPCode_Target_5XX_Count", "Sum", []string{tg, lb}, "GreaterThanOrEqualToThreshold", 10, "notBreaching"},
		{"unhealthy targets", "prod-alarm-unhealthy-targets", "AWS/ApplicationELB", "UnHealthyHostCount", "Maximum", []string{tg, lb}, "GreaterThanOrEqualToThreshold", 1, "notBreaching"},
		{"p99 response time", "prod-alarm-latency-p99", "AWS/ApplicationELB", "TargetResponseTime", "p99", []string{tg, lb}, "GreaterThanThreshold", 1, "notBreaching"},
		{"service CPU", "prod-alarm-service-cpu", "AWS/ECS", "CPUUtilization", "Average", svc, "GreaterThanThreshold", 85, "notBreaching"},
		{"service memory", "prod-alarm-service-memory", "AWS/ECS", "MemoryUtilization", "Average", svc, "GreaterThanThreshold", 85, "notBreaching"},
		{"database CPU", "prod-alarm-db-cpu", "AWS/RDS", "CPUUtilization", "Average", db, "GreaterThanThreshold", 80, "breaching"},
		{"database free storage below a tenth of the maximum", "prod-alarm-db-free-storage", "AWS/RDS", "FreeStorageSpace", "Minimum", db, "LessThanThreshold", 10 * (1 << 30), "breaching"},
	}
	if len(alarms) != len(tests) {
		t.Errorf("rendered %d alarms, want %d", len(alarms), len(tests))
	}
	for _, tt := range tests {
		t.Run("the "+tt.name+" alarm watches its metric and notifies the topic", func(t *testing.T) {
			a, ok := alarms[tt.alarm]
			if !ok {
				t.Fatalf("no alarm %s", tt.alarm)
			}
			s := a.Spec
			stat := ""
			if s.Statistic != nil {
				stat = *s.Statistic
			}
			if s.ExtendedStatistic != nil {
				if s.Statistic != nil {
					t.Errorf("both statistic and extendedStatistic are set")
				}
				stat = *s.ExtendedStatistic
			}
			got := []any{*s.Namespace, *s.MetricName, stat, dims(a), *s.ComparisonOperator, *s.Threshold, *s.TreatMissingData}
			want := []any{tt.namespace, tt.metric, tt.stat, tt.dimensions, tt.comparison, tt.threshold, tt.missing}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("namespace, metric, statistic, dimensions, comparison, threshold, missing data = %v, want %v", got, want)
			}
			if !*s.ActionsEnabled || !reflect.DeepEqual(derefAll(s.AlarmActions), []string{alarmTopic}) || !reflect.DeepEqual(derefAll(s.OKActions), []string{alarmTopic}) {
				t.Errorf("alarm %s does not notify %s on ALARM and OK", a.Name, alarmTopic)
			}
			if !strings.HasPrefix(*s.Name, "docuflow/team-docs/prod/") || *s.Period <= 0 || *s.EvaluationPeriods <= 0 || *s.DatapointsToAlarm > *s.EvaluationPeriods {
				t.Errorf("alarm %s has name %q, period %d, %d of %d datapoints", a.Name, *s.Name, *s.Period, *s.DatapointsToAlarm, *s.EvaluationPeriods)
			}
		})
	}
}

func TestAlarmsWaitForTheirDimensions(t *testing.T) {
	obs := observedAll()
	obs.LoadBalancerARN, obs.ServiceARN, obs.DBEndpointAddress = "", "", ""
	r := mustBuild(t, newStack("prod", withAlarmTopic(alarmTopic)), obs)
	if n := len(ofKind[*cloudwatchv1alpha1.MetricAlarm](r.Objects)); n != 0 {
		t.Errorf("%d alarms rendered without the load balancer, the service and the database", n)
	}
	var got []string
	for _, w := range r.Waiting {
		if w.Family == FamilyAlarms {
			got = append(got, w.Name+": "+w.WaitsFor)
		}
	}
	want := []string{
		"prod-alarm-alb-5xx: LoadBalancer prod-alb ARN",
		"prod-alarm-target-5xx: LoadBalancer prod-alb ARN",
		"prod-alarm-unhealthy-targets: LoadBalancer prod-alb ARN",
		"prod-alarm-latency-p99: LoadBalancer prod-alb ARN",
		"prod-alarm-service-cpu: Service prod-api ARN",
		"prod-alarm-service-memory: Service prod-api ARN",
		"prod-alarm-db-cpu: DBInstance prod-db endpoint",
		"prod-alarm-db-free-storage: DBInstance prod-db endpoint",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("alarm waits = %q, want %q", got, want)
	}
}
