package bench

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"go.uber.org/zap/zapcore"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	k8sruntime "k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/rest"
	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/config"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
	"sigs.k8s.io/controller-runtime/pkg/metrics"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"
	"sigs.k8s.io/yaml"

	platformv1alpha1 "github.com/docuflow/docuflow-operator/api/v1alpha1"
	"github.com/docuflow/docuflow-operator/controllers"
	"github.com/docuflow/docuflow-operator/internal/ack"
	cloudwatchlogsv1alpha1 "github.com/docuflow/docuflow-operator/internal/ack/cloudwatchlogs/v1alpha1"
	"github.com/docuflow/docuflow-operator/internal/controlplane"
	"github.com/docuflow/docuflow-operator/internal/desired"
	"github.com/docuflow/docuflow-operator/internal/operator"
)

func setLogger() {
	level := zapcore.ErrorLevel
	if os.Getenv("BENCH_VERBOSE_LOGS") != "" {
		level = zapcore.InfoLevel
	}
	ctrl.SetLogger(zap.New(zap.WriteTo(os.Stderr), zap.Level(level)))
}

// settings are the operator manager options a run measures. The zero value
// with workers 1 is what the operator ships (see parseSettings).
type settings struct {
	// workers is MaxConcurrentReconciles of the DocuFlowStack controller.
	workers int
	// unscoped caches every ACK object, not only those labelled
	// managed-by=docuflow-operator.
	unscoped bool
	// keepManagedFields keeps managedFields on cached objects.
	keepManagedFields bool
	// statusEvery writes every status change at once
	// (StatusProgressInterval 0) instead of holding back progress-only ones.
	statusEvery bool
	// serial writes a pass's children one at a time (ApplyConcurrency 1).
	serial bool
}

// parseSettings reads a preset: "shipped" (one worker, controllers.CacheOptions,
// controllers.DefaultStatusProgressInterval) followed by changes joined with
// "+": w<N> workers, unscoped, keepmf, statusevery, serial. For example
// "shipped+w4" or "shipped+statusevery".
func parseSettings(s string) (settings, error) {
	out := settings{workers: 1}
	toks := strings.Split(s, "+")
	if toks[0] != "shipped" {
		return out, fmt.Errorf("preset %q must start with \"shipped\" (then +w<N>, +unscoped, +keepmf, +statusevery, +serial)", s)
	}
	for _, tok := range toks[1:] {
		switch {
		case tok == "unscoped":
			out.unscoped = true
		case tok == "keepmf":
			out.keepManagedFields = true
		case tok == "statusevery":
			out.statusEvery = true
		case tok == "serial":
			out.serial = true
		case strings.HasPrefix(tok, "w"):
			n, err := strconv.Atoi(tok[1:])
			if err != nil || n < 1 {
				return out, fmt.Errorf("bad worker count in preset %q", s)
			}
			out.workers = n
		default:
			return out, fmt.Errorf("unknown change %q in preset %q (w<N>, unscoped, keepmf, statusevery, serial)", tok, s)
		}
	}
	return out, nil
}

func (s settings) String() string {
	out := "shipped"
	if s.workers != 1 {
		out += fmt.Sprintf("+w%d", s.workers)
	}
	if s.unscoped {
		out += "+unscoped"
	}
	if s.keepManagedFields {
		out += "+keepmf"
	}
	if s.statusEvery {
		out += "+statusevery"
	}
	if s.serial {
		out += "+serial"
	}
	return out
}

// requestCounter counts the operator's API requests by verb at the client.
type requestCounter struct {
	mu     sync.Mutex
	counts map[string]int64
}

func (c *requestCounter) wrap(rt http.RoundTripper) http.RoundTripper {
	return roundTripperFunc(func(req *http.Request) (*http.Response, error) {
		c.mu.Lock()
		c.counts[classify(req)]++
		c.mu.Unlock()
		return rt.RoundTrip(req)
	})
}

func (c *requestCounter) snapshot() map[string]int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make(map[string]int64, len(c.counts))
	for k, v := range c.counts {
		out[k] = v
	}
	return out
}

type roundTripperFunc func(*http.Request) (*http.Response, error)

func (f roundTripperFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// classify names a request's verb the way the API server's audit log would,
// with status writes and events apart: get, list, watch, create, apply,
// patch, update, delete, status-patch, status-update, event.
func classify(req *http.Request) string {
	parts := strings.Split(strings.Trim(req.URL.Path, "/"), "/")
	switch {
	case len(parts) >= 2 && parts[0] == "api":
		parts = parts[2:]
	case len(parts) >= 3 && parts[0] == "apis":
		parts = parts[3:]
	}
	if len(parts) >= 3 && parts[0] == "namespaces" {
		parts = parts[2:]
	}
	if len(parts) > 0 && parts[0] == "events" {
		return "event"
	}
	collection := len(parts) <= 1
	status := len(parts) == 3 && parts[2] == "status"
	var verb string
	switch req.Method {
	case http.MethodGet:
		switch {
		case req.URL.Query().Get("watch") == "true":
			verb = "watch"
		case collection:
			verb = "list"
		default:
			verb = "get"
		}
	case http.MethodPost:
		verb = "create"
	case http.MethodPut:
		verb = "update"
	case http.MethodPatch:
		verb = "patch"
		if strings.HasPrefix(req.Header.Get("Content-Type"), "application/apply-patch") {
			verb = "apply"
		}
	case http.MethodDelete:
		verb = "delete"
	default:
		verb = strings.ToLower(req.Method)
	}
	if status {
		verb = "status-" + verb
	}
	return verb
}

// writeVerbs are the verbs that change objects; events are counted apart.
var writeVerbs = []string{"create", "apply", "patch", "update", "delete", "status-apply", "status-patch", "status-update"}

// verbOrder is the order of verbs in the table.
var verbOrder = []string{"get", "list", "watch", "apply", "create", "patch", "update", "delete", "status-patch", "status-update", "status-apply", "event"}

func diff(after, before map[string]int64) map[string]int64 {
	out := map[string]int64{}
	for k, v := range after {
		if d := v - before[k]; d != 0 {
			out[k] = d
		}
	}
	return out
}

func writesOf(m map[string]int64) int64 {
	var n int64
	for _, v := range writeVerbs {
		n += m[v]
	}
	return n
}

func formatVerbs(m map[string]int64, n int) string {
	var parts []string
	keys := slices.Clone(verbOrder)
	for k := range m {
		if !slices.Contains(keys, k) {
			keys = append(keys, k)
		}
	}
	for _, k := range keys {
		if v := m[k]; v != 0 {
			parts = append(parts, fmt.Sprintf("%s %s", k, perStack(v, n)))
		}
	}
	if len(parts) == 0 {
		return "0"
	}
	return strings.Join(parts, ", ")
}

func perStack(v int64, n int) string {
	f := float64(v) / float64(n)
	if f == float64(int64(f)) {
		return strconv.FormatInt(int64(f), 10)
	}
	return strconv.FormatFloat(f, 'f', 1, 64)
}

// reconciles reads controller-runtime's reconcile counter for the stack
// controller from the process-wide registry (the simulator runs elsewhere).
func reconciles() float64 {
	mfs, err := metrics.Registry.Gather()
	if err != nil {
		return 0
	}
	var n float64
	for _, mf := range mfs {
		if mf.GetName() != "controller_runtime_reconcile_total" {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "controller" && l.GetValue() == "docuflowstack" {
					n += m.GetCounter().GetValue()
				}
			}
		}
	}
	return n
}

// heapSampler records the peak HeapInuse while it runs.
type heapSampler struct {
	peak atomic.Uint64
	stop chan struct{}
	done chan struct{}
}

func startHeapSampler() *heapSampler {
	h := &heapSampler{stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(h.done)
		t := time.NewTicker(250 * time.Millisecond)
		defer t.Stop()
		for {
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			if ms.HeapInuse > h.peak.Load() {
				h.peak.Store(ms.HeapInuse)
			}
			select {
			case <-h.stop:
				return
			case <-t.C:
			}
		}
	}()
	return h
}

func (h *heapSampler) finish() uint64 {
	close(h.stop)
	<-h.done
	return h.peak.Load()
}

func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}

// scenario is one measured run.
type scenario struct {
	n        int
	profile  platformv1alpha1.Profile
	settings settings
	// delays are the simulated AWS provisioning times; nil syncs instantly.
	delays map[string]time.Duration
	// steady is the steady-state window; 0 skips it.
	steady time.Duration
	// syncPeriod is the operator cache's resync period.
	syncPeriod time.Duration
	timeout    time.Duration
	// foreign is how many ACK objects the operator does not own (another
	// team's log groups, unlabelled) the cluster holds before the run.
	foreign int
	// shards is how many operator processes share the stacks (1: the default
	// shard only; 2: every other stack labelled for shard "b").
	shards int
	// shard is the shard an operator process serves ("" the default).
	shard string
	// restart is how long a cold restart of the operator is watched after
	// the steady window; 0 skips it.
	restart time.Duration
	// floor runs no operator: a plain client creates the children (floor.go).
	floor bool
}

// result is one row of the table.
type result struct {
	sc                 scenario
	wall, p50, p99     time.Duration
	converge           map[string]int64
	children           int
	steadyWrites       int64
	steadyRequests     map[string]int64
	steadyReconciles   float64
	convergeReconciles float64
	cpu, steadyCPU     time.Duration
	simCPU             time.Duration
	peakHeap           uint64
	// peakRSS is the VmHWM of each operator process; baseRSS their VmRSS
	// once their informers synced, before any stack.
	peakRSS, baseRSS []uint64
	// shardCPU is each operator process's CPU over the converge window.
	shardCPU []time.Duration
	// apiCPU is kube-apiserver's CPU over the converge window.
	apiCPU time.Duration
	// restartWrites, restartRequests and restartIdle are what a cold restart
	// of the operator did: its writes, its requests, and how long after the
	// new process started its last reconcile came.
	restartWrites     int64
	restartRequests   map[string]int64
	restartIdle       time.Duration
	loadBefore, after string
	// hops reports the operator-gated hops (realistic-delay runs only).
	hops string
}

// floor is the fewest writes a stack can converge with: one apply per child,
// the finalizer patch and one status write.
func (r result) floor() int { return r.children + 2 }

// sampleStack reads the production sample and adapts it to the profile.
func sampleStack(profile platformv1alpha1.Profile) (*platformv1alpha1.DocuFlowStack, error) {
	root, err := controlplane.RepoRoot()
	if err != nil {
		return nil, err
	}
	b, err := os.ReadFile(filepath.Join(root, "config", "samples", "platform_v1alpha1_docuflowstack.yaml"))
	if err != nil {
		return nil, err
	}
	stack := &platformv1alpha1.DocuFlowStack{}
	if err := yaml.UnmarshalStrict(b, stack); err != nil {
		return nil, err
	}
	if profile == platformv1alpha1.ProfileDevelopment {
		// The development profile's defaults, as the samples of the docs
		// write a development stack: one zone's worth of everything, HTTP.
		stack.Spec = platformv1alpha1.DocuFlowStackSpec{
			Region:  stack.Spec.Region,
			Profile: platformv1alpha1.ProfileDevelopment,
			Network: platformv1alpha1.NetworkSpec{VPCCIDR: stack.Spec.Network.VPCCIDR, AvailabilityZones: stack.Spec.Network.AvailabilityZones[:2]},
			Database: platformv1alpha1.DatabaseSpec{
				EngineVersion: stack.Spec.Database.EngineVersion,
				StorageGiB:    stack.Spec.Database.StorageGiB,
			},
			Service:      stack.Spec.Service,
			LoadBalancer: platformv1alpha1.LoadBalancerSpec{InsecureHTTPOnly: true, AllowedCIDRs: stack.Spec.LoadBalancer.AllowedCIDRs},
			Autoscaling:  platformv1alpha1.AutoscalingSpec{MaxTasks: 2},
		}
	}
	return stack, nil
}

// run starts a fresh control plane, the simulated ACK process and the
// operator process(es), creates sc.n stacks at once and measures.
func run(ctx context.Context, sc scenario) (res result, retErr error) {
	res.sc = sc
	res.loadBefore = loadAvg()
	env, cfg, err := controlplane.Start()
	if err != nil {
		return res, err
	}
	defer func() {
		if err := env.Stop(); err != nil && retErr == nil {
			retErr = err
		}
	}()
	scheme, err := operator.NewScheme()
	if err != nil {
		return res, err
	}
	k8s, err := client.New(cfg, client.Options{Scheme: scheme})
	if err != nil {
		return res, err
	}

	sim, err := startSimProcess(cfg, 2, sc.delays)
	if err != nil {
		return res, err
	}
	defer func() {
		cpu, err := sim.stop()
		res.simCPU = cpu
		if err != nil && retErr == nil {
			retErr = err
		}
	}()

	if err := createForeign(ctx, k8s, sc.foreign); err != nil {
		return res, err
	}
	if sc.floor {
		return runFloor(ctx, cfg, k8s, sc, res)
	}

	ops, err := startOperators(cfg, sc)
	if err != nil {
		return res, err
	}
	defer func() {
		for _, op := range ops {
			if _, err := op.stop(); err != nil && retErr == nil {
				retErr = err
			}
		}
	}()
	for _, op := range ops {
		_, rss := op.memory()
		res.baseRSS = append(res.baseRSS, rss)
	}

	proto, err := sampleStack(sc.profile)
	if err != nil {
		return res, err
	}
	for i := range ops {
		if err := warmUp(ctx, k8s, proto, shardName(i)); err != nil {
			return res, err
		}
	}
	names, err := createNamespaces(ctx, k8s, sc.n)
	if err != nil {
		return res, err
	}

	before, err := snapshotAll(ops)
	if err != nil {
		return res, err
	}
	cpuBefore := cpuOf(ops)
	apiBefore := apiServerCPU(cfg)
	if dir := os.Getenv("BENCH_PPROF"); dir != "" {
		for i, op := range ops {
			d := filepath.Join(dir, fmt.Sprintf("N%d-shard%d", sc.n, i))
			if err := os.MkdirAll(d, 0o755); err != nil {
				return res, err
			}
			if err := op.call("/profile/start?dir=" + d); err != nil {
				return res, err
			}
		}
	}

	// With provisioning delays, a timeline of every child shows where the
	// time to Ready goes.
	var tl *timeline
	if sc.delays != nil {
		if tl, err = startTimeline(ctx, cfg, k8s); err != nil {
			return res, err
		}
		defer tl.finish()
	}

	created, start, err := createStacks(ctx, k8s, proto, names, sc.shards)
	if err != nil {
		return res, err
	}
	ready, err := waitAllReady(ctx, k8s, names, sc.timeout)
	if err != nil {
		return res, err
	}
	res.wall, res.p50, res.p99 = readyTimes(created, ready, start)
	// kube-apiserver's CPU up to the last Ready, as the floor's is.
	res.apiCPU = apiServerCPU(cfg) - apiBefore
	if tl != nil {
		res.hops = tl.lagReport(names, created, ready, sc.delays)
	}

	// Writes that follow the first Ready (late status, endpoints) belong to
	// converging, not to the steady state.
	time.Sleep(5 * time.Second)
	after, err := snapshotAll(ops)
	if err != nil {
		return res, err
	}
	res.converge = diff(after.Requests, before.Requests)
	res.convergeReconciles = after.Reconciles - before.Reconciles
	for i, op := range ops {
		c := op.cpu() - cpuBefore[i]
		res.shardCPU = append(res.shardCPU, c)
		res.cpu += c
	}
	if os.Getenv("BENCH_PPROF") != "" {
		for _, op := range ops {
			if err := op.call("/profile/stop"); err != nil {
				return res, err
			}
		}
	}
	if res.children, err = countChildren(ctx, k8s, names[0]); err != nil {
		return res, err
	}

	if sc.steady > 0 {
		c0 := cpuOf(ops)
		time.Sleep(sc.steady)
		s1, err := snapshotAll(ops)
		if err != nil {
			return res, err
		}
		res.steadyRequests = diff(s1.Requests, after.Requests)
		res.steadyWrites = writesOf(res.steadyRequests)
		res.steadyReconciles = s1.Reconciles - after.Reconciles
		for i, c := range cpuOf(ops) {
			res.steadyCPU += c - c0[i]
		}
	}
	final, err := snapshotAll(ops)
	if err != nil {
		return res, err
	}
	res.peakHeap = final.PeakHeap
	for _, op := range ops {
		peak, _ := op.memory()
		res.peakRSS = append(res.peakRSS, peak)
	}

	if sc.restart > 0 {
		for _, op := range ops {
			if _, err := op.stop(); err != nil {
				return res, err
			}
		}
		if ops, err = startOperators(cfg, sc); err != nil {
			ops = nil
			return res, err
		}
		if err := watchRestart(ops, sc.restart, &res); err != nil {
			return res, err
		}
	}
	res.after = loadAvg()
	return res, nil
}

// shardName is the shard of the i-th operator process: the default shard,
// then "b", "c", ...
func shardName(i int) string {
	if i == 0 {
		return ""
	}
	return string(rune('a' + i))
}

// startOperators starts one operator process per shard.
func startOperators(cfg *rest.Config, sc scenario) ([]*opProcess, error) {
	var ops []*opProcess
	for i := range max(sc.shards, 1) {
		op, err := startOperatorProcess(cfg, sc, shardName(i))
		if err != nil {
			for _, o := range ops {
				_, _ = o.stop()
			}
			return nil, err
		}
		ops = append(ops, op)
	}
	return ops, nil
}

// snapshotAll adds up the counters of every operator process; PeakHeap is
// the largest.
func snapshotAll(ops []*opProcess) (snapshot, error) {
	out := snapshot{Requests: map[string]int64{}}
	for _, op := range ops {
		s, err := op.snapshot()
		if err != nil {
			return out, err
		}
		for k, v := range s.Requests {
			out.Requests[k] += v
		}
		out.Reconciles += s.Reconciles
		out.PeakHeap = max(out.PeakHeap, s.PeakHeap)
	}
	return out, nil
}

// cpuOf reads the CPU time of every operator process.
func cpuOf(ops []*opProcess) []time.Duration {
	out := make([]time.Duration, len(ops))
	for i, op := range ops {
		out[i] = op.cpu()
	}
	return out
}

// watchRestart follows freshly started operator processes for window: the
// writes they make and when their last reconcile came, from their start.
func watchRestart(ops []*opProcess, window time.Duration, res *result) error {
	s0, err := snapshotAll(ops)
	if err != nil {
		return err
	}
	startedAt := ops[0].started
	last, lastAt := s0.Reconciles, time.Now()
	end := time.Now().Add(window)
	for time.Now().Before(end) {
		time.Sleep(250 * time.Millisecond)
		s, err := snapshotAll(ops)
		if err != nil {
			return err
		}
		if s.Reconciles != last {
			last, lastAt = s.Reconciles, time.Now()
		}
	}
	s1, err := snapshotAll(ops)
	if err != nil {
		return err
	}
	res.restartRequests = s1.Requests
	res.restartWrites = writesOf(s1.Requests)
	res.restartIdle = lastAt.Sub(startedAt)
	return nil
}

// apiServerCPU reads kube-apiserver's process_cpu_seconds_total from its
// /metrics; 0 when it cannot be read.
func apiServerCPU(cfg *rest.Config) time.Duration {
	hc, err := rest.HTTPClientFor(cfg)
	if err != nil {
		return 0
	}
	resp, err := hc.Get(strings.TrimSuffix(cfg.Host, "/") + "/metrics")
	if err != nil {
		return 0
	}
	defer func() { _ = resp.Body.Close() }()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "process_cpu_seconds_total "); ok {
			f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
			if err != nil {
				return 0
			}
			return time.Duration(f * float64(time.Second))
		}
	}
	return 0
}

// createNamespaces creates the n stacks' namespaces first, so the stacks go
// in as one burst.
func createNamespaces(ctx context.Context, k8s client.Client, n int) ([]string, error) {
	names := make([]string, n)
	for i := range names {
		names[i] = fmt.Sprintf("bench-%04d", i)
	}
	if err := parallel(names, func(ns string) error {
		return k8s.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}})
	}); err != nil {
		return nil, fmt.Errorf("creating namespaces: %w", err)
	}
	return names, nil
}

// createStacks creates one copy of proto in each namespace at once; with
// shards > 1 the i-th stack is labelled for shard i mod shards.
func createStacks(ctx context.Context, k8s client.Client, proto *platformv1alpha1.DocuFlowStack, names []string, shards int) (map[string]time.Time, time.Time, error) {
	var mu sync.Mutex
	created := map[string]time.Time{}
	index := map[string]int{}
	for i, ns := range names {
		index[ns] = i
	}
	start := time.Now()
	err := parallel(names, func(ns string) error {
		s := proto.DeepCopy()
		s.Namespace = ns
		if shards > 1 {
			if sh := shardName(index[ns] % shards); sh != "" {
				s.Labels = map[string]string{desired.LabelShard: sh}
			}
		}
		t := time.Now()
		if err := k8s.Create(ctx, s); err != nil {
			return err
		}
		mu.Lock()
		created[ns] = t
		mu.Unlock()
		return nil
	})
	if err != nil {
		return nil, start, fmt.Errorf("creating stacks: %w", err)
	}
	return created, start, nil
}

// readyTimes returns the wall time (first create to last Ready) and the
// median and 99th percentile of the stacks' times to Ready.
func readyTimes(created, ready map[string]time.Time, start time.Time) (wall, p50, p99 time.Duration) {
	var last time.Time
	var per []time.Duration
	for ns, at := range ready {
		per = append(per, at.Sub(created[ns]))
		if at.After(last) {
			last = at
		}
	}
	return last.Sub(start), quantile(per, 0.50), quantile(per, 0.99)
}

// newOperatorManager builds the operator's manager as cmd/docuflow does,
// without metrics, probes and leader election, with the scenario's settings.
func newOperatorManager(cfg *rest.Config, scheme *k8sruntime.Scheme, sc scenario) (ctrl.Manager, error) {
	cacheOpts := controllers.CacheOptions(sc.shard)
	cacheOpts.SyncPeriod = ptr.To(sc.syncPeriod)
	if sc.settings.keepManagedFields {
		cacheOpts.DefaultTransform = nil
	}
	if sc.settings.unscoped {
		cacheOpts.ByObject = nil
	}
	mgr, err := ctrl.NewManager(cfg, ctrl.Options{
		Scheme:                 scheme,
		Metrics:                metricsserver.Options{BindAddress: "0"},
		HealthProbeBindAddress: "0",
		Cache:                  cacheOpts,
		Controller: config.Controller{
			SkipNameValidation:      ptr.To(true),
			MaxConcurrentReconciles: sc.settings.workers,
		},
	})
	if err != nil {
		return nil, fmt.Errorf("creating the operator manager: %w", err)
	}
	r := &controllers.DocuFlowStackReconciler{
		Client:                  mgr.GetClient(),
		Scheme:                  mgr.GetScheme(),
		Recorder:                mgr.GetEventRecorder("docuflow-operator"),
		DeletionProtectionGrace: 30 * time.Second,
		StatusProgressInterval:  controllers.DefaultStatusProgressInterval,
		Shard:                   sc.shard,
	}
	if sc.settings.statusEvery {
		r.StatusProgressInterval = 0
	}
	if sc.settings.serial {
		r.ApplyConcurrency = 1
	}
	if err := r.SetupWithManager(mgr); err != nil {
		return nil, err
	}
	return mgr, nil
}

// warmUp proves the controller's workers are running before the clock
// starts: informers can be synced seconds before the manager starts the
// controller, and that start is not a stack's time to Ready. A suspended
// stack gets the operator's finalizer in its first pass and creates no
// children; it is deleted and gone before the measured stacks go in.
func warmUp(ctx context.Context, k8s client.Client, proto *platformv1alpha1.DocuFlowStack, shard string) error {
	ns := "bench-warmup" + shard
	if err := k8s.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}); err != nil {
		return fmt.Errorf("creating namespace %s: %w", ns, err)
	}
	s := proto.DeepCopy()
	s.Namespace = ns
	s.Spec.Suspend = true
	if shard != "" {
		s.Labels = map[string]string{desired.LabelShard: shard}
	}
	if err := k8s.Create(ctx, s); err != nil {
		return fmt.Errorf("creating the warm-up stack: %w", err)
	}
	key := client.ObjectKeyFromObject(s)
	deadline := time.Now().Add(time.Minute)
	for {
		if err := k8s.Get(ctx, key, s); err != nil {
			return err
		}
		if len(s.Finalizers) > 0 {
			break
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("the operator did not take the warm-up stack within a minute")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := k8s.Delete(ctx, s); err != nil {
		return fmt.Errorf("deleting the warm-up stack: %w", err)
	}
	for {
		err := k8s.Get(ctx, key, s)
		if apierrors.IsNotFound(err) {
			return nil
		}
		if err != nil {
			return err
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("the warm-up stack was not deleted within a minute")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// ackObjects returns one empty object of every mirrored ACK kind.
func ackObjects() []client.Object {
	var out []client.Object
	for _, k := range ack.Kinds() {
		out = append(out, k)
	}
	return out
}

// createForeign creates n LogGroups in namespace bench-foreign that carry
// no docuflow label, as another team's ACK objects would.
func createForeign(ctx context.Context, k8s client.Client, n int) error {
	if n == 0 {
		return nil
	}
	const ns = "bench-foreign"
	if err := k8s.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}); err != nil {
		return fmt.Errorf("creating namespace %s: %w", ns, err)
	}
	names := make([]string, n)
	for i := range names {
		names[i] = fmt.Sprintf("team-b-%05d", i)
	}
	err := parallel(names, func(name string) error {
		lg := &cloudwatchlogsv1alpha1.LogGroup{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name,
			Labels: map[string]string{"app.kubernetes.io/managed-by": "team-b"}}}
		lg.Spec.Name = ptr.To("/team-b/" + name)
		lg.Spec.RetentionDays = ptr.To[int64](30)
		lg.Spec.Tags = map[string]*string{"team": ptr.To("b"), "cost-center": ptr.To("1234"), "service": ptr.To(name)}
		return k8s.Create(ctx, lg)
	})
	if err != nil {
		return fmt.Errorf("creating foreign log groups: %w", err)
	}
	return nil
}

// parallel runs f for every name with a few workers.
func parallel(names []string, f func(string) error) error {
	ch := make(chan string)
	errs := make(chan error, len(names))
	var wg sync.WaitGroup
	for range 16 {
		wg.Go(func() {
			for n := range ch {
				if err := f(n); err != nil {
					errs <- err
				}
			}
		})
	}
	for _, n := range names {
		ch <- n
	}
	close(ch)
	wg.Wait()
	close(errs)
	return <-errs
}

// waitAllReady polls the stacks every 200ms and returns when each was first
// seen Ready=True at its generation.
func waitAllReady(ctx context.Context, k8s client.Client, names []string, timeout time.Duration) (map[string]time.Time, error) {
	want := map[string]bool{}
	for _, n := range names {
		want[n] = true
	}
	ready := map[string]time.Time{}
	deadline := time.Now().Add(timeout)
	for len(ready) < len(names) {
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("%d of %d stacks Ready after %s", len(ready), len(names), timeout)
		}
		list := &platformv1alpha1.DocuFlowStackList{}
		if err := k8s.List(ctx, list); err != nil {
			return nil, err
		}
		now := time.Now()
		for _, s := range list.Items {
			if !want[s.Namespace] {
				continue
			}
			if _, seen := ready[s.Namespace]; seen {
				continue
			}
			c := meta.FindStatusCondition(s.Status.Conditions, platformv1alpha1.ConditionReady)
			if c != nil && c.Status == metav1.ConditionTrue && s.Status.ObservedGeneration == s.Generation {
				ready[s.Namespace] = now
			}
		}
		time.Sleep(200 * time.Millisecond)
	}
	return ready, nil
}

// countChildren counts the ACK objects in a stack's namespace.
func countChildren(ctx context.Context, k8s client.Client, ns string) (int, error) {
	n := 0
	for _, kind := range ack.Kinds() {
		list, err := ack.NewList(kind)
		if err != nil {
			return 0, err
		}
		if err := k8s.List(ctx, list, client.InNamespace(ns)); err != nil {
			return 0, err
		}
		n += len(ack.Items(list))
	}
	return n, nil
}

func quantile(d []time.Duration, q float64) time.Duration {
	if len(d) == 0 {
		return 0
	}
	s := slices.Clone(d)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	i := int(float64(len(s))*q+0.999999) - 1
	return s[min(max(i, 0), len(s)-1)]
}

const tableHeader = "| settings | profile | N | wall | p50 | p99 | requests/stack by verb (converging) | writes/stack | floor | reconciles/stack | steady window | steady writes | steady reconciles | steady requests | CPU s (operator, converge / steady) | ms CPU per child | CPU s (sim) | CPU s (kube-apiserver) | peak heap MiB | peak RSS MiB (at start) | cold restart: writes, last pass after | load 1/5/15 before → after |\n" +
	"|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"

func (r result) row() string {
	steady := "-"
	steadyWrites, steadyRec, steadyReq := "-", "-", "-"
	if r.sc.steady > 0 {
		steady = r.sc.steady.String()
		steadyWrites = strconv.FormatInt(r.steadyWrites, 10)
		steadyRec = strconv.FormatFloat(r.steadyReconciles, 'f', 0, 64)
		steadyReq = formatVerbs(r.steadyRequests, 1)
	}
	set := r.sc.settings.String()
	if r.sc.shards > 1 {
		set += fmt.Sprintf(", %d shards", r.sc.shards)
	}
	if r.sc.floor {
		set = "floor (no operator)"
	}
	if r.sc.foreign > 0 {
		set += fmt.Sprintf(" (%d foreign)", r.sc.foreign)
	}
	cpu, perChild, heap, rss, restart, rec := "-", "-", "-", "-", "-", "-"
	if !r.sc.floor {
		cpu = fmt.Sprintf("%.1f / %.1f", r.cpu.Seconds(), r.steadyCPU.Seconds())
		if len(r.shardCPU) > 1 {
			var parts []string
			for _, c := range r.shardCPU {
				parts = append(parts, fmt.Sprintf("%.1f", c.Seconds()))
			}
			cpu += " (shards " + strings.Join(parts, " + ") + ")"
		}
		if r.children > 0 {
			perChild = fmt.Sprintf("%.2f", float64(r.cpu.Milliseconds())/float64(r.sc.n*r.children))
		}
		heap = fmt.Sprintf("%.0f", float64(r.peakHeap)/(1<<20))
		var parts []string
		for i := range r.peakRSS {
			parts = append(parts, fmt.Sprintf("%.0f (%.0f)", float64(r.peakRSS[i])/(1<<20), float64(r.baseRSS[i])/(1<<20)))
		}
		rss = strings.Join(parts, " + ")
		if r.sc.restart > 0 {
			restart = fmt.Sprintf("%d, %s", r.restartWrites, r.restartIdle.Round(100*time.Millisecond))
		}
		rec = strconv.FormatFloat(r.convergeReconciles/float64(r.sc.n), 'f', 1, 64)
	}
	return fmt.Sprintf("| %s | %s | %d | %s | %s | %s | %s | %s | %d | %s | %s | %s | %s | %s | %s | %s | %.1f | %.1f | %s | %s | %s | %s → %s |",
		set, r.sc.profile, r.sc.n, r.wall.Round(100*time.Millisecond), r.p50.Round(100*time.Millisecond), r.p99.Round(100*time.Millisecond),
		formatVerbs(r.converge, r.sc.n), perStack(writesOf(r.converge), r.sc.n), r.floor(), rec,
		steady, steadyWrites, steadyRec, steadyReq, cpu, perChild,
		r.simCPU.Seconds(), r.apiCPU.Seconds(), heap, rss, restart, r.loadBefore, r.after)
}

// slope fits y = a + b·N by least squares and returns b.
func slope(rows []result, y func(result) float64) float64 {
	var sx, sy, sxx, sxy float64
	n := float64(len(rows))
	for _, r := range rows {
		x := float64(r.sc.n)
		sx += x
		sy += y(r)
		sxx += x * x
		sxy += x * y(r)
	}
	den := n*sxx - sx*sx
	if den == 0 {
		return 0
	}
	return (n*sxy - sx*sy) / den
}
