// Package contract is the single place that names what the DocuFlow API binary
// expects from the ECS task that runs it: environment variables, secret keys,
// ports, paths and the user it runs as. The operator builds its task definition
// from these identifiers and the binary's configuration loader reads exactly
// these names, so a rename here breaks both sides' tests instead of production.
package contract
