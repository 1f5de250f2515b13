package server

import (
	"context"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/jackc/pgx/v5"

	"github.com/docuflow/docuflow-operator/app/internal/oidctest"
	"github.com/docuflow/docuflow-operator/app/internal/store"
)

// apiRoutes are every documents route plus /api/ paths and methods the mux
// does not know: all of them must refuse anonymous callers alike.
var apiRoutes = []struct{ method, path string }{
	{http.MethodPost, "/api/v1/documents"},
	{http.MethodGet, "/api/v1/documents"},
	{http.MethodGet, "/api/v1/documents/00000000-0000-4000-8000-000000000000"},
	{http.MethodDelete, "/api/v1/documents/00000000-0000-4000-8000-000000000000"},
	{http.MethodPut, "/api/v1/documents"},
	{http.MethodGet, "/api/v1/folders"},
	{http.MethodGet, "/api"},
}

func TestEveryAPIRouteRefusesCallersWithoutAValidToken(t *testing.T) {
	a := startApp(t, pg.NewDatabase(t))
	a.waitReady(t)
	iss := a.issuer
	other := oidctest.NewIssuer(t)
	now := time.Now()
	claims := func(kv ...any) map[string]any {
		c := iss.Claims("alice", testAudience)
		for i := 0; i < len(kv); i += 2 {
			c[kv[i].(string)] = kv[i+1]
		}
		return c
	}
	pubDER, err := x509.MarshalPKIXPublicKey(iss.SigningKey().Private.Public())
	if err != nil {
		t.Fatal(err)
	}
	tokens := []struct {
		name   string
		header string
	}{
		{name: "no Authorization header", header: ""},
		{name: "a Basic Authorization header", header: "Basic YWxpY2U6c2VjcmV0"},
		{name: "Bearer without a token", header: "Bearer "},
		{name: "a token for another audience", header: "Bearer " + iss.Token(t, claims("aud", "another-api"))},
		{name: "a token naming another issuer", header: "Bearer " + iss.Token(t, claims("iss", other.URL))},
		{name: "a token from another issuer", header: "Bearer " + other.Token(t, other.Claims("alice", testAudience))},
		{name: "an expired token", header: "Bearer " + iss.Token(t, claims("exp", now.Add(-time.Hour).Unix()))},
		{name: "a token not valid yet", header: "Bearer " + iss.Token(t, claims("nbf", now.Add(time.Hour).Unix()))},
		{name: "an alg none token", header: "Bearer " + oidctest.Unsigned(t, claims())},
		{name: "an HS256 token keyed with the issuer's public key", header: "Bearer " + oidctest.HMACSigned(t, iss.SigningKey().ID, pubDER, claims())},
		{name: "a token signed by an unknown key", header: "Bearer " + oidctest.Sign(t, oidctest.NewKey(t, "stranger", jose.ES256), claims())},
	}
	for _, tok := range tokens {
		for _, rt := range apiRoutes {
			t.Run(tok.name+" on "+rt.method+" "+rt.path, func(t *testing.T) {
				req, _ := http.NewRequest(rt.method, a.url+rt.path, strings.NewReader(`{}`))
				req.Header.Set("Content-Type", "application/json")
				if tok.header != "" {
					req.Header.Set("Authorization", tok.header)
				}
				resp, err := client.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				defer resp.Body.Close()
				var e errorBody
				if err := json.NewDecoder(resp.Body).Decode(&e); err != nil {
					t.Fatalf("status %d with a body that is not JSON: %v", resp.StatusCode, err)
				}
				if resp.StatusCode != http.StatusUnauthorized || e.Error == "" {
					t.Errorf("status %d %+v, want 401 with an error", resp.StatusCode, e)
				}
				if !strings.HasPrefix(resp.Header.Get("WWW-Authenticate"), "Bearer") {
					t.Errorf("WWW-Authenticate = %q, want a Bearer challenge", resp.Header.Get("WWW-Authenticate"))
				}
			})
		}
	}
	for _, path := range []string{"/healthz", "/readyz", "/"} {
		if code, _ := a.doAs(t, "", http.MethodGet, path, "", nil); code.StatusCode != http.StatusOK {
			t.Errorf("GET %s without a token: %d, want 200", path, code.StatusCode)
		}
	}
	if resp, body := a.do(t, http.MethodGet, "/api/v1/documents", "", nil); resp.StatusCode != http.StatusOK {
		t.Errorf("GET /api/v1/documents with a valid token: %d %s", resp.StatusCode, body)
	}
	if resp, body := a.doAs(t, a.tokenFor(t, "alice"), http.MethodGet, "/api/v1/documents", "", nil); resp.StatusCode != http.StatusOK {
		t.Errorf("with another valid token: %d %s", resp.StatusCode, body)
	}
}

func TestWithoutAnIssuerEveryAPIRequestIsRefusedAndTheStartWarns(t *testing.T) {
	a := startApp(t, pg.NewDatabase(t), withoutAuth())
	a.waitReady(t)
	for _, rt := range apiRoutes {
		resp, body := a.do(t, rt.method, rt.path, "application/json", strings.NewReader(`{}`))
		var e errorBody
		decodeJSON(t, body, &e)
		if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(e.Error, "authentication is not configured") {
			t.Errorf("%s %s with a token: %d %+v, want 401 saying authentication is not configured", rt.method, rt.path, resp.StatusCode, e)
		}
	}
	if code, _ := a.get(t, "/healthz"); code != http.StatusOK {
		t.Errorf("liveness %d, want 200", code)
	}
	if !strings.Contains(a.logs.String(), `"level":"WARN","msg":"Authentication is not configured`) {
		t.Errorf("no start-up warning:\n%s", a.logs.String())
	}
}

func TestTheAppStartsWhileTheIssuerIsUnreachableAndRecovers(t *testing.T) {
	down := oidctest.NewIssuer(t)
	down.SetDown(true)
	a := startApp(t, pg.NewDatabase(t), withIssuerURL(down.URL))
	a.issuer = down
	a.waitReady(t) // readiness does not depend on the issuer
	token := a.tokenFor(t, "alice")
	resp, body := a.doAs(t, token, http.MethodGet, "/api/v1/documents", "", nil)
	if resp.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("with the issuer down: %d %s, want 503", resp.StatusCode, body)
	}
	eventually(t, 10*time.Second, "a retry to be logged", func() bool {
		return strings.Contains(a.logs.String(), "Fetching the issuer's signing keys failed, retrying")
	})
	down.SetDown(false)
	eventually(t, 20*time.Second, "tokens to be accepted once the issuer is back", func() bool {
		resp, _ := a.doAs(t, token, http.MethodGet, "/api/v1/documents", "", nil)
		return resp.StatusCode == http.StatusOK
	})
}

func TestCallersSeeAndChangeOnlyTheirOwnDocumentsAndAdminsAll(t *testing.T) {
	a := startApp(t, pg.NewDatabase(t))
	a.waitReady(t)
	alice, bob := a.token, a.tokenFor(t, "bob")
	admin := a.tokenFor(t, "root", "groups", []string{"staff", testAdminGroup})
	scopeAdmin := a.tokenFor(t, "ops", "scope", "openid "+testAdminGroup)

	create := func(token, title string) store.Document {
		t.Helper()
		body := validBody()
		body["title"] = title
		raw, _ := json.Marshal(body)
		resp, b := a.doAs(t, token, http.MethodPost, "/api/v1/documents", "application/json", strings.NewReader(string(raw)))
		if resp.StatusCode != http.StatusCreated {
			t.Fatalf("create: %d %s", resp.StatusCode, b)
		}
		var d store.Document
		decodeJSON(t, b, &d)
		return d
	}
	list := func(token string) []string {
		t.Helper()
		resp, b := a.doAs(t, token, http.MethodGet, "/api/v1/documents", "", nil)
		var l listBody
		decodeJSON(t, b, &l)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("list: %d %s", resp.StatusCode, b)
		}
		var ids []string
		for _, d := range l.Items {
			ids = append(ids, d.ID)
		}
		return ids
	}
	status := func(token, method, id string) int {
		t.Helper()
		resp, _ := a.doAs(t, token, method, "/api/v1/documents/"+id, "", nil)
		return resp.StatusCode
	}

	aliceDoc := create(alice, "Alice's plan")
	bobDoc := create(bob, "Bob's plan")
	if aliceDoc.Owner != "alice" || bobDoc.Owner != "bob" {
		t.Errorf("owners %q and %q, want alice and bob", aliceDoc.Owner, bobDoc.Owner)
	}
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, a.db.ConnString())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var legacy string
	if err := conn.QueryRow(ctx, `INSERT INTO documents (title, content_type, size_bytes, sha256)
		VALUES ('from before owners', 'text/plain', 1, repeat('0', 64)) RETURNING id::text`).Scan(&legacy); err != nil {
		t.Fatal(err)
	}

	if got := list(alice); len(got) != 1 || got[0] != aliceDoc.ID {
		t.Errorf("alice lists %v, want only her document", got)
	}
	if got := list(bob); len(got) != 1 || got[0] != bobDoc.ID {
		t.Errorf("bob lists %v, want only his document", got)
	}
	for _, id := range []string{bobDoc.ID, legacy} {
		if code := status(alice, http.MethodGet, id); code != http.StatusNotFound {
			t.Errorf("alice reads %s: %d, want 404", id, code)
		}
		if code := status(alice, http.MethodDelete, id); code != http.StatusNotFound {
			t.Errorf("alice deletes %s: %d, want 404", id, code)
		}
	}
	if code := status(bob, http.MethodGet, bobDoc.ID); code != http.StatusOK {
		t.Errorf("bob's document after alice tried to delete it: %d, want 200", code)
	}
	if got := list(admin); len(got) != 3 {
		t.Errorf("an admin (groups) lists %v, want all three documents", got)
	}
	if got := list(scopeAdmin); len(got) != 3 {
		t.Errorf("an admin (scope) lists %v, want all three documents", got)
	}
	if code := status(admin, http.MethodGet, bobDoc.ID); code != http.StatusOK {
		t.Errorf("an admin reads bob's document: %d", code)
	}
	if code := status(admin, http.MethodDelete, legacy); code != http.StatusNoContent {
		t.Errorf("an admin deletes the ownerless document: %d", code)
	}
	if code := status(scopeAdmin, http.MethodDelete, aliceDoc.ID); code != http.StatusNoContent {
		t.Errorf("an admin deletes alice's document: %d", code)
	}

	// Every write is in the log with who, what and the outcome; no title is.
	type auditLine struct {
		Time       time.Time `json:"time"`
		Level      string    `json:"level"`
		Msg        string    `json:"msg"`
		Sub        string    `json:"sub"`
		Method     string    `json:"method"`
		Route      string    `json:"route"`
		DocumentID string    `json:"document_id"`
		Outcome    string    `json:"outcome"`
	}
	var writes []auditLine
	for _, line := range strings.Split(strings.TrimSpace(a.logs.String()), "\n") {
		var l auditLine
		if json.Unmarshal([]byte(line), &l) == nil && l.Msg == "Document write" {
			writes = append(writes, l)
		}
	}
	want := []string{
		"alice POST POST /api/v1/documents " + aliceDoc.ID + " created",
		"bob POST POST /api/v1/documents " + bobDoc.ID + " created",
		"alice DELETE DELETE /api/v1/documents/{id} " + bobDoc.ID + " not found",
		"alice DELETE DELETE /api/v1/documents/{id} " + legacy + " not found",
		"root DELETE DELETE /api/v1/documents/{id} " + legacy + " deleted",
		"ops DELETE DELETE /api/v1/documents/{id} " + aliceDoc.ID + " deleted",
	}
	var got []string
	for _, w := range writes {
		if w.Level != "INFO" || w.Time.IsZero() {
			t.Errorf("audit line %+v is not an info line with a time", w)
		}
		got = append(got, strings.Join([]string{w.Sub, w.Method, w.Route, w.DocumentID, w.Outcome}, " "))
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("audit log:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if strings.Contains(a.logs.String(), "Alice's plan") || strings.Contains(a.logs.String(), "Bob's plan") {
		t.Error("a document title is in the logs")
	}
}

func TestADatabaseErrorIsLoggedWithoutTheTitle(t *testing.T) {
	a := startApp(t, pg.NewDatabase(t))
	a.waitReady(t)
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, a.db.ConnString())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	// A constraint the API does not know makes the insert fail in the database.
	if _, err := conn.Exec(ctx, `ALTER TABLE documents ADD CONSTRAINT no_secrets CHECK (title NOT LIKE 'Secret%')`); err != nil {
		t.Fatal(err)
	}
	body := validBody()
	body["title"] = "Secret acquisition of Initech"
	resp, b := a.postJSON(t, "/api/v1/documents", body)
	if resp.StatusCode != http.StatusInternalServerError {
		t.Fatalf("create: %d %s, want 500", resp.StatusCode, b)
	}
	logs := a.logs.String()
	if !strings.Contains(logs, `"msg":"Database call failed"`) {
		t.Fatalf("the failure was not logged:\n%s", logs)
	}
	if strings.Contains(logs, "Initech") {
		t.Errorf("the title is in the logs:\n%s", logs)
	}
}

func TestMetricsAreOnlyOnTheMetricsPortWithBoundedMethodLabels(t *testing.T) {
	a := startApp(t, pg.NewDatabase(t))
	a.waitReady(t)
	for _, token := range []string{"", a.token} {
		if resp, _ := a.doAs(t, token, http.MethodGet, "/metrics", "", nil); resp.StatusCode != http.StatusNotFound {
			t.Errorf("GET /metrics on the public port: %d, want 404", resp.StatusCode)
		}
	}
	for i := range 50 {
		a.doAs(t, "", fmt.Sprintf("MADEUP%d", i), "/healthz", "", nil)
		a.doAs(t, "", fmt.Sprintf("MADEUP%d", i), "/api/v1/documents", "", nil)
	}
	code, body := a.get(t, a.metricsURL+"/metrics")
	if code != http.StatusOK {
		t.Fatalf("GET /metrics on the metrics port: %d", code)
	}
	text := string(body)
	if strings.Contains(text, "MADEUP") {
		t.Error("made-up methods became label values")
	}
	a.doAs(t, "", http.MethodGet, "/api/v1/documents/00000000-0000-4000-8000-000000000000", "", nil)
	_, body = a.get(t, a.metricsURL+"/metrics")
	text = string(body)
	for _, want := range []string{
		`code="405",method="other",route="unmatched"} 50`, // MADEUP /healthz
		`code="401",method="other",route="unmatched"} 50`, // MADEUP /api/v1/documents, refused before routing
		// Refused requests still count under their route pattern.
		`code="401",method="GET",route="GET /api/v1/documents/{id}"} 1`,
	} {
		if !strings.Contains(text, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
}

func TestThePublicStatusPageShowsOnlyHealth(t *testing.T) {
	a := startApp(t, pg.NewDatabase(t))
	a.waitReady(t)
	for _, token := range []string{"", a.token} {
		resp, page := a.doAs(t, token, http.MethodGet, "/", "", nil)
		if resp.StatusCode != http.StatusOK || !strings.Contains(string(page), "Ready") {
			t.Fatalf("status page: %d\n%s", resp.StatusCode, page)
		}
		for _, detail := range []string{"1.2.3-test", "build-abc", "go1.", "Go", "Schema", "Uptime", "pool", "Database"} {
			if strings.Contains(string(page), detail) {
				t.Errorf("the public status page shows %q", detail)
			}
		}
	}
	_, page := a.get(t, a.metricsURL+"/")
	for _, detail := range []string{"1.2.3-test", "build-abc", "Schema version"} {
		if !strings.Contains(string(page), detail) {
			t.Errorf("the metrics port's status page lacks %q", detail)
		}
	}
}

func TestHSTSFollowsTheForwardedProtoAndLogsNameTheForwardedClient(t *testing.T) {
	a := startApp(t, pg.NewDatabase(t))
	a.waitReady(t)
	tests := []struct {
		name      string
		headers   map[string]string
		wantHSTS  bool
		wantLabel string
	}{
		{name: "HTTPS at the load balancer", headers: map[string]string{"X-Forwarded-Proto": "https", "X-Forwarded-For": "198.51.100.7"}, wantHSTS: true, wantLabel: "198.51.100.7"},
		{name: "HTTP at the load balancer", headers: map[string]string{"X-Forwarded-Proto": "http", "X-Forwarded-For": "198.51.100.8"}, wantLabel: "198.51.100.8"},
		{name: "a client-supplied chain", headers: map[string]string{"X-Forwarded-Proto": "https", "X-Forwarded-For": "10.9.9.9, 203.0.113.50"}, wantHSTS: true, wantLabel: "203.0.113.50"},
		{name: "no proxy headers", headers: map[string]string{}, wantLabel: "127.0.0.1:"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest(http.MethodGet, a.url+"/api/v1/documents", nil)
			req.Header.Set("Authorization", "Bearer "+a.token)
			for k, v := range tt.headers {
				req.Header.Set(k, v)
			}
			resp, err := client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if got := resp.Header.Get("Strict-Transport-Security"); (got == hsts) != tt.wantHSTS || (got != "" && got != hsts) {
				t.Errorf("Strict-Transport-Security = %q, want it %v", got, tt.wantHSTS)
			}
			var found bool
			for _, line := range strings.Split(a.logs.String(), "\n") {
				var l struct{ Msg, Route, Client, Sub string }
				if json.Unmarshal([]byte(line), &l) == nil && l.Msg == "Request served" && l.Route == "GET /api/v1/documents" &&
					strings.HasPrefix(l.Client, tt.wantLabel) && l.Sub == "alice" {
					found = true
				}
			}
			if !found {
				t.Errorf("no request log line with client %s and sub alice", tt.wantLabel)
			}
		})
	}
}
