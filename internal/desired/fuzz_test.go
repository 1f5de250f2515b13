package desired

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"

	"k8s.io/apiextensions-apiserver/pkg/apis/apiextensions"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apiextensions-apiserver/pkg/apiserver/validation"

	platformv1alpha1 "github.com/docuflow/docuflow-operator/api/v1alpha1"
	"github.com/docuflow/docuflow-operator/app/contract"
	"github.com/docuflow/docuflow-operator/internal/ack/acktest"
	"github.com/docuflow/docuflow-operator/internal/ack/core"
	ec2v1alpha1 "github.com/docuflow/docuflow-operator/internal/ack/ec2/v1alpha1"
	ecsv1alpha1 "github.com/docuflow/docuflow-operator/internal/ack/ecs/v1alpha1"
	iamv1alpha1 "github.com/docuflow/docuflow-operator/internal/ack/iam/v1alpha1"
	rdsv1alpha1 "github.com/docuflow/docuflow-operator/internal/ack/rds/v1alpha1"
	"github.com/docuflow/docuflow-operator/internal/writecheck"
)

// fuzzRegions are the regions fuzzed stacks live in.
var fuzzRegions = []string{"us-east-1", "eu-central-1", "ap-southeast-2", "us-gov-west-1", "sa-east-1"}

// fuzzRetentionDays are the retention values CloudWatch Logs accepts.
var fuzzRetentionDays = []int32{1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653}

// fargateSizes are the cpu/memory pairs the CRD accepts, as its rule spells them.
var fargateSizes = func() [][2]int32 {
	var out [][2]int32
	add := func(cpu, from, to, step int32) {
		for m := from; m <= to; m += step {
			out = append(out, [2]int32{cpu, m})
		}
	}
	out = append(out, [2]int32{256, 512}, [2]int32{256, 1024}, [2]int32{256, 2048})
	add(512, 1024, 4096, 1024)
	add(1024, 2048, 8192, 1024)
	add(2048, 4096, 16384, 1024)
	add(4096, 8192, 30720, 1024)
	add(8192, 16384, 61440, 4096)
	add(16384, 32768, 122880, 8192)
	return out
}()

// Bits of FuzzBuild's flags argument.
const (
	fuzzDevelopment = 1 << iota
	fuzzNATSet
	fuzzNATSingle
	fuzzFlowLogsSet
	fuzzFlowLogsOn
	fuzzEndpointsSet
	fuzzEndpointsOn
	fuzzMultiAZSet
	fuzzMultiAZOn
	fuzzInsecureHTTP
	fuzzAlarms
	fuzzRequests
	fuzzMemoryTarget
	fuzzMinTasksSet
	fuzzRestrictedCIDR
	fuzzAccessLogs
)

// fuzzStack turns fuzzed primitives into a stack the CRD schema accepts:
// every value is chosen from, or clamped into, what the schema allows.
func fuzzStack(name string, region, zones, cidrB, cidrC, prefix uint8, flags uint16, size, policy, retention uint8, minTasks, maxTasks uint16, env string) *platformv1alpha1.DocuFlowStack {
	s := newStack(dnsLabel(name))
	spec := &s.Spec
	spec.Region = fuzzRegions[int(region)%len(fuzzRegions)]
	spec.Tags = nil

	// Two to six distinct zones a..f, picked by the bits of zones.
	spec.Network.AvailabilityZones = nil
	for i := 0; i < 6; i++ {
		if zones&(1<<i) != 0 {
			spec.Network.AvailabilityZones = append(spec.Network.AvailabilityZones, spec.Region+string(rune('a'+i)))
		}
	}
	for i := 0; len(spec.Network.AvailabilityZones) < 2; i++ {
		z := spec.Region + string(rune('a'+i))
		if !strings.Contains(strings.Join(spec.Network.AvailabilityZones, ","), z) {
			spec.Network.AvailabilityZones = append(spec.Network.AvailabilityZones, z)
		}
	}
	p := 16 + int(prefix)%7
	c := int(cidrC)
	if p > 16 {
		c &^= 1<<(24-p) - 1
	} else {
		c = 0
	}
	spec.Network.VPCCIDR = fmt.Sprintf("10.%d.%d.0/%d", cidrB, c, p)
	if flags&fuzzNATSet != 0 {
		m := platformv1alpha1.NATGatewaysPerZone
		if flags&fuzzNATSingle != 0 {
			m = platformv1alpha1.NATGatewaysSingle
		}
		spec.Network.NATGateways = &m
	}
	if flags&fuzzFlowLogsSet != 0 {
		spec.Network.FlowLogs.Enabled = ptrTo(flags&fuzzFlowLogsOn != 0)
	}
	spec.Network.FlowLogs.RetentionDays = fuzzRetentionDays[int(retention)%len(fuzzRetentionDays)]
	if flags&fuzzEndpointsSet != 0 {
		spec.Network.PrivateEndpoints = ptrTo(flags&fuzzEndpointsOn != 0)
	}
	if flags&fuzzMultiAZSet != 0 {
		spec.Database.MultiAZ = ptrTo(flags&fuzzMultiAZOn != 0)
	}
	if policy%4 != 3 {
		d := []platformv1alpha1.DeletionPolicy{platformv1alpha1.DeletionPolicyRetain, platformv1alpha1.DeletionPolicySnapshot, platformv1alpha1.DeletionPolicyDelete}[policy%4]
		spec.Database.DeletionPolicy = &d
	}

	sz := fargateSizes[int(size)%len(fargateSizes)]
	spec.Service.CPU, spec.Service.Memory = sz[0], sz[1]
	spec.Service.Env = fuzzEnv(env)

	spec.LoadBalancer.CertificateARN = ptrTo("arn:aws:acm:" + spec.Region + ":123456789012:certificate/0b1c2d3e-1111-2222-3333-444455556666")
	if flags&fuzzDevelopment != 0 {
		spec.Profile = platformv1alpha1.ProfileDevelopment
		if flags&fuzzInsecureHTTP != 0 {
			spec.LoadBalancer.CertificateARN = nil
			spec.LoadBalancer.InsecureHTTPOnly = true
		}
	}
	if flags&fuzzRestrictedCIDR != 0 {
		spec.LoadBalancer.AllowedCIDRs = []string{"203.0.113.0/24", "198.51.100.0/24"}
	}
	if flags&fuzzAccessLogs != 0 {
		spec.LoadBalancer.AccessLogs = &platformv1alpha1.AccessLogsSpec{Bucket: "docuflow-alb-logs", Prefix: "alb"}
	}

	spec.Autoscaling.MaxTasks = 1 + int32(maxTasks%1000)
	if flags&fuzzMinTasksSet != 0 {
		spec.Autoscaling.MinTasks = ptrTo(1 + int32(minTasks)%spec.Autoscaling.MaxTasks)
	} else if spec.Profile != platformv1alpha1.ProfileDevelopment && spec.Autoscaling.MaxTasks < 2 {
		spec.Autoscaling.MaxTasks = 2
	}
	if flags&fuzzMemoryTarget != 0 {
		spec.Autoscaling.TargetMemoryPercent = ptrTo(10 + int32(minTasks)%86)
	}
	if flags&fuzzRequests != 0 {
		spec.Autoscaling.RequestsPerTarget = ptrTo(1 + int32(maxTasks))
	}
	if flags&fuzzAlarms != 0 {
		spec.Observability.AlarmTopicARN = ptrTo("arn:aws:sns:" + spec.Region + ":123456789012:docuflow-alarms")
	}
	return s
}

// dnsLabel makes a DNS-1123 label of 1 to 63 characters out of s.
func dnsLabel(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			b.WriteRune(r)
		default:
			b.WriteByte('-')
		}
		if b.Len() == 63 {
			break
		}
	}
	out := strings.Trim(b.String(), "-")
	if out == "" {
		return "s"
	}
	return out
}

// fuzzEnv turns s into up to 100 distinct environment variables the CRD
// accepts: names from [A-Z0-9_], not starting with a digit or DOCUFLOW_, and
// not looking like a secret.
func fuzzEnv(s string) []platformv1alpha1.EnvVar {
	var out []platformv1alpha1.EnvVar
	seen := map[string]bool{}
	for _, field := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ';' }) {
		var b strings.Builder
		for _, r := range strings.ToUpper(field) {
			if (r >= 'A' && r <= 'Z') || (r >= '0' && r <= '9') || r == '_' {
				b.WriteRune(r)
			}
		}
		name := b.String()
		if len(name) > 128 {
			name = name[:128]
		}
		if name == "" || (name[0] >= '0' && name[0] <= '9') || strings.HasPrefix(name, "DOCUFLOW_") || secretLooking.MatchString(name) || seen[name] {
			continue
		}
		seen[name] = true
		out = append(out, platformv1alpha1.EnvVar{Name: name, Value: field})
		if len(out) == 100 {
			break
		}
	}
	return out
}

// fuzzObserved is a snapshot in which every child of the stack has reported
// values in the stack's region.
func fuzzObserved(stack *platformv1alpha1.DocuFlowStack) Observed {
	r, ns, n := stack.Spec.Region, stack.Namespace, stack.Name
	obs := Observed{
		VPCID:                "vpc-0123456789abcdef0",
		VPCAccount:           "123456789012",
		S3EndpointID:         "vpce-0a1b2c3d4e5f60718",
		EndpointsSynced:      true,
		S3PrefixListID:       "pl-63a5400a",
		FlowLogGroupARN:      "arn:aws:logs:" + r + ":123456789012:log-group:/docuflow/" + ns + "/" + n + "/vpc-flow-logs:*",
		AppLogGroupARN:       "arn:aws:logs:" + r + ":123456789012:log-group:/docuflow/" + ns + "/" + n + "/app:*",
		DBSecretARN:          "arn:aws:secretsmanager:" + r + ":123456789012:secret:rds!db-0a1b2c3d-AbCdEf",
		ExecutionRoleARN:     "arn:aws:iam::123456789012:role/" + Name(n, "task-execution", IAMRoleName),
		DBEndpointAddress:    Name(n, "db", RDSName) + ".c1a2b3c4d5e6." + r + ".rds.amazonaws.com",
		DBEndpointPort:       5432,
		ServiceARN:           "arn:aws:ecs:" + r + ":123456789012:service/" + n + "-cluster/" + n + "-api",
		ServiceDesiredCount:  3,
		ScalableTargetSynced: true,
		LoadBalancerARN:      "arn:aws:elasticloadbalancing:" + r + ":123456789012:loadbalancer/app/" + Name(n, "alb", ELBName) + "/50dc6c495c0c9188",
		TargetGroupARN:       "arn:aws:elasticloadbalancing:" + r + ":123456789012:targetgroup/" + Name(n, "api", ELBName) + "/73e2d6bc24d8a067",
	}
	if name, ok := taskDefinitionName(stack, obs); ok {
		obs.TaskDefinitionARN = "arn:aws:ecs:" + r + ":123456789012:task-definition/" + name + ":1"
		obs.ServiceTaskDefinitionARN = obs.TaskDefinitionARN
	}
	return withNetworkUp(stack, obs)
}

// schemaValidators holds one OpenAPI validator per ACK kind, from the test
// CRDs, loaded once per process.
var schemaValidators = sync.OnceValues(func() (map[string]validation.SchemaValidator, error) {
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		return nil, fmt.Errorf("cannot locate the test file")
	}
	crds, err := acktest.LoadCRDs(filepath.Join(filepath.Dir(file), "..", "..", "test", "crds", "ack"))
	if err != nil {
		return nil, err
	}
	out := map[string]validation.SchemaValidator{}
	for gk, crd := range crds {
		for _, v := range crd.Spec.Versions {
			if v.Name != "v1alpha1" || v.Schema == nil {
				continue
			}
			internal := &apiextensions.JSONSchemaProps{}
			if err := apiextensionsv1.Convert_v1_JSONSchemaProps_To_apiextensions_JSONSchemaProps(v.Schema.OpenAPIV3Schema, internal, nil); err != nil {
				return nil, fmt.Errorf("converting the schema of %s: %w", gk, err)
			}
			val, _, err := validation.NewSchemaValidator(internal)
			if err != nil {
				return nil, fmt.Errorf("building the validator of %s: %w", gk, err)
			}
			out[gk.Group+"/"+gk.Kind] = val
		}
	}
	return out, nil
})

func FuzzBuild(f *testing.F) {
	// A production stack over three zones with alarms and every scaling
	// signal, and a development stack on plain HTTP with defaults.
	f.Add("docuflow-prod", uint8(0), uint8(0b000111), uint8(40), uint8(0), uint8(0), uint16(fuzzNATSet|fuzzFlowLogsSet|fuzzFlowLogsOn|fuzzEndpointsSet|fuzzEndpointsOn|fuzzAlarms|fuzzRequests|fuzzMemoryTarget|fuzzMinTasksSet|fuzzAccessLogs), uint8(1), uint8(0), uint8(7), uint16(1), uint16(19), "LOG_LEVEL,FEATURE_FLAGS")
	f.Add("dev", uint8(1), uint8(0b000011), uint8(7), uint8(4), uint8(6), uint16(fuzzDevelopment|fuzzInsecureHTTP|fuzzRestrictedCIDR), uint8(0), uint8(3), uint8(5), uint16(0), uint16(0), "")

	validators, err := schemaValidators()
	if err != nil {
		f.Fatalf("loading the ACK CRD schemas: %v", err)
	}
	f.Fuzz(func(t *testing.T, name string, region, zones, cidrB, cidrC, prefix uint8, flags uint16, size, policy, retention uint8, minTasks, maxTasks uint16, env string) {
		checkBuild(t, validators, fuzzStack(name, region, zones, cidrB, cidrC, prefix, flags, size, policy, retention, minTasks, maxTasks, env))
	})
}

// checkBuild renders the stack with nothing and with everything observed and
// holds every object to its schema, naming rules and security promises.
func checkBuild(t *testing.T, validators map[string]validation.SchemaValidator, stack *platformv1alpha1.DocuFlowStack) {
	t.Helper()
	full := fuzzObserved(stack)
	for i, obs := range []Observed{{}, full} {
		r, err := Build(stack, obs)
		if err != nil {
			t.Fatalf("Build rejected a valid stack: %v\nspec %+v", err, stack.Spec)
		}
		if len(r.Objects) == 0 {
			t.Fatal("Build rendered nothing")
		}
		if i == 1 && len(r.Waiting) != 0 {
			t.Errorf("children still waiting with everything observed: %+v", r.Waiting)
		}
		for _, o := range r.Objects {
			checkSchema(t, validators, o)
			checkNames(t, o)
			checkSecurity(t, stack, o)
		}
	}
}

// checkSchema validates the object's applied JSON against its CRD's
// OpenAPI schema.
func checkSchema(t *testing.T, validators map[string]validation.SchemaValidator, o core.Object) {
	t.Helper()
	u, err := writecheck.ToUnstructured(o)
	if err != nil {
		t.Fatalf("%s: %v", o.GetName(), err)
	}
	gvk := o.GetObjectKind().GroupVersionKind()
	v, ok := validators[gvk.Group+"/"+gvk.Kind]
	if !ok {
		t.Fatalf("no CRD schema for %s", gvk)
	}
	for _, e := range validation.ValidateCustomResource(nil, u.Object, v) {
		t.Errorf("%s %s: %v", gvk.Kind, o.GetName(), e)
	}
}

// checkNames checks metadata.name and the AWS-side name against their
// rules.
func checkNames(t *testing.T, o core.Object) {
	t.Helper()
	if !ValidName(o.GetName(), KubernetesName) {
		t.Errorf("%T metadata.name %q is not a valid name", o, o.GetName())
	}
	if name, rule, ok := awsName(o); ok && !ValidName(name, rule) {
		t.Errorf("%T %s: AWS name %q breaks %+v", o, o.GetName(), name, rule)
	}
}

// checkSecurity holds the rendered object to the operator's security
// promises.
func checkSecurity(t *testing.T, stack *platformv1alpha1.DocuFlowStack, o core.Object) {
	t.Helper()
	switch v := o.(type) {
	case *ec2v1alpha1.SecurityGroup:
		lb := v.Name == Name(stack.Name, componentLoadBalancerSG, KubernetesName)
		for _, rule := range v.Spec.IngressRules {
			if rule.IPProtocol != nil && *rule.IPProtocol == "-1" {
				t.Errorf("SecurityGroup %s allows every protocol in", v.Name)
			}
			for _, ip := range rule.IPRanges {
				if ip.CIDRIP == nil || *ip.CIDRIP != "0.0.0.0/0" {
					continue
				}
				from, to := derefInt(rule.FromPort), derefInt(rule.ToPort)
				if !lb || from != to || (from != 80 && from != 443) {
					t.Errorf("SecurityGroup %s is open to the internet on %d-%d", v.Name, from, to)
				}
			}
		}
	case *rdsv1alpha1.DBInstance:
		if v.Spec.PubliclyAccessible == nil || *v.Spec.PubliclyAccessible {
			t.Errorf("DBInstance %s is publicly accessible: %v", v.Name, v.Spec.PubliclyAccessible)
		}
		if v.Spec.StorageEncrypted == nil || !*v.Spec.StorageEncrypted {
			t.Errorf("DBInstance %s is not encrypted: %v", v.Name, v.Spec.StorageEncrypted)
		}
	case *iamv1alpha1.Role:
		docs := map[string]*string{"assumeRolePolicyDocument": v.Spec.AssumeRolePolicyDocument}
		for k, d := range v.Spec.InlinePolicies {
			docs["inlinePolicies."+k] = d
		}
		for where, d := range docs {
			if d == nil {
				continue
			}
			for _, a := range policyActions(t, *d) {
				if a == "*" || strings.HasSuffix(a, ":*") {
					t.Errorf("Role %s %s allows the wildcard action %q", v.Name, where, a)
				}
			}
		}
	case *ecsv1alpha1.TaskDefinition:
		for _, c := range v.Spec.ContainerDefinitions {
			for _, e := range c.Environment {
				if e.Name != nil && *e.Name != contract.EnvDBSecretARN && secretLooking.MatchString(*e.Name) {
					t.Errorf("TaskDefinition %s passes %q as plain environment", v.Name, *e.Name)
				}
			}
		}
	}
}

func derefInt(p *int64) int64 {
	if p == nil {
		return -1
	}
	return *p
}

// policyActions returns every Action and NotAction of an IAM policy
// document; statements and actions may be single values or lists.
func policyActions(t *testing.T, doc string) []string {
	t.Helper()
	var d struct {
		Statement json.RawMessage `json:"Statement"`
	}
	if err := json.Unmarshal([]byte(doc), &d); err != nil {
		t.Fatalf("policy document is not JSON: %v: %s", err, doc)
	}
	type statement struct {
		Action    json.RawMessage `json:"Action"`
		NotAction json.RawMessage `json:"NotAction"`
	}
	var stmts []statement
	if err := json.Unmarshal(d.Statement, &stmts); err != nil {
		var one statement
		if err := json.Unmarshal(d.Statement, &one); err != nil {
			t.Fatalf("policy statements unreadable: %v: %s", err, doc)
		}
		stmts = []statement{one}
	}
	var out []string
	for _, s := range stmts {
		if len(s.NotAction) > 0 {
			t.Errorf("policy uses NotAction, which allows everything else: %s", doc)
		}
		if len(s.Action) == 0 {
			continue
		}
		var list []string
		if err := json.Unmarshal(s.Action, &list); err != nil {
			var one string
			if err := json.Unmarshal(s.Action, &one); err != nil {
				t.Fatalf("policy action unreadable: %v: %s", err, doc)
			}
			list = []string{one}
		}
		out = append(out, list...)
	}
	return out
}
