package bench

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	platformv1alpha1 "github.com/docuflow/docuflow-operator/api/v1alpha1"
)

func TestMain(m *testing.M) {
	setLogger()
	if path := os.Getenv(operatorConfigEnv); path != "" {
		if err := runOperatorProcess(path); err != nil {
			fmt.Fprintln(os.Stderr, "operator process:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	if path := os.Getenv(simConfigEnv); path != "" {
		if err := runSimProcess(path); err != nil {
			fmt.Fprintln(os.Stderr, "simulated ACK process:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// Knobs, all environment variables so `make bench` can pass them through:
//
//	BENCH_N         stack counts for BenchmarkConverge (default 1,10,100,300)
//	BENCH_PROFILE   production or development (default production)
//	BENCH_SETTINGS  comma-separated manager presets, each shipped[+w<N>][+unscoped][+keepmf][+statusevery][+serial] (default shipped)
//	BENCH_STEADY    steady-state window after convergence (default 60s)
//	BENCH_SYNC      the operator cache's SyncPeriod (default 10s)
//	BENCH_TIMEOUT   how long N stacks may take to converge (default 30m)
//	BENCH_FOREIGN   ACK objects of another team (unlabelled LogGroups) in the cluster before the run (default 0)
//	BENCH_FLOOR     also run the floor (no operator) at each N: 1 or 0 (default 1)
//	BENCH_SHARDS    operator processes sharing the stacks (default 1; 2 labels every other stack for shard "b")
//	BENCH_RESTART   how long a cold restart of the operator is watched after the steady window (default 45s; 0 skips it)
//	BENCH_PPROF     a directory: CPU and allocation profiles of the operator over each converge window
//	BENCH_REALISTIC_N      stack counts for BenchmarkRealisticDelays (default 1,10)
//	BENCH_DELAY_SCALE      divisor applied to the AWS times of realisticAWS (default 10)
func envDefault(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}

func envDuration(b *testing.B, key, def string) time.Duration {
	d, err := time.ParseDuration(envDefault(key, def))
	if err != nil {
		b.Fatalf("%s: %v", key, err)
	}
	return d
}

func envInts(b *testing.B, key, def string) []int {
	var out []int
	for f := range strings.SplitSeq(envDefault(key, def), ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 {
			b.Fatalf("%s: bad count %q", key, f)
		}
		out = append(out, n)
	}
	return out
}

func envSettings(b *testing.B) []settings {
	var out []settings
	for f := range strings.SplitSeq(envDefault("BENCH_SETTINGS", "shipped"), ",") {
		s, err := parseSettings(strings.TrimSpace(f))
		if err != nil {
			b.Fatal(err)
		}
		out = append(out, s)
	}
	return out
}

// printMu keeps tables from interleaving.
var printMu sync.Mutex

func printTable(title string, rows []result, extra ...string) {
	printMu.Lock()
	defer printMu.Unlock()
	fmt.Printf("\n### %s\n\n%s\n", title, tableHeader)
	for _, r := range rows {
		fmt.Println(r.row())
	}
	for _, e := range extra {
		fmt.Println(e)
	}
	fmt.Println()
}

func report(b *testing.B, r result) {
	b.ReportMetric(r.wall.Seconds(), "wall-s")
	b.ReportMetric(r.p99.Seconds(), "p99-s")
	b.ReportMetric(float64(writesOf(r.converge))/float64(r.sc.n), "writes/stack")
	b.ReportMetric(float64(r.steadyWrites), "steady-writes")
	b.ReportMetric(r.cpu.Seconds(), "operator-cpu-s")
	b.ReportMetric(float64(r.peakHeap)/(1<<20), "peak-heap-MiB")
	b.ReportMetric(float64(sumOf(r.peakRSS))/(1<<20), "peak-rss-MiB")
}

func sumOf(v []uint64) uint64 {
	var n uint64
	for _, x := range v {
		n += x
	}
	return n
}

// BenchmarkConverge creates N stacks at once, with the simulated ACK syncing
// instantly, and measures convergence, a steady-state window and a cold
// restart; before each N it measures the floor, the same stacks without the
// operator (runFloor).
func BenchmarkConverge(b *testing.B) {
	profile := platformv1alpha1.Profile(envDefault("BENCH_PROFILE", string(platformv1alpha1.ProfileProduction)))
	steady := envDuration(b, "BENCH_STEADY", "60s")
	syncPeriod := envDuration(b, "BENCH_SYNC", "10s")
	timeout := envDuration(b, "BENCH_TIMEOUT", "30m")
	restart := envDuration(b, "BENCH_RESTART", "45s")
	withFloor := envDefault("BENCH_FLOOR", "1") == "1"
	shards := envInts(b, "BENCH_SHARDS", "1")[0]
	foreign, err := strconv.Atoi(envDefault("BENCH_FOREIGN", "0"))
	if err != nil || foreign < 0 {
		b.Fatalf("BENCH_FOREIGN: bad count %q", os.Getenv("BENCH_FOREIGN"))
	}
	floors := map[int]result{}
	for _, set := range envSettings(b) {
		var rows []result
		for _, n := range envInts(b, "BENCH_N", "1,10,100,300") {
			if _, done := floors[n]; withFloor && !done {
				b.Run(fmt.Sprintf("floor/N=%d", n), func(b *testing.B) {
					for range b.N {
						r, err := run(context.Background(), scenario{n: n, profile: profile, timeout: timeout, foreign: foreign, floor: true})
						if err != nil {
							b.Fatal(err)
						}
						floors[n] = r
						printTable("floor", []result{r})
						b.ReportMetric(r.wall.Seconds(), "wall-s")
						b.ReportMetric(r.apiCPU.Seconds(), "apiserver-cpu-s")
					}
				})
			}
			b.Run(fmt.Sprintf("%s/N=%d", set, n), func(b *testing.B) {
				for range b.N {
					r, err := run(context.Background(), scenario{n: n, profile: profile, settings: set, steady: steady, syncPeriod: syncPeriod,
						timeout: timeout, foreign: foreign, shards: shards, restart: restart})
					if err != nil {
						b.Fatal(err)
					}
					rows = append(rows, r)
					var extra []string
					if f, ok := floors[n]; ok {
						extra = append(extra, fmt.Sprintf("\nTime to Ready over the floor's: wall %.2f×, p50 %.2f×; kube-apiserver CPU %.2f× the floor's.",
							r.wall.Seconds()/f.wall.Seconds(), r.p50.Seconds()/f.p50.Seconds(), r.apiCPU.Seconds()/f.apiCPU.Seconds()))
						b.ReportMetric(r.wall.Seconds()/f.wall.Seconds(), "x-floor")
					}
					printTable("instant sync", []result{r}, extra...)
					report(b, r)
				}
			})
		}
		if len(rows) > 1 {
			cpu := slope(rows, func(r result) float64 { return r.cpu.Seconds() })
			heap := slope(rows, func(r result) float64 { return float64(r.peakHeap) / (1 << 20) })
			rss := slope(rows, func(r result) float64 { return float64(sumOf(r.peakRSS)) / (1 << 20) })
			writes := slope(rows, func(r result) float64 { return float64(writesOf(r.converge)) })
			all := rows
			for _, n := range envInts(b, "BENCH_N", "1,10,100,300") {
				if f, ok := floors[n]; ok {
					all = append(all, f)
				}
			}
			printTable(fmt.Sprintf("instant sync, settings %s, profile %s", set, profile), all,
				fmt.Sprintf("\nPer-stack slope (least squares over N): operator CPU %.3f s/stack, peak RSS %.2f MiB/stack, peak heap %.2f MiB/stack, writes %.1f/stack.", cpu, rss, heap, writes))
		}
	}
}

// realisticAWS are provisioning times of the order AWS shows, per kind.
var realisticAWS = map[string]time.Duration{
	"Role": 10 * time.Second, "LogGroup": 5 * time.Second,
	"VPC": 20 * time.Second, "InternetGateway": 10 * time.Second, "ElasticIPAddress": 5 * time.Second,
	"RouteTable": 10 * time.Second, "Subnet": 10 * time.Second, "NATGateway": 100 * time.Second,
	"SecurityGroup": 10 * time.Second, "VPCEndpoint": 60 * time.Second, "FlowLog": 10 * time.Second,
	"DBSubnetGroup": 10 * time.Second, "DBParameterGroup": 10 * time.Second, "DBInstance": 300 * time.Second,
	"LoadBalancer": 150 * time.Second, "TargetGroup": 10 * time.Second, "Listener": 10 * time.Second,
	"Cluster": 10 * time.Second, "TaskDefinition": 10 * time.Second, "Service": 100 * time.Second,
	"ScalableTarget": 10 * time.Second, "ScalingPolicy": 10 * time.Second, "MetricAlarm": 10 * time.Second,
}

// chainStep is one step of the longest dependency chain: the objects of a
// kind whose name contains nameHas.
type chainStep struct {
	kind, nameHas string
	// gate says who holds the step back until the one before is done: ACK
	// (a reference that resolves once the referenced object is synced) or
	// the operator (a value it waits for before it creates the child).
	gate string
	// startsOnCreate: the step waits for the previous one to exist, not to
	// sync (the service needs the task definition's ARN, which ECS returns
	// on registration).
	startsOnCreate bool
	// onPath: the step's own delay is on the chain; a step off it (the task
	// definition, whose ARN the service needs at once) only counts until it
	// is created.
	onPath bool
}

func (s chainStep) String() string {
	if s.nameHas == "" {
		return s.kind
	}
	return fmt.Sprintf("%s(%s)", s.kind, strings.Trim(s.nameHas, "-"))
}

// longestChain is the production stack's longest dependency chain: ACK
// references (IGW→VPC, public route table→IGW, public subnets→route table,
// NAT→public subnet, private route tables→NAT, private subnets→their route
// table, DB subnet group→private subnets, DB→subnet group), then the values
// the operator waits for (task definition→DB endpoint and secret, service→
// task definition ARN). The scalable target waits only for the service's ARN
// and its policies for the target (2 s after the service exists, within the
// service's 10 s), so they are off the chain.
var longestChain = []chainStep{
	{kind: "VPC", gate: "operator", onPath: true},
	{kind: "InternetGateway", gate: "ACK", onPath: true},
	{kind: "RouteTable", nameHas: "-public", gate: "ACK", onPath: true},
	{kind: "Subnet", nameHas: "-public-", gate: "ACK", onPath: true},
	{kind: "NATGateway", gate: "ACK", onPath: true},
	{kind: "RouteTable", nameHas: "-private-", gate: "ACK", onPath: true},
	{kind: "Subnet", nameHas: "-private-", gate: "ACK", onPath: true},
	{kind: "DBSubnetGroup", gate: "ACK", onPath: true},
	{kind: "DBInstance", gate: "ACK", onPath: true},
	{kind: "TaskDefinition", gate: "operator"},
	{kind: "Service", gate: "operator", startsOnCreate: true, onPath: true},
}

// BenchmarkRealisticDelays converges N stacks with per-kind provisioning
// delays and compares time to Ready with the longest chain's delays.
func BenchmarkRealisticDelays(b *testing.B) {
	scale, err := strconv.ParseFloat(envDefault("BENCH_DELAY_SCALE", "10"), 64)
	if err != nil || scale <= 0 {
		b.Fatalf("BENCH_DELAY_SCALE: bad value")
	}
	delays := map[string]time.Duration{}
	for k, d := range realisticAWS {
		delays[k] = time.Duration(float64(d) / scale)
	}
	var chain time.Duration
	var parts []string
	for _, st := range longestChain {
		if st.onPath {
			chain += delays[st.kind]
			parts = append(parts, fmt.Sprintf("%s %s", st, delays[st.kind]))
		} else {
			parts = append(parts, fmt.Sprintf("%s (ARN on creation) 0s", st))
		}
	}
	syncPeriod := envDuration(b, "BENCH_SYNC", "10s")
	for _, set := range envSettings(b) {
		for _, n := range envInts(b, "BENCH_REALISTIC_N", "1,10") {
			b.Run(fmt.Sprintf("%s/N=%d", set, n), func(b *testing.B) {
				for range b.N {
					r, err := run(context.Background(), scenario{n: n, profile: platformv1alpha1.ProfileProduction, settings: set,
						delays: delays, syncPeriod: syncPeriod, timeout: envDuration(b, "BENCH_TIMEOUT", "30m")})
					if err != nil {
						b.Fatal(err)
					}
					printTable(fmt.Sprintf("realistic delays (AWS times ÷ %g)", scale), []result{r},
						fmt.Sprintf("\nLongest chain: %s = %s; measured p50 %s, p99 %s, wall %s.",
							strings.Join(parts, " + "), chain, r.p50.Round(100*time.Millisecond), r.p99.Round(100*time.Millisecond), r.wall.Round(100*time.Millisecond)),
						"\n"+r.hops)
					report(b, r)
				}
			})
		}
	}
}
