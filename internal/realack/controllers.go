package realack

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"sigs.k8s.io/yaml"
)

// Controller is one upstream ACK controller a DocuFlow stack needs.
type Controller struct {
	// Service is the AWS service, e.g. ec2.
	Service string
	// Version is the release built from ../shared/ack/controllers.
	Version string
	// Runtime is the ACK runtime the release is generated for.
	Runtime string
}

// Binary is the controller's file name under bin/ack.
func (c Controller) Binary() string { return c.Service + "-controller-" + c.Version }

// IgnoreFieldDrift reports whether the controller's runtime has the
// IgnoreFieldDrift feature gate (v0.62 and later).
func (c Controller) IgnoreFieldDrift() bool { return c.Runtime >= "v0.62.0" }

// Controllers are the releases proven end to end, the ones
// hack/build-ack-controllers.sh builds.
var Controllers = []Controller{
	{"ec2", "1.20.0", "v0.62.0"},
	{"rds", "1.11.1", "v0.62.0"},
	{"iam", "1.8.1", "v0.62.0"},
	{"elbv2", "1.6.1", "v0.62.0"},
	{"cloudwatchlogs", "1.4.1", "v0.62.0"},
	{"cloudwatch", "1.8.1", "v0.62.0"},
	{"applicationautoscaling", "1.4.1", "v0.61.0"},
	{"ecs", "1.2.1", "v0.57.0"},
}

// Options say how to run the controllers.
type Options struct {
	// BinDir holds the controller binaries (bin/ack).
	BinDir string
	// LogDir receives one log file per controller.
	LogDir string
	// Kubeconfig is the path of a kubeconfig for the cluster.
	Kubeconfig string
	// Region is the AWS region the controllers default to.
	Region string
	// ResyncSeconds, when positive, shortens ACK's periodic re-read of AWS
	// (10 hours by default).
	ResyncSeconds int
	// WithoutIgnoreFieldDrift lists services whose controller runs without
	// the IgnoreFieldDrift gate; every other v0.62 controller runs with it.
	WithoutIgnoreFieldDrift []string
	// CRDsDir holds the upstream CRDs installed in the cluster, one
	// directory per controller. A controller waits for the informers of
	// every kind it serves and exits when a CRD is missing, so each one is
	// told to reconcile only the kinds installed.
	CRDsDir string
}

// BuildHint is the command that builds missing controllers.
const BuildHint = "make ack-controllers (it builds them from ../shared/ack/controllers into bin/ack, about 17 minutes the first time)"

// CheckBinaries fails, naming the build command, when a controller binary is
// missing.
func CheckBinaries(binDir string) error {
	for _, c := range Controllers {
		if _, err := os.Stat(filepath.Join(binDir, c.Binary())); err != nil {
			return fmt.Errorf("%w: the ACK controller %s is not built in %s: run %s", errMissing, c.Binary(), binDir, BuildHint)
		}
	}
	return nil
}

// ControllerSet is the eight controllers running against one cluster and one
// local AWS.
type ControllerSet struct {
	opts  Options
	aws   *LocalAWS
	procs map[string]*running
}

// running is one controller process and its endpoints.
type running struct {
	*Process
	metrics, healthz string
}

// StartControllers starts every controller and waits for their health
// endpoints.
func StartControllers(ctx context.Context, opts Options, aws *LocalAWS) (*ControllerSet, error) {
	if err := CheckBinaries(opts.BinDir); err != nil {
		return nil, err
	}
	if opts.Region == "" {
		opts.Region = "us-east-1"
	}
	cs := &ControllerSet{opts: opts, aws: aws, procs: map[string]*running{}}
	for _, c := range Controllers {
		if err := cs.start(ctx, c); err != nil {
			cs.Stop()
			return nil, err
		}
	}
	return cs, nil
}

func (cs *ControllerSet) start(ctx context.Context, c Controller) error {
	mport, err := FreePort()
	if err != nil {
		return err
	}
	hport, err := FreePort()
	if err != nil {
		return err
	}
	r := &running{metrics: fmt.Sprintf("127.0.0.1:%d", mport), healthz: fmt.Sprintf("127.0.0.1:%d", hport)}
	args := []string{
		"--aws-region", cs.opts.Region,
		"--aws-endpoint-url", cs.aws.URL,
		"--aws-identity-endpoint-url", cs.aws.URL,
		"--allow-unsafe-aws-endpoint-urls",
		"--enable-leader-election=false",
		"--metrics-addr", r.metrics,
		"--healthz-addr", r.healthz,
		"--log-level", "info",
	}
	kinds, err := installedKinds(cs.opts.CRDsDir, c.Service)
	if err != nil {
		return err
	}
	args = append(args, "--reconcile-resources", strings.Join(kinds, ","))
	if cs.opts.ResyncSeconds > 0 {
		args = append(args, "--reconcile-default-resync-seconds", strconv.Itoa(cs.opts.ResyncSeconds))
	}
	if c.IgnoreFieldDrift() && !contains(cs.opts.WithoutIgnoreFieldDrift, c.Service) {
		args = append(args, "--feature-gates", "IgnoreFieldDrift=true")
	}
	env := []string{
		"AWS_ACCESS_KEY_ID=docuflow-e2e",
		"AWS_SECRET_ACCESS_KEY=docuflow-e2e",
		"AWS_REGION=" + cs.opts.Region,
		"AWS_ENDPOINT_URL=" + cs.aws.URL,
		"AWS_EC2_METADATA_DISABLED=true",
		"KUBECONFIG=" + cs.opts.Kubeconfig,
	}
	// With a custom endpoint the SDK fails every call when AWS_CA_BUNDLE is
	// set ("unable to add custom RootCAs HTTPClient").
	p, err := Start(c.Binary(), filepath.Join(cs.opts.BinDir, c.Binary()), args, env,
		[]string{"AWS_CA_BUNDLE", "AWS_PROFILE", "AWS_SESSION_TOKEN"}, filepath.Join(cs.opts.LogDir, c.Service+"-controller.log"))
	if err != nil {
		return err
	}
	r.Process = p
	cs.procs[c.Service] = r
	wctx, cancel := context.WithTimeout(ctx, 90*time.Second)
	defer cancel()
	return p.WaitFor(wctx, "its health endpoint", func() error {
		resp, err := http.Get("http://" + r.healthz + "/healthz")
		if err != nil {
			return err
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("healthz answered %s", resp.Status)
		}
		return nil
	})
}

// Restart stops every controller at once (SIGKILL, as a crashed pod) and
// starts them again.
func (cs *ControllerSet) Restart(ctx context.Context) error {
	cs.Kill()
	return cs.Start(ctx)
}

// Kill stops every controller at once with SIGKILL, as a crashed pod.
func (cs *ControllerSet) Kill() {
	for _, r := range cs.procs {
		r.Kill()
	}
}

// Start starts every controller again after Kill.
func (cs *ControllerSet) Start(ctx context.Context) error {
	for _, c := range Controllers {
		if err := cs.start(ctx, c); err != nil {
			return err
		}
	}
	return nil
}

// RestartWithResync restarts every controller with another periodic re-read
// of AWS (0: the controllers' default, 10 hours).
func (cs *ControllerSet) RestartWithResync(ctx context.Context, seconds int) error {
	cs.opts.ResyncSeconds = seconds
	return cs.Restart(ctx)
}

// Stop ends every controller.
func (cs *ControllerSet) Stop() {
	for _, r := range cs.procs {
		r.Stop(5 * time.Second)
	}
}

// Processes returns the controller processes, for logs.
func (cs *ControllerSet) Processes() []*Process {
	var out []*Process
	for _, c := range Controllers {
		if r := cs.procs[c.Service]; r != nil {
			out = append(out, r.Process)
		}
	}
	return out
}

// Exited returns the controllers that are no longer running.
func (cs *ControllerSet) Exited() []string {
	var out []string
	for _, c := range Controllers {
		if r := cs.procs[c.Service]; r != nil && !r.Running() {
			out = append(out, c.Binary())
		}
	}
	return out
}

// MetricsURL returns the Prometheus endpoint of a service's controller.
func (cs *ControllerSet) MetricsURL(service string) string {
	if r := cs.procs[service]; r != nil {
		return "http://" + r.metrics + "/metrics"
	}
	return ""
}

// installedKinds lists the kinds whose CRDs the controller's directory of
// crdsDir holds.
func installedKinds(crdsDir, service string) ([]string, error) {
	files, err := filepath.Glob(filepath.Join(crdsDir, service+"-controller", "*.yaml"))
	if err != nil {
		return nil, err
	}
	var kinds []string
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		var crd struct {
			Spec struct {
				Names struct {
					Kind string `json:"kind"`
				} `json:"names"`
			} `json:"spec"`
		}
		if err := yaml.Unmarshal(b, &crd); err != nil {
			return nil, fmt.Errorf("reading %s: %w", f, err)
		}
		if crd.Spec.Names.Kind != "" {
			kinds = append(kinds, crd.Spec.Names.Kind)
		}
	}
	if len(kinds) == 0 {
		return nil, fmt.Errorf("no CRD of the %s controller under %s", service, crdsDir)
	}
	sort.Strings(kinds)
	return kinds, nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
