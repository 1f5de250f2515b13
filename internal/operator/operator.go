// Package operator is the DocuFlowStack operator's controller manager, built
// the same way by the shipped binary (cmd/docuflow) and by the demo
// (cmd/docuflow-dev), so that both run the operator the image runs.
package operator

import (
	"crypto/tls"
	"flag"
	"fmt"
	"regexp"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/healthz"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
	"sigs.k8s.io/controller-runtime/pkg/metrics/filters"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	platformv1alpha1 "github.com/docuflow/docuflow-operator/api/v1alpha1"
	"github.com/docuflow/docuflow-operator/controllers"
	"github.com/docuflow/docuflow-operator/internal/ack"
	"github.com/docuflow/docuflow-operator/internal/desired"
)

// Options are the manager's command-line settings.
type Options struct {
	// MetricsAddr is the metrics endpoint's address; "0" turns it off.
	MetricsAddr string
	// SecureMetrics serves metrics over HTTPS behind Kubernetes
	// authentication and authorization.
	SecureMetrics bool
	// ProbeAddr is the health and readiness probes' address; "0" turns them
	// off.
	ProbeAddr string
	// LeaderElect elects a leader so that only one replica writes.
	LeaderElect bool
	// EnableHTTP2 serves metrics over HTTP/2.
	EnableHTTP2 bool
	// DeletionProtectionGrace is how long the operator waits, after ACK
	// reports a switched-off deletion protection synced, before deleting.
	DeletionProtectionGrace time.Duration
	// StatusProgressInterval holds back progress-only status changes.
	StatusProgressInterval time.Duration
	// WatchNamespaces, when set, limits the operator to the stacks (and the
	// children) of these comma-separated namespaces.
	WatchNamespaces string
	// InstallationID goes into the AWS names of every new stack, so that
	// operators in two clusters sharing an AWS account never collide.
	InstallationID string
	// IAMPermissionsBoundary is the ARN of the managed policy set as the
	// permissions boundary of every role the stacks create; "" sets none.
	IAMPermissionsBoundary string
	// Shard is the shard this manager reconciles: the stacks labelled
	// platform.docuflow.io/shard with this value; "" is the default shard,
	// the stacks without the label.
	Shard string
	// Zap are the logger's settings.
	Zap zap.Options
}

// iamPolicyARN matches the ARN of a managed IAM policy, customer's or AWS's.
var iamPolicyARN = regexp.MustCompile(`^arn:aws(-[a-z]+)*:iam::(\d{12}|aws):policy/[\w+=,.@/-]{1,512}$`)

// Bind registers the options as command-line flags with their defaults.
func (o *Options) Bind(fs *flag.FlagSet) {
	fs.StringVar(&o.MetricsAddr, "metrics-bind-address", ":8443", "Address the metrics endpoint binds to; \"0\" turns it off.")
	fs.BoolVar(&o.SecureMetrics, "metrics-secure", true, "Serve metrics over HTTPS behind Kubernetes authentication and authorization.")
	fs.StringVar(&o.ProbeAddr, "health-probe-bind-address", ":8081", "Address the health and readiness probes bind to.")
	fs.BoolVar(&o.LeaderElect, "leader-elect", true, "Elect a leader so that only one replica writes.")
	fs.DurationVar(&o.DeletionProtectionGrace, "deletion-protection-grace", 30*time.Second, "How long to wait, after ACK reports a switched-off deletion protection synced, before deleting the child (ACK reports no observed generation).")
	fs.DurationVar(&o.StatusProgressInterval, "status-progress-interval", controllers.DefaultStatusProgressInterval, "How long after a stack's last status write a change that is progress only (children syncing inside a family whose condition keeps its status) may wait to be written; 0 writes every change.")
	fs.StringVar(&o.WatchNamespaces, "watch-namespaces", "", "Comma-separated namespaces whose DocuFlowStacks this operator reconciles; empty: every namespace. The others' stacks are left alone (no finalizer, no status).")
	fs.BoolVar(&o.EnableHTTP2, "enable-http2", false, "Serve metrics over HTTP/2 (off: HTTP/2 Rapid Reset and Stream Cancellation CVEs).")
	fs.StringVar(&o.InstallationID, "installation-id", "", "Goes into the hash every new stack's AWS names carry, with the stack's namespace and name: give each cluster whose operator shares an AWS account its own. A stack records its hash when first reconciled, so changing this later renames nothing.")
	fs.StringVar(&o.IAMPermissionsBoundary, "iam-permissions-boundary", "", "ARN of a managed IAM policy set as the permissions boundary of every role the stacks create (their task, execution and flow-log roles); empty sets none.")
	fs.StringVar(&o.Shard, "shard", "", "The shard this manager reconciles: the DocuFlowStacks labelled "+desired.LabelShard+"=<shard>, and only their children are cached. Empty: the default shard, the stacks without the label. Each shard is a Deployment of its own, with a leader-election lease of its own.")
	o.Zap.BindFlags(fs)
}

// NewScheme returns a scheme with Kubernetes' own kinds, DocuFlowStack and
// every mirrored ACK kind.
func NewScheme() (*runtime.Scheme, error) {
	s := runtime.NewScheme()
	for _, add := range []func(*runtime.Scheme) error{clientgoscheme.AddToScheme, platformv1alpha1.AddToScheme, ack.AddToScheme} {
		if err := add(s); err != nil {
			return nil, fmt.Errorf("building the scheme: %w", err)
		}
	}
	return s, nil
}

// NewManager builds the controller manager with the DocuFlowStack reconciler.
func NewManager(cfg *rest.Config, o Options) (ctrl.Manager, error) {
	scheme, err := NewScheme()
	if err != nil {
		return nil, err
	}
	var tlsOpts []func(*tls.Config)
	if !o.EnableHTTP2 {
		tlsOpts = append(tlsOpts, func(c *tls.Config) { c.NextProtos = []string{"http/1.1"} })
	}
	metrics := metricsserver.Options{BindAddress: o.MetricsAddr, SecureServing: o.SecureMetrics, TLSOpts: tlsOpts}
	if o.SecureMetrics {
		metrics.FilterProvider = filters.WithAuthenticationAndAuthorization
	}
	if b := o.IAMPermissionsBoundary; b != "" && !iamPolicyARN.MatchString(b) {
		return nil, fmt.Errorf("--iam-permissions-boundary: %q is not the ARN of a managed IAM policy (arn:aws:iam::<account>:policy/<name>)", b)
	}
	if errs := validation.IsDNS1123Label(o.Shard); o.Shard != "" && len(errs) > 0 {
		return nil, fmt.Errorf("--shard: %q is not a shard name: %s (a shard name is a label value and part of the leader-election lease's name, so lowercase letters, digits and '-')", o.Shard, strings.Join(errs, "; "))
	}
	cacheOpts := controllers.CacheOptions(o.Shard)
	if nss := splitList(o.WatchNamespaces); len(nss) > 0 {
		cacheOpts.DefaultNamespaces = map[string]cache.Config{}
		for _, ns := range nss {
			if errs := validation.IsDNS1123Label(ns); len(errs) > 0 {
				return nil, fmt.Errorf("--watch-namespaces: %q is not a namespace name: %s", ns, strings.Join(errs, "; "))
			}
			cacheOpts.DefaultNamespaces[ns] = cache.Config{}
		}
	}
	mgr, err := ctrl.NewManager(cfg, ctrl.Options{
		Scheme:                        scheme,
		Metrics:                       metrics,
		HealthProbeBindAddress:        o.ProbeAddr,
		LeaderElection:                o.LeaderElect,
		LeaderElectionID:              LeaderElectionID(o.Shard),
		LeaderElectionReleaseOnCancel: true,
		Cache:                         cacheOpts,
	})
	if err != nil {
		return nil, fmt.Errorf("creating the manager: %w", err)
	}
	if err := (&controllers.DocuFlowStackReconciler{
		Client:                  mgr.GetClient(),
		Scheme:                  mgr.GetScheme(),
		Recorder:                mgr.GetEventRecorder("docuflow-operator"),
		DeletionProtectionGrace: o.DeletionProtectionGrace,
		InstallationID:          o.InstallationID,
		Platform:                desired.Platform{IAMPermissionsBoundary: o.IAMPermissionsBoundary},
		StatusProgressInterval:  o.StatusProgressInterval,
		Shard:                   o.Shard,
	}).SetupWithManager(mgr); err != nil {
		return nil, fmt.Errorf("setting up the DocuFlowStack controller: %w", err)
	}
	if err := mgr.AddHealthzCheck("healthz", healthz.Ping); err != nil {
		return nil, fmt.Errorf("adding the health check: %w", err)
	}
	if err := mgr.AddReadyzCheck("readyz", healthz.Ping); err != nil {
		return nil, fmt.Errorf("adding the readiness check: %w", err)
	}
	return mgr, nil
}

// LeaderElectionID is the name of the lease a shard's replicas elect their
// leader with: each shard has its own, so that every shard has a leader.
// The default shard keeps the name it had before sharding.
func LeaderElectionID(shard string) string {
	const id = "docuflow-operator.platform.docuflow.io"
	if shard == "" {
		return id
	}
	return id + "-" + shard
}

// splitList splits a comma-separated flag value, dropping empty entries.
func splitList(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}
