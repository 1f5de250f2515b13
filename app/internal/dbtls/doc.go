// Package dbtls builds the TLS configuration for the PostgreSQL connection.
// It embeds the Amazon RDS global CA bundle so that verify-full works in a
// distroless image without a network fetch, and lets an operator-supplied file
// replace the bundle when AWS rotates its authorities.
package dbtls
