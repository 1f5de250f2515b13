// Package bench measures the operator at scale on an embedded control plane:
// time to Ready, API requests by verb, steady-state writes, CPU and heap for
// N stacks created at once, with the simulated ACK in a process of its own.
// It holds benchmarks only, so a plain `go test ./...` starts nothing; run it
// with `make bench` and record the tables in docs/benchmarks.md.
package bench
