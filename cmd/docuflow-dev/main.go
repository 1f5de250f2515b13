// Command docuflow-dev runs the DocuFlowStack operator where no cloud is
// needed: `docuflow-dev demo` runs it on an embedded control plane with a
// simulated ACK (or, with --ack=real, the real ACK controllers over a local
// AWS), and `docuflow-dev render` prints the ACK objects a stack becomes (with
// --cost, its estimated monthly cost). It links the simulator and envtest, so
// it is a command of its own: the image's binary, cmd/docuflow, ships only the
// operator.
package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
)

const usage = `docuflow-dev: the DocuFlowStack operator without a cloud

Usage:
  docuflow-dev demo [flags]      run the operator with a simulated ACK on an embedded control plane (no cloud), with the sample stack
  docuflow-dev render -f FILE    print every ACK object the operator creates for a stack
  docuflow-dev render --cost -f FILE
                                 print the stack's estimated monthly cost instead: a table by item and
                                 family, the prices' date and source, and the assumptions

Run 'docuflow-dev <command> -h' for a command's flags.
`

func main() {
	if len(os.Args) < 2 {
		fmt.Fprint(os.Stderr, usage)
		os.Exit(2)
	}
	var err error
	switch os.Args[1] {
	case "demo":
		err = runDemo(os.Args[2:], os.Stdout)
	case "render":
		err = runRender(os.Args[2:], os.Stdout, os.Stderr)
	case "-h", "--help", "help":
		fmt.Print(usage)
		return
	default:
		fmt.Fprintf(os.Stderr, "docuflow-dev: unknown command %q\n\n%s", os.Args[1], usage)
		os.Exit(2)
	}
	switch {
	case err == nil:
	case errors.Is(err, flag.ErrHelp):
		os.Exit(0)
	default:
		fmt.Fprintf(os.Stderr, "docuflow-dev %s: %v\n", os.Args[1], err)
		os.Exit(1)
	}
}
