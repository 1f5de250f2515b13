package bench

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"

	"k8s.io/client-go/rest"
	ctrl "sigs.k8s.io/controller-runtime"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	"github.com/docuflow/docuflow-operator/internal/acksim"
	"github.com/docuflow/docuflow-operator/internal/operator"
)

// simConfigEnv names the file that turns the test binary into the simulated
// ACK process: the simulation runs apart from the operator so that the
// operator's CPU time can be read from its own rusage.
const simConfigEnv = "BENCH_SIM_CONFIG"

// simConfig is what the simulated ACK process needs: how to reach the API
// server and how slow the simulated AWS is.
type simConfig struct {
	Host     string            `json:"host"`
	CAData   []byte            `json:"caData"`
	CertData []byte            `json:"certData"`
	KeyData  []byte            `json:"keyData"`
	Token    string            `json:"token"`
	Workers  int               `json:"workers"`
	Delays   map[string]string `json:"delays"`
}

// runSimProcess runs the simulated ACK until SIGTERM; it prints "ready" once
// its caches are synced.
func runSimProcess(path string) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("reading the simulator config %s: %w", path, err)
	}
	var c simConfig
	if err := json.Unmarshal(b, &c); err != nil {
		return fmt.Errorf("decoding the simulator config %s: %w", path, err)
	}
	cfg := &rest.Config{Host: c.Host, BearerToken: c.Token, QPS: -1,
		TLSClientConfig: rest.TLSClientConfig{CAData: c.CAData, CertData: c.CertData, KeyData: c.KeyData}}
	scheme, err := operator.NewScheme()
	if err != nil {
		return err
	}
	mgr, err := ctrl.NewManager(cfg, ctrl.Options{Scheme: scheme, Metrics: metricsserver.Options{BindAddress: "0"}})
	if err != nil {
		return fmt.Errorf("creating the simulator manager: %w", err)
	}
	sim := acksim.New(acksim.Options{ReferenceRequeueInterval: 100 * time.Millisecond, MaxConcurrentReconciles: c.Workers})
	for kind, d := range c.Delays {
		dur, err := time.ParseDuration(d)
		if err != nil {
			return fmt.Errorf("parsing the delay of %s: %w", kind, err)
		}
		sim.SetDelay(kind, dur)
	}
	if err := sim.SetupWithManager(mgr); err != nil {
		return err
	}
	ctx := ctrl.SetupSignalHandler()
	go func() {
		if mgr.GetCache().WaitForCacheSync(ctx) {
			fmt.Println("ready")
		}
	}()
	return mgr.Start(ctx)
}

// simProcess is a running simulated ACK process.
type simProcess struct {
	cmd *exec.Cmd
}

// startSimProcess re-executes the test binary as the simulated ACK against cfg
// and waits until its caches are synced.
func startSimProcess(cfg *rest.Config, workers int, delays map[string]time.Duration) (*simProcess, error) {
	c := simConfig{Host: cfg.Host, CAData: cfg.CAData, CertData: cfg.CertData, KeyData: cfg.KeyData,
		Token: cfg.BearerToken, Workers: workers, Delays: map[string]string{}}
	for k, d := range delays {
		c.Delays[k] = d.String()
	}
	f, err := os.CreateTemp("", "bench-sim-*.json")
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
	cmd.Env = append(os.Environ(), simConfigEnv+"="+f.Name())
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting the simulated ACK process: %w", err)
	}
	ready := make(chan error, 1)
	go func() {
		s := bufio.NewScanner(out)
		for s.Scan() {
			if strings.TrimSpace(s.Text()) == "ready" {
				ready <- nil
				// Keep draining so the child never blocks on a full pipe.
				for s.Scan() {
				}
				return
			}
		}
		ready <- errors.New("the simulated ACK process exited before it was ready")
	}()
	p := &simProcess{cmd: cmd}
	select {
	case err := <-ready:
		if err != nil {
			_, _ = p.stop()
			return nil, err
		}
	case <-time.After(2 * time.Minute):
		_, _ = p.stop()
		return nil, errors.New("the simulated ACK process was not ready within 2 minutes")
	}
	return p, nil
}

// stop ends the process and returns the CPU time it used.
func (p *simProcess) stop() (time.Duration, error) {
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan error, 1)
	go func() { done <- p.cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		_ = p.cmd.Process.Kill()
		<-done
	}
	if p.cmd.ProcessState == nil {
		return 0, errors.New("the simulated ACK process state is unknown")
	}
	return p.cmd.ProcessState.UserTime() + p.cmd.ProcessState.SystemTime(), nil
}
