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
	// Ready, when set, receives the Server once it accepts requests.
	Ready func(*Server)
}

// Run serves until ctx ends, then shuts down in order: readiness fails, the
// drain period lets the load balancer notice, in-flight requests get the grace
// period to finish, and the pool closes. It returns nil after a clean shutdown.
func Run(ctx context.Context, rc RunConfig) error {
	cfg, log := rc.Config, rc.Logger
	pool, err := store.Open(ctx, cfg.DB)
	if err != nil {
		return err
	}
	defer pool.Close()

	srv := New(Options{Pool: pool, Logger: log, Version: rc.Version, Build: rc.Build})
	ln := rc.Listener
	if ln == nil {
		ln, err = net.Listen("tcp", ":"+strconv.Itoa(cfg.ListenPort))
		if err != nil {
			return fmt.Errorf("listening on port %d: %w", cfg.ListenPort, err)
		}
	}
	httpSrv := &http.Server{
		Handler:           srv.Handler(),
		ReadHeaderTimeout: readHeaderTimeout,
		ReadTimeout:       readTimeout,
		WriteTimeout:      writeTimeout,
		IdleTimeout:       idleTimeout,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}

	migrateCtx, stopMigrating := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		srv.migrateUntilDone(migrateCtx, pool)
	}()
	defer func() {
		stopMigrating()
		wg.Wait()
	}()

	served := make(chan error, 1)
	go func() { served <- httpSrv.Serve(ln) }()
	log.InfoContext(ctx, "Serving", "addr", ln.Addr().String(), "version", rc.Version, "build", rc.Build, "db", cfg.DB)
	if rc.Ready != nil {
		rc.Ready(srv)
	}

	select {
	case err := <-served:
		return fmt.Errorf("serving HTTP: %w", err)
	case <-ctx.Done():
	}

	log.Info("Shutting down", "drain", cfg.ShutdownDrain.String(), "grace", cfg.ShutdownGrace.String())
	srv.MarkDraining()
	select {
	case <-time.After(cfg.ShutdownDrain):
	case err := <-served:
		return fmt.Errorf("serving HTTP while draining: %w", err)
	}
	stopMigrating()
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
