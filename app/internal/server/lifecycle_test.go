package server

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/docuflow/docuflow-operator/app/internal/auth"
	"github.com/docuflow/docuflow-operator/app/internal/migrate"
	"github.com/docuflow/docuflow-operator/app/internal/oidctest"
	"github.com/docuflow/docuflow-operator/app/internal/pgtest"
	"github.com/docuflow/docuflow-operator/app/internal/store"
)

func readinessReason(t testing.TB, a *testApp) (int, string) {
	t.Helper()
	code, body := a.get(t, "/readyz")
	var r struct{ Reason string }
	decodeJSON(t, body, &r)
	return code, r.Reason
}

func TestReadinessFollowsTheDatabaseWhileLivenessDoesNot(t *testing.T) {
	db := pg.NewDatabase(t)
	proxy := pgtest.NewProxy(t, db.Host, db.Port)
	a := startApp(t, db, viaPort(proxy.Port()))
	a.waitReady(t)

	proxy.Cut()
	eventually(t, 10*time.Second, "readiness to fail with the database gone", func() bool {
		code, reason := readinessReason(t, a)
		return code == http.StatusServiceUnavailable && reason == "database unreachable"
	})
	if code, _ := a.get(t, "/healthz"); code != http.StatusOK {
		t.Errorf("liveness %d while the database is down, want 200", code)
	}

	proxy.Restore(t)
	a.waitReady(t)
}

func TestATaskStartedBeforeItsDatabaseBecomesReadyOnItsOwn(t *testing.T) {
	db := pg.NewDatabase(t)
	proxy := pgtest.NewProxy(t, db.Host, db.Port)
	proxy.Cut()
	a := startApp(t, db, viaPort(proxy.Port()))

	if code, reason := readinessReason(t, a); code != http.StatusServiceUnavailable || reason != "schema migrations pending" {
		t.Errorf("readiness %d %q before the database exists, want 503 for pending migrations", code, reason)
	}
	if code, _ := a.get(t, "/healthz"); code != http.StatusOK {
		t.Errorf("liveness %d, want 200", code)
	}
	if code, page := a.get(t, a.metricsURL+"/"); code != http.StatusOK || !strings.Contains(string(page), "unreachable") {
		t.Errorf("status page %d does not report the database as unreachable:\n%s", code, page)
	}

	eventually(t, 10*time.Second, "a failed migration attempt to be logged", func() bool {
		return strings.Contains(a.logs.String(), "Migrating the schema failed, retrying")
	})
	proxy.Restore(t)
	a.waitReady(t)
}

func TestShutdownFailsReadinessFirstAndLetsInFlightRequestsFinish(t *testing.T) {
	a := startApp(t, pg.NewDatabase(t), withDrain(3*time.Second))
	a.waitReady(t)
	resp, body := a.postJSON(t, "/api/v1/documents", validBody())
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("create: %d %s", resp.StatusCode, body)
	}
	var doc store.Document
	decodeJSON(t, body, &doc)

	// Hold a lock the request will queue behind, so it is in flight on demand.
	ctx := context.Background()
	locker, err := pgx.Connect(ctx, a.db.ConnString())
	if err != nil {
		t.Fatal(err)
	}
	defer locker.Close(ctx)
	tx, err := locker.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, "LOCK TABLE documents IN ACCESS EXCLUSIVE MODE"); err != nil {
		t.Fatal(err)
	}
	type result struct {
		code int
		doc  store.Document
		err  error
	}
	inFlight := make(chan result, 1)
	go func() {
		req, _ := http.NewRequest(http.MethodGet, a.url+"/api/v1/documents/"+doc.ID, nil)
		req.Header.Set("Authorization", "Bearer "+a.token)
		resp, err := client.Do(req)
		if err != nil {
			inFlight <- result{err: err}
			return
		}
		defer resp.Body.Close()
		var d store.Document
		err = json.NewDecoder(resp.Body).Decode(&d)
		inFlight <- result{code: resp.StatusCode, doc: d, err: err}
	}()
	eventually(t, 10*time.Second, "the request to wait on the lock", func() bool {
		var waiting int
		err := locker.QueryRow(ctx, "SELECT count(*) FROM pg_locks WHERE NOT granted AND relation = 'documents'::regclass").Scan(&waiting)
		return err == nil && waiting > 0
	})

	a.cancel() // what SIGTERM does in main
	eventually(t, 3*time.Second, "readiness to fail first", func() bool {
		resp, err := client.Get(a.url + "/readyz")
		if err != nil {
			return false
		}
		defer resp.Body.Close()
		var r struct{ Reason string }
		_ = json.NewDecoder(resp.Body).Decode(&r)
		return resp.StatusCode == http.StatusServiceUnavailable && r.Reason == "shutting down"
	})
	// After the drain the listener closes while the request is still waiting.
	eventually(t, 10*time.Second, "the listener to close", func() bool {
		c, err := net.DialTimeout("tcp", strings.TrimPrefix(a.url, "http://"), time.Second)
		if err == nil {
			_ = c.Close()
		}
		return err != nil
	})
	select {
	case r := <-inFlight:
		t.Fatalf("the in-flight request ended before the lock was released: %+v", r)
	default:
	}

	if err := tx.Rollback(ctx); err != nil {
		t.Fatal(err)
	}
	select {
	case r := <-inFlight:
		if r.err != nil || r.code != http.StatusOK || r.doc.ID != doc.ID {
			t.Errorf("in-flight request: %+v, want 200 with the document", r)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the in-flight request did not finish")
	}
	select {
	case err := <-a.done:
		if err != nil {
			t.Errorf("Run returned %v after a clean shutdown", err)
		}
		a.done <- err // for the cleanup
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return after the last request")
	}
	logs := a.logs.String()
	if strings.Index(logs, "Shutting down") > strings.Index(logs, "Stopped") || !strings.Contains(logs, `"msg":"Stopped"`) {
		t.Errorf("shutdown was not logged in order:\n%s", logs)
	}
}

func TestTheStatusPageShowsTheBuildAndNoSecret(t *testing.T) {
	db := pg.NewDatabase(t)
	a := startApp(t, db)
	a.waitReady(t)
	code, page := a.get(t, a.metricsURL+"/")
	if code != http.StatusOK {
		t.Fatalf("status page: %d", code)
	}
	text := string(page)
	for _, want := range []string{"1.2.3-test", "build-abc", "reachable", "Schema version", "Uptime"} {
		if !strings.Contains(text, want) {
			t.Errorf("status page lacks %q", want)
		}
	}
	for _, secret := range []string{db.Password, "password", "user=", "host=", db.Name, db.ConnString()} {
		if strings.Contains(text, secret) {
			t.Errorf("status page contains %q", secret)
		}
	}
	if strings.Contains(a.logs.String(), db.Password) {
		t.Error("the password appears in the logs")
	}
}

func TestASlowDatabaseCallEndsAtTheRequestTimeout(t *testing.T) {
	db := pg.NewDatabase(t)
	ctx := context.Background()
	pool, err := store.Open(ctx, dbConfig(db))
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	if _, err := migrate.Up(ctx, pool, discard); err != nil {
		t.Fatal(err)
	}
	iss := oidctest.NewIssuer(t)
	s := New(Options{Pool: pool, RequestTimeout: 300 * time.Millisecond, Verifier: auth.New(auth.Options{Issuer: iss.URL, Audience: testAudience, HTTPClient: iss.Client})})
	s.MarkMigrated()
	ts := httptest.NewServer(s.Handler())
	defer ts.Close()

	locker, err := pgx.Connect(ctx, db.ConnString())
	if err != nil {
		t.Fatal(err)
	}
	defer locker.Close(ctx)
	tx, err := locker.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, "LOCK TABLE documents IN ACCESS EXCLUSIVE MODE"); err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest(http.MethodGet, ts.URL+"/api/v1/documents", nil)
	req.Header.Set("Authorization", "Bearer "+iss.Token(t, iss.Claims("alice", testAudience)))
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var e errorBody
	if err := json.NewDecoder(resp.Body).Decode(&e); err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusServiceUnavailable || e.Error != "request timed out" {
		t.Errorf("got %d %+v, want 503 request timed out", resp.StatusCode, e)
	}
}

func TestRunReportsAPortItCannotListenOn(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	cfg := startConfig(pg.NewDatabase(t))
	cfg.ListenPort = ln.Addr().(*net.TCPAddr).Port
	err = Run(context.Background(), RunConfig{Config: cfg, Logger: discard})
	if err == nil || !strings.Contains(err.Error(), "listening on port") {
		t.Errorf("Run = %v, want a listen error", err)
	}
}
