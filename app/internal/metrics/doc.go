// Package metrics exposes the API's Prometheus metrics from a registry of its
// own: request counts by route pattern and status code, a latency histogram,
// connection pool statistics and build information. A private registry keeps
// library-registered globals out of the API's metric surface.
package metrics
