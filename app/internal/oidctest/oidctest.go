package oidctest

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
)

// Key is a signing key, published or not.
type Key struct {
	// ID is the kid.
	ID string
	// Alg is RS256 or ES256.
	Alg jose.SignatureAlgorithm
	// Private signs tokens.
	Private crypto.Signer
}

// NewKey generates a key for alg (RS256 or ES256).
func NewKey(t testing.TB, id string, alg jose.SignatureAlgorithm) Key {
	t.Helper()
	var priv crypto.Signer
	var err error
	switch alg {
	case jose.RS256:
		priv, err = rsa.GenerateKey(rand.Reader, 2048)
	case jose.ES256:
		priv, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	default:
		t.Fatalf("oidctest: unsupported algorithm %s", alg)
	}
	if err != nil {
		t.Fatal(err)
	}
	return Key{ID: id, Alg: alg, Private: priv}
}

// Issuer is a running test issuer. Its zero key set is one RS256 key.
type Issuer struct {
	// URL is the issuer URL, the iss of its tokens.
	URL string
	// Client trusts the issuer's TLS certificate.
	Client *http.Client

	server      *httptest.Server
	mu          sync.Mutex
	published   []Key
	signing     Key
	down        bool
	jwksFetches atomic.Int64
	seq         atomic.Int64
}

// NewIssuer starts an issuer with one published RS256 key and stops it when t ends.
func NewIssuer(t testing.TB) *Issuer {
	t.Helper()
	i := &Issuer{}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/openid-configuration", func(w http.ResponseWriter, _ *http.Request) {
		if i.isDown(w) {
			return
		}
		writeJSON(w, map[string]any{
			"issuer":                                i.URL,
			"jwks_uri":                              i.URL + "/keys",
			"id_token_signing_alg_values_supported": []string{"RS256", "ES256"},
		})
	})
	mux.HandleFunc("GET /keys", func(w http.ResponseWriter, _ *http.Request) {
		if i.isDown(w) {
			return
		}
		i.jwksFetches.Add(1)
		i.mu.Lock()
		set := jose.JSONWebKeySet{}
		for _, k := range i.published {
			set.Keys = append(set.Keys, jose.JSONWebKey{Key: k.Private.Public(), KeyID: k.ID, Algorithm: string(k.Alg), Use: "sig"})
		}
		i.mu.Unlock()
		writeJSON(w, set)
	})
	i.server = httptest.NewTLSServer(mux)
	t.Cleanup(i.server.Close)
	i.URL = i.server.URL
	i.Client = i.server.Client()
	i.Client.Timeout = 5 * time.Second
	k := NewKey(t, i.nextID(), jose.RS256)
	i.published, i.signing = []Key{k}, k
	return i
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

func (i *Issuer) isDown(w http.ResponseWriter) bool {
	i.mu.Lock()
	defer i.mu.Unlock()
	if i.down {
		http.Error(w, "down for maintenance", http.StatusServiceUnavailable)
	}
	return i.down
}

func (i *Issuer) nextID() string { return fmt.Sprintf("key-%d", i.seq.Add(1)) }

// SetDown makes the issuer answer 503 to everything while down is true.
func (i *Issuer) SetDown(down bool) {
	i.mu.Lock()
	defer i.mu.Unlock()
	i.down = down
}

// JWKSFetches counts the key set requests served.
func (i *Issuer) JWKSFetches() int64 { return i.jwksFetches.Load() }

// Rotate publishes a new key of alg, signs from now on with it and, when
// retire is true, withdraws every older key. It returns the new key.
func (i *Issuer) Rotate(t testing.TB, alg jose.SignatureAlgorithm, retire bool) Key {
	t.Helper()
	k := NewKey(t, i.nextID(), alg)
	i.mu.Lock()
	defer i.mu.Unlock()
	if retire {
		i.published = nil
	}
	i.published = append(i.published, k)
	i.signing = k
	return k
}

// Claims returns valid claims for sub and audience: issued now, valid for
// five minutes.
func (i *Issuer) Claims(sub, audience string) map[string]any {
	now := time.Now()
	return map[string]any{
		"iss": i.URL, "sub": sub, "aud": audience,
		"iat": now.Unix(), "nbf": now.Add(-time.Minute).Unix(), "exp": now.Add(5 * time.Minute).Unix(),
	}
}

// Token signs claims with the issuer's current key.
func (i *Issuer) Token(t testing.TB, claims map[string]any) string {
	t.Helper()
	i.mu.Lock()
	k := i.signing
	i.mu.Unlock()
	return Sign(t, k, claims)
}

// Sign signs claims with k, naming k.ID as the kid.
func Sign(t testing.TB, k Key, claims map[string]any) string {
	t.Helper()
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: k.Alg, Key: jose.JSONWebKey{Key: k.Private, KeyID: k.ID}},
		(&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		t.Fatal(err)
	}
	payload, err := json.Marshal(claims)
	if err != nil {
		t.Fatal(err)
	}
	jws, err := signer.Sign(payload)
	if err != nil {
		t.Fatal(err)
	}
	s, err := jws.CompactSerialize()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// Unsigned returns an "alg: none" token carrying claims.
func Unsigned(t testing.TB, claims map[string]any) string {
	t.Helper()
	payload, err := json.Marshal(claims)
	if err != nil {
		t.Fatal(err)
	}
	enc := base64.RawURLEncoding.EncodeToString
	return enc([]byte(`{"alg":"none","typ":"JWT"}`)) + "." + enc(payload) + "."
}

// HMACSigned returns an HS256 token signed with secret, such as the bytes of
// a public key in the classic algorithm-confusion attack.
func HMACSigned(t testing.TB, kid string, secret []byte, claims map[string]any) string {
	t.Helper()
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.HS256, Key: jose.JSONWebKey{Key: secret, KeyID: kid}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	payload, _ := json.Marshal(claims)
	jws, err := signer.Sign(payload)
	if err != nil {
		t.Fatal(err)
	}
	s, err := jws.CompactSerialize()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// SigningKey returns the key the issuer currently signs with.
func (i *Issuer) SigningKey() Key {
	i.mu.Lock()
	defer i.mu.Unlock()
	return i.signing
}
