// Package auth verifies OpenID Connect bearer tokens: RS256 or ES256 JWTs from
// one issuer, for one audience, signed by a key from the issuer's JWKS. Keys
// are fetched lazily through the discovery document, cached, and refetched
// when they age or when a token names an unknown key, at a bounded rate.
package auth
