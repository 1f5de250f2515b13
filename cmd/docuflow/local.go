package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/types"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
	"sigs.k8s.io/yaml"

	platformv1alpha1 "github.com/docuflow/docuflow-operator/api/v1alpha1"
	"github.com/docuflow/docuflow-operator/internal/controlplane"
)

// runLocal starts an embedded control plane, the operator and the sample stack,
// prints what the operator reports, and keeps running until interrupted (or
// exits once the stack has been observed, with --once).
func runLocal(args []string) error {
	fs := flag.NewFlagSet("local", flag.ExitOnError)
	sample := fs.String("f", "config/samples/platform_v1alpha1_docuflowstack.yaml", "DocuFlowStack manifest to apply.")
	once := fs.Bool("once", false, "Exit as soon as the operator has reported on the stack instead of running until interrupted.")
	zapOpts := zap.Options{}
	zapOpts.BindFlags(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	ctrl.SetLogger(zap.New(zap.UseFlagOptions(&zapOpts)))

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	fmt.Println("Starting an embedded Kubernetes control plane (kube-apiserver and etcd from bin/k8s); no AWS account is used.")
	env, cfg, err := controlplane.Start()
	if err != nil {
		return err
	}
	// The control plane's processes must not outlive us, whatever happens below.
	defer func() {
		if err := env.Stop(); err != nil {
			fmt.Fprintf(os.Stderr, "stopping the embedded control plane: %v\n", err)
		}
	}()

	root, err := controlplane.RepoRoot()
	if err != nil {
		return err
	}
	kubeconfig, err := writeKubeconfig(env, filepath.Join(root, ".demo"))
	if err != nil {
		return err
	}
	fmt.Printf("Control plane up. kubeconfig: %s\n", kubeconfig)

	mgr, err := newManager(cfg, managerOptions{metricsAddr: "0", probeAddr: "0"})
	if err != nil {
		return err
	}
	// The manager must be gone before the control plane stops, or kube-apiserver
	// waits for its watches to end; this defer runs before env.Stop's.
	mgrCtx, stopMgr := context.WithCancel(ctx)
	mgrDone := make(chan struct{})
	var mgrRunErr error
	go func() {
		mgrRunErr = mgr.Start(mgrCtx)
		close(mgrDone)
	}()
	defer func() {
		stopMgr()
		<-mgrDone
	}()

	stack, err := readStack(*sample)
	if err != nil {
		return err
	}
	if stack.Namespace == "" {
		stack.Namespace = "default"
	}
	// Read straight from the API server: the manager's cache may not have
	// seen the new stack yet.
	c := mgr.GetAPIReader()
	if err := mgr.GetClient().Create(ctx, stack); err != nil {
		return fmt.Errorf("applying %s: %w", *sample, err)
	}
	fmt.Printf("Applied DocuFlowStack %s/%s from %s\n", stack.Namespace, stack.Name, *sample)

	key := types.NamespacedName{Namespace: stack.Namespace, Name: stack.Name}
	if err := reportUntilObserved(ctx, c, key); err != nil {
		return err
	}
	if *once {
		return nil
	}
	fmt.Printf("Running until interrupted (Ctrl-C). Try: KUBECONFIG=%s kubectl get docuflowstacks -A\n", kubeconfig)
	select {
	case <-ctx.Done():
		fmt.Println("Interrupted; stopping the operator and the control plane.")
		return nil
	case <-mgrDone:
		return fmt.Errorf("the manager stopped unexpectedly: %w", mgrRunErr)
	}
}

func readStack(path string) (*platformv1alpha1.DocuFlowStack, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	stack := &platformv1alpha1.DocuFlowStack{}
	if err := yaml.UnmarshalStrict(b, stack); err != nil {
		return nil, fmt.Errorf("parsing %s: %w", path, err)
	}
	if stack.Kind != "DocuFlowStack" {
		return nil, fmt.Errorf("%s holds a %q, not a DocuFlowStack", path, stack.Kind)
	}
	return stack, nil
}

// writeKubeconfig writes an admin kubeconfig for the embedded cluster.
func writeKubeconfig(env *envtest.Environment, dir string) (string, error) {
	user, err := env.AddUser(envtest.User{Name: "docuflow-admin", Groups: []string{"system:masters"}}, nil)
	if err != nil {
		return "", fmt.Errorf("creating a user for the kubeconfig: %w", err)
	}
	b, err := user.KubeConfig()
	if err != nil {
		return "", fmt.Errorf("rendering the kubeconfig: %w", err)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", fmt.Errorf("creating %s: %w", dir, err)
	}
	path := filepath.Join(dir, "kubeconfig")
	if err := os.WriteFile(path, b, 0o600); err != nil {
		return "", fmt.Errorf("writing %s: %w", path, err)
	}
	return path, nil
}

// reportUntilObserved waits until the operator has written status for the
// stack's current generation and prints its conditions.
func reportUntilObserved(ctx context.Context, c client.Reader, key types.NamespacedName) error {
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	for {
		stack := &platformv1alpha1.DocuFlowStack{}
		if err := c.Get(ctx, key, stack); err != nil && !errors.Is(err, context.DeadlineExceeded) && !errors.Is(err, context.Canceled) {
			return fmt.Errorf("reading DocuFlowStack %s: %w", key, err)
		}
		if stack.Status.ObservedGeneration == stack.Generation && stack.Generation > 0 {
			fmt.Printf("DocuFlowStack %s, generation %d:\n", key, stack.Generation)
			for _, t := range []string{platformv1alpha1.ConditionReady, platformv1alpha1.ConditionReconciling, platformv1alpha1.ConditionStalled} {
				if cond := meta.FindStatusCondition(stack.Status.Conditions, t); cond != nil {
					fmt.Printf("  %-12s %-6s %-20s %s\n", cond.Type, cond.Status, cond.Reason, cond.Message)
				}
			}
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("the operator did not report on DocuFlowStack %s within a minute", key)
		case <-tick.C:
		}
	}
}
