package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/spf13/pflag"
	"golang.org/x/term"
	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/controller-runtime/pkg/client"

	platformv1alpha1 "github.com/docuflow/docuflow-operator/api/v1alpha1"
	"github.com/docuflow/docuflow-operator/internal/ack"
	"github.com/docuflow/docuflow-operator/internal/trace"
)

// exitNotReady is trace's exit code when the stack is not Ready, so CI can
// tell "not Ready" (3) from "could not ask" (1) and a usage error (2).
const exitNotReady = 3

// errNotReady is returned by runTrace when the tree was printed and the
// stack is not Ready for its current generation.
type errNotReady struct{ reason string }

func (e errNotReady) Error() string { return "the stack is not Ready: " + e.reason }

// runTrace prints a stack's tree: `docuflow trace [flags] STACK`. Its flags
// are kubectl's (--kubeconfig, --context, -n/--namespace, --as, --token,
// --request-timeout, ... bound by client-go's clientcmd), in kubectl's forms
// (-n team-a, -nteam-a, -ojson), before or after the name, as kubectl hands
// them to the plugin.
func runTrace(args []string, stdout, stderr io.Writer) error {
	fs := pflag.NewFlagSet("trace", pflag.ContinueOnError)
	fs.SetOutput(stderr)
	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	fs.StringVar(&rules.ExplicitPath, "kubeconfig", "", "Path to the kubeconfig (default: $KUBECONFIG, then ~/.kube/config).")
	overrides := &clientcmd.ConfigOverrides{}
	clientcmd.BindOverrideFlags(overrides, fs, clientcmd.RecommendedConfigOverrideFlags(""))
	output := fs.StringP("output", "o", "", "Output format: empty (a tree), wide (adds ARNs and dependencies) or json.")
	colorMode := fs.String("color", "auto", "Colour the states: auto (on a terminal, unless NO_COLOR is set), always or never.")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: docuflow trace [flags] STACK\n\n"+
			"Prints the DocuFlowStack STACK and its ACK children as a tree in dependency order:\n"+
			"per child ACK's Synced condition, the operator's verdict (the blocking reason or\n"+
			"the Terminal message), age and AWS ID or ARN. Exits 0 when the stack is Ready\n"+
			"for its current generation, 3 when it is not, 1 when it cannot be read.\n"+
			"As a kubectl plugin: kubectl docuflow trace STACK -n NAMESPACE.\n\nFlags:\n%s", fs.FlagUsages())
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			return nil
		}
		return usageError{err}
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return usageError{fmt.Errorf("want exactly one stack name, got %d", fs.NArg())}
	}
	name := fs.Arg(0)
	switch *output {
	case "", "wide", "json":
	default:
		return usageError{fmt.Errorf("-o must be wide or json, not %q", *output)}
	}
	color, err := useColor(*colorMode, stdout)
	if err != nil {
		return usageError{err}
	}

	cc := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, overrides)
	cfg, err := cc.ClientConfig()
	if err != nil {
		return fmt.Errorf("loading the kubeconfig: %w", err)
	}
	ns, _, err := cc.Namespace()
	if err != nil {
		return fmt.Errorf("reading the namespace: %w", err)
	}
	scheme := runtime.NewScheme()
	for _, add := range []func(*runtime.Scheme) error{clientgoscheme.AddToScheme, platformv1alpha1.AddToScheme, ack.AddToScheme} {
		if err := add(scheme); err != nil {
			return err
		}
	}
	c, err := client.New(cfg, client.Options{Scheme: scheme})
	if err != nil {
		return fmt.Errorf("connecting to the cluster: %w", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	snap, err := trace.Read(ctx, c, ns, name)
	if err != nil {
		return err
	}
	t := trace.New(snap, time.Now())
	if *output == "json" {
		err = t.WriteJSON(stdout)
	} else {
		err = t.WriteText(stdout, trace.Options{Wide: *output == "wide", Color: color})
	}
	if err != nil {
		return err
	}
	if len(t.MissingCRDs) > 0 {
		fmt.Fprintf(stderr, "warning: the cluster has no CRD for %s: install the ACK controllers that serve them.\n", strings.Join(t.MissingCRDs, ", "))
	}
	if t.RenderError != "" {
		fmt.Fprintf(stderr, "warning: the stack's spec cannot be rendered: %s\n", t.RenderError)
	}
	if !t.Ready() {
		return errNotReady{reason: t.Stack.Reason}
	}
	return nil
}

// usageError is a mistake in the command line (exit code 2).
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

// useColor decides whether to colour: auto colours a terminal unless
// NO_COLOR is set (https://no-color.org).
func useColor(mode string, out io.Writer) (bool, error) {
	switch mode {
	case "always":
		return true, nil
	case "never":
		return false, nil
	case "auto":
		if os.Getenv("NO_COLOR") != "" {
			return false, nil
		}
		f, ok := out.(*os.File)
		return ok && term.IsTerminal(int(f.Fd())), nil
	}
	return false, fmt.Errorf("--color must be auto, always or never, not %q", mode)
}

// exitCode is the process's exit code for a command's error.
func exitCode(err error) int {
	var nr errNotReady
	var ue usageError
	var pe planExit
	switch {
	case err == nil:
		return 0
	case errors.As(err, &pe):
		return pe.code
	case errors.As(err, &nr):
		return exitNotReady
	case errors.As(err, &ue):
		return 2
	}
	return 1
}

// invokedAs is how the binary was called: "kubectl docuflow" when kubectl
// runs it as the plugin kubectl-docuflow, else "docuflow".
func invokedAs(arg0 string) string {
	base := arg0[strings.LastIndexAny(arg0, `/\`)+1:]
	if strings.HasPrefix(base, "kubectl-docuflow") {
		return "kubectl docuflow"
	}
	return "docuflow"
}
