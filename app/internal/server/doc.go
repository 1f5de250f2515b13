// Package server is the API's HTTP side: routing with net/http patterns, the
// document handlers and their validation, liveness, readiness, the status page
// and metrics, plus Run, which owns the process lifetime from migrating the
// schema to draining on SIGTERM.
package server
