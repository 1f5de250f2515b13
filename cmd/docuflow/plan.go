package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/spf13/pflag"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	"github.com/docuflow/docuflow-operator/internal/cost"
	"github.com/docuflow/docuflow-operator/internal/desired"
	"github.com/docuflow/docuflow-operator/internal/operator"
	"github.com/docuflow/docuflow-operator/internal/plan"
	"github.com/docuflow/docuflow-operator/internal/validate"
)

// planExit is how a plan ends when it is not clean: 2 when it holds a
// replacement or a deletion of data (CI asks a person), 1 when the stack or
// a child cannot be applied.
type planExit struct {
	code int
	msg  string
}

func (e planExit) Error() string { return e.msg }

// planTimeout bounds the reads and dry runs of one plan.
const planTimeout = 60 * time.Second

// runPlan prints what applying a DocuFlowStack manifest would do, child by
// child: `docuflow plan -f FILE`. Against the current cluster (kubectl's
// connection flags, as trace takes them) it dry-runs the stack and every
// child the operator would write; with --offline, or when no cluster is
// configured, it plans against an empty cluster. Exit 0: a plan without
// replacement or deletion of data; 2: one with; 1: the stack cannot be
// applied, or planning failed.
func runPlan(args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := pflag.NewFlagSet("plan", pflag.ContinueOnError)
	fs.SetOutput(stderr)
	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	fs.StringVar(&rules.ExplicitPath, "kubeconfig", "", "Path to the kubeconfig (default: $KUBECONFIG, then ~/.kube/config).")
	overrides := &clientcmd.ConfigOverrides{}
	clientcmd.BindOverrideFlags(overrides, fs, clientcmd.RecommendedConfigOverrideFlags(""))
	file := fs.StringP("filename", "f", "", "The DocuFlowStack manifest to plan (- for standard input).")
	offline := fs.Bool("offline", false, "Plan against an empty cluster, without connecting to one (automatic when no cluster is configured).")
	output := fs.StringP("output", "o", "", "Output format: empty (text) or json.")
	fieldManager := fs.String("field-manager", "kubectl", "Field manager of the apply being planned, for the stack's own dry run: kubectl apply --server-side uses kubectl; Argo CD argocd-controller.")
	installationID := fs.String("installation-id", "", "The operator's --installation-id: it names the AWS resources of a stack the operator has not reconciled yet.")
	boundary := fs.String("iam-permissions-boundary", "", "The operator's --iam-permissions-boundary (default: as the stack's live roles carry it).")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: docuflow plan -f FILE [flags]\n\n"+
			"Prints what applying the DocuFlowStack in FILE would do, child by child: create,\n"+
			"update (field: old → new), replace or delete, with what each means in AWS, the\n"+
			"change of the monthly cost and a summary. Against the current cluster the stack\n"+
			"and every child the operator would write are applied in server-side dry runs (the\n"+
			"children as the operator applies them); --offline, or no cluster configured,\n"+
			"plans against an empty cluster.\n"+
			"Exit code: 0 for a plan without replacement or deletion of data, 2 for one with\n"+
			"(so CI can ask for approval), 1 when the stack cannot be applied or planning failed.\n"+
			"As a kubectl plugin: kubectl docuflow plan -f stack.yaml -n NAMESPACE.\n\nFlags:\n%s", fs.FlagUsages())
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			return nil
		}
		return err
	}
	if fs.NArg() != 0 {
		fs.Usage()
		return fmt.Errorf("unexpected arguments %q: the stack comes from -f", fs.Args())
	}
	if *file == "" {
		fs.Usage()
		return errors.New("-f is required: the DocuFlowStack manifest to plan")
	}
	if *output != "" && *output != "json" {
		return fmt.Errorf("-o must be json, not %q", *output)
	}
	data, err := readManifest(*file, stdin)
	if err != nil {
		return err
	}
	stack, err := validate.DocuFlowStack(data)
	if err != nil {
		return validate.Explain(*file, err)
	}
	manifest := &unstructured.Unstructured{}
	if err := yaml.Unmarshal(data, &manifest.Object); err != nil {
		return fmt.Errorf("%s: %w", *file, err)
	}

	scheme, err := operator.NewScheme()
	if err != nil {
		return err
	}
	opts := plan.Options{FieldManager: *fieldManager, InstallationID: *installationID, Scheme: scheme, Price: cost.Of}
	if fs.Changed("iam-permissions-boundary") {
		opts.Platform = &desired.Platform{IAMPermissionsBoundary: *boundary}
	}

	cc := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, overrides)
	ns, explicit := namespaceFlag(cc, overrides)
	if err := setNamespace(stack, manifest, ns, explicit); err != nil {
		return err
	}
	var p plan.Plan
	cfg, cfgErr := cc.ClientConfig()
	switch {
	case *offline || clientcmd.IsEmptyConfig(cfgErr):
		why := "--offline"
		if !*offline {
			why = "no cluster is configured (no kubeconfig, no $KUBECONFIG, not in a cluster)"
		}
		if p, err = plan.Offline(stack, opts); err != nil {
			return err
		}
		p.Against = "an empty cluster: " + why
	case cfgErr != nil:
		return fmt.Errorf("loading the kubeconfig: %w (--offline plans against an empty cluster)", cfgErr)
	default:
		c, err := client.New(cfg, client.Options{Scheme: scheme})
		if err != nil {
			return fmt.Errorf("connecting to the cluster: %w", err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), planTimeout)
		defer cancel()
		if p, err = plan.Against(ctx, c, manifest, stack, opts); err != nil {
			return err
		}
		p.Against = "the cluster at " + cfg.Host
		if raw, err := cc.RawConfig(); err == nil {
			if name := cmp.Or(overrides.CurrentContext, raw.CurrentContext); name != "" {
				p.Against += fmt.Sprintf(" (context %q)", name)
			}
		}
	}
	if *output == "json" {
		err = p.WriteJSON(stdout)
	} else {
		err = p.WriteText(stdout)
	}
	if err != nil {
		return err
	}
	switch p.ExitCode() {
	case plan.ExitRefused:
		if p.Refused != "" {
			return planExit{plan.ExitRefused, "the API server refuses the stack: it cannot be applied"}
		}
		return planExit{plan.ExitRefused, "the API server refuses a child the operator would write: the plan cannot be carried out"}
	case plan.ExitApproval:
		return planExit{plan.ExitApproval, "the plan replaces a resource or deletes data: ask for approval"}
	}
	return nil
}

// readManifest reads FILE, or standard input for "-".
func readManifest(file string, stdin io.Reader) ([]byte, error) {
	var data []byte
	var err error
	if file == "-" {
		data, err = io.ReadAll(stdin)
	} else {
		data, err = os.ReadFile(file)
	}
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", file, err)
	}
	return data, nil
}

// namespaceFlag is the namespace -n or the kubeconfig's context names, and
// whether it was given explicitly; "default" otherwise.
func namespaceFlag(cc clientcmd.ClientConfig, overrides *clientcmd.ConfigOverrides) (string, bool) {
	if ns := overrides.Context.Namespace; ns != "" {
		return ns, true
	}
	ns, _, err := cc.Namespace()
	if err != nil || ns == "" {
		return "default", false
	}
	return ns, false
}

// setNamespace puts the stack in the manifest's namespace, or the one of
// the flags; as kubectl, a manifest's namespace that -n contradicts is an
// error.
func setNamespace(stack interface{ SetNamespace(string) }, manifest *unstructured.Unstructured, ns string, explicit bool) error {
	if own := manifest.GetNamespace(); own != "" {
		if explicit && own != ns {
			return fmt.Errorf("the manifest's namespace %q does not match -n %q", own, ns)
		}
		ns = own
	}
	stack.SetNamespace(ns)
	manifest.SetNamespace(ns)
	return nil
}
