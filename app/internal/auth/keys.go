package auth

import (
	"context"
	"crypto/ecdsa"
	"crypto/rsa"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/go-jose/go-jose/v4"
)

// maxDocumentBytes caps discovery and JWKS responses.
const maxDocumentBytes = 1 << 20

// keyCache holds the issuer's public signing keys. Lookups of known keys
// never wait for the network; fetches happen one at a time, at most once per
// minInterval, except that a failed first fetch may be retried as often.
type keyCache struct {
	issuer      string
	client      *http.Client
	minInterval time.Duration
	maxAge      time.Duration
	now         func() time.Time

	fetchMu sync.Mutex // held for the whole of one fetch

	mu          sync.Mutex
	keys        []jose.JSONWebKey
	fetchedAt   time.Time // zero until a fetch succeeded
	lastAttempt time.Time
	jwksURI     string
}

func (c *keyCache) find(kid string, alg string) (*jose.JSONWebKey, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	var match *jose.JSONWebKey
	for i := range c.keys {
		k := &c.keys[i]
		if k.Algorithm != "" && k.Algorithm != alg {
			continue
		}
		if kid != "" && k.KeyID == kid {
			return k, true
		}
		if kid == "" {
			if match != nil {
				// Several candidates and no kid: refuse rather than guess.
				return nil, false
			}
			match = k
		}
	}
	return match, match != nil
}

func (c *keyCache) state() (fetched, lastAttempt time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.fetchedAt, c.lastAttempt
}

// lookup returns the key for kid, fetching the key set when it is missing,
// too old, or lacks kid, as far as the rate limit allows.
func (c *keyCache) lookup(ctx context.Context, kid, alg string) (*jose.JSONWebKey, error) {
	fetched, _ := c.state()
	stale := !fetched.IsZero() && c.now().Sub(fetched) > c.maxAge
	if k, ok := c.find(kid, alg); ok && !stale {
		return k, nil
	}
	err := c.refresh(ctx, false)
	if k, ok := c.find(kid, alg); ok {
		// Possibly from before a failed refresh: an old key beats no answer.
		return k, nil
	}
	if fetched, _ := c.state(); fetched.IsZero() {
		if err == nil {
			err = fmt.Errorf("no fetch allowed yet")
		}
		return nil, fmt.Errorf("%w: %w", ErrKeysUnavailable, err)
	}
	return nil, fmt.Errorf("%w: no signing key %q for %s", ErrInvalidToken, kid, alg)
}

// refresh fetches the key set unless another fetch happened within
// minInterval; force skips that check (Warm's own back-off paces it).
func (c *keyCache) refresh(ctx context.Context, force bool) error {
	c.fetchMu.Lock()
	defer c.fetchMu.Unlock()
	_, last := c.state()
	if !force && !last.IsZero() && c.now().Sub(last) < c.minInterval {
		return nil
	}
	c.mu.Lock()
	c.lastAttempt = c.now()
	jwksURI := c.jwksURI
	c.mu.Unlock()

	ctx, cancel := context.WithTimeout(ctx, fetchTimeout)
	defer cancel()
	if jwksURI == "" {
		var err error
		if jwksURI, err = c.discover(ctx); err != nil {
			return err
		}
	}
	keys, err := c.fetchKeys(ctx, jwksURI)
	c.mu.Lock()
	defer c.mu.Unlock()
	if err != nil {
		// Rediscover next time: the issuer may have moved its keys.
		c.jwksURI = ""
		return err
	}
	c.jwksURI, c.keys, c.fetchedAt = jwksURI, keys, c.now()
	return nil
}

func (c *keyCache) getJSON(ctx context.Context, u string, v any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Accept", "application/json")
	resp, err := c.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", u, resp.Status)
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, maxDocumentBytes)).Decode(v); err != nil {
		return fmt.Errorf("decoding %s: %w", u, err)
	}
	return nil
}

func (c *keyCache) discover(ctx context.Context) (string, error) {
	u := strings.TrimSuffix(c.issuer, "/") + "/.well-known/openid-configuration"
	var doc struct {
		Issuer  string `json:"issuer"`
		JWKSURI string `json:"jwks_uri"`
	}
	if err := c.getJSON(ctx, u, &doc); err != nil {
		return "", fmt.Errorf("fetching the discovery document: %w", err)
	}
	// OpenID Connect Discovery 1.0 section 4.3: the document must name the
	// issuer it was fetched for, or it is not that issuer's.
	if doc.Issuer != c.issuer {
		return "", fmt.Errorf("the discovery document names issuer %q, want %q", doc.Issuer, c.issuer)
	}
	if p, err := url.Parse(doc.JWKSURI); err != nil || p.Scheme != "https" || p.Host == "" {
		return "", fmt.Errorf("the discovery document's jwks_uri %q is not an https URL", doc.JWKSURI)
	}
	return doc.JWKSURI, nil
}

func (c *keyCache) fetchKeys(ctx context.Context, u string) ([]jose.JSONWebKey, error) {
	var set struct {
		Keys []json.RawMessage `json:"keys"`
	}
	if err := c.getJSON(ctx, u, &set); err != nil {
		return nil, fmt.Errorf("fetching the signing keys: %w", err)
	}
	var keys []jose.JSONWebKey
	for _, raw := range set.Keys {
		var k jose.JSONWebKey
		// A key of a type this API does not use must not spoil the others.
		if err := k.UnmarshalJSON(raw); err != nil || !k.Valid() || (k.Use != "" && k.Use != "sig") {
			continue
		}
		switch k.Key.(type) {
		case *rsa.PublicKey, *ecdsa.PublicKey:
			keys = append(keys, k)
		}
	}
	if len(keys) == 0 {
		return nil, fmt.Errorf("%s holds no RSA or EC signing key", u)
	}
	return keys, nil
}
