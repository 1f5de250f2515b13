// Package refs knows ACK's reference fields: where the *Ref and *Refs fields
// sit in a mirrored spec, at any depth, which kind and field each resolves
// to, and which literal value field each replaces. The simulated ACK resolves
// references with it, and the builders derive a child's dependencies from it.
package refs
