//go:build conformance

// Package conformance proves the project's typed ACK mirrors against the real
// upstream ACK CRDs: every mirrored field exists upstream with the same type,
// and a fully populated object of every kind passes the API server's strict
// validation. It runs only through `make conformance ACK_CRDS_DIR=<dir>`.
package conformance
