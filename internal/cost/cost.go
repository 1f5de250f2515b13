package cost

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	platformv1alpha1 "github.com/docuflow/docuflow-operator/api/v1alpha1"
	"github.com/docuflow/docuflow-operator/internal/desired"
)

// The families an estimate's lines are grouped in, named after the part of
// the spec that decides their cost.
const (
	// FamilyNetwork is NAT gateways, their addresses and the VPC endpoints.
	FamilyNetwork = "network"
	// FamilyDatabase is the RDS instance, its storage and its secret.
	FamilyDatabase = "database"
	// FamilyService is the Fargate tasks.
	FamilyService = "service"
	// FamilyLoadBalancer is the Application Load Balancer.
	FamilyLoadBalancer = "loadBalancer"
	// FamilyObservability is CloudWatch: log ingestion and alarms.
	FamilyObservability = "observability"
)

// Families are the families in the order an estimate lists them.
var Families = []string{FamilyNetwork, FamilyDatabase, FamilyService, FamilyLoadBalancer, FamilyObservability}

// Usage no field of the spec states; the estimate assumes it and says so.
const (
	// HoursPerMonth is the hours of a month, as AWS's pricing examples count
	// them.
	HoursPerMonth = 730
	// LoadBalancerLCUs is the load balancer's average capacity units.
	LoadBalancerLCUs = 1
	// AppLogsGBPerMonth is the application's log volume.
	AppLogsGBPerMonth = 5
	// DatabaseLogsGBPerMonth is the volume of the database logs RDS exports
	// (postgresql, with statements slower than a second, and upgrade).
	DatabaseLogsGBPerMonth = 1
	// FlowLogsGBPerMonth is the VPC flow logs' volume, when they are on.
	FlowLogsGBPerMonth = 10
)

// What the builders in internal/desired render, counted; cost_test.go checks
// these against a full rendering of the sample and of a development stack.
const (
	// interfaceEndpointServices: ECR api, ECR dkr, CloudWatch Logs, Secrets
	// Manager (the S3 endpoint is a gateway endpoint, which is free).
	interfaceEndpointServices = 4
	// stackAlarms is the number of MetricAlarms a stack with an alarm topic
	// has.
	stackAlarms = 8
	// alarmsPerScalingPolicy: Application Auto Scaling creates a high and a
	// low CloudWatch alarm for every target tracking policy.
	alarmsPerScalingPolicy = 2
)

// Estimate is a stack's estimated monthly cost at on-demand prices.
type Estimate struct {
	// Region is the stack's region, whose prices the estimate uses.
	Region string
	// PricesAsOf is the date of the region's prices, YYYY-MM-DD.
	PricesAsOf string
	// Source is where the region's prices come from.
	Source string
	// Lines are the priced items, grouped by family in the order of
	// Families.
	Lines []Line
	// Families are the families' subtotals, in the order of Families; a
	// family without lines is left out.
	Families []FamilyCost
	// TotalUSD is the estimated total a month.
	TotalUSD float64
	// Assumptions state, in words, everything the estimate assumes.
	Assumptions []string
}

// Line is one priced item.
type Line struct {
	// Family is the family the item belongs to.
	Family string
	// Item says what is priced.
	Item string
	// Unit is the unit of Quantity and UnitUSD, for example vCPU-hours.
	Unit string
	// Quantity is how many units a month.
	Quantity float64
	// UnitUSD is the price of a unit.
	UnitUSD float64
	// MonthlyUSD is Quantity times UnitUSD.
	MonthlyUSD float64
}

// FamilyCost is a family's subtotal.
type FamilyCost struct {
	// Family is the family's name.
	Family string
	// MonthlyUSD is the sum of the family's lines.
	MonthlyUSD float64
}

// USD writes an amount of dollars with two decimals, as the stack's status
// shows it: "412.37".
func USD(amount float64) string {
	return strconv.FormatFloat(amount, 'f', 2, 64)
}

// Of estimates the stack's monthly cost. The stack is as the API server
// stores it (defaulted by the CRD schema: use internal/validate to default a
// manifest in tests); the profile's defaults are resolved as the builders
// resolve them. A region or an instance class the price table has no price
// for is an error that names it.
func Of(stack *platformv1alpha1.DocuFlowStack) (Estimate, error) {
	table, err := loadTable()
	if err != nil {
		return Estimate{}, err
	}
	s := desired.Resolve(stack)
	region, ok := table.Regions[s.Region]
	if !ok {
		return Estimate{}, fmt.Errorf("no prices for region %q: the price table has %s", s.Region, strings.Join(table.regionNames(), ", "))
	}
	instanceHour, ok := region.RDSInstanceHour[s.InstanceClass]
	if !ok {
		return Estimate{}, fmt.Errorf("no price for the RDS instance class %q in %s: the price table has %s",
			s.InstanceClass, s.Region, strings.Join(slices.Sorted(maps.Keys(region.RDSInstanceHour)), ", "))
	}
	price := region.Prices
	e := Estimate{
		Region:     s.Region,
		PricesAsOf: region.AsOf,
		Source:     region.Source + " Pages: " + strings.Join(region.URLs, ", ") + ".",
	}
	add := func(family, item, unit string, quantity, unitUSD float64) {
		e.Lines = append(e.Lines, Line{Family: family, Item: item, Unit: unit, Quantity: quantity, UnitUSD: unitUSD, MonthlyUSD: quantity * unitUSD})
	}
	zones := len(s.AvailabilityZones)

	// Network: one NAT gateway with its Elastic IP per zone, or one in all.
	nats, natItem := zones, fmt.Sprintf("NAT gateways, PerZone: one in each of %d zones", zones)
	if s.NATGateways == platformv1alpha1.NATGatewaysSingle {
		nats, natItem = 1, "NAT gateway, Single: one for all zones"
	}
	add(FamilyNetwork, natItem, "gateway-hours", float64(nats*HoursPerMonth), price[keyNATGatewayHour])
	add(FamilyNetwork, fmt.Sprintf("public IPv4 addresses of the NAT gateways (%d)", nats), "address-hours", float64(nats*HoursPerMonth), price[keyPublicIPv4Hour])
	if s.PrivateEndpoints {
		add(FamilyNetwork, fmt.Sprintf("%d interface endpoints (ECR api, dkr, Logs, Secrets) in %d zones", interfaceEndpointServices, zones), "endpoint-AZ-hours",
			float64(interfaceEndpointServices*zones*HoursPerMonth), price[keyInterfaceEndpointAZHour])
	}

	// Database: Multi-AZ runs and stores a standby as well.
	copies, deployment := 1, "Single-AZ"
	if s.MultiAZ {
		copies, deployment = 2, "Multi-AZ: primary and standby"
	}
	add(FamilyDatabase, fmt.Sprintf("%s PostgreSQL, %s", s.InstanceClass, deployment), "instance-hours", float64(copies*HoursPerMonth), instanceHour)
	add(FamilyDatabase, fmt.Sprintf("gp3 storage, %d GiB, %s", s.StorageGiB, deployment), "GB-months", float64(copies*int(s.StorageGiB)), price[keyRDSGP3GBMonth])
	add(FamilyDatabase, "Secrets Manager secret of the master password", "secret-months", 1, price[keySecretMonth])

	// Service: Fargate bills the task size, whatever the task uses.
	tasks := int(s.MinTasks)
	vcpu, memoryGB := float64(s.TaskCPU)/1024, float64(s.TaskMemory)/1024
	add(FamilyService, fmt.Sprintf("Fargate vCPU, %s of %s vCPU", count(tasks, "task"), num(vcpu)), "vCPU-hours", float64(tasks)*vcpu*HoursPerMonth, price[keyFargateVCPUHour])
	add(FamilyService, fmt.Sprintf("Fargate memory, %s of %s GB", count(tasks, "task"), num(memoryGB)), "GB-hours", float64(tasks)*memoryGB*HoursPerMonth, price[keyFargateGBHour])
	perTask := vcpu*HoursPerMonth*price[keyFargateVCPUHour] + memoryGB*HoursPerMonth*price[keyFargateGBHour]

	// Load balancer: internet-facing in every zone, one public address each.
	add(FamilyLoadBalancer, "Application Load Balancer", "ALB-hours", HoursPerMonth, price[keyALBHour])
	add(FamilyLoadBalancer, fmt.Sprintf("load balancer capacity units, %s on average", num(LoadBalancerLCUs)), "LCU-hours", LoadBalancerLCUs*HoursPerMonth, price[keyALBLCUHour])
	add(FamilyLoadBalancer, fmt.Sprintf("public IPv4 addresses of the load balancer (%d)", zones), "address-hours", float64(zones*HoursPerMonth), price[keyPublicIPv4Hour])

	// Observability: log ingestion and alarms.
	add(FamilyObservability, "log ingestion, application", "GB", AppLogsGBPerMonth, price[keyLogsIngestionGB])
	add(FamilyObservability, "log ingestion, database (postgresql, upgrade)", "GB", DatabaseLogsGBPerMonth, price[keyLogsIngestionGB])
	if s.FlowLogs {
		add(FamilyObservability, "log ingestion, VPC flow logs", "GB", FlowLogsGBPerMonth, price[keyLogsIngestionGB])
	}
	policies := 1
	if stack.Spec.Autoscaling.TargetMemoryPercent != nil {
		policies++
	}
	if stack.Spec.Autoscaling.RequestsPerTarget != nil {
		policies++
	}
	alarms, alarmItem := policies*alarmsPerScalingPolicy, "alarms of "+count(policies, "target tracking policy")
	if topic := stack.Spec.Observability.AlarmTopicARN; topic != nil && *topic != "" {
		alarms += stackAlarms
		alarmItem = fmt.Sprintf("alarms, %d of the stack and %d of %s", stackAlarms, policies*alarmsPerScalingPolicy, count(policies, "target tracking policy"))
	}
	add(FamilyObservability, alarmItem, "alarm-months", float64(alarms), price[keyAlarmMonth])

	byFamily := map[string]float64{}
	for _, l := range e.Lines {
		byFamily[l.Family] += l.MonthlyUSD
		e.TotalUSD += l.MonthlyUSD
	}
	for _, f := range Families {
		if v, ok := byFamily[f]; ok {
			e.Families = append(e.Families, FamilyCost{Family: f, MonthlyUSD: v})
		}
	}

	e.Assumptions = []string{
		fmt.Sprintf("A month is %d hours; everything runs all month at on-demand prices, without free tier, Savings Plans or reserved instances.", HoursPerMonth),
		fmt.Sprintf("The service runs autoscaling.minTasks (%d) tasks all month; each further task, up to maxTasks (%d), adds $%s a month.", tasks, s.MaxTasks, USD(perTask)),
	}
	if s.MaxStorageGiB > s.StorageGiB {
		e.Assumptions = append(e.Assumptions, fmt.Sprintf("The database stores storageGiB (%d GiB); storage autoscaling may grow it to maxStorageGiB (%d GiB), which would add up to $%s a month.",
			s.StorageGiB, s.MaxStorageGiB, USD(float64(copies*int(s.MaxStorageGiB-s.StorageGiB))*price[keyRDSGP3GBMonth])))
	}
	e.Assumptions = append(e.Assumptions,
		"Automated backups fit in the free backup storage (as much as the provisioned storage); Performance Insights, when on, keeps the free 7 days.",
		fmt.Sprintf("The load balancer uses %s capacity unit on average (for example 25 new connections a second, or 1 GB processed an hour) and one public IPv4 address per zone.", num(LoadBalancerLCUs)),
		logsAssumption(s.FlowLogs),
		"Not priced, as they depend on traffic: data processed by the NAT gateways and interface endpoints, data transfer out and between zones, API requests, stored logs, Container Insights metrics, access logs in S3.",
	)
	return e, nil
}

// logsAssumption states the assumed log volume.
func logsAssumption(flowLogs bool) string {
	if flowLogs {
		return fmt.Sprintf("CloudWatch Logs ingests, a month, %d GB of application logs, %d GB of database logs and %d GB of VPC flow logs.",
			AppLogsGBPerMonth, DatabaseLogsGBPerMonth, FlowLogsGBPerMonth)
	}
	return fmt.Sprintf("CloudWatch Logs ingests, a month, %d GB of application logs and %d GB of database logs.", AppLogsGBPerMonth, DatabaseLogsGBPerMonth)
}

// count writes n things: "1 task", "2 tasks", "3 target tracking policies".
func count(n int, thing string) string {
	if n == 1 {
		return "1 " + thing
	}
	if strings.HasSuffix(thing, "y") {
		return strconv.Itoa(n) + " " + strings.TrimSuffix(thing, "y") + "ies"
	}
	return strconv.Itoa(n) + " " + thing + "s"
}

// num writes a quantity without trailing zeros: 0.5, 2, 2190.
func num(v float64) string {
	return strconv.FormatFloat(v, 'f', -1, 64)
}

// Table writes the estimate as aligned text: its lines, the families'
// subtotals and the total, the prices' date and source, and the assumptions.
func (e Estimate) Table() string {
	var b strings.Builder
	fmt.Fprintf(&b, "Estimated monthly cost in %s, US dollars at on-demand prices of %s\n\n", e.Region, e.PricesAsOf)
	rows := [][]string{{"FAMILY", "ITEM", "QUANTITY", "UNIT", "USD/UNIT", "USD/MONTH"}}
	for _, l := range e.Lines {
		rows = append(rows, []string{l.Family, l.Item, num(l.Quantity), l.Unit, num(l.UnitUSD), USD(l.MonthlyUSD)})
	}
	writeAligned(&b, rows, map[int]bool{2: true, 4: true, 5: true})
	b.WriteString("\n")
	rows = [][]string{{"FAMILY", "USD/MONTH"}}
	for _, f := range e.Families {
		rows = append(rows, []string{f.Family, USD(f.MonthlyUSD)})
	}
	rows = append(rows, []string{"total", USD(e.TotalUSD)})
	writeAligned(&b, rows, map[int]bool{1: true})
	b.WriteString("\n" + wrap(fmt.Sprintf("Prices of %s as of %s. Source: %s", e.Region, e.PricesAsOf, e.Source), "", "  ") + "\nAssumptions:\n")
	for _, a := range e.Assumptions {
		b.WriteString(wrap(a, "- ", "  "))
	}
	return b.String()
}

// tableWidth is the width Table wraps its prose at.
const tableWidth = 100

// wrap breaks text into lines of at most tableWidth characters (a longer word
// gets a line of its own), the first starting with first, the others with
// rest.
func wrap(text, first, rest string) string {
	var b strings.Builder
	line := first
	fresh := true
	for _, w := range strings.Fields(text) {
		if !fresh && len(line)+1+len(w) > tableWidth {
			b.WriteString(line + "\n")
			line, fresh = rest, true
		}
		if !fresh {
			line += " "
		}
		line += w
		fresh = false
	}
	b.WriteString(line + "\n")
	return b.String()
}

// writeAligned writes rows as columns two spaces apart, the columns in right
// aligned to the right, without trailing spaces.
func writeAligned(b *strings.Builder, rows [][]string, right map[int]bool) {
	widths := make([]int, len(rows[0]))
	for _, r := range rows {
		for i, c := range r {
			widths[i] = max(widths[i], len(c))
		}
	}
	for _, r := range rows {
		var line strings.Builder
		for i, c := range r {
			if i > 0 {
				line.WriteString("  ")
			}
			pad := strings.Repeat(" ", widths[i]-len(c))
			if right[i] {
				line.WriteString(pad + c)
			} else {
				line.WriteString(c + pad)
			}
		}
		b.WriteString(strings.TrimRight(line.String(), " ") + "\n")
	}
}
