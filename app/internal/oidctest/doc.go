// Package oidctest runs a throwaway OpenID Connect issuer for tests: an
// httptest TLS server with a discovery document and a JWKS of keys generated
// in the test, and helpers that mint tokens, rotate keys and count fetches.
package oidctest
