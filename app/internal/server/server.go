package server

import (
	"context"
	"log/slog"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/docuflow/docuflow-operator/app/contract"
	"github.com/docuflow/docuflow-operator/app/internal/auth"
	"github.com/docuflow/docuflow-operator/app/internal/metrics"
	"github.com/docuflow/docuflow-operator/app/internal/store"
)

// Defaults for Options fields left zero.
const (
	// DefaultRequestTimeout bounds every request's work, database calls included.
	DefaultRequestTimeout = 10 * time.Second
	// DefaultReadyTimeout bounds the database ping behind /readyz, so a
	// hanging database makes readiness fail rather than hang.
	DefaultReadyTimeout = time.Second
	// DefaultMaxBodyBytes caps request bodies; metadata is small.
	DefaultMaxBodyBytes = 64 << 10
)

// Options configures a Server.
type Options struct {
	// Pool is the database connection pool.
	Pool *pgxpool.Pool
	// Logger receives structured logs.
	Logger *slog.Logger
	// Verifier checks bearer tokens on /api/; nil refuses every /api/ request.
	Verifier *auth.Verifier
	// Version and Build describe the binary on the status page and in metrics.
	Version, Build string
	// RequestTimeout overrides DefaultRequestTimeout.
	RequestTimeout time.Duration
	// ReadyTimeout overrides DefaultReadyTimeout.
	ReadyTimeout time.Duration
	// MaxBodyBytes overrides DefaultMaxBodyBytes.
	MaxBodyBytes int64
}

// Server serves the API. It is safe for concurrent use.
type Server struct {
	opts     Options
	store    *store.Store
	metrics  *metrics.Metrics
	verifier *auth.Verifier
	started  time.Time
	migrated atomic.Bool
	draining atomic.Bool
	handler  http.Handler
	private  http.Handler
}

// New builds a Server; it reports not-ready until MarkMigrated is called.
func New(opts Options) *Server {
	if opts.RequestTimeout == 0 {
		opts.RequestTimeout = DefaultRequestTimeout
	}
	if opts.ReadyTimeout == 0 {
		opts.ReadyTimeout = DefaultReadyTimeout
	}
	if opts.MaxBodyBytes == 0 {
		opts.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Verifier == nil {
		opts.Verifier = auth.New(auth.Options{})
	}
	s := &Server{
		opts:     opts,
		store:    store.New(opts.Pool),
		metrics:  metrics.New(opts.Version, opts.Build, opts.Pool.Stat),
		verifier: opts.Verifier,
		started:  time.Now(),
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+contract.LivenessPath, s.healthz)
	mux.HandleFunc("GET "+contract.ReadinessPath, s.readyz)
	mux.HandleFunc("GET /{$}", s.publicStatusPage)
	mux.HandleFunc("POST /api/v1/documents", s.createDocument)
	mux.HandleFunc("GET /api/v1/documents", s.listDocuments)
	mux.HandleFunc("GET /api/v1/documents/{id}", s.getDocument)
	mux.HandleFunc("DELETE /api/v1/documents/{id}", s.deleteDocument)
	s.handler = s.instrument(s.authenticate(mux))

	// Metrics and build details go to a port the load balancer never reaches.
	private := http.NewServeMux()
	private.Handle("GET "+contract.MetricsPath, s.metrics.Handler())
	private.HandleFunc("GET /{$}", s.statusPage)
	s.private = private
	return s
}

// Handler returns the root handler of the public listener, with
// authentication of /api/, logging, metrics, timeouts and panic recovery.
func (s *Server) Handler() http.Handler { return s.handler }

// MetricsHandler returns the handler of the metrics listener: Prometheus
// metrics and the detailed status page, for the cluster's eyes only.
func (s *Server) MetricsHandler() http.Handler { return s.private }

// MarkMigrated records that the schema is current, a condition of readiness.
func (s *Server) MarkMigrated() { s.migrated.Store(true) }

// MarkDraining makes readiness fail from now on, the first step of shutdown.
func (s *Server) MarkDraining() { s.draining.Store(true) }

func (s *Server) healthz(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "alive"})
}

// readiness returns why the process should not receive traffic, or "".
// Draining is checked first so that shutdown never waits on the database.
func (s *Server) readiness(ctx context.Context) string {
	switch {
	case s.draining.Load():
		return "shutting down"
	case !s.migrated.Load():
		return "schema migrations pending"
	}
	ctx, cancel := context.WithTimeout(ctx, s.opts.ReadyTimeout)
	defer cancel()
	if err := store.Retry(ctx, s.opts.Pool, s.opts.Pool.Ping); err != nil {
		return "database unreachable"
	}
	return ""
}

func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	if reason := s.readiness(r.Context()); reason != "" {
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "not ready", "reason": reason})
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
}
