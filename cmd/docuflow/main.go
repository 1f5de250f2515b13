// Command docuflow is the DocuFlowStack operator: `docuflow manager` runs the
// controller manager in a cluster, `docuflow demo` runs it with a simulated
// ACK on an embedded control plane, for a first look without any cloud, and
// `docuflow render` prints the ACK objects a stack becomes.
package main

import (
	"fmt"
	"os"
)

const usage = `docuflow: the DocuFlowStack operator

Usage:
  docuflow manager [flags]   run the controller manager against the current cluster
  docuflow demo [flags]      run it with a simulated ACK on an embedded control plane (no cloud), with the sample stack
  docuflow render -f FILE    print every ACK object the operator creates for a stack

Run 'docuflow <command> -h' for a command's flags.
`

func main() {
	if len(os.Args) < 2 {
		fmt.Fprint(os.Stderr, usage)
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
	case "-h", "--help", "help":
		fmt.Print(usage)
		return
	default:
		fmt.Fprintf(os.Stderr, "docuflow: unknown command %q\n\n%s", os.Args[1], usage)
		os.Exit(2)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "docuflow %s: %v\n", os.Args[1], err)
		os.Exit(1)
	}
}
