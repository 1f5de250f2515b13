package validatetest

import (
	"fmt"
	"strings"

	"github.com/docuflow/docuflow-operator/app/contract"
)

// Case is one invalid stack: Mutate turns the production sample into it, and
// the rejection must name Field and contain Says.
type Case struct {
	Name   string
	Mutate func(o map[string]any)
	Field  string // the path the error must name
	Says   string // a fragment of the explanation
}

// BadInputs returns the create-time cases that both the API server and the
// offline validator must reject with the same field path and message fragment.
func BadInputs() []Case {
	adopted := func(o map[string]any) {
		Set(o, "spec.adopt", map[string]any{
			"vpcID": "vpc-0a1b2c3d4e5f67890", "internetGatewayID": "igw-0a1b2c3d4e5f67890", "dbInstanceIdentifier": "terraform-docuflow",
			"subnets": []any{
				map[string]any{"zone": "us-east-1a", "publicSubnetID": "subnet-0a000000000000001", "privateSubnetID": "subnet-0a000000000000002"},
				map[string]any{"zone": "us-east-1b", "publicSubnetID": "subnet-0a000000000000003", "privateSubnetID": "subnet-0a000000000000004"},
				map[string]any{"zone": "us-east-1c", "publicSubnetID": "subnet-0a000000000000005", "privateSubnetID": "subnet-0a000000000000006"},
			},
		})
	}
	return []Case{
		{"an adopted VPC without its internet gateway", func(o map[string]any) {
			adopted(o)
			Unset(o, "spec.adopt.internetGatewayID")
		}, "spec.adopt.internetGatewayID", "a VPC has one internet gateway"},
		{"an adopted VPC without subnets for every zone", func(o map[string]any) {
			adopted(o)
			Set(o, "spec.adopt.subnets", []any{map[string]any{"zone": "us-east-1a", "publicSubnetID": "subnet-0a000000000000001", "privateSubnetID": "subnet-0a000000000000002"}})
		}, "spec.adopt.subnets", "for every zone of network.availabilityZones"},
		{"an adopted subnet in a zone the stack does not use", func(o map[string]any) {
			adopted(o)
			Set(o, "spec.network.availabilityZones", []any{"us-east-1a", "us-east-1b"})
		}, "spec.adopt.subnets", "must be one of network.availabilityZones"},
		{"an adopted subnet named twice", func(o map[string]any) {
			adopted(o)
			Set(o, "spec.adopt.subnets", []any{
				map[string]any{"zone": "us-east-1a", "publicSubnetID": "subnet-0a000000000000001", "privateSubnetID": "subnet-0a000000000000002"},
				map[string]any{"zone": "us-east-1b", "publicSubnetID": "subnet-0a000000000000003", "privateSubnetID": "subnet-0a000000000000001"},
				map[string]any{"zone": "us-east-1c", "publicSubnetID": "subnet-0a000000000000005", "privateSubnetID": "subnet-0a000000000000006"},
			})
		}, "spec.adopt.subnets", "every adopted subnet ID must appear once"},
		{"an adopted database identifier in capitals", func(o map[string]any) {
			adopted(o)
			Set(o, "spec.adopt.dbInstanceIdentifier", "Terraform-DB")
		}, "spec.adopt.dbInstanceIdentifier", "should match"},
		{"an adopted database without its VPC", func(o map[string]any) {
			Set(o, "spec.adopt", map[string]any{"dbInstanceIdentifier": "terraform-docuflow"})
		}, "spec.adopt.vpcID", "a database stays in its VPC"},
		{"an adopted VPC ID that is not one", func(o map[string]any) {
			adopted(o)
			Set(o, "spec.adopt.vpcID", "my-vpc")
		}, "spec.adopt.vpcID", "should match"},
		{"minTasks above maxTasks", func(o map[string]any) {
			Set(o, "spec.autoscaling.minTasks", int64(5))
			Set(o, "spec.autoscaling.maxTasks", int64(3))
		}, "spec.autoscaling.minTasks", "must not exceed maxTasks"},
		{"the production default of two tasks above maxTasks 1", func(o map[string]any) {
			Unset(o, "spec.autoscaling.minTasks")
			Set(o, "spec.autoscaling.maxTasks", int64(1))
		}, "spec.autoscaling.minTasks", "2 by default in production"},
		{"a cpu/memory pair Fargate does not offer", func(o map[string]any) {
			Set(o, "spec.service.cpu", int64(256))
			Set(o, "spec.service.memory", int64(4096))
		}, "spec.service.memory", "a pair Fargate offers"},
		{"a cpu size Fargate does not offer", func(o map[string]any) {
			Set(o, "spec.service.cpu", int64(300))
		}, "spec.service.cpu", "Unsupported value"},
		{"a malformed VPC CIDR", func(o map[string]any) {
			Set(o, "spec.network.vpcCIDR", "10.40.0.0/33")
		}, "spec.network.vpcCIDR", "must be an IPv4 CIDR"},
		{"a VPC CIDR that is not a CIDR at all", func(o map[string]any) {
			Set(o, "spec.network.vpcCIDR", "ten-forty")
		}, "spec.network.vpcCIDR", "must be an IPv4 CIDR"},
		{"a VPC CIDR too large to be a VPC", func(o map[string]any) {
			Set(o, "spec.network.vpcCIDR", "10.0.0.0/8")
		}, "spec.network.vpcCIDR", "/16 to /22"},
		{"a public VPC CIDR", func(o map[string]any) {
			Set(o, "spec.network.vpcCIDR", "8.8.0.0/16")
		}, "spec.network.vpcCIDR", "RFC 1918"},
		{"a VPC CIDR with host bits set", func(o map[string]any) {
			Set(o, "spec.network.vpcCIDR", "10.40.1.0/16")
		}, "spec.network.vpcCIDR", "network address"},
		{"one availability zone", func(o map[string]any) {
			Set(o, "spec.network.availabilityZones", []any{"us-east-1a"})
		}, "spec.network.availabilityZones", "at least 2 items"},
		{"a repeated availability zone", func(o map[string]any) {
			Set(o, "spec.network.availabilityZones", []any{"us-east-1a", "us-east-1a"})
		}, "spec.network.availabilityZones[1]", "Duplicate value"},
		{"seven availability zones", func(o map[string]any) {
			Set(o, "spec.network.availabilityZones", []any{"us-east-1a", "us-east-1b", "us-east-1c", "us-east-1d", "us-east-1e", "us-east-1f", "us-east-1g"})
		}, "spec.network.availabilityZones", "at most 6 items"},
		{"an availability zone of another region", func(o map[string]any) {
			Set(o, "spec.network.availabilityZones", []any{"us-east-1a", "eu-west-1b"})
		}, "spec.network.availabilityZones", "must be in spec.region"},
		{"an unknown NAT gateway mode", func(o map[string]any) {
			Set(o, "spec.network.natGateways", "Two")
		}, "spec.network.natGateways", "Unsupported value"},
		{"backupRetentionDays 0", func(o map[string]any) {
			Set(o, "spec.database.backupRetentionDays", int64(0))
		}, "spec.database.backupRetentionDays", "greater than or equal to 1"},
		{"backupRetentionDays 36", func(o map[string]any) {
			Set(o, "spec.database.backupRetentionDays", int64(36))
		}, "spec.database.backupRetentionDays", "less than or equal to 35"},
		{"containerPort 0", func(o map[string]any) {
			Set(o, "spec.service.containerPort", int64(0))
		}, "spec.service.containerPort", "greater than or equal to 1"},
		{"containerPort on the app's metrics port", func(o map[string]any) {
			Set(o, "spec.service.containerPort", int64(contract.DefaultMetricsPort))
		}, "spec.service.containerPort", "metrics port"},
		{"containerPort 65536", func(o map[string]any) {
			Set(o, "spec.service.containerPort", int64(65536))
		}, "spec.service.containerPort", "less than or equal to 65535"},
		{"a health check path without a leading slash", func(o map[string]any) {
			Set(o, "spec.service.healthCheckPath", "healthz")
		}, "spec.service.healthCheckPath", "should match"},
		{"a malformed certificate ARN", func(o map[string]any) {
			Set(o, "spec.loadBalancer.certificateARN", "arn:aws:iam::123456789012:server-certificate/docuflow")
		}, "spec.loadBalancer.certificateARN", "should match"},
		{"a certificate from another region", func(o map[string]any) {
			Set(o, "spec.loadBalancer.certificateARN", "arn:aws:acm:eu-west-1:123456789012:certificate/0a1b2c3d")
		}, "spec.loadBalancer.certificateARN", "in spec.region"},
		{"HTTPS without a certificate and without insecureHTTPOnly", func(o map[string]any) {
			Unset(o, "spec.loadBalancer.certificateARN")
		}, "spec.loadBalancer.certificateARN", "certificateARN is required"},
		{"insecureHTTPOnly with profile production", func(o map[string]any) {
			Unset(o, "spec.loadBalancer.certificateARN")
			Set(o, "spec.loadBalancer.insecureHTTPOnly", true)
		}, "spec.loadBalancer.insecureHTTPOnly", "not allowed with profile production"},
		{"insecureHTTPOnly next to a certificate", func(o map[string]any) {
			Set(o, "spec.profile", "development")
			Set(o, "spec.loadBalancer.insecureHTTPOnly", true)
		}, "spec.loadBalancer.insecureHTTPOnly", "contradict"},
		{"a TLS policy that allows TLS 1.0", func(o map[string]any) {
			Set(o, "spec.loadBalancer.sslPolicy", "ELBSecurityPolicy-2016-08")
		}, "spec.loadBalancer.sslPolicy", "Unsupported value"},
		{"a TLS 1.2 policy with CBC and SHA-1 ciphers", func(o map[string]any) {
			Set(o, "spec.loadBalancer.sslPolicy", "ELBSecurityPolicy-TLS-1-2-Ext-2018-06")
		}, "spec.loadBalancer.sslPolicy", "Unsupported value"},
		{"a TLS 1.3 policy that still allows TLS 1.0", func(o map[string]any) {
			Set(o, "spec.loadBalancer.sslPolicy", "ELBSecurityPolicy-TLS13-1-0-2021-06")
		}, "spec.loadBalancer.sslPolicy", "Unsupported value"},
		{"a TLS 1.3 policy that does not exist", func(o map[string]any) {
			Set(o, "spec.loadBalancer.sslPolicy", "ELBSecurityPolicy-TLS13-1-2-made-up")
		}, "spec.loadBalancer.sslPolicy", "Unsupported value"},
		{"an allowed range that is not a CIDR", func(o map[string]any) {
			Set(o, "spec.loadBalancer.allowedCIDRs", []any{"203.0.113.7"})
		}, "spec.loadBalancer.allowedCIDRs[0]", "must be an IPv4 CIDR"},
		{"an egress range that is not in network form", func(o map[string]any) {
			Set(o, "spec.network.egressCIDRs", []any{"203.0.113.7/24"})
		}, "spec.network.egressCIDRs[0]", "must be an IPv4 CIDR"},
		{"an IPv6 egress range", func(o map[string]any) {
			Set(o, "spec.network.egressCIDRs", []any{"2001:db8::/32"})
		}, "spec.network.egressCIDRs[0]", "must be an IPv4 CIDR"},
		{"more egress ranges than a security group rule should carry", func(o map[string]any) {
			var many []any
			for i := range 17 {
				many = append(many, fmt.Sprintf("203.0.113.%d/32", i))
			}
			Set(o, "spec.network.egressCIDRs", many)
		}, "spec.network.egressCIDRs", "must have at most 16 items"},
		{"an unknown deletionPolicy", func(o map[string]any) {
			Set(o, "spec.database.deletionPolicy", "Archive")
		}, "spec.database.deletionPolicy", "Unsupported value"},
		{"maxStorageGiB below storageGiB", func(o map[string]any) {
			Set(o, "spec.database.storageGiB", int64(100))
			Set(o, "spec.database.maxStorageGiB", int64(50))
		}, "spec.database.maxStorageGiB", "at least storageGiB"},
		{"storage below the RDS minimum", func(o map[string]any) {
			Set(o, "spec.database.storageGiB", int64(10))
		}, "spec.database.storageGiB", "greater than or equal to 20"},
		{"an unsupported PostgreSQL version", func(o map[string]any) {
			Set(o, "spec.database.engineVersion", "9.6")
		}, "spec.database.engineVersion", "should match"},
		{"a malformed instance class", func(o map[string]any) {
			Set(o, "spec.database.instanceClass", "t4g.medium")
		}, "spec.database.instanceClass", "should match"},
		{"an environment variable named like a secret", func(o map[string]any) {
			Set(o, "spec.service.env", []any{map[string]any{"name": "DB_PASSWORD", "value": "hunter2"}})
		}, "spec.service.env[0].name", "looks like a secret"},
		{"an environment variable with a reserved name", func(o map[string]any) {
			Set(o, "spec.service.env", []any{map[string]any{"name": "DOCUFLOW_DB_HOST", "value": "elsewhere"}})
		}, "spec.service.env[0].name", "reserved"},
		{"an environment variable set twice", func(o map[string]any) {
			Set(o, "spec.service.env", []any{map[string]any{"name": "LOG_LEVEL", "value": "info"}, map[string]any{"name": "LOG_LEVEL", "value": "debug"}})
		}, "spec.service.env[1]", "Duplicate value"},
		{"an image without a pinned version", func(o map[string]any) {
			Set(o, "spec.service.image", "public.ecr.aws/docuflow/api:latest")
		}, "spec.service.image", "pin a version"},
		{"an image with a wildcard repository", func(o map[string]any) {
			Set(o, "spec.service.image", "123456789012.dkr.ecr.us-east-1.amazonaws.com/*:1")
		}, "spec.service.image", "must not contain the wildcards"},
		{"an image with a wildcard tag", func(o map[string]any) {
			Set(o, "spec.service.image", "public.ecr.aws/docuflow/api:1.?")
		}, "spec.service.image", "must not contain the wildcards"},
		{"an untagged image", func(o map[string]any) {
			Set(o, "spec.service.image", "public.ecr.aws/docuflow/api")
		}, "spec.service.image", "needs a tag or a digest"},
		{"an image without a registry host", func(o map[string]any) {
			Set(o, "spec.service.image", "docuflow/api:1.4.2")
		}, "spec.service.image", "with a registry host"},
		{"an image with a truncated digest", func(o map[string]any) {
			Set(o, "spec.service.image", "public.ecr.aws/docuflow/api@sha256:0123abcd")
		}, "spec.service.image", "OCI reference grammar"},
		{"an image with an upper-case repository", func(o map[string]any) {
			Set(o, "spec.service.image", "public.ecr.aws/DocuFlow/api:1.4.2")
		}, "spec.service.image", "OCI reference grammar"},
		{"an environment above ECS's task-definition limit", func(o map[string]any) {
			var env []any
			for i := range 12 {
				env = append(env, map[string]any{"name": fmt.Sprintf("BLOB_%02d", i), "value": strings.Repeat("x", 4096)})
			}
			Set(o, "spec.service.env", env)
		}, "spec.service.env", "more than 48 KiB"},
		{"an environment of multi-byte characters above the limit in bytes", func(o map[string]any) {
			var env []any
			for i := range 4 {
				env = append(env, map[string]any{"name": fmt.Sprintf("TEXT_%02d", i), "value": strings.Repeat("€", 4096)})
			}
			Set(o, "spec.service.env", env)
		}, "spec.service.env", "more than 48 KiB"},
		{"storage whose default autoscaling cap exceeds RDS's maximum", func(o map[string]any) {
			Set(o, "spec.database.storageGiB", int64(40000))
			Unset(o, "spec.database.maxStorageGiB")
		}, "spec.database.storageGiB", "needs maxStorageGiB"},
		{"storage above RDS's maximum", func(o map[string]any) {
			Set(o, "spec.database.storageGiB", int64(70000))
		}, "spec.database.storageGiB", "less than or equal to 65536"},
		{"a storage cap above RDS's maximum", func(o map[string]any) {
			Set(o, "spec.database.maxStorageGiB", int64(65537))
		}, "spec.database.maxStorageGiB", "less than or equal to 65536"},
		{"an alarm topic in another region", func(o map[string]any) {
			Set(o, "spec.observability.alarmTopicARN", "arn:aws:sns:eu-west-1:123456789012:docuflow-alarms")
		}, "spec.observability.alarmTopicARN", "in spec.region"},
		{"a tag key with characters AWS refuses", func(o map[string]any) {
			Set(o, "spec.tags", map[string]any{"team*": "documents"})
		}, "spec.tags", "tag keys must be"},
		{"an empty tag key", func(o map[string]any) {
			Set(o, "spec.tags", map[string]any{"": "documents"})
		}, "spec.tags", "tag keys must be"},
		{"a name too long for the alarm names CloudWatch accepts", func(o map[string]any) {
			Set(o, "metadata.name", strings.Repeat("a", 150))
		}, "metadata.name", "at most 149 characters"},
		{"no image", func(o map[string]any) {
			Unset(o, "spec.service.image")
		}, "spec.service.image", "Required value"},
		{"a malformed region", func(o map[string]any) {
			Set(o, "spec.region", "US East")
		}, "spec.region", "should match"},
		{"no region", func(o map[string]any) {
			Unset(o, "spec.region")
		}, "spec.region", "Required value"},
		{"an unknown profile", func(o map[string]any) {
			Set(o, "spec.profile", "staging")
		}, "spec.profile", "Unsupported value"},
		{"a log retention CloudWatch does not accept", func(o map[string]any) {
			Set(o, "spec.observability.logRetentionDays", int64(10))
		}, "spec.observability.logRetentionDays", "Unsupported value"},
		{"a malformed alarm topic", func(o map[string]any) {
			Set(o, "spec.observability.alarmTopicARN", "docuflow-alarms")
		}, "spec.observability.alarmTopicARN", "should match"},
		{"a tag with a reserved prefix", func(o map[string]any) {
			Set(o, "spec.tags", map[string]any{"aws:cloudformation:stack-name": "x"})
		}, "spec.tags", "reserved prefixes"},
		{"a target CPU of 100 percent", func(o map[string]any) {
			Set(o, "spec.autoscaling.targetCPUPercent", int64(100))
		}, "spec.autoscaling.targetCPUPercent", "less than or equal to 95"},
		{"an access log bucket that is not a bucket name", func(o map[string]any) {
			Set(o, "spec.loadBalancer.accessLogs.bucket", "s3://my-alb-logs")
		}, "spec.loadBalancer.accessLogs.bucket", "should match"},
		{"a misspelled field", func(o map[string]any) {
			Set(o, "spec.database.multiAz", true)
		}, "spec.database.multiAz", "unknown field"},
		{"a misspelled metadata field", func(o map[string]any) {
			Set(o, "metadata.label", map[string]any{"a": "b"})
		}, "metadata.label", "unknown field"},
		{"a port written as a string", func(o map[string]any) {
			Set(o, "spec.service.containerPort", "8080")
		}, "spec.service.containerPort", "must be of type integer"},
		{"no name", func(o map[string]any) {
			Unset(o, "metadata.name")
		}, "metadata.name", "Required value"},
		{"a name that is not a DNS subdomain", func(o map[string]any) {
			Set(o, "metadata.name", "Docuflow_Prod")
		}, "metadata.name", "RFC 1123"},
	}
}

// Variant is one valid stack: Mutate turns the production sample into it.
type Variant struct {
	Name   string
	Mutate func(o map[string]any)
}

// GoodInputs returns create-time variants at the edge of each rule that
// BadInputs exercises, which both the API server and the offline validator
// must accept.
func GoodInputs() []Variant {
	return []Variant{
		{"an image pinned by digest in a private ECR repository", func(o map[string]any) {
			Set(o, "spec.service.image", "123456789012.dkr.ecr.us-east-1.amazonaws.com/docuflow/api@sha256:"+strings.Repeat("0123456789abcdef", 4))
		}},
		{"an image with both a tag and a digest", func(o map[string]any) {
			Set(o, "spec.service.image", "public.ecr.aws/docuflow/api:1.4.2@sha256:"+strings.Repeat("0123456789abcdef", 4))
		}},
		{"an image in a registry with a port", func(o map[string]any) {
			Set(o, "spec.service.image", "registry.example.com:5000/team-docs/docuflow_api:1.4.2-rc.1")
		}},
		{"an image in a local registry", func(o map[string]any) {
			Set(o, "spec.service.image", "localhost:5000/docuflow/api:1.4.2")
		}},
		{"a post-quantum TLS 1.3 policy", func(o map[string]any) {
			Set(o, "spec.loadBalancer.sslPolicy", "ELBSecurityPolicy-TLS13-1-2-Res-PQ-2025-09")
		}},
		{"a TLS 1.3-only FIPS policy", func(o map[string]any) {
			Set(o, "spec.loadBalancer.sslPolicy", "ELBSecurityPolicy-TLS13-1-3-FIPS-2023-04")
		}},
		{"an environment just within 48 KiB", func(o map[string]any) {
			var env []any
			for i := range 11 {
				env = append(env, map[string]any{"name": fmt.Sprintf("BLOB_%02d", i), "value": strings.Repeat("x", 4096)})
			}
			Set(o, "spec.service.env", env)
		}},
		{"storage of 32768 GiB with the default autoscaling cap", func(o map[string]any) {
			Set(o, "spec.database.storageGiB", int64(32768))
			Unset(o, "spec.database.maxStorageGiB")
		}},
		{"storage of 40000 GiB with an explicit cap of 65536", func(o map[string]any) {
			Set(o, "spec.database.storageGiB", int64(40000))
			Set(o, "spec.database.maxStorageGiB", int64(65536))
		}},
		{"tags with letters of any script, spaces and the punctuation AWS allows", func(o map[string]any) {
			Set(o, "spec.tags", map[string]any{"Kostenstelle": "Büro 4711", "team/owner:email": "docs+search@example.com", "empty": ""})
		}},
		{"a name of 149 characters", func(o map[string]any) {
			Set(o, "metadata.name", strings.Repeat("a", 149))
		}},
		{"an alarm topic in spec.region", func(o map[string]any) {
			Set(o, "spec.observability.alarmTopicARN", "arn:aws:sns:us-east-1:123456789012:other-alarms")
		}},
		{"a production stack created with deletionPolicy Delete, which has no data yet", func(o map[string]any) {
			Set(o, "spec.database.deletionPolicy", "Delete")
		}},
		{"a production stack created with retention below the profile's defaults", func(o map[string]any) {
			Set(o, "spec.observability.logRetentionDays", int64(30))
			Set(o, "spec.database.backupRetentionDays", int64(7))
			Set(o, "spec.network.flowLogs.retentionDays", int64(30))
		}},
	}
}
