package store

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/docuflow/docuflow-operator/app/internal/config"
	"github.com/docuflow/docuflow-operator/app/internal/dbsecret"
	"github.com/docuflow/docuflow-operator/app/internal/dbtls"
)

// ApplicationName identifies the API's sessions in pg_stat_activity.
const ApplicationName = "docuflow-api"

// PoolConfig turns the database settings into a pgx pool configuration. The
// password and TLS settings are set on the struct rather than in a connection
// string, so no string that could be logged ever holds the password.
func PoolConfig(db config.DB) (*pgxpool.Config, error) {
	// Only the non-secret parts go through the parser; sslmode=disable keeps
	// it from building a TLS setup of its own from PG* variables.
	dsn := fmt.Sprintf("host=%s port=%d dbname=%s user=%s sslmode=disable connect_timeout=5",
		quote(db.Host), db.Port, quote(db.Name), quote(db.User))
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("building the connection settings for %s: %w", db, err)
	}
	cfg.ConnConfig.Password = db.Password
	if db.SSLMode != dbtls.ModeDisable {
		roots, err := dbtls.Roots(db.CAPEM)
		if err != nil {
			return nil, fmt.Errorf("loading the database CA bundle: %w", err)
		}
		tlsCfg, err := dbtls.Config(db.SSLMode, db.Host, roots)
		if err != nil {
			return nil, err
		}
		cfg.ConnConfig.TLSConfig = tlsCfg
	}
	// No plain-text fallback: a server that refuses TLS is an error, not a downgrade.
	cfg.ConnConfig.Fallbacks = nil
	cfg.ConnConfig.RuntimeParams["application_name"] = ApplicationName
	cfg.MaxConns = 10
	cfg.MinConns = 0
	cfg.MaxConnLifetime = 30 * time.Minute
	cfg.MaxConnLifetimeJitter = time.Minute
	cfg.MaxConnIdleTime = 5 * time.Minute
	cfg.HealthCheckPeriod = 30 * time.Second
	return cfg, nil
}

// Option changes how Open builds the pool.
type Option func(*openOptions)

type openOptions struct {
	log         *slog.Logger
	credentials *dbsecret.Source
}

// WithLogger sends the credential source's logs to log.
func WithLogger(log *slog.Logger) Option { return func(o *openOptions) { o.log = log } }

// WithCredentials uses src instead of a Source built from db.SecretARN.
func WithCredentials(src *dbsecret.Source) Option {
	return func(o *openOptions) { o.credentials = src }
}

// Open creates the pool without waiting for the database: connections are
// made on first use, so the process can start (and report not-ready) while
// the database is still coming up. With db.SecretARN set, every new
// connection takes its user name and password from Secrets Manager (see
// UseCredentials).
func Open(ctx context.Context, db config.DB, opts ...Option) (*pgxpool.Pool, error) {
	o := openOptions{log: slog.New(slog.DiscardHandler)}
	for _, f := range opts {
		f(&o)
	}
	cfg, err := PoolConfig(db)
	if err != nil {
		return nil, err
	}
	if o.credentials == nil && db.SecretARN != "" {
		if o.credentials, err = dbsecret.New(ctx, db.SecretARN, o.log); err != nil {
			return nil, err
		}
	}
	if o.credentials != nil {
		UseCredentials(cfg, o.credentials)
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("creating the connection pool for %s: %w", db, err)
	}
	return pool, nil
}

func quote(s string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(s) + "'"
}

// UseCredentials makes every connection of the pool ask src for the user
// name and password just before it opens, so a rotated password reaches new
// connections without a restart; connections already open stay as they are,
// which PostgreSQL allows. A refused password makes src fetch the secret
// again at once, and Retry repeats the operation that needed the connection.
func UseCredentials(cfg *pgxpool.Config, src *dbsecret.Source) {
	cfg.BeforeConnect = func(ctx context.Context, cc *pgx.ConnConfig) error {
		c, err := src.Get(ctx)
		if err != nil {
			return err
		}
		cc.User, cc.Password = c.User, c.Password
		return nil
	}
	cfg.ConnConfig.Tracer = rejectionTracer{src: src}
}

// rejectionTracer tells the credential source which password the server
// refused. pgx calls it around every connection attempt with the
// configuration actually used, the password BeforeConnect put there.
type rejectionTracer struct {
	src *dbsecret.Source
}

type attemptKey struct{}

func (t rejectionTracer) TraceConnectStart(ctx context.Context, data pgx.TraceConnectStartData) context.Context {
	return context.WithValue(ctx, attemptKey{}, data.ConnConfig.Password)
}

func (t rejectionTracer) TraceConnectEnd(ctx context.Context, data pgx.TraceConnectEndData) {
	if password, ok := ctx.Value(attemptKey{}).(string); ok && IsPasswordRejected(data.Err) {
		t.src.Rejected(password)
	}
}

// TraceQueryStart implements pgx.QueryTracer, which ConnConfig.Tracer must; queries are not traced.
func (t rejectionTracer) TraceQueryStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceQueryStartData) context.Context {
	return ctx
}

// TraceQueryEnd implements pgx.QueryTracer.
func (t rejectionTracer) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}
