package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/docuflow/docuflow-operator/app/contract"
	"github.com/docuflow/docuflow-operator/app/internal/auth"
	"github.com/docuflow/docuflow-operator/app/internal/config"
	"github.com/docuflow/docuflow-operator/app/internal/migrate"
	"github.com/docuflow/docuflow-operator/app/internal/store"
)

// HTTP server timeouts. The idle timeout exceeds the ALB's default 60 s idle
// timeout so the load balancer, not the task, closes idle connections; the
// reverse produces sporadic 502s.
const (
	readHeaderTimeout = 5 * time.Second
	readTimeout       = 15 * time.Second
	writeTimeout      = DefaultRequestTimeout + 5*time.Second
	idleTimeout       = 75 * time.Second
)

// RunConfig is everything Run needs.
type RunConfig struct {
	// Config is the validated process configuration.
	Config config.Config
	// Logger receives structured logs.
	Logger *slog.Logger
	// Version and Build describe the binary.
	Version, Build string
	// Listener overrides listening on Config.ListenPort; tests pass their own.
	Listener net.Listener
	// MetricsListener overrides listening on Config.MetricsPort.
	MetricsListener net.Listener
	// AuthHTTPClient overrides the client that fetches the issuer's keys;
	// tests pass one that trusts their issuer's certificate.
	AuthHTTPClient *http.Client
	// Ready, when set, receives the Server once it accepts requests.
	Ready func(*Server)
}

// Run serves until ctx ends, then shuts down in order: readiness fails, the
// drain period lets the load balancer notice, in-flight requests get the grace
// period to finish, and the pool closes. It returns nil after a clean shutdown.
func Run(ctx context.Context, rc RunConfig) error {
	cfg, log := rc.Config, rc.Logger
	pool, err := store.Open(ctx, cfg.DB, store.WithLogger(log))
	if err != nil {
		return err
	}
	defer pool.Close()

	verifier := auth.New(auth.Options{
		Issuer: cfg.Auth.Issuer, Audience: cfg.Auth.Audience, AdminGroup: cfg.Auth.AdminGroup, HTTPClient: rc.AuthHTTPClient,
	})
	if !verifier.Configured() {
		log.WarnContext(ctx, "Authentication is not configured: every /api/ request is refused with 401", "set", contract.EnvAuthIssuer)
	}
	srv := New(Options{Pool: pool, Logger: log, Verifier: verifier, Version: rc.Version, Build: rc.Build})
	ln, err := listen(rc.Listener, cfg.ListenPort)
	if err != nil {
		return err
	}
	mln, err := listen(rc.MetricsListener, cfg.MetricsPort)
	if err != nil {
		_ = ln.Close()
		return err
	}
	httpSrv := newHTTPServer(srv.Handler(), log)
	metricsSrv := newHTTPServer(srv.MetricsHandler(), log)
	defer metricsSrv.Close()

	background, stopBackground := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		srv.migrateUntilDone(background, pool)
	}()
	go func() {
		defer wg.Done()
		// Lazily is enough for correctness; fetching now spares the first
		// callers the wait, and retries while the issuer is unreachable.
		verifier.Warm(background, func(err error, retryIn time.Duration) {
			log.Warn("Fetching the issuer's signing keys failed, retrying", "error", err.Error(), "retry_in", retryIn.String())
		})
	}()
	defer func() {
		stopBackground()
		wg.Wait()
	}()

	served := make(chan error, 1)
	go func() { served <- httpSrv.Serve(ln) }()
	metricsServed := make(chan error, 1)
	go func() { metricsServed <- metricsSrv.Serve(mln) }()
	log.InfoContext(ctx, "Serving", "addr", ln.Addr().String(), "metrics_addr", mln.Addr().String(),
		"version", rc.Version, "build", rc.Build, "db", cfg.DB, "auth_issuer", cfg.Auth.Issuer)
	if rc.Ready != nil {
		rc.Ready(srv)
	}

	select {
	case err := <-served:
		return fmt.Errorf("serving HTTP: %w", err)
	case err := <-metricsServed:
		_ = httpSrv.Close()
		return fmt.Errorf("serving metrics: %w", err)
	case <-ctx.Done():
	}

	log.Info("Shutting down", "drain", cfg.ShutdownDrain.String(), "grace", cfg.ShutdownGrace.String())
	srv.MarkDraining()
	select {
	case <-time.After(cfg.ShutdownDrain):
	case err := <-served:
		return fmt.Errorf("serving HTTP while draining: %w", err)
	}
	stopBackground()
	shutdownCtx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownGrace)
	defer cancel()
	if err := httpSrv.Shutdown(shutdownCtx); err != nil {
		_ = httpSrv.Close()
		return fmt.Errorf("in-flight requests outlived the %s grace period: %w", cfg.ShutdownGrace, err)
	}
	if err := <-served; !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serving HTTP: %w", err)
	}
	log.Info("Stopped")
	return nil
}

func listen(ln net.Listener, port int) (net.Listener, error) {
	if ln != nil {
		return ln, nil
	}
	ln, err := net.Listen("tcp", ":"+strconv.Itoa(port))
	if err != nil {
		return nil, fmt.Errorf("listening on port %d: %w", port, err)
	}
	return ln, nil
}

func newHTTPServer(h http.Handler, log *slog.Logger) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: readHeaderTimeout,
		ReadTimeout:       readTimeout,
		WriteTimeout:      writeTimeout,
		IdleTimeout:       idleTimeout,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
}

// migrateUntilDone applies migrations, retrying with back-off while the
// database is unreachable, so a task started before its database becomes
// ready by itself instead of crash-looping.
func (s *Server) migrateUntilDone(ctx context.Context, pool *pgxpool.Pool) {
	delay := 500 * time.Millisecond
	for {
		applied, err := migrate.Up(ctx, pool, s.opts.Logger)
		if err == nil {
			s.opts.Logger.Info("Schema is current", "version", migrate.Latest(), "applied_now", len(applied))
			s.MarkMigrated()
			return
		}
		if ctx.Err() != nil {
			return
		}
		s.opts.Logger.Warn("Migrating the schema failed, retrying", "error", err, "retry_in", delay.String())
		select {
		case <-ctx.Done():
			return
		case <-time.After(delay):
		}
		delay = min(2*delay, 5*time.Second)
	}
}
