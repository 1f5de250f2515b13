package auth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// Defaults for Options fields left zero.
const (
	// DefaultRefreshInterval is the shortest time between two fetches of the
	// issuer's keys, so tokens naming made-up keys cannot make the API hammer
	// the issuer.
	DefaultRefreshInterval = 30 * time.Second
	// DefaultMaxKeyAge is how long fetched keys are used before they are
	// fetched again; keys the issuer withdrew stop being accepted after it.
	DefaultMaxKeyAge = 15 * time.Minute
	// DefaultLeeway absorbs clock skew between the issuer and the API when
	// checking exp and nbf.
	DefaultLeeway = 30 * time.Second
	// fetchTimeout bounds one discovery or JWKS request.
	fetchTimeout = 5 * time.Second
)

// Errors Verify wraps, so callers can choose the HTTP status.
var (
	// ErrNotConfigured means no issuer is configured: nobody is let in.
	ErrNotConfigured = errors.New("authentication is not configured")
	// ErrInvalidToken means the token is malformed, wrongly signed, expired,
	// or meant for another issuer or audience.
	ErrInvalidToken = errors.New("invalid token")
	// ErrKeysUnavailable means the issuer's keys could not be fetched, so no
	// token can be checked right now; it is not the caller's fault.
	ErrKeysUnavailable = errors.New("the issuer's signing keys are unavailable")
)

// Algorithms are the only signature algorithms accepted; "none" and the HMAC
// family (where a public key could be misused as the secret) never are.
var Algorithms = []jose.SignatureAlgorithm{jose.RS256, jose.ES256}

// Identity is an authenticated caller.
type Identity struct {
	// Subject is the token's sub claim, the caller's stable identifier.
	Subject string
	// Admin reports that the token carries the configured admin group or scope.
	Admin bool
}

// Options configures a Verifier.
type Options struct {
	// Issuer is the issuer URL; empty makes every Verify fail with ErrNotConfigured.
	Issuer string
	// Audience must be one of the token's aud values.
	Audience string
	// AdminGroup, when set, is a groups value or scope word that makes the caller an admin.
	AdminGroup string
	// HTTPClient fetches discovery and keys; nil means a client with a 5 s timeout.
	HTTPClient *http.Client
	// RefreshInterval overrides DefaultRefreshInterval.
	RefreshInterval time.Duration
	// MaxKeyAge overrides DefaultMaxKeyAge.
	MaxKeyAge time.Duration
	// Leeway overrides DefaultLeeway.
	Leeway time.Duration
	// Now overrides time.Now, for tests.
	Now func() time.Time
}

// Verifier checks bearer tokens. It is safe for concurrent use.
type Verifier struct {
	opts Options
	keys *keyCache
}

// New returns a Verifier. It does not contact the issuer: keys are fetched on
// first use (or by Warm), so the API starts while the issuer is unreachable.
func New(opts Options) *Verifier {
	if opts.HTTPClient == nil {
		opts.HTTPClient = &http.Client{Timeout: fetchTimeout}
	}
	if opts.RefreshInterval == 0 {
		opts.RefreshInterval = DefaultRefreshInterval
	}
	if opts.MaxKeyAge == 0 {
		opts.MaxKeyAge = DefaultMaxKeyAge
	}
	if opts.Leeway == 0 {
		opts.Leeway = DefaultLeeway
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	v := &Verifier{opts: opts}
	v.keys = &keyCache{issuer: opts.Issuer, client: opts.HTTPClient, minInterval: opts.RefreshInterval, maxAge: opts.MaxKeyAge, now: opts.Now}
	return v
}

// Configured reports whether an issuer is set.
func (v *Verifier) Configured() bool { return v.opts.Issuer != "" }

// claims are the registered claims plus the two that carry authorisation.
type claims struct {
	jwt.Claims
	Groups json.RawMessage `json:"groups,omitempty"`
	Scope  string          `json:"scope,omitempty"`
}

// Verify checks raw, a compact JWS, and returns who it identifies.
func (v *Verifier) Verify(ctx context.Context, raw string) (Identity, error) {
	if !v.Configured() {
		return Identity{}, ErrNotConfigured
	}
	tok, err := jwt.ParseSigned(raw, Algorithms)
	if err != nil {
		return Identity{}, fmt.Errorf("%w: %w", ErrInvalidToken, err)
	}
	if len(tok.Headers) != 1 {
		return Identity{}, fmt.Errorf("%w: want exactly one signature", ErrInvalidToken)
	}
	hdr := tok.Headers[0]
	key, err := v.keys.lookup(ctx, hdr.KeyID, hdr.Algorithm)
	if err != nil {
		return Identity{}, err
	}
	var c claims
	if err := tok.Claims(key.Key, &c); err != nil {
		return Identity{}, fmt.Errorf("%w: %w", ErrInvalidToken, err)
	}
	// jwt.Claims.Validate skips exp and nbf when they are absent; a token
	// without an expiry would be valid forever.
	if c.Expiry == nil {
		return Identity{}, fmt.Errorf("%w: no exp claim", ErrInvalidToken)
	}
	if err := c.ValidateWithLeeway(jwt.Expected{
		Issuer:      v.opts.Issuer,
		AnyAudience: jwt.Audience{v.opts.Audience},
		Time:        v.opts.Now(),
	}, v.opts.Leeway); err != nil {
		return Identity{}, fmt.Errorf("%w: %w", ErrInvalidToken, err)
	}
	if strings.TrimSpace(c.Subject) == "" {
		return Identity{}, fmt.Errorf("%w: no sub claim", ErrInvalidToken)
	}
	return Identity{Subject: c.Subject, Admin: v.isAdmin(c)}, nil
}

func (v *Verifier) isAdmin(c claims) bool {
	g := v.opts.AdminGroup
	if g == "" {
		return false
	}
	if slices.Contains(strings.Fields(c.Scope), g) {
		return true
	}
	// Issuers send groups as a list, some as a single string.
	var list []string
	if json.Unmarshal(c.Groups, &list) == nil {
		return slices.Contains(list, g)
	}
	var one string
	return json.Unmarshal(c.Groups, &one) == nil && one == g
}

// Warm fetches the keys until it succeeds or ctx ends, backing off between
// attempts, so that the first requests need not wait for the issuer.
func (v *Verifier) Warm(ctx context.Context, onError func(error, time.Duration)) {
	if !v.Configured() {
		return
	}
	delay := time.Second
	for {
		err := v.keys.refresh(ctx, true)
		if err == nil || ctx.Err() != nil {
			return
		}
		if onError != nil {
			onError(err, delay)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(delay):
		}
		delay = min(2*delay, time.Minute)
	}
}
