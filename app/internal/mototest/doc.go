// Package mototest runs moto_server, a local AWS, for tests that need Secrets
// Manager, and points the AWS SDK's default configuration at it through the
// standard AWS_ENDPOINT_URL_SECRETS_MANAGER variable.
package mototest
