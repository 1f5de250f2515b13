// Command docuflow-api serves the DocuFlow document-metadata API. Run without
// arguments it serves HTTP until SIGTERM; "docuflow-api healthcheck" probes a
// running instance's liveness endpoint and exits 0 or 1, which is how the
// distroless image, lacking a shell and curl, runs its container health check.
package main
