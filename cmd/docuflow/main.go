// Command docuflow is the DocuFlowStack operator, the image's binary:
// `docuflow manager` runs the controller manager in a cluster, `docuflow
// trace` shows a stack and its children as a tree and `docuflow plan` what
// applying a stack would do. Installed on PATH as kubectl-docuflow, it is
// also the kubectl plugin `kubectl docuflow`. It links no simulator, envtest
// or fake client (a test checks): the demo and render, which need the
// simulator, are cmd/docuflow-dev.
package main

import (
	"fmt"
	"os"
	"strings"
)

const usage = `NAME: the DocuFlowStack operator

Usage:
  NAME manager [flags]        run the controller manager against the current cluster
  NAME trace [flags] STACK    show a stack and its ACK children as a tree; exit 3 when it is not Ready
  NAME plan -f FILE [flags]   what applying a stack would do, child by child, in AWS's terms;
                              exit 2 when it replaces a resource or deletes data, 1 when refused

The demo (an embedded control plane, no cloud) and render are docuflow-dev:
make demo, or go run ./cmd/docuflow-dev demo|render.

Run 'NAME <command> -h' for a command's flags.
`

func main() {
	name := invokedAs(os.Args[0])
	help := strings.ReplaceAll(usage, "NAME", name)
	if len(os.Args) < 2 {
		fmt.Fprint(os.Stderr, help)
		os.Exit(2)
	}
	var err error
	switch os.Args[1] {
	case "manager":
		err = runManager(os.Args[2:])
	case "demo", "render":
		fmt.Fprintf(os.Stderr, "%s: %s is in docuflow-dev, which carries the simulator this binary does not: make demo, or go run ./cmd/docuflow-dev %s\n", name, os.Args[1], os.Args[1])
		os.Exit(2)
	case "trace":
		err = runTrace(os.Args[2:], os.Stdout, os.Stderr)
	case "plan":
		err = runPlan(os.Args[2:], os.Stdin, os.Stdout, os.Stderr)
	case "-h", "--help", "help":
		fmt.Print(help)
		return
	default:
		fmt.Fprintf(os.Stderr, "%s: unknown command %q\n\n%s", name, os.Args[1], help)
		os.Exit(2)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s %s: %v\n", name, os.Args[1], err)
		os.Exit(exitCode(err))
	}
}
