package plan

import (
	"strings"
	"testing"
)

func TestEachChangeIsWordedInAWSTerms(t *testing.T) {
	tests := []struct {
		name   string
		kind   string
		after  map[string]any
		change FieldChange
		// means is a part of the words; replace and data what the change is.
		means         string
		replace, data bool
	}{
		{name: "a Multi-AZ database fails over to a resized standby", kind: "DBInstance", after: obj(map[string]any{"multiAZ": true}),
			change: FieldChange{Path: "dbInstanceClass", Old: "db.t4g.medium", New: "db.r6g.large"}, means: "a Multi-AZ failover, about a minute of reconnects"},
		{name: "a single database restarts on the new class", kind: "DBInstance", after: obj(map[string]any{"multiAZ": false}),
			change: FieldChange{Path: "dbInstanceClass", Old: "db.t4g.medium", New: "db.r6g.large"}, means: "several minutes of downtime"},
		{name: "a major version upgrade cannot go back", kind: "DBInstance", after: obj(nil),
			change: FieldChange{Path: "engineVersion", Old: "16.4", New: "17.2"}, means: "a major version upgrade, applied immediately"},
		{name: "a minor version upgrade restarts the database", kind: "DBInstance", after: obj(nil),
			change: FieldChange{Path: "engineVersion", Old: "16.4", New: "16.6"}, means: "a minor version upgrade"},
		{name: "storage grows online", kind: "DBInstance", after: obj(nil),
			change: FieldChange{Path: "allocatedStorage", Old: "50", New: "100"}, means: "the volume grows online"},
		{name: "with storage autoscaling, RDS grows the volume itself", kind: "DBInstance",
			after:  withAnnotations(obj(nil), map[string]any{"services.k8s.aws/ignore-field-drift": "spec.allocatedStorage"}),
			change: FieldChange{Path: "allocatedStorage", Old: "50", New: "100"}, means: "not sent to RDS"},
		{name: "a shorter backup retention deletes backups", kind: "DBInstance", after: obj(nil),
			change: FieldChange{Path: "backupRetentionPeriod", Old: "30", New: "14"}, means: "older than 14 days are deleted at once", data: true},
		{name: "a longer backup retention deletes nothing", kind: "DBInstance", after: obj(nil),
			change: FieldChange{Path: "backupRetentionPeriod", Old: "14", New: "30"}, means: "kept 30 days"},
		{name: "a shorter log retention deletes log events", kind: "LogGroup", after: obj(nil),
			change: FieldChange{Path: "retentionDays", Old: "400", New: "365"}, means: "deletes log events older than 365 days", data: true},
		{name: "a subnet's range is fixed: every task in it restarts", kind: "Subnet", after: obj(nil),
			change: FieldChange{Path: "cidrBlock", Old: "10.0.0.0/20", New: "10.0.16.0/20"}, means: "every task in it restarts", replace: true},
		{name: "a NAT gateway changes only its tags", kind: "NATGateway", after: obj(nil),
			change: FieldChange{Path: "subnetRef.from.name", Old: "a", New: "b"}, means: "a new public address", replace: true},
		{name: "a NAT gateway's tags change in place", kind: "NATGateway", after: obj(nil),
			change: FieldChange{Path: "tags[team]", Old: "a", New: "b"}, means: "AWS tags, in place"},
		{name: "a load balancer keeps its subnets", kind: "LoadBalancer", after: obj(nil),
			change: FieldChange{Path: "subnetRefs[+]", New: "public-d", AbsentOld: true}, means: "a new DNS name", replace: true},
		{name: "the service's task count", kind: "Service", after: obj(nil),
			change: FieldChange{Path: "desiredCount", Old: "2", New: "4"}, means: "ECS starts or stops tasks to run 4"},
		{name: "a new task definition revision rolls the service", kind: "Service", after: obj(nil),
			change: FieldChange{Path: "taskDefinition", Old: "arn:1", New: "arn:2"}, means: "a rolling deployment"},
		{name: "rules are revoked before they are authorised", kind: "SecurityGroup", after: obj(nil),
			change: FieldChange{Path: "ingressRules[+]", New: "tcp 443 from 0.0.0.0/0", AbsentOld: true}, means: "ACK revokes the old rules first"},
		{name: "scaling bounds read as a range", kind: "ScalableTarget", after: obj(map[string]any{"minCapacity": int64(3), "maxCapacity": int64(30)}),
			change: FieldChange{Path: "minCapacity", Old: "2", New: "3"}, means: "between 3 and 30 tasks"},
		{name: "taking the retain annotation off means deletion with the stack", kind: "VPC", after: obj(nil),
			change: FieldChange{Path: "annotation services.k8s.aws/deletion-policy", Old: "retain", AbsentNew: true}, means: "deleting the stack deletes it"},
		{name: "the database is deleted after its final snapshot", kind: "DBInstance",
			after:  withAnnotations(obj(nil), map[string]any{"rds.services.k8s.aws/skip-final-snapshot": "false", "rds.services.k8s.aws/final-db-snapshot-identifier": "prod-db-final-1234"}),
			change: FieldChange{Path: "annotation services.k8s.aws/deletion-policy", Old: "retain", New: "delete"}, means: "after a final snapshot prod-db-final-1234"},
		{name: "a field the table does not know has no words", kind: "Cluster", after: obj(nil),
			change: FieldChange{Path: "configuration.executeCommandConfiguration.logging", Old: "DEFAULT", New: "NONE"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := describe(tc.kind, tc.after, []FieldChange{tc.change})[0]
			if tc.means == "" && got.Means != "" || !strings.Contains(got.Means, tc.means) {
				t.Errorf("means %q, want it to say %q", got.Means, tc.means)
			}
			if got.Replace != tc.replace || got.DeletesData != tc.data {
				t.Errorf("replace %t, deletes data %t; want %t, %t", got.Replace, got.DeletesData, tc.replace, tc.data)
			}
		})
	}
}

func TestEveryRuleNamesAKindOrAnAnnotation(t *testing.T) {
	for _, r := range fieldRules {
		if r.kind == "" && !strings.HasPrefix(r.field, "annotation ") && r.field != "tags" {
			t.Errorf("the rule for %q covers every kind: only annotations and tags may", r.field)
		}
		if (r.means == "") == (r.say == nil) {
			t.Errorf("the rule for %s %q must have either fixed words or a function", r.kind, r.field)
		}
	}
}
