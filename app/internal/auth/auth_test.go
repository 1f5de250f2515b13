package auth_test

import (
	"context"
	"crypto/x509"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/docuflow/docuflow-operator/app/internal/auth"
	"github.com/docuflow/docuflow-operator/app/internal/oidctest"
)

const audience = "docuflow-api"

func newVerifier(iss *oidctest.Issuer, opts ...func(*auth.Options)) *auth.Verifier {
	o := auth.Options{Issuer: iss.URL, Audience: audience, AdminGroup: "docuflow-admins", HTTPClient: iss.Client, RefreshInterval: 200 * time.Millisecond}
	for _, f := range opts {
		f(&o)
	}
	return auth.New(o)
}

func with(claims map[string]any, kv ...any) map[string]any {
	for i := 0; i < len(kv); i += 2 {
		if kv[i+1] == nil {
			delete(claims, kv[i].(string))
		} else {
			claims[kv[i].(string)] = kv[i+1]
		}
	}
	return claims
}

func TestTokensAreAcceptedOnlyWhenEverythingChecksOut(t *testing.T) {
	iss := oidctest.NewIssuer(t)
	other := oidctest.NewIssuer(t)
	v := newVerifier(iss)
	now := time.Now()
	unpublished := oidctest.NewKey(t, "key-1", jose.RS256) // same kid as the published key, another key
	stranger := oidctest.NewKey(t, "never-published", jose.RS256)
	pubDER, err := x509.MarshalPKIXPublicKey(iss.SigningKey().Private.Public())
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		token   string
		wantErr error
	}{
		{name: "a valid token is accepted", token: iss.Token(t, iss.Claims("alice", audience))},
		{name: "a token for two audiences including ours is accepted", token: iss.Token(t, with(iss.Claims("alice", audience), "aud", []string{"other", audience}))},
		{name: "a token for another audience is refused", token: iss.Token(t, iss.Claims("alice", "another-api")), wantErr: auth.ErrInvalidToken},
		{name: "a token without an audience is refused", token: iss.Token(t, with(iss.Claims("alice", audience), "aud", nil)), wantErr: auth.ErrInvalidToken},
		{name: "a token naming another issuer is refused", token: iss.Token(t, with(iss.Claims("alice", audience), "iss", other.URL)), wantErr: auth.ErrInvalidToken},
		{name: "a token from another issuer is refused", token: other.Token(t, other.Claims("alice", audience)), wantErr: auth.ErrInvalidToken},
		{name: "an expired token is refused", token: iss.Token(t, with(iss.Claims("alice", audience), "exp", now.Add(-2*time.Minute).Unix())), wantErr: auth.ErrInvalidToken},
		{name: "a token without exp is refused", token: iss.Token(t, with(iss.Claims("alice", audience), "exp", nil)), wantErr: auth.ErrInvalidToken},
		{name: "a token not valid yet is refused", token: iss.Token(t, with(iss.Claims("alice", audience), "nbf", now.Add(5*time.Minute).Unix())), wantErr: auth.ErrInvalidToken},
		{name: "a token without a subject is refused", token: iss.Token(t, with(iss.Claims("alice", audience), "sub", nil)), wantErr: auth.ErrInvalidToken},
		{name: "an alg none token is refused", token: oidctest.Unsigned(t, iss.Claims("alice", audience)), wantErr: auth.ErrInvalidToken},
		{name: "an RS384 token from the published key is refused", token: oidctest.Sign(t, oidctest.Key{ID: iss.SigningKey().ID, Alg: jose.RS384, Private: iss.SigningKey().Private}, iss.Claims("alice", audience)), wantErr: auth.ErrInvalidToken},
		{name: "an HS256 token keyed with the issuer's public key is refused", token: oidctest.HMACSigned(t, "key-1", pubDER, iss.Claims("alice", audience)), wantErr: auth.ErrInvalidToken},
		{name: "a token signed by an unpublished key under a published kid is refused", token: oidctest.Sign(t, unpublished, iss.Claims("alice", audience)), wantErr: auth.ErrInvalidToken},
		{name: "a token signed by an unknown key is refused", token: oidctest.Sign(t, stranger, iss.Claims("alice", audience)), wantErr: auth.ErrInvalidToken},
		{name: "a token with a tampered payload is refused", token: tamper(iss.Token(t, iss.Claims("alice", audience))), wantErr: auth.ErrInvalidToken},
		{name: "garbage is refused", token: "not.a.jwt", wantErr: auth.ErrInvalidToken},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id, err := v.Verify(context.Background(), tt.token)
			if tt.wantErr == nil {
				if err != nil || id.Subject != "alice" {
					t.Fatalf("Verify = %+v, %v; want alice", id, err)
				}
				return
			}
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("Verify = %+v, %v; want %v", id, err, tt.wantErr)
			}
		})
	}
}

// tamper swaps the payload for another one, keeping the signature.
func tamper(tok string) string {
	var dots []int
	for i, c := range tok {
		if c == '.' {
			dots = append(dots, i)
		}
	}
	return tok[:dots[0]] + ".eyJzdWIiOiJtYWxsb3J5In0" + tok[dots[1]:]
}

func TestES256TokensAreAccepted(t *testing.T) {
	iss := oidctest.NewIssuer(t)
	iss.Rotate(t, jose.ES256, true)
	id, err := newVerifier(iss).Verify(context.Background(), iss.Token(t, iss.Claims("bob", audience)))
	if err != nil || id.Subject != "bob" {
		t.Fatalf("Verify = %+v, %v", id, err)
	}
}

func TestTheAdminValueComesFromGroupsOrScope(t *testing.T) {
	iss := oidctest.NewIssuer(t)
	v := newVerifier(iss)
	tests := []struct {
		name  string
		extra []any
		admin bool
	}{
		{name: "no groups and no scope", admin: false},
		{name: "the admin group in a groups list", extra: []any{"groups", []string{"staff", "docuflow-admins"}}, admin: true},
		{name: "the admin group as a single groups string", extra: []any{"groups", "docuflow-admins"}, admin: true},
		{name: "other groups only", extra: []any{"groups", []string{"docuflow-admins-not"}}, admin: false},
		{name: "the admin value as one scope word", extra: []any{"scope", "openid docuflow-admins profile"}, admin: true},
		{name: "the admin value inside a longer scope word", extra: []any{"scope", "openid docuflow-admins:read"}, admin: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id, err := v.Verify(context.Background(), iss.Token(t, with(iss.Claims("carol", audience), tt.extra...)))
			if err != nil || id.Admin != tt.admin {
				t.Errorf("Verify = %+v, %v; want admin %v", id, err, tt.admin)
			}
		})
	}
	noAdmin := newVerifier(iss, func(o *auth.Options) { o.AdminGroup = "" })
	id, err := noAdmin.Verify(context.Background(), iss.Token(t, with(iss.Claims("carol", audience), "groups", []string{""})))
	if err != nil || id.Admin {
		t.Errorf("without an admin group configured: %+v, %v; want no admin", id, err)
	}
}

func TestKeysRotatedAtTheIssuerAreFetched(t *testing.T) {
	iss := oidctest.NewIssuer(t)
	v := newVerifier(iss)
	ctx := context.Background()
	if _, err := v.Verify(ctx, iss.Token(t, iss.Claims("alice", audience))); err != nil {
		t.Fatal(err)
	}
	old := iss.SigningKey()
	iss.Rotate(t, jose.RS256, true)
	time.Sleep(250 * time.Millisecond) // past the refresh interval
	if _, err := v.Verify(ctx, iss.Token(t, iss.Claims("alice", audience))); err != nil {
		t.Fatalf("a token signed with the new key: %v", err)
	}
	// The old key was withdrawn; the cache now holds only the new set.
	if _, err := v.Verify(ctx, oidctest.Sign(t, old, iss.Claims("alice", audience))); !errors.Is(err, auth.ErrInvalidToken) {
		t.Errorf("a token signed with the retired key: %v, want refused", err)
	}
}

func TestUnknownKeysTriggerAtMostOneFetchPerInterval(t *testing.T) {
	iss := oidctest.NewIssuer(t)
	v := newVerifier(iss, func(o *auth.Options) { o.RefreshInterval = time.Hour })
	ctx := context.Background()
	if _, err := v.Verify(ctx, iss.Token(t, iss.Claims("alice", audience))); err != nil {
		t.Fatal(err)
	}
	before := iss.JWKSFetches()
	var wg sync.WaitGroup
	for i := range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			k := oidctest.NewKey(t, "made-up-"+string(rune('a'+i%26)), jose.ES256)
			if _, err := v.Verify(ctx, oidctest.Sign(t, k, iss.Claims("mallory", audience))); !errors.Is(err, auth.ErrInvalidToken) {
				t.Errorf("made-up key: %v", err)
			}
		}()
	}
	wg.Wait()
	if n := iss.JWKSFetches() - before; n > 1 {
		t.Errorf("50 tokens with made-up keys caused %d key fetches, want at most 1", n)
	}
	if _, err := v.Verify(ctx, iss.Token(t, iss.Claims("alice", audience))); err != nil {
		t.Errorf("a valid token after the flood: %v", err)
	}
}

func TestAnUnreachableIssuerIsRetriedLater(t *testing.T) {
	iss := oidctest.NewIssuer(t)
	iss.SetDown(true)
	v := newVerifier(iss)
	ctx := context.Background()
	tok := iss.Token(t, iss.Claims("alice", audience))
	if _, err := v.Verify(ctx, tok); !errors.Is(err, auth.ErrKeysUnavailable) {
		t.Fatalf("with the issuer down: %v, want %v", err, auth.ErrKeysUnavailable)
	}
	iss.SetDown(false)
	time.Sleep(250 * time.Millisecond)
	if _, err := v.Verify(ctx, tok); err != nil {
		t.Fatalf("once the issuer is back: %v", err)
	}
	// Keys already fetched keep working while the issuer is down again.
	iss.SetDown(true)
	time.Sleep(250 * time.Millisecond)
	if _, err := v.Verify(ctx, tok); err != nil {
		t.Errorf("with cached keys and the issuer down: %v", err)
	}
}

func TestWarmFetchesInTheBackgroundUntilItSucceeds(t *testing.T) {
	iss := oidctest.NewIssuer(t)
	iss.SetDown(true)
	v := newVerifier(iss, func(o *auth.Options) { o.RefreshInterval = time.Hour })
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	failures := make(chan error, 10)
	done := make(chan struct{})
	go func() {
		defer close(done)
		v.Warm(ctx, func(err error, _ time.Duration) {
			select {
			case failures <- err:
			default:
			}
		})
	}()
	<-failures
	iss.SetDown(false)
	<-done
	if ctx.Err() != nil {
		t.Fatal("Warm did not succeed once the issuer was back")
	}
	if _, err := v.Verify(ctx, iss.Token(t, iss.Claims("alice", audience))); err != nil {
		t.Errorf("after Warm, with the refresh interval not passed: %v", err)
	}
}

func TestWithoutAnIssuerNothingIsAccepted(t *testing.T) {
	iss := oidctest.NewIssuer(t)
	v := auth.New(auth.Options{})
	if _, err := v.Verify(context.Background(), iss.Token(t, iss.Claims("alice", audience))); !errors.Is(err, auth.ErrNotConfigured) {
		t.Errorf("Verify = %v, want %v", err, auth.ErrNotConfigured)
	}
}

func TestADiscoveryDocumentForAnotherIssuerIsRefused(t *testing.T) {
	iss := oidctest.NewIssuer(t)
	// The same server under another name: the document names iss.URL.
	v := auth.New(auth.Options{Issuer: iss.URL + "/", Audience: audience, HTTPClient: iss.Client})
	if _, err := v.Verify(context.Background(), iss.Token(t, with(iss.Claims("alice", audience), "iss", iss.URL+"/"))); !errors.Is(err, auth.ErrKeysUnavailable) {
		t.Errorf("Verify = %v, want %v", err, auth.ErrKeysUnavailable)
	}
}
