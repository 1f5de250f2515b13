// Package cost estimates what a DocuFlowStack costs a month in AWS, at
// on-demand prices, from a price table kept in the repository (prices.yaml,
// per region, with its source and date). Quantities follow what the builders
// in internal/desired render for the stack; usage no field states (log volume,
// load balancer capacity units) is an assumption the estimate spells out. It
// is pure: no client, no clock.
package cost
