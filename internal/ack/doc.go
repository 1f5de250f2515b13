// Package ack gathers the typed mirrors of the ACK kinds a DocuFlow stack emits:
// one scheme that knows all of them and the list of kinds, so watches,
// conformance tests and the simulated ACK never miss one. The mirrors live in
// one package per ACK service, with the shared status block in package core.
package ack
