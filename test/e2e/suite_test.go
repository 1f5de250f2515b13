package e2e

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"

	platformv1alpha1 "github.com/docuflow/docuflow-operator/api/v1alpha1"
	"github.com/docuflow/docuflow-operator/internal/ack"
	"github.com/docuflow/docuflow-operator/internal/controlplane"
	"github.com/docuflow/docuflow-operator/internal/realack"
)

// resyncSeconds is the periodic re-read of AWS the production stack's day-2
// steps restart every controller with, so that "holds still" and the day-2
// checks see several resyncs in minutes. The suite starts the controllers
// with their default (10 hours): convergence and deletion must not wait for
// a resync, as they would not in an account.
const resyncSeconds = 30

// suite is what every test of the package shares: one control plane with the
// upstream CRDs, one local AWS, the eight controllers and the operator.
var suite struct {
	root        string
	crds        string
	logDir      string
	cfg         *rest.Config
	k8s         client.Client
	aws         *realack.LocalAWS
	controllers *realack.ControllerSet
	operator    *operator
	awsClients  *awsClients
}

var keepLogs = flag.Bool("e2e.keep-logs", false, "keep the processes' logs after a passing run")

func TestMain(m *testing.M) {
	flag.Parse()
	os.Exit(runSuite(m))
}

// cleanups end what the suite started, last first; they run once, when the
// tests end or when the test binary's -timeout is a minute away (a timeout
// panics the binary, and deferred calls in TestMain never run).
var (
	cleanups    []func()
	cleanupOnce sync.Once
)

func cleanup(f func()) { cleanups = append(cleanups, f) }

func runCleanups() {
	cleanupOnce.Do(func() {
		for i := len(cleanups) - 1; i >= 0; i-- {
			cleanups[i]()
		}
	})
}

// runSuite starts everything, runs the tests and ends every process it
// started, whatever happens.
func runSuite(m *testing.M) (code int) {
	ctx := context.Background()
	defer runCleanups()
	if f := flag.Lookup("test.timeout"); f != nil {
		if d, err := time.ParseDuration(f.Value.String()); err == nil && d > 2*time.Minute {
			watchdog := time.AfterFunc(d-time.Minute, func() {
				fmt.Fprintf(os.Stderr, "e2e: the test binary's -timeout (%s) is a minute away; ending every process the suite started (logs in %s)\n", d, suite.logDir)
				runCleanups()
			})
			defer watchdog.Stop()
		}
	}
	// Ctrl-C or a CI runner's SIGTERM ends the processes too.
	signals := make(chan os.Signal, 1)
	signal.Notify(signals, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(signals)
	go func() {
		if s, ok := <-signals; ok {
			fmt.Fprintf(os.Stderr, "e2e: %s; ending every process the suite started (logs in %s)\n", s, suite.logDir)
			runCleanups()
			os.Exit(1)
		}
	}()
	fail := func(format string, args ...any) int {
		fmt.Fprintf(os.Stderr, "e2e: "+format+"\n", args...)
		return 1
	}
	root, err := controlplane.RepoRoot()
	if err != nil {
		return fail("%v", err)
	}
	suite.root = root
	crds := os.Getenv("ACK_CRDS_DIR")
	if crds == "" {
		crds = filepath.Join(root, "..", "shared", "ack", "crds")
	}
	if _, err := os.Stat(filepath.Join(crds, "VERSIONS")); err != nil {
		return fail("the upstream ACK CRDs are not at %s: the real controllers need them; set ACK_CRDS_DIR to ../shared/ack/crds (make test does)", crds)
	}
	if err := realack.CheckMoto(); err != nil {
		return fail("%v", err)
	}
	binDir := filepath.Join(root, "bin", "ack")
	if err := realack.CheckBinaries(binDir); err != nil {
		return fail("%v", err)
	}
	if suite.logDir, err = os.MkdirTemp("", "docuflow-e2e-"); err != nil {
		return fail("%v", err)
	}
	fmt.Fprintf(os.Stderr, "e2e: logs of every process in %s\n", suite.logDir)
	// The in-process simulator of the behaviour test logs beside the processes.
	simLog, err := os.Create(filepath.Join(suite.logDir, "acksim.log"))
	if err != nil {
		return fail("%v", err)
	}
	cleanup(func() { _ = simLog.Close() })
	ctrl.SetLogger(zap.New(zap.WriteTo(simLog)))
	cleanup(func() {
		if code == 0 && !*keepLogs {
			_ = os.RemoveAll(suite.logDir)
		}
	})

	t0 := time.Now()
	suite.crds = crds
	os.Setenv("ACK_CRDS_DIR", crds)
	env, err := controlplane.Environment()
	if err != nil {
		return fail("%v", err)
	}
	if suite.cfg, err = env.Start(); err != nil {
		return fail("starting the control plane: %v", err)
	}
	cleanup(func() { _ = env.Stop() })
	scheme := runtime.NewScheme()
	for _, add := range []func(*runtime.Scheme) error{clientgoscheme.AddToScheme, platformv1alpha1.AddToScheme, ack.AddToScheme} {
		if err := add(scheme); err != nil {
			return fail("%v", err)
		}
	}
	if suite.k8s, err = client.New(suite.cfg, client.Options{Scheme: scheme}); err != nil {
		return fail("%v", err)
	}
	kubeconfig, err := controlplane.WriteKubeconfig(env, suite.logDir, "docuflow-e2e")
	if err != nil {
		return fail("%v", err)
	}

	if suite.aws, err = realack.StartLocalAWS(ctx, root, suite.logDir); err != nil {
		return fail("%v", err)
	}
	cleanup(func() { suite.aws.Stop(2 * time.Second) })
	if suite.awsClients, err = newAWSClients(ctx, suite.aws.URL); err != nil {
		return fail("%v", err)
	}
	suite.controllers, err = realack.StartControllers(ctx, realack.Options{
		BinDir: binDir, LogDir: suite.logDir, Kubeconfig: kubeconfig, CRDsDir: crds,
	}, suite.aws)
	if err != nil {
		return fail("%v", err)
	}
	cleanup(suite.controllers.Stop)
	if suite.operator, err = startOperator(ctx, root, suite.logDir, kubeconfig); err != nil {
		return fail("%v", err)
	}
	cleanup(func() { suite.operator.Stop(5 * time.Second) })
	fmt.Fprintf(os.Stderr, "e2e: control plane, local AWS, %d ACK controllers and the operator up in %s\n",
		len(realack.Controllers), time.Since(t0).Round(time.Second))

	code = m.Run()
	if code != 0 {
		fmt.Fprintf(os.Stderr, "e2e: failed; logs kept in %s\n", suite.logDir)
	}
	return code
}

// operator is the docuflow manager process, built from this tree as the
// Dockerfile builds it.
type operator struct {
	*realack.Process
	metrics string
	// bin and kubeconfig are the binary and the cluster it runs against:
	// `docuflow plan` runs them too.
	bin, kubeconfig string
}

// startOperator builds cmd/docuflow and runs `docuflow manager`.
func startOperator(ctx context.Context, root, logDir, kubeconfig string) (*operator, error) {
	bin := os.Getenv("E2E_OPERATOR_BIN")
	if bin == "" {
		bin = filepath.Join(logDir, "docuflow")
		build := exec.CommandContext(ctx, "go", "build", "-trimpath", "-o", bin, "./cmd/docuflow")
		build.Dir = root
		build.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := build.CombinedOutput(); err != nil {
			return nil, fmt.Errorf("building the operator: %w\n%s", err, out)
		}
	}
	return runOperator(ctx, bin, logDir, kubeconfig)
}
