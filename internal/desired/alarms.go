package desired

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	cloudwatchv1alpha1 "github.com/docuflow/docuflow-operator/internal/ack/cloudwatch/v1alpha1"
)

// Components of the alarms family.
const (
	componentALB5xxAlarm        = "alarm-alb-5xx"
	componentTarget5xxAlarm     = "alarm-target-5xx"
	componentUnhealthyAlarm     = "alarm-unhealthy-targets"
	componentLatencyAlarm       = "alarm-latency-p99"
	componentServiceCPUAlarm    = "alarm-service-cpu"
	componentServiceMemoryAlarm = "alarm-service-memory"
	componentDBCPUAlarm         = "alarm-db-cpu"
	componentDBStorageAlarm     = "alarm-db-free-storage"
)

// Alarm thresholds.
const (
	// fivexxPerPeriod is the number of 5xx responses in one period that is
	// worth a notification.
	fivexxPerPeriod        = 10
	latencyP99Seconds      = 1
	servicePercentLimit    = 85
	dbCPUPercentLimit      = 80
	freeStorageFraction    = 0.10
	alarmPeriodSeconds     = 60
	storagePeriodSeconds   = 300
	alarmEvaluationPeriods = 5
	alarmDatapoints        = 3
	bytesPerGiB            = 1 << 30
)

// Values of treatMissingData.
const (
	// missingNotBreaching: no requests or no samples is not a problem.
	missingNotBreaching = "notBreaching"
	// missingBreaching: RDS reports its metrics continuously, so silence
	// means the instance is not running.
	missingBreaching = "breaching"
)

// alarm is what differs between the stack's alarms.
type alarm struct {
	component, description string
	namespace, metric      string
	statistic, extended    string
	dimensions             [][2]string
	comparison             string
	threshold              float64
	period                 int64
	evaluationPeriods      int64
	datapoints             int64
	missing                string
	// uses are the children the alarm's dimensions name.
	uses []Key
}

// cloudwatchMeta is the TypeMeta of a CloudWatch MetricAlarm.
func cloudwatchMeta() metav1.TypeMeta {
	return metav1.TypeMeta{APIVersion: cloudwatchv1alpha1.GroupVersion.String(), Kind: "MetricAlarm"}
}

// alarmName is the AWS name of one of the stack's alarms. Alarm names are
// unique per account and region, so it includes the namespace, like the log
// group names.
func (b *builder) alarmName(component string) string {
	return "docuflow/" + b.awsPath(component)
}

// alarms renders the CloudWatch alarms notifying spec.observability's topic,
// when one is set. Alarms on load balancer metrics wait for the ARNs their
// dimensions are cut from; the service and database alarms wait until the
// service and the database exist, so a stack being created does not alarm.
func (b *builder) alarms() {
	topic := b.stack.Spec.Observability.AlarmTopicARN
	if topic == nil || *topic == "" {
		return
	}
	lbMissing := func(withTG bool) []string {
		var m []string
		if b.obs.LoadBalancerARN == "" {
			m = append(m, "LoadBalancer "+b.name(componentLoadBalancer, KubernetesName)+" ARN")
		}
		if withTG && b.obs.TargetGroupARN == "" {
			m = append(m, "TargetGroup "+b.name(componentTargetGroup, KubernetesName)+" ARN")
		}
		return m
	}
	lbKey := Key{"LoadBalancer", b.name(componentLoadBalancer, KubernetesName)}
	tgKey := Key{"TargetGroup", b.name(componentTargetGroup, KubernetesName)}
	svcKey := Key{"Service", b.name(componentService, KubernetesName)}
	dbKey := Key{"DBInstance", b.name(componentDB, KubernetesName)}
	lb := [2]string{"LoadBalancer", loadBalancerDimension(b.obs.LoadBalancerARN)}
	tg := [2]string{"TargetGroup", targetGroupDimension(b.obs.TargetGroupARN)}
	svc := [][2]string{{"ClusterName", b.clusterName()}, {"ServiceName", b.serviceName()}}
	db := [][2]string{{"DBInstanceIdentifier", b.dbIdentifier()}}
	var svcMissing, dbMissing []string
	if b.obs.ServiceARN == "" {
		svcMissing = []string{"Service " + b.name(componentService, KubernetesName) + " ARN"}
	}
	if b.obs.DBEndpointAddress == "" {
		dbMissing = []string{"DBInstance " + b.name(componentDB, KubernetesName) + " endpoint"}
	}

	b.alarm(*topic, lbMissing(false), alarm{
		component: componentALB5xxAlarm, description: "The load balancer itself answers with 5xx errors.",
		namespace: "AWS/ApplicationELB", metric: "HTTPCode_ELB_5XX_Count", statistic: "Sum",
		dimensions: [][2]string{lb}, comparison: "GreaterThanOrEqualToThreshold", threshold: fivexxPerPeriod,
		period: alarmPeriodSeconds, evaluationPeriods: alarmEvaluationPeriods, datapoints: alarmDatapoints, missing: missingNotBreaching,
		uses: []Key{lbKey},
	})
	b.alarm(*topic, lbMissing(true), alarm{
		component: componentTarget5xxAlarm, description: "The DocuFlow API answers with 5xx errors.",
		namespace: "AWS/ApplicationELB", metric: "HTTPCode_Target_5XX_Count", statistic: "Sum",
		dimensions: [][2]string{tg, lb}, comparison: "GreaterThanOrEqualToThreshold", threshold: fivexxPerPeriod,
		period: alarmPeriodSeconds, evaluationPeriods: alarmEvaluationPeriods, datapoints: alarmDatapoints, missing: missingNotBreaching,
		uses: []Key{lbKey, tgKey},
	})
	b.alarm(*topic, lbMissing(true), alarm{
		component: componentUnhealthyAlarm, description: "At least one DocuFlow task fails the load balancer's health check.",
		namespace: "AWS/ApplicationELB", metric: "UnHealthyHostCount", statistic: "Maximum",
		dimensions: [][2]string{tg, lb}, comparison: "GreaterThanOrEqualToThreshold", threshold: 1,
		period: alarmPeriodSeconds, evaluationPeriods: alarmEvaluationPeriods, datapoints: alarmDatapoints, missing: missingNotBreaching,
		uses: []Key{lbKey, tgKey},
	})
	b.alarm(*topic, lbMissing(true), alarm{
		component: componentLatencyAlarm, description: "The 99th percentile of the DocuFlow API's response time exceeds one second.",
		namespace: "AWS/ApplicationELB", metric: "TargetResponseTime", extended: "p99",
		dimensions: [][2]string{tg, lb}, comparison: "GreaterThanThreshold", threshold: latencyP99Seconds,
		period: alarmPeriodSeconds, evaluationPeriods: alarmEvaluationPeriods, datapoints: alarmDatapoints, missing: missingNotBreaching,
		uses: []Key{lbKey, tgKey},
	})
	b.alarm(*topic, svcMissing, alarm{
		component: componentServiceCPUAlarm, description: "The DocuFlow service's average CPU utilisation exceeds 85%.",
		namespace: "AWS/ECS", metric: "CPUUtilization", statistic: "Average",
		dimensions: svc, comparison: "GreaterThanThreshold", threshold: servicePercentLimit,
		period: alarmPeriodSeconds, evaluationPeriods: alarmEvaluationPeriods, datapoints: alarmDatapoints, missing: missingNotBreaching,
		uses: []Key{svcKey},
	})
	b.alarm(*topic, svcMissing, alarm{
		component: componentServiceMemoryAlarm, description: "The DocuFlow service's average memory utilisation exceeds 85%.",
		namespace: "AWS/ECS", metric: "MemoryUtilization", statistic: "Average",
		dimensions: svc, comparison: "GreaterThanThreshold", threshold: servicePercentLimit,
		period: alarmPeriodSeconds, evaluationPeriods: alarmEvaluationPeriods, datapoints: alarmDatapoints, missing: missingNotBreaching,
		uses: []Key{svcKey},
	})
	b.alarm(*topic, dbMissing, alarm{
		component: componentDBCPUAlarm, description: "The DocuFlow database's CPU utilisation exceeds 80%.",
		namespace: "AWS/RDS", metric: "CPUUtilization", statistic: "Average",
		dimensions: db, comparison: "GreaterThanThreshold", threshold: dbCPUPercentLimit,
		period: alarmPeriodSeconds, evaluationPeriods: alarmEvaluationPeriods, datapoints: alarmDatapoints, missing: missingBreaching,
		uses: []Key{dbKey},
	})
	b.alarm(*topic, dbMissing, alarm{
		component: componentDBStorageAlarm, description: "The DocuFlow database has less than 10% of its maximum storage free.",
		namespace: "AWS/RDS", metric: "FreeStorageSpace", statistic: "Minimum",
		dimensions: db, comparison: "LessThanThreshold", threshold: freeStorageFraction * float64(b.s.MaxStorageGiB) * bytesPerGiB,
		period: storagePeriodSeconds, evaluationPeriods: 1, datapoints: 1, missing: missingBreaching,
		uses: []Key{dbKey},
	})
}

// alarm renders one alarm notifying topic, or records it as waiting for the
// missing values.
func (b *builder) alarm(topic string, missing []string, a alarm) {
	if len(missing) > 0 {
		b.wait(FamilyAlarms, "MetricAlarm", b.name(a.component, KubernetesName), missing...)
		return
	}
	dims := make([]*cloudwatchv1alpha1.Dimension, 0, len(a.dimensions))
	for _, d := range a.dimensions {
		dims = append(dims, &cloudwatchv1alpha1.Dimension{Name: ptrTo(d[0]), Value: ptrTo(d[1])})
	}
	spec := cloudwatchv1alpha1.MetricAlarmSpec{
		Name:               ptrTo(b.alarmName(a.component)),
		AlarmDescription:   ptrTo(a.description + " DocuFlow stack " + b.stack.Namespace + "/" + b.stack.Name + "."),
		Namespace:          ptrTo(a.namespace),
		MetricName:         ptrTo(a.metric),
		Period:             ptrTo(a.period),
		Dimensions:         dims,
		ComparisonOperator: ptrTo(a.comparison),
		Threshold:          ptrTo(a.threshold),
		EvaluationPeriods:  ptrTo(a.evaluationPeriods),
		DatapointsToAlarm:  ptrTo(a.datapoints),
		TreatMissingData:   ptrTo(a.missing),
		ActionsEnabled:     ptrTo(true),
		AlarmActions:       strs(topic),
		OKActions:          strs(topic),
		Tags:               b.cloudwatchTags(a.component),
	}
	if a.extended != "" {
		spec.ExtendedStatistic = ptrTo(a.extended)
	} else {
		spec.Statistic = ptrTo(a.statistic)
	}
	obj := &cloudwatchv1alpha1.MetricAlarm{
		TypeMeta:   cloudwatchMeta(),
		ObjectMeta: objectMeta(b.stack, FamilyAlarms, a.component),
		Spec:       spec,
	}
	b.uses(obj, a.uses...)
	b.emit(obj)
}

// cloudwatchTags are the component's tags as CloudWatch tags.
func (b *builder) cloudwatchTags(component string) []*cloudwatchv1alpha1.Tag {
	tags := Tags(b.stack, component)
	out := make([]*cloudwatchv1alpha1.Tag, 0, len(tags))
	for _, t := range tags {
		out = append(out, &cloudwatchv1alpha1.Tag{Key: ptrTo(t.Key), Value: ptrTo(t.Value)})
	}
	return out
}
