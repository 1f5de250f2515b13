package store

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/docuflow/docuflow-operator/app/internal/config"
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

// Open creates the pool without waiting for the database: connections are
// made on first use, so the process can start (and report not-ready) while
// the database is still coming up.
func Open(ctx context.Context, db config.DB) (*pgxpool.Pool, error) {
	cfg, err := PoolConfig(db)
	if err != nil {
		return nil, err
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
