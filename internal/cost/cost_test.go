package cost

import (
	"context"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"

	platformv1alpha1 "github.com/docuflow/docuflow-operator/api/v1alpha1"
	ec2v1alpha1 "github.com/docuflow/docuflow-operator/internal/ack/ec2/v1alpha1"
	ecsv1alpha1 "github.com/docuflow/docuflow-operator/internal/ack/ecs/v1alpha1"
	elbv2v1alpha1 "github.com/docuflow/docuflow-operator/internal/ack/elbv2/v1alpha1"
	rdsv1alpha1 "github.com/docuflow/docuflow-operator/internal/ack/rds/v1alpha1"
	"github.com/docuflow/docuflow-operator/internal/controlplane"
	"github.com/docuflow/docuflow-operator/internal/render"
	"github.com/docuflow/docuflow-operator/internal/validate"
	"github.com/docuflow/docuflow-operator/internal/validate/validatetest"
)

// sampleStack is config/samples/platform_v1alpha1_docuflowstack.yaml as the
// API server stores it.
func sampleStack(t *testing.T) *platformv1alpha1.DocuFlowStack {
	t.Helper()
	root, err := controlplane.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join(root, "config", "samples", "platform_v1alpha1_docuflowstack.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	return defaulted(t, data)
}

// developmentStack is the smallest development stack (the validation tests'
// fixture) as the API server stores it.
func developmentStack(t *testing.T) *platformv1alpha1.DocuFlowStack {
	t.Helper()
	data, err := yaml.Marshal(validatetest.Development())
	if err != nil {
		t.Fatal(err)
	}
	return defaulted(t, data)
}

func defaulted(t *testing.T, manifest []byte) *platformv1alpha1.DocuFlowStack {
	t.Helper()
	stack, err := validate.DocuFlowStack(manifest)
	if err != nil {
		t.Fatal(err)
	}
	stack.Namespace = "docuflow"
	return stack
}

// assertCents compares every family's subtotal and the total with a hand
// computation, to the cent, and checks that the lines add up to both.
func assertCents(t *testing.T, e Estimate, want map[string]float64) {
	t.Helper()
	var total float64
	for _, f := range Families {
		total += want[f]
	}
	got := map[string]float64{}
	for _, f := range e.Families {
		got[f.Family] = f.MonthlyUSD
	}
	for _, f := range Families {
		if math.Abs(got[f]-want[f]) >= 0.005 {
			t.Errorf("%s: $%s a month, by hand $%s", f, USD(got[f]), USD(want[f]))
		}
	}
	if len(e.Families) != len(Families) {
		t.Errorf("families %v, want all of %v", e.Families, Families)
	}
	if math.Abs(e.TotalUSD-total) >= 0.005 {
		t.Errorf("total $%s a month, by hand $%s", USD(e.TotalUSD), USD(total))
	}
	var lines float64
	for _, l := range e.Lines {
		if math.Abs(l.MonthlyUSD-l.Quantity*l.UnitUSD) > 1e-9 {
			t.Errorf("line %q: %v × %v is not %v", l.Item, l.Quantity, l.UnitUSD, l.MonthlyUSD)
		}
		lines += l.MonthlyUSD
	}
	if math.Abs(lines-e.TotalUSD) > 1e-9 {
		t.Errorf("the lines add up to %v, the total is %v", lines, e.TotalUSD)
	}
}

// TestTheSampleCostsWhatAHandComputationSays prices the production sample:
// us-east-1, three zones with a NAT gateway each, the four interface
// endpoints, flow logs, a Multi-AZ db.t4g.medium with 50 GiB, two tasks of
// 512 cpu and 1024 MiB, an alarm topic and three scaling policies. The unit
// prices are us-east-1's in prices.yaml.
func TestTheSampleCostsWhatAHandComputationSays(t *testing.T) {
	e, err := Of(sampleStack(t))
	if err != nil {
		t.Fatal(err)
	}
	const hours = 730
	natGateways := 3 * hours * 0.045
	natAddresses := 3 * hours * 0.005
	endpoints := 4 * 3 * hours * 0.01
	instance := 2 * hours * 0.065 // Multi-AZ: primary and standby
	storage := 2 * 50 * 0.115     // Multi-AZ: both volumes
	secret := 1 * 0.40
	fargate := 2 * (0.5*0.04048 + 1*0.004445) * hours
	alb := hours * 0.0225
	lcus := 1 * hours * 0.008
	albAddresses := 3 * hours * 0.005
	logs := (5 + 1 + 10) * 0.50 // application, database, flow logs
	alarms := (8 + 3*2) * 0.10  // the stack's eight, two per scaling policy
	assertCents(t, e, map[string]float64{
		FamilyNetwork:       natGateways + natAddresses + endpoints,
		FamilyDatabase:      instance + storage + secret,
		FamilyService:       fargate,
		FamilyLoadBalancer:  alb + lcus + albAddresses,
		FamilyObservability: logs + alarms,
	})
	if e.Region != "us-east-1" || e.PricesAsOf != "2026-12-02" {
		t.Errorf("region %q, prices of %q", e.Region, e.PricesAsOf)
	}
}

// TestTheDevelopmentStackCostsWhatAHandComputationSays prices the smallest
// development stack: eu-west-1, two zones, one NAT gateway, no endpoints and
// no flow logs, a Single-AZ db.t4g.micro with the default 20 GiB, one task of
// the default 512 cpu and 1024 MiB, no alarm topic and only the CPU scaling
// policy. The unit prices are eu-west-1's in prices.yaml.
func TestTheDevelopmentStackCostsWhatAHandComputationSays(t *testing.T) {
	e, err := Of(developmentStack(t))
	if err != nil {
		t.Fatal(err)
	}
	const hours = 730
	natGateway := 1 * hours * 0.048
	natAddress := 1 * hours * 0.005
	instance := 1 * hours * 0.017
	storage := 1 * 20 * 0.127
	secret := 1 * 0.40
	fargate := 1 * (0.5*0.04048 + 1*0.004445) * hours
	alb := hours * 0.0252
	lcus := 1 * hours * 0.008
	albAddresses := 2 * hours * 0.005
	logs := (5 + 1) * 0.57 // application, database
	alarms := (1 * 2) * 0.10
	assertCents(t, e, map[string]float64{
		FamilyNetwork:       natGateway + natAddress,
		FamilyDatabase:      instance + storage + secret,
		FamilyService:       fargate,
		FamilyLoadBalancer:  alb + lcus + albAddresses,
		FamilyObservability: logs + alarms,
	})
	for _, l := range e.Lines {
		if l.Unit == "endpoint-AZ-hours" || strings.Contains(l.Item, "flow logs") {
			t.Errorf("a development stack has no endpoints and no flow logs, but the estimate prices %q", l.Item)
		}
	}
}

func TestAnUnknownRegionIsAnErrorNamingTheRegionsThatHavePrices(t *testing.T) {
	stack := sampleStack(t)
	stack.Spec.Region = "ap-south-2"
	_, err := Of(stack)
	if err == nil {
		t.Fatal("estimated a region the price table does not have")
	}
	for _, want := range []string{`"ap-south-2"`, "eu-central-1", "eu-west-1", "us-east-1", "us-west-2"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("the error does not name %s: %v", want, err)
		}
	}
}

func TestAnUnknownInstanceClassIsAnErrorNamingIt(t *testing.T) {
	stack := sampleStack(t)
	stack.Spec.Database.InstanceClass = "db.x2g.large"
	_, err := Of(stack)
	if err == nil {
		t.Fatal("estimated an instance class the price table does not have: priced at zero?")
	}
	if !strings.Contains(err.Error(), `"db.x2g.large"`) || !strings.Contains(err.Error(), "db.t4g.medium") {
		t.Errorf("the error names neither the class nor the classes with prices: %v", err)
	}
}

// TestTheProfileDecidesWhatAFieldLeftUnsetCosts checks that the estimate
// reads a profile's defaults as the builders resolve them: a production stack
// that leaves every profile-dependent field unset costs what the sample, which
// writes the production defaults out, costs.
func TestTheProfileDecidesWhatAFieldLeftUnsetCosts(t *testing.T) {
	stack := sampleStack(t)
	written, err := Of(stack)
	if err != nil {
		t.Fatal(err)
	}
	stack.Spec.Network.NATGateways = nil
	stack.Spec.Network.PrivateEndpoints = nil
	stack.Spec.Network.FlowLogs.Enabled = nil
	stack.Spec.Database.InstanceClass = ""
	stack.Spec.Database.MultiAZ = nil
	stack.Spec.Autoscaling.MinTasks = nil
	unset, err := Of(stack)
	if err != nil {
		t.Fatal(err)
	}
	if USD(unset.TotalUSD) != USD(written.TotalUSD) {
		t.Errorf("with the production defaults left unset the stack costs $%s, written out $%s", USD(unset.TotalUSD), USD(written.TotalUSD))
	}
	stack.Spec.Profile = platformv1alpha1.ProfileDevelopment
	dev, err := Of(stack)
	if err != nil {
		t.Fatal(err)
	}
	if dev.TotalUSD >= unset.TotalUSD {
		t.Errorf("the development profile's defaults cost $%s, not less than production's $%s", USD(dev.TotalUSD), USD(unset.TotalUSD))
	}
}

// TestQuantitiesFollowWhatTheOperatorRenders renders stacks completely (the
// builders with the simulated ACK) and counts what is priced in the rendered
// objects: NAT gateways and their addresses, interface endpoints by zone, the
// database instance and its storage, the tasks, the load balancer's zones,
// the alarms (the stack's and two per scaling policy) and the flow-log group.
func TestQuantitiesFollowWhatTheOperatorRenders(t *testing.T) {
	tests := []struct {
		name  string
		stack func(t *testing.T) *platformv1alpha1.DocuFlowStack
	}{
		{"the production sample", sampleStack},
		{"the smallest development stack", developmentStack},
		{"a production stack with one NAT gateway, no endpoints, no alarm topic and only the CPU policy", func(t *testing.T) *platformv1alpha1.DocuFlowStack {
			s := sampleStack(t)
			single := platformv1alpha1.NATGatewaysSingle
			s.Spec.Network.NATGateways = &single
			s.Spec.Network.PrivateEndpoints = new(bool)
			s.Spec.Observability.AlarmTopicARN = nil
			s.Spec.Autoscaling.TargetMemoryPercent = nil
			s.Spec.Autoscaling.RequestsPerTarget = nil
			return s
		}},
		{"a development stack with four zones, endpoints, flow logs, Multi-AZ and three tasks of 1 vCPU", func(t *testing.T) *platformv1alpha1.DocuFlowStack {
			s := developmentStack(t)
			s.Spec.Network.AvailabilityZones = []string{"eu-west-1a", "eu-west-1b", "eu-west-1c", "eu-west-1d"}
			on := true
			s.Spec.Network.PrivateEndpoints = &on
			s.Spec.Network.FlowLogs.Enabled = &on
			s.Spec.Database.MultiAZ = &on
			three := int32(3)
			s.Spec.Autoscaling.MinTasks = &three
			s.Spec.Service.CPU, s.Spec.Service.Memory = 1024, 3072
			return s
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stack := tt.stack(t)
			e, err := Of(stack)
			if err != nil {
				t.Fatal(err)
			}
			objs, err := render.Stack(context.Background(), stack)
			if err != nil {
				t.Fatal(err)
			}
			var nats, eips, endpointZones, alarms, policies, flowLogGroups int
			var lbZones, tasks int
			var vcpu, memoryGB float64
			var db *rdsv1alpha1.DBInstance
			for _, o := range objs {
				switch o := o.(type) {
				case *ec2v1alpha1.NATGateway:
					nats++
				case *ec2v1alpha1.ElasticIPAddress:
					eips++
				case *ec2v1alpha1.VPCEndpoint:
					if *o.Spec.VPCEndpointType == "Interface" {
						endpointZones += len(o.Spec.SubnetRefs)
					}
				case *rdsv1alpha1.DBInstance:
					db = o
				case *ecsv1alpha1.TaskDefinition:
					vcpu = atof(t, *o.Spec.CPU) / 1024
					memoryGB = atof(t, *o.Spec.Memory) / 1024
				case *ecsv1alpha1.Service:
					tasks = int(*o.Spec.DesiredCount)
				case *elbv2v1alpha1.LoadBalancer:
					lbZones = len(o.Spec.SubnetRefs) + len(o.Spec.Subnets)
				}
				switch o.GetObjectKind().GroupVersionKind().Kind {
				case "MetricAlarm":
					alarms++
				case "ScalingPolicy":
					policies++
				case "FlowLog":
					flowLogGroups++
				}
			}
			if db == nil {
				t.Fatal("no DBInstance rendered")
			}
			copies := 1
			if *db.Spec.MultiAZ {
				copies = 2
			}
			const hours = HoursPerMonth
			checks := []struct {
				family, unit string
				rendered     float64
			}{
				{FamilyNetwork, "gateway-hours", float64(nats * hours)},
				{FamilyNetwork, "address-hours", float64(eips * hours)},
				{FamilyNetwork, "endpoint-AZ-hours", float64(endpointZones * hours)},
				{FamilyDatabase, "instance-hours", float64(copies * hours)},
				{FamilyDatabase, "GB-months", float64(copies * int(*db.Spec.AllocatedStorage))},
				{FamilyService, "vCPU-hours", float64(tasks) * vcpu * hours},
				{FamilyService, "GB-hours", float64(tasks) * memoryGB * hours},
				{FamilyLoadBalancer, "ALB-hours", hours},
				{FamilyLoadBalancer, "address-hours", float64(lbZones * hours)},
				{FamilyObservability, "alarm-months", float64(alarms + alarmsPerScalingPolicy*policies)},
			}
			for _, c := range checks {
				if got := quantity(e, c.family, c.unit); got != c.rendered {
					t.Errorf("%s %s: the estimate has %v, the rendering %v", c.family, c.unit, got, c.rendered)
				}
			}
			if !strings.Contains(lineItem(e, FamilyDatabase, "instance-hours"), *db.Spec.DBInstanceClass) {
				t.Errorf("the database is priced as %q, rendered as %s", lineItem(e, FamilyDatabase, "instance-hours"), *db.Spec.DBInstanceClass)
			}
			flowLogLines := 0
			for _, l := range e.Lines {
				if strings.Contains(l.Item, "flow logs") {
					flowLogLines++
				}
			}
			if flowLogLines != flowLogGroups {
				t.Errorf("%d flow-log lines in the estimate, %d flow logs rendered", flowLogLines, flowLogGroups)
			}
		})
	}
}

// quantity sums the quantities of a family's lines in a unit.
func quantity(e Estimate, family, unit string) float64 {
	var q float64
	for _, l := range e.Lines {
		if l.Family == family && l.Unit == unit {
			q += l.Quantity
		}
	}
	return q
}

// lineItem is the item of a family's line in a unit.
func lineItem(e Estimate, family, unit string) string {
	for _, l := range e.Lines {
		if l.Family == family && l.Unit == unit {
			return l.Item
		}
	}
	return ""
}

func atof(t *testing.T, s string) float64 {
	t.Helper()
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestTheTableShowsLinesSubtotalsTotalSourceAndAssumptions(t *testing.T) {
	e, err := Of(sampleStack(t))
	if err != nil {
		t.Fatal(err)
	}
	table := e.Table()
	for _, l := range e.Lines {
		if !strings.Contains(table, l.Item) {
			t.Errorf("the table leaves out the line %q", l.Item)
		}
	}
	for _, f := range e.Families {
		if !strings.Contains(table, f.Family+" ") || !strings.Contains(table, USD(f.MonthlyUSD)) {
			t.Errorf("the table leaves out the subtotal of %s, $%s", f.Family, USD(f.MonthlyUSD))
		}
	}
	if !strings.Contains(table, "total") || !strings.Contains(table, USD(e.TotalUSD)) {
		t.Errorf("the table leaves out the total $%s", USD(e.TotalUSD))
	}
	for _, want := range []string{"2026-12-02", "not fetched live", "https://aws.amazon.com/fargate/pricing/", "730 hours", "minTasks (2)"} {
		if !strings.Contains(table, want) {
			t.Errorf("the table does not say %q", want)
		}
	}
	// Aligned: every row of the lines' table is as wide as its header up to
	// the last column, which is right-aligned.
	rows := strings.Split(table, "\n")
	var header string
	for i, r := range rows {
		if strings.HasPrefix(r, "FAMILY  ") && strings.HasSuffix(r, "USD/MONTH") && header == "" {
			header = r
			for _, r := range rows[i+1 : i+1+len(e.Lines)] {
				if len(r) != len(header) {
					t.Errorf("row %q is %d wide, the header %d", r, len(r), len(header))
				}
			}
		}
		if strings.TrimRight(r, " ") != r {
			t.Errorf("row %q has trailing spaces", r)
		}
	}
	if header == "" {
		t.Fatalf("no header row in:\n%s", table)
	}
}

// TestTheREADMEShowsTheSamplesEstimateAsRenderPrintsIt keeps the README's
// "What it costs" honest: its table is the sample's Table() (what render
// --cost prints), and the development stack's total is the one it states.
func TestTheREADMEShowsTheSamplesEstimateAsRenderPrintsIt(t *testing.T) {
	root, err := controlplane.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	readme, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, block, ok := strings.Cut(string(readme), "<!-- cost-sample")
	block, _, ok2 := strings.Cut(block, "<!-- end of cost-sample -->")
	if !ok || !ok2 {
		t.Fatal("README.md has no cost-sample block")
	}
	const command = "$ go run ./cmd/docuflow-dev render --cost -f config/samples/platform_v1alpha1_docuflowstack.yaml\n"
	_, shown, ok := strings.Cut(block, "```\n"+command)
	shown, _, ok2 = strings.Cut(shown, "```\n")
	if !ok || !ok2 {
		t.Fatalf("the cost-sample block does not show %q in a code block", command)
	}
	sample, err := Of(sampleStack(t))
	if err != nil {
		t.Fatal(err)
	}
	if shown != sample.Table() {
		t.Errorf("README.md's cost-sample block is stale; replace it with the output of\n%s\n%s", command, sample.Table())
	}
	dev, err := Of(developmentStack(t))
	if err != nil {
		t.Fatal(err)
	}
	if about := "about $" + strconv.Itoa(int(math.Round(dev.TotalUSD))) + " a month"; !strings.Contains(string(readme), about) {
		t.Errorf("README.md does not say the development stack comes to %s", about)
	}
}
