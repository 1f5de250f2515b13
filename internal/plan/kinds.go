package plan

import (
	"strings"

	"github.com/docuflow/docuflow-operator/internal/desired"
)

// createWords says what creating a child of a kind means in AWS, from the
// body the operator applies; "" when the kind's name says enough.
var createWords = map[string]func(obj map[string]any) string{
	"DBInstance": func(obj map[string]any) string {
		s := "a PostgreSQL " + str(obj, "engineVersion") + " database, " + str(obj, "dbInstanceClass") + ", " + str(obj, "allocatedStorage") + " GiB"
		if b, _ := nested(obj, "spec", "multiAZ").(bool); b {
			s += ", Multi-AZ"
		}
		return s + ": RDS takes 10 to 20 minutes to create it"
	},
	"Subnet": func(obj map[string]any) string {
		return "a subnet, " + str(obj, "cidrBlock") + " in " + str(obj, "availabilityZone")
	},
	"NATGateway":       func(map[string]any) string { return "a NAT gateway, billed by the hour and by the gigabyte" },
	"ElasticIPAddress": func(map[string]any) string { return "a public IPv4 address, billed by the hour" },
	"VPCEndpoint": func(obj map[string]any) string {
		s := "an endpoint for " + str(obj, "serviceName")
		if strings.EqualFold(str(obj, "vpcEndpointType"), "Interface") {
			s += ", billed by the hour per zone"
		}
		return s
	},
	"LoadBalancer": func(map[string]any) string { return "an application load balancer: a new DNS name" },
	"TaskDefinition": func(obj map[string]any) string {
		image := ""
		if defs, _ := nested(obj, "spec", "containerDefinitions").([]any); len(defs) > 0 {
			if d, ok := defs[0].(map[string]any); ok {
				image, _ = d["image"].(string)
			}
		}
		return "a new task definition revision (image " + image + "): the Service moves to it once ACK has registered it, a rolling deployment"
	},
	"Service": func(obj map[string]any) string {
		return "the ECS service, " + str(obj, "desiredCount") + " tasks"
	},
	"LogGroup": func(obj map[string]any) string {
		if r := str(obj, "retentionDays"); r != "" {
			return "a log group, events kept " + r + " days"
		}
		return "a log group"
	},
}

// deleteWords says what deleting a child of a kind means in AWS, and
// whether data goes with it, from the live child.
var deleteWords = map[string]func(live map[string]any) (string, bool){
	"DBInstance": func(live map[string]any) (string, bool) {
		ann, _ := nested(live, "metadata", "annotations").(map[string]any)
		if ann["rds.services.k8s.aws/skip-final-snapshot"] == "false" {
			id, _ := ann["rds.services.k8s.aws/final-db-snapshot-identifier"].(string)
			return "the database is deleted in AWS after a final snapshot " + id, true
		}
		return "the database is deleted in AWS without a final snapshot: its data is gone", true
	},
	"LogGroup": func(map[string]any) (string, bool) { return "its log events are deleted with it", true },
	"Subnet": func(live map[string]any) (string, bool) {
		if strings.HasPrefix(tagValue(live, desired.TagComponent), "public-") {
			return "deleted once nothing is in it: the load balancer and the zone's NAT gateway leave it first", false
		}
		return "deleted once nothing is in it: the service's tasks in it stop and ECS starts them in the other zones", false
	},
	"NATGateway":       func(map[string]any) (string, bool) { return "deleted once no route uses it", false },
	"ElasticIPAddress": func(map[string]any) (string, bool) { return "the public address is released for good", false },
	"VPCEndpoint": func(live map[string]any) (string, bool) {
		return "traffic to " + str(live, "serviceName") + " goes through the NAT gateways instead", false
	},
	"FlowLog": func(map[string]any) (string, bool) { return "the VPC's traffic is no longer logged", false },
	"TaskDefinition": func(map[string]any) (string, bool) {
		return "deregistered: the oldest revision kept for a rollback", false
	},
	"DBParameterGroup": func(map[string]any) (string, bool) { return "settings only, no data", false },
	"LoadBalancer":     func(map[string]any) (string, bool) { return "the stack's URL stops answering", false },
	"MetricAlarm":      func(map[string]any) (string, bool) { return "nobody is alerted on it any more", false },
	"SecurityGroup":    func(map[string]any) (string, bool) { return "deleted once nothing uses it", false },
	"Role":             func(map[string]any) (string, bool) { return "whoever assumed it loses its permissions", false },
	"ScalingPolicy":    func(map[string]any) (string, bool) { return "the service no longer scales on it", false },
}

// tagValue reads an AWS tag of a child.
func tagValue(obj map[string]any, key string) string {
	tags, _ := nested(obj, "spec", "tags").([]any)
	m, _ := tagMap(tags)
	v, _ := m[key].(string)
	return v
}

// str reads a spec field as text.
func str(obj map[string]any, field string) string {
	return scalar(normalise(nested(obj, "spec", field)))
}
