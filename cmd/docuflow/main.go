// Command docuflow is the DocuFlowStack operator: `docuflow manager` runs the
// controller manager in a cluster, `docuflow demo` runs it with a simulated
// ACK on an embedded control plane, for a first look without any cloud,
// `docuflow render` prints the ACK objects a stack becomes, and `docuflow
// trace` shows a stack and its children as a tree. Installed on PATH as
// kubectl-docuflow, it is also the kubectl plugin `kubectl docuflow`.
package main

import (
	"fmt"
	"os"
	"strings"
)

const usage = `NAME: the DocuFlowStack operator

Usage:
  NAME manager [flags]        run the controller manager against the current cluster
  NAME demo [flags]           run it with a simulated ACK on an embedded control plane (no cloud), with the sample stack
  NAME render -f FILE         print every ACK object the operator creates for a stack
  NAME trace [flags] STACK    show a stack and its ACK children as a tree; exit 3 when it is not Ready

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
	case "demo":
		err = runDemo(os.Args[2:], os.Stdout)
	case "render":
		err = runRender(os.Args[2:], os.Stdout, os.Stderr)
	case "trace":
		err = runTrace(os.Args[2:], os.Stdout, os.Stderr)
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
