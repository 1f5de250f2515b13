package server

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/docuflow/docuflow-operator/app/internal/config"
	"github.com/docuflow/docuflow-operator/app/internal/oidctest"
	"github.com/docuflow/docuflow-operator/app/internal/pgtest"
)

// Audience and admin group of the test apps' authentication.
const (
	testAudience   = "docuflow-api"
	testAdminGroup = "docuflow-admins"
)

var pg *pgtest.Server

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m, &pg)) }

// syncBuffer collects log output written from several goroutines.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// testApp is a Run in progress on a loopback port.
type testApp struct {
	url        string
	metricsURL string
	db         pgtest.Database
	issuer     *oidctest.Issuer
	token      string // sent by do unless a test says otherwise: alice's
	logs       *syncBuffer
	srv        *Server
	cancel     context.CancelFunc
	done       chan error
}

type appOption func(*config.Config)

func withDrain(d time.Duration) appOption {
	return func(c *config.Config) { c.ShutdownDrain = d }
}

// withoutAuth leaves authentication unconfigured, as when the operator sets no issuer.
func withoutAuth() appOption {
	return func(c *config.Config) { c.Auth = config.Auth{} }
}

// withIssuerURL trusts another issuer than the app's own (one served by
// httptest, whose certificate the app's client trusts).
func withIssuerURL(url string) appOption {
	return func(c *config.Config) { c.Auth.Issuer = url }
}

// viaPort sends database traffic to another port, such as a pgtest.Proxy's.
func viaPort(port int) appOption {
	return func(c *config.Config) { c.DB.Port = port }
}

func dbConfig(d pgtest.Database) config.DB {
	return config.DB{Host: d.Host, Port: d.Port, Name: d.Name, User: d.User, Password: d.Password, SSLMode: "disable"}
}

var discard = slog.New(slog.DiscardHandler)

// startConfig is a configuration for db with no drain, to keep tests fast.
func startConfig(db pgtest.Database) config.Config {
	return config.Config{DB: dbConfig(db), ShutdownDrain: 0, ShutdownGrace: 10 * time.Second, LogLevel: slog.LevelDebug}
}

// startApp runs the API on db, and stops it when t ends.
func startApp(t testing.TB, db pgtest.Database, opts ...appOption) *testApp {
	t.Helper()
	iss := oidctest.NewIssuer(t)
	cfg := startConfig(db)
	cfg.Auth = config.Auth{Issuer: iss.URL, Audience: testAudience, AdminGroup: testAdminGroup}
	for _, o := range opts {
		o(&cfg)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	mln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	logs := &syncBuffer{}
	ctx, cancel := context.WithCancel(context.Background())
	a := &testApp{
		url: "http://" + ln.Addr().String(), metricsURL: "http://" + mln.Addr().String(),
		db: db, issuer: iss, logs: logs, cancel: cancel, done: make(chan error, 1),
	}
	a.token = a.tokenFor(t, "alice")
	ready := make(chan *Server, 1)
	go func() {
		a.done <- Run(ctx, RunConfig{
			Config: cfg, Logger: slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
			Version: "1.2.3-test", Build: "build-abc", Listener: ln, MetricsListener: mln, AuthHTTPClient: iss.Client,
			Ready: func(s *Server) { ready <- s },
		})
	}()
	select {
	case a.srv = <-ready:
	case err := <-a.done:
		t.Fatalf("Run ended before serving: %v", err)
	case <-time.After(30 * time.Second):
		t.Fatal("Run did not start serving within 30s")
	}
	t.Cleanup(func() {
		cancel()
		select {
		case <-a.done:
		case <-time.After(30 * time.Second):
			t.Error("Run did not stop within 30s")
		}
	})
	return a
}

// waitReady polls /readyz until it answers 200.
func (a *testApp) waitReady(t testing.TB) {
	t.Helper()
	eventually(t, 30*time.Second, "readiness to pass", func() bool {
		code, _ := a.get(t, "/readyz")
		return code == http.StatusOK
	})
}

var client = &http.Client{Timeout: 15 * time.Second}

// tokenFor mints a valid token for sub from the app's issuer, with extra
// claims as key/value pairs (such as "groups", []string{testAdminGroup}).
func (a *testApp) tokenFor(t testing.TB, sub string, extra ...any) string {
	t.Helper()
	claims := a.issuer.Claims(sub, testAudience)
	for i := 0; i+1 < len(extra); i += 2 {
		claims[extra[i].(string)] = extra[i+1]
	}
	return a.issuer.Token(t, claims)
}

// do sends a request with alice's token.
func (a *testApp) do(t testing.TB, method, path, contentType string, body io.Reader) (*http.Response, []byte) {
	t.Helper()
	return a.doAs(t, a.token, method, path, contentType, body)
}

// doAs sends a request with token as the bearer token, none when it is "".
func (a *testApp) doAs(t testing.TB, token, method, path, contentType string, body io.Reader) (*http.Response, []byte) {
	t.Helper()
	url := path
	if !strings.HasPrefix(path, "http") {
		url = a.url + path
	}
	req, err := http.NewRequest(method, url, body)
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: reading the body: %v", method, path, err)
	}
	return resp, b
}

func (a *testApp) get(t testing.TB, path string) (int, []byte) {
	t.Helper()
	resp, b := a.do(t, http.MethodGet, path, "", nil)
	return resp.StatusCode, b
}

func (a *testApp) postJSON(t testing.TB, path string, v any) (*http.Response, []byte) {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return a.do(t, http.MethodPost, path, "application/json", bytes.NewReader(b))
}

// eventually polls cond until it holds or the deadline passes.
func eventually(t testing.TB, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", within, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func decodeJSON(t testing.TB, b []byte, v any) {
	t.Helper()
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("response is not JSON: %v\n%s", err, b)
	}
}

func validBody() map[string]any {
	return map[string]any{
		"title":        "Q3 report",
		"content_type": "application/pdf",
		"size_bytes":   1024,
		"sha256":       strings.Repeat("ab", 32),
		"tags":         []string{"finance", "q3"},
		"storage_uri":  "s3://docuflow-bucket/reports/q3.pdf",
	}
}
