package bench

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"k8s.io/client-go/rest"
	ctrl "sigs.k8s.io/controller-runtime"

	platformv1alpha1 "github.com/docuflow/docuflow-operator/api/v1alpha1"
	"github.com/docuflow/docuflow-operator/internal/operator"
)

// operatorConfigEnv names the file that turns the test binary into the
// operator process: the operator runs apart from the harness (whose 200 ms
// poll of every stack cost a fifth of the test process's CPU when they
// shared it) so that its CPU and its peak RSS are its own.
const operatorConfigEnv = "BENCH_OPERATOR_CONFIG"

// operatorConfig is what the operator process needs: how to reach the API
// server and the manager settings of the run.
type operatorConfig struct {
	Host        string        `json:"host"`
	CAData      []byte        `json:"caData"`
	CertData    []byte        `json:"certData"`
	KeyData     []byte        `json:"keyData"`
	Token       string        `json:"token"`
	Workers     int           `json:"workers"`
	Unscoped    bool          `json:"unscoped"`
	KeepMF      bool          `json:"keepManagedFields"`
	StatusEvery bool          `json:"statusEvery"`
	Serial      bool          `json:"serial"`
	SyncPeriod  time.Duration `json:"syncPeriod"`
	Shard       string        `json:"shard"`
}

func (c operatorConfig) settings() settings {
	return settings{workers: c.Workers, unscoped: c.Unscoped, keepManagedFields: c.KeepMF, statusEvery: c.StatusEvery, serial: c.Serial}
}

// snapshot is what the operator process reports of itself.
type snapshot struct {
	// Requests are its API requests by verb (classify).
	Requests map[string]int64 `json:"requests"`
	// Reconciles is controller-runtime's reconcile counter of the stack
	// controller.
	Reconciles float64 `json:"reconciles"`
	// PeakHeap is the highest HeapInuse sampled every 250 ms.
	PeakHeap uint64 `json:"peakHeap"`
}

// runOperatorProcess runs the operator manager until SIGTERM. It prints
// "addr HOST:PORT" (its control endpoint: /snapshot, /profile/start?dir=,
// /profile/stop) and then "ready" once every informer the controller needs
// has synced.
func runOperatorProcess(path string) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("reading the operator config %s: %w", path, err)
	}
	var c operatorConfig
	if err := json.Unmarshal(b, &c); err != nil {
		return fmt.Errorf("decoding the operator config %s: %w", path, err)
	}
	counter := &requestCounter{counts: map[string]int64{}}
	// The real manager's client is not rate limited (ctrl.GetConfig sets QPS
	// to -1).
	cfg := &rest.Config{Host: c.Host, BearerToken: c.Token, QPS: -1, WrapTransport: counter.wrap,
		TLSClientConfig: rest.TLSClientConfig{CAData: c.CAData, CertData: c.CertData, KeyData: c.KeyData}}
	scheme, err := operator.NewScheme()
	if err != nil {
		return err
	}
	mgr, err := newOperatorManager(cfg, scheme, scenario{settings: c.settings(), syncPeriod: c.SyncPeriod, shard: c.Shard})
	if err != nil {
		return err
	}
	heap := startHeapSampler()
	var prof struct {
		sync.Mutex
		dir string
		cpu *os.File
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/snapshot", func(w http.ResponseWriter, _ *http.Request) {
		_ = json.NewEncoder(w).Encode(snapshot{Requests: counter.snapshot(), Reconciles: reconciles(), PeakHeap: heap.peak.Load()})
	})
	mux.HandleFunc("/profile/start", func(w http.ResponseWriter, r *http.Request) {
		prof.Lock()
		defer prof.Unlock()
		prof.dir = r.URL.Query().Get("dir")
		f, err := os.Create(filepath.Join(prof.dir, "cpu.pprof"))
		if err == nil {
			err = pprof.StartCPUProfile(f)
		}
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		prof.cpu = f
	})
	mux.HandleFunc("/profile/stop", func(w http.ResponseWriter, _ *http.Request) {
		prof.Lock()
		defer prof.Unlock()
		if prof.cpu == nil {
			http.Error(w, "no profile running", http.StatusConflict)
			return
		}
		pprof.StopCPUProfile()
		err := prof.cpu.Close()
		prof.cpu = nil
		if err == nil {
			err = writeProfile(filepath.Join(prof.dir, "allocs.pprof"), "allocs")
		}
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
		}
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	fmt.Println("addr", ln.Addr().String())

	ctx := ctrl.SetupSignalHandler()
	go func() {
		if err := waitForInformers(ctx, mgr); err == nil {
			fmt.Println("ready")
		} else {
			fmt.Fprintln(os.Stderr, "operator process:", err)
		}
	}()
	err = mgr.Start(ctx)
	_ = srv.Close()
	heap.finish()
	return err
}

// writeProfile writes one named runtime profile.
func writeProfile(path, name string) (retErr error) {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer func() { retErr = errors.Join(retErr, f.Close()) }()
	runtime.GC()
	return pprof.Lookup(name).WriteTo(f, 0)
}

// waitForInformers returns once the manager's cache has synced every
// informer the stack controller needs: the controller starts its watches
// after the cache reports synced.
func waitForInformers(ctx context.Context, mgr ctrl.Manager) error {
	if !mgr.GetCache().WaitForCacheSync(ctx) {
		return errors.New("the operator's cache did not sync")
	}
	for _, obj := range append(ackObjects(), &platformv1alpha1.DocuFlowStack{}) {
		if _, err := mgr.GetCache().GetInformer(ctx, obj); err != nil {
			return fmt.Errorf("waiting for the operator's informers: %w", err)
		}
	}
	return nil
}

// opProcess is a running operator process.
type opProcess struct {
	cmd     *exec.Cmd
	addr    string
	started time.Time
}

// startOperatorProcess re-executes the test binary as the operator against
// cfg and waits until its informers have synced.
func startOperatorProcess(cfg *rest.Config, sc scenario, shard string) (*opProcess, error) {
	c := operatorConfig{Host: cfg.Host, CAData: cfg.CAData, CertData: cfg.CertData, KeyData: cfg.KeyData, Token: cfg.BearerToken,
		Workers: sc.settings.workers, Unscoped: sc.settings.unscoped, KeepMF: sc.settings.keepManagedFields,
		StatusEvery: sc.settings.statusEvery, Serial: sc.settings.serial, SyncPeriod: sc.syncPeriod, Shard: shard}
	f, err := os.CreateTemp("", "bench-operator-*.json")
	if err != nil {
		return nil, err
	}
	defer func() { _ = os.Remove(f.Name()) }()
	if err := json.NewEncoder(f).Encode(c); err != nil {
		return nil, errors.Join(err, f.Close())
	}
	if err := f.Close(); err != nil {
		return nil, err
	}
	cmd := exec.Command(os.Args[0], "-test.run=^$", "-test.bench=^$")
	cmd.Env = append(os.Environ(), operatorConfigEnv+"="+f.Name())
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	p := &opProcess{cmd: cmd, started: time.Now()}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting the operator process: %w", err)
	}
	addr := make(chan string, 1)
	ready := make(chan error, 1)
	go func() {
		s := bufio.NewScanner(out)
		for s.Scan() {
			line := strings.TrimSpace(s.Text())
			if a, ok := strings.CutPrefix(line, "addr "); ok {
				addr <- a
			}
			if line == "ready" {
				ready <- nil
				for s.Scan() {
				}
				return
			}
		}
		ready <- errors.New("the operator process exited before it was ready")
	}()
	select {
	case err := <-ready:
		if err != nil {
			_, _ = p.stop()
			return nil, err
		}
	case <-time.After(2 * time.Minute):
		_, _ = p.stop()
		return nil, errors.New("the operator process was not ready within 2 minutes")
	}
	p.addr = <-addr
	return p, nil
}

// snapshot reads the process's counters.
func (p *opProcess) snapshot() (snapshot, error) {
	var s snapshot
	resp, err := http.Get("http://" + p.addr + "/snapshot")
	if err != nil {
		return s, fmt.Errorf("reading the operator's counters: %w", err)
	}
	defer func() { _ = resp.Body.Close() }()
	return s, json.NewDecoder(resp.Body).Decode(&s)
}

// call asks the process to start or stop profiling.
func (p *opProcess) call(path string) error {
	resp, err := http.Get("http://" + p.addr + path)
	if err != nil {
		return err
	}
	defer func() { _ = resp.Body.Close() }()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s: %s", path, resp.Status)
	}
	return nil
}

// cpu returns the process's user plus system CPU time so far, from
// /proc/PID/stat (clock ticks of 1/100 s, Linux's USER_HZ).
func (p *opProcess) cpu() time.Duration {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", p.cmd.Process.Pid))
	if err != nil {
		return 0
	}
	// The command name may hold spaces; the fields after it are fixed.
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
	if len(f) < 13 {
		return 0
	}
	utime, _ := strconv.ParseInt(f[11], 10, 64)
	stime, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(utime+stime) * 10 * time.Millisecond
}

// memory returns the process's peak and current resident set (VmHWM and
// VmRSS), in bytes.
func (p *opProcess) memory() (peak, now uint64) {
	return procMemory(p.cmd.Process.Pid)
}

// procMemory reads VmHWM and VmRSS of a process, in bytes.
func procMemory(pid int) (peak, now uint64) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, 0
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		kb, err := strconv.ParseUint(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
		if err != nil {
			continue
		}
		switch k {
		case "VmHWM":
			peak = kb << 10
		case "VmRSS":
			now = kb << 10
		}
	}
	return peak, now
}

// stop ends the process and returns the CPU time it used.
func (p *opProcess) stop() (time.Duration, error) {
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan error, 1)
	go func() { done <- p.cmd.Wait() }()
	var err error
	select {
	case err = <-done:
	case <-time.After(30 * time.Second):
		_ = p.cmd.Process.Kill()
		<-done
		err = errors.New("the operator process did not stop within 30 s of SIGTERM")
	}
	if p.cmd.ProcessState == nil {
		return 0, errors.New("the operator process state is unknown")
	}
	return p.cmd.ProcessState.UserTime() + p.cmd.ProcessState.SystemTime(), err
}
