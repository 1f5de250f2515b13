// Package desired renders a DocuFlowStack into the ACK objects it needs: pure
// functions from the stack and a snapshot of values only AWS knows (IDs and
// ARNs observed on children) to a list of objects in dependency order. It has
// no client, no context, no clock and no randomness, so the same input always
// renders the same output.
package desired
