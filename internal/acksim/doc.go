// Package acksim is a simulated ACK: one controller per mirrored ACK kind that
// adds ACK's finalizer, resolves *Ref fields like the ACK runtime, fills status
// with deterministic, real-format IDs and ARNs and sets ACK's conditions,
// without calling any AWS API. Tests and the local demo use it in place of the
// ACK controllers, with thread-safe fault injection (delays, Terminal and
// Recoverable errors, resources that never sync) and a record of what deletion
// retained or deleted.
package acksim
