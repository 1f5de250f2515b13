package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/docuflow/docuflow-operator/internal/cost"
	"github.com/docuflow/docuflow-operator/internal/render"
	"github.com/docuflow/docuflow-operator/internal/validate"
)

// runRender prints every ACK object the operator creates for a stack, as the
// API server would see the stack: validated and defaulted by the CRD's schema.
// With --cost it prints the stack's estimated monthly cost instead.
func runRender(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("render", flag.ContinueOnError)
	fs.SetOutput(stderr)
	file := fs.String("f", "", "DocuFlowStack manifest to render (- for standard input).")
	namespace := fs.String("n", "default", "Namespace of the stack when the manifest sets none.")
	costOnly := fs.Bool("cost", false, "Print the stack's estimated monthly cost (on-demand prices from internal/cost/prices.yaml, with the assumptions) instead of its objects.")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *file == "" {
		return errors.New("-f is required: the DocuFlowStack manifest to render")
	}
	var data []byte
	var err error
	if *file == "-" {
		data, err = io.ReadAll(os.Stdin)
	} else {
		data, err = os.ReadFile(*file)
	}
	if err != nil {
		return fmt.Errorf("reading %s: %w", *file, err)
	}
	stack, err := validate.DocuFlowStack(data)
	if err != nil {
		return validate.Explain(*file, err)
	}
	if stack.Namespace == "" {
		stack.Namespace = *namespace
	}
	if *costOnly {
		estimate, err := cost.Of(stack)
		if err != nil {
			return fmt.Errorf("estimating the cost of DocuFlowStack %s/%s: %w", stack.Namespace, stack.Name, err)
		}
		_, err = io.WriteString(stdout, estimate.Table())
		return err
	}
	objs, err := render.Stack(context.Background(), stack)
	if err != nil {
		return err
	}
	out, err := render.YAML(objs)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "# %d ACK objects for DocuFlowStack %s/%s; values only AWS knows come from the simulated ACK.\n", len(objs), stack.Namespace, stack.Name)
	_, err = stdout.Write(out)
	return err
}
