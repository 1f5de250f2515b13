package plan

import (
	"fmt"
	"strconv"
	"strings"
)

// fieldRule says what a change of one field of one kind means in AWS. The
// sources are /work/shared/ack/REFERENCE.md (what ACK updates in place,
// ApplyImmediately, create-only fields) and AWS's documentation of each
// service.
type fieldRule struct {
	// kind is the ACK kind, "" for every kind.
	kind string
	// field is a path as FieldChange spells it; the rule covers the field
	// and everything below it.
	field string
	// means is a fixed sentence, or
	means string
	// say words it from the change.
	say func(c fieldContext) string
	// replace: AWS, or ACK, cannot make the change in place.
	replace bool
	// deletesData says whether this change deletes data.
	deletesData func(c fieldContext) bool
}

// fieldContext is one change with the child it belongs to, after the
// change, as JSON-shaped maps.
type fieldContext struct {
	FieldChange
	after map[string]any
}

// specValue reads a spec field of the child after the change.
func (c fieldContext) specValue(path ...string) any {
	return nested(c.after, append([]string{"spec"}, path...)...)
}

// createOnly words a field AWS or ACK sets only at creation: why, and that
// ACK never replaces a resource (REFERENCE.md §1.4), so the change stays in
// the spec and AWS keeps the old value until the child is created anew,
// which would mean replacing.
func createOnly(why, replacing string) string {
	return why + ", and ACK never replaces a resource: AWS keeps the old value until the child is deleted and created again (" + replacing + ")"
}

// fieldRules is the words table. The first rule whose kind and field match
// a change applies; a change without one is described by the kind's
// default (kindRules) or not at all.
var fieldRules = []fieldRule{
	// RDS (REFERENCE.md §3.3: every ModifyDBInstance is sent with
	// ApplyImmediately=true).
	{kind: "DBInstance", field: "dbInstanceClass", say: func(c fieldContext) string {
		if multiAZ(c) {
			return "applied immediately (ACK modifies with ApplyImmediately=true): RDS resizes the standby and fails over to it: a Multi-AZ failover, about a minute of reconnects"
		}
		return "applied immediately (ACK modifies with ApplyImmediately=true): the single instance restarts on the new class: several minutes of downtime"
	}},
	{kind: "DBInstance", field: "allocatedStorage", say: func(c fieldContext) string {
		ann, _ := nested(c.after, "metadata", "annotations").(map[string]any)
		if drift, _ := ann["services.k8s.aws/ignore-field-drift"].(string); strings.Contains(drift, "spec.allocatedStorage") {
			return "not sent to RDS: with storage autoscaling ACK ignores allocatedStorage (ignore-field-drift), and RDS grows the volume itself up to maxAllocatedStorage; raise that to allow more"
		}
		return "applied immediately: the volume grows online, without downtime; RDS allows the next storage change six hours later at the earliest"
	}},
	{kind: "DBInstance", field: "maxAllocatedStorage", means: "the ceiling storage autoscaling may grow the volume to: nothing changes on the instance now"},
	{kind: "DBInstance", field: "multiAZ", say: func(c fieldContext) string {
		if c.New == "true" {
			return "applied immediately: RDS adds a standby in another zone from a snapshot, without downtime (writes are slower while it catches up)"
		}
		return "applied immediately: the standby is removed; a zone outage then stops the database until RDS recovers it"
	}},
	{kind: "DBInstance", field: "engineVersion", say: func(c fieldContext) string {
		if major(c.Old) != major(c.New) {
			return "a major version upgrade, applied immediately: the database is unavailable while RDS upgrades it (often 10 to 30 minutes, Multi-AZ included), and it cannot go back"
		}
		return "a minor version upgrade, applied immediately: the database restarts, several minutes of downtime (RDS upgrades primary and standby together)"
	}},
	{kind: "DBInstance", field: "backupRetentionPeriod", say: func(c fieldContext) string {
		if lower(c) {
			return "automated backups older than " + c.New + " days are deleted at once"
		}
		return "automated backups are kept " + c.New + " days, in place"
	}, deletesData: lower},
	{kind: "DBInstance", field: "deletionProtection", say: func(c fieldContext) string {
		if c.New == "true" {
			return "RDS refuses to delete the database while it is on"
		}
		return "RDS no longer refuses to delete the database"
	}},
	{kind: "DBInstance", field: "dbParameterGroupRef", means: "the instance moves to the other parameter group: dynamic parameters apply at once, static ones at the next reboot (ACK does not reboot)"},
	{kind: "DBInstance", field: "dbParameterGroupName", means: "the instance moves to the other parameter group: dynamic parameters apply at once, static ones at the next reboot (ACK does not reboot)"},
	{kind: "DBInstance", field: "port", means: "applied immediately: the instance restarts to listen on the new port (downtime)"},
	{kind: "DBInstance", field: "storageEncrypted", replace: true, means: createOnly("RDS sets encryption at rest only at creation", "a new database, restored from a snapshot")},
	{kind: "DBInstance", field: "performanceInsightsEnabled", means: "in place, without downtime"},
	{kind: "DBInstance", field: "performanceInsightsRetentionPeriod", means: "in place, without downtime"},
	{kind: "DBInstance", field: "vpcSecurityGroupRefs", means: "in place, without downtime"},
	{kind: "DBParameterGroup", field: "parameterOverrides", means: "dynamic parameters apply at once, static ones at the database's next reboot (ACK does not reboot it)"},
	{kind: "DBParameterGroup", field: "family", replace: true, means: createOnly("RDS sets a parameter group's family only at creation", "a new group the database moves to")},
	{kind: "DBSubnetGroup", field: "subnetRefs", means: "in place: RDS may place the database in the new subnets at its next failover"},
	// EC2 (REFERENCE.md §1.4, §2).
	{kind: "Subnet", field: "cidrBlock", replace: true, means: createOnly("AWS sets a subnet's range only at creation", "a new subnet: every task in it restarts, and the database moves out of it first")},
	{kind: "Subnet", field: "availabilityZone", replace: true, means: createOnly("AWS sets a subnet's zone only at creation", "a new subnet: every task in it restarts, and the database moves out of it first")},
	{kind: "Subnet", field: "routeTableRefs", means: "the subnet's route table changes: connections on a route that goes away may drop"},
	{kind: "NATGateway", field: "tags", means: "AWS tags, in place"},
	{kind: "NATGateway", field: "", replace: true, means: createOnly("ACK changes only a NAT gateway's tags", "a new NAT gateway with a new public address: outbound connections from the zone drop, and whoever allow-lists the old address must be told")},
	{kind: "ElasticIPAddress", field: "tags", means: "AWS tags, in place"},
	{kind: "ElasticIPAddress", field: "", replace: true, means: createOnly("ACK changes only an Elastic IP address's tags", "a new public address: whoever allow-lists the old one must be told")},
	{kind: "FlowLog", field: "tags", means: "AWS tags, in place"},
	{kind: "FlowLog", field: "", replace: true, means: createOnly("ACK changes only a flow log's tags", "a new flow log")},
	{kind: "SecurityGroup", field: "ingressRules", means: "rules change in place: ACK revokes the old rules first, then authorises the new ones, so connections that need a replaced rule may fail for a moment"},
	{kind: "SecurityGroup", field: "egressRules", means: "rules change in place: ACK revokes the old rules first, then authorises the new ones, so connections that need a replaced rule may fail for a moment"},
	{kind: "RouteTable", field: "routes", means: "routes change in place: connections on a route being replaced may drop"},
	{kind: "VPCEndpoint", field: "serviceName", replace: true, means: createOnly("AWS sets an endpoint's service only at creation", "a new endpoint")},
	{kind: "VPCEndpoint", field: "vpcEndpointType", replace: true, means: createOnly("AWS sets an endpoint's type only at creation", "a new endpoint")},
	{kind: "VPCEndpoint", field: "", means: "in place"},
	{kind: "VPC", field: "cidrBlocks", means: "another range is associated with the VPC, or one is released, in place"},
	// ELBv2 (REFERENCE.md §5).
	{kind: "LoadBalancer", field: "subnetRefs", replace: true, means: createOnly("elbv2-controller does not apply a change of the load balancer's subnets after creation", "a new load balancer with a new DNS name: clients and DNS records must follow")},
	{kind: "LoadBalancer", field: "subnets", replace: true, means: createOnly("elbv2-controller does not apply a change of the load balancer's subnets after creation", "a new load balancer with a new DNS name: clients and DNS records must follow")},
	{kind: "LoadBalancer", field: "scheme", replace: true, means: createOnly("AWS sets a load balancer's scheme only at creation", "a new load balancer with a new DNS name: clients and DNS records must follow")},
	{kind: "LoadBalancer", field: "type", replace: true, means: createOnly("AWS sets a load balancer's type only at creation", "a new load balancer with a new DNS name: clients and DNS records must follow")},
	{kind: "LoadBalancer", field: "attributes", means: "load balancer attributes (idle timeout, access logs, deletion protection), in place"},
	{kind: "LoadBalancer", field: "securityGroupRefs", means: "in place"},
	{kind: "TargetGroup", field: "port", replace: true, means: createOnly("AWS sets a target group's port only at creation", "a new target group: the service registers its tasks in it, a new deployment")},
	{kind: "TargetGroup", field: "protocol", replace: true, means: createOnly("AWS sets a target group's protocol only at creation", "a new target group: the service registers its tasks in it, a new deployment")},
	{kind: "TargetGroup", field: "targetType", replace: true, means: createOnly("AWS sets a target group's target type only at creation", "a new target group")},
	{kind: "TargetGroup", field: "tags", means: "ACK sends a target group's tags only at creation: AWS keeps the old tags"},
	{kind: "TargetGroup", field: "attributes", means: "in place (deregistration delay, stickiness)"},
	{kind: "TargetGroup", field: "", means: "the health check changes in place: targets are checked the new way at once"},
	{kind: "Listener", field: "sslPolicy", means: "in place: new TLS connections use the new policy"},
	{kind: "Listener", field: "certificates", means: "in place: new connections get the new certificate"},
	{kind: "Listener", field: "tags", means: "ACK sends a listener's tags only at creation: AWS keeps the old tags"},
	{kind: "Listener", field: "", means: "in place: requests are handled the new way at once"},
	// ECS (REFERENCE.md §4).
	{kind: "Service", field: "desiredCount", say: func(c fieldContext) string {
		return "ECS starts or stops tasks to run " + c.New + " (Application Auto Scaling may change the count again, within its bounds)"
	}},
	{kind: "Service", field: "taskDefinition", means: "a rolling deployment: tasks of the new revision start and the old ones stop once the new ones are healthy; the circuit breaker rolls a failing deployment back"},
	{kind: "Service", field: "networkConfiguration", means: "a new deployment: every task is replaced, rolling"},
	{kind: "Service", field: "loadBalancers", means: "a new deployment: every task is replaced, rolling, and registered with the target group anew"},
	{kind: "Service", field: "platformVersion", means: "a new deployment: every task is replaced, rolling"},
	{kind: "Service", field: "tags", means: "ECS takes a service's tags only at creation: AWS keeps the old tags"},
	{kind: "Service", field: "", means: "in place, for the next deployment"},
	{kind: "TaskDefinition", field: "", means: "ECS registers a new revision (a task definition never changes)"},
	{kind: "Cluster", field: "settings", means: "in place (Container Insights)"},
	{kind: "Cluster", field: "capacityProviders", replace: true, means: createOnly("ACK sends a cluster's capacity providers only at creation", "a new cluster: every task restarts")},
	// Logs, IAM, autoscaling, alarms.
	{kind: "LogGroup", field: "retentionDays", say: func(c fieldContext) string {
		switch {
		case c.AbsentNew:
			return "log events are kept forever"
		case lower(c):
			return "CloudWatch deletes log events older than " + c.New + " days at once"
		}
		return "log events are kept " + c.New + " days"
	}, deletesData: lower},
	{kind: "Role", field: "assumeRolePolicyDocument", means: "who may assume the role changes in place; IAM applies it within seconds"},
	{kind: "Role", field: "", means: "permissions change in place; IAM applies them within seconds"},
	{kind: "ScalableTarget", field: "", say: func(c fieldContext) string {
		return fmt.Sprintf("the service scales between %s and %s tasks; Application Auto Scaling moves a count outside the range into it at once",
			scalar(c.specValue("minCapacity")), scalar(c.specValue("maxCapacity")))
	}},
	{kind: "ScalingPolicy", field: "", means: "the scaling policy changes in place"},
	{kind: "MetricAlarm", field: "", means: "the alarm changes in place"},
	// Every kind.
	{field: "annotation services.k8s.aws/deletion-policy", say: func(c fieldContext) string {
		if c.New == "retain" {
			return "ACK now leaves it in AWS when it is deleted (deletionPolicy Retain): deleting the stack releases it"
		}
		ann, _ := nested(c.after, "metadata", "annotations").(map[string]any)
		if id, _ := ann["rds.services.k8s.aws/final-db-snapshot-identifier"].(string); id != "" && ann["rds.services.k8s.aws/skip-final-snapshot"] == "false" {
			return "ACK now deletes it in AWS when it is deleted: deleting the stack deletes the database, after a final snapshot " + id
		}
		return "ACK now deletes it in AWS when it is deleted: deleting the stack deletes it"
	}},
	{field: "annotation rds.services.k8s.aws/skip-final-snapshot", say: func(c fieldContext) string {
		if c.New == "false" {
			return "a final snapshot is taken when the database is deleted"
		}
		return "no final snapshot is taken when the database is deleted"
	}},
	{field: "annotation rds.services.k8s.aws/final-db-snapshot-identifier", means: "the name of the final snapshot taken when the database is deleted"},
	{field: "annotation rds.services.k8s.aws/delete-automated-backups", say: func(c fieldContext) string {
		if c.New == "true" {
			return "deleting the database deletes its automated backups too"
		}
		return "deleting the database keeps its automated backups"
	}},
	{field: "annotation services.k8s.aws/ignore-field-drift", say: func(c fieldContext) string {
		if c.AbsentNew {
			return "ACK corrects drift of every field again"
		}
		return "ACK ignores drift of " + c.New
	}},
	{field: "tags", means: "AWS tags, in place"},
}

// ruleOf returns the words rule of a change of kind, nil when none matches.
func ruleOf(kind, path string) *fieldRule {
	for i := range fieldRules {
		r := &fieldRules[i]
		if r.kind != "" && r.kind != kind {
			continue
		}
		if r.field == "" || path == r.field || strings.HasPrefix(path, r.field+".") || strings.HasPrefix(path, r.field+"[") {
			return r
		}
	}
	return nil
}

// describe fills in what each change means, from the words table.
func describe(kind string, after map[string]any, changes []FieldChange) []FieldChange {
	out := make([]FieldChange, len(changes))
	for i, c := range changes {
		r := ruleOf(kind, c.Path)
		if r != nil {
			ctx := fieldContext{FieldChange: c, after: after}
			c.Means = r.means
			if r.say != nil {
				c.Means = r.say(ctx)
			}
			c.Replace = r.replace
			if r.deletesData != nil {
				c.DeletesData = r.deletesData(ctx)
			}
		}
		out[i] = c
	}
	return out
}

func multiAZ(c fieldContext) bool {
	v, _ := c.specValue("multiAZ").(bool)
	return v
}

// major is a PostgreSQL version's major number: "16" of "16.4".
func major(v string) string {
	m, _, _ := strings.Cut(v, ".")
	return m
}

// lower reports whether a numeric field goes down.
func lower(c fieldContext) bool {
	o, err1 := strconv.ParseFloat(c.Old, 64)
	n, err2 := strconv.ParseFloat(c.New, 64)
	return err1 == nil && err2 == nil && n < o
}
