package migrate

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"regexp"
	"slices"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

//go:embed migrations/*.sql
var files embed.FS

// LockKey is the advisory lock every API task takes while migrating; it spells
// "docuflow" in ASCII so it is recognisable in pg_locks.
const LockKey int64 = 0x646f6375666c6f77

// Migration is one embedded schema change.
type Migration struct {
	// Version orders migrations; it is the number before the first underscore.
	Version int
	// Name is the file name.
	Name string
	// SQL is the file content, run as one simple-protocol batch.
	SQL string
}

var fileName = regexp.MustCompile(`^(\d+)_[a-z0-9_]+\.sql$`)

// All returns the embedded migrations in version order.
func All() ([]Migration, error) {
	return load(files, "migrations")
}

func load(fsys fs.FS, dir string) ([]Migration, error) {
	entries, err := fs.ReadDir(fsys, dir)
	if err != nil {
		return nil, fmt.Errorf("listing migrations: %w", err)
	}
	var ms []Migration
	for _, e := range entries {
		m := fileName.FindStringSubmatch(e.Name())
		if m == nil {
			return nil, fmt.Errorf("migration file %s is not named NNNN_snake_case.sql", e.Name())
		}
		v, _ := strconv.Atoi(m[1])
		sql, err := fs.ReadFile(fsys, dir+"/"+e.Name())
		if err != nil {
			return nil, fmt.Errorf("reading migration %s: %w", e.Name(), err)
		}
		ms = append(ms, Migration{Version: v, Name: e.Name(), SQL: string(sql)})
	}
	slices.SortFunc(ms, func(a, b Migration) int { return a.Version - b.Version })
	for i := 1; i < len(ms); i++ {
		if ms[i].Version == ms[i-1].Version {
			return nil, fmt.Errorf("migrations %s and %s share version %d", ms[i-1].Name, ms[i].Name, ms[i].Version)
		}
	}
	return ms, nil
}

// Latest is the highest embedded version, the schema version this binary needs.
func Latest() int {
	ms, err := All()
	if err != nil || len(ms) == 0 {
		return 0
	}
	return ms[len(ms)-1].Version
}

// Up applies every embedded migration the database has not recorded yet and
// returns the versions it applied itself.
func Up(ctx context.Context, pool *pgxpool.Pool, log *slog.Logger) ([]int, error) {
	ms, err := All()
	if err != nil {
		return nil, err
	}
	return apply(ctx, pool, ms, log)
}

func apply(ctx context.Context, pool *pgxpool.Pool, ms []Migration, log *slog.Logger) (applied []int, err error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	// A session lock belongs to a connection, so the lock, the work and the
	// unlock must all use this one connection rather than the pool.
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return nil, fmt.Errorf("acquiring a connection to migrate: %w", err)
	}
	if _, err := conn.Exec(ctx, "SELECT pg_advisory_lock($1)", LockKey); err != nil {
		conn.Release()
		return nil, fmt.Errorf("taking the migration lock: %w", err)
	}
	defer func() {
		// Use a fresh context: the caller's may be why we are leaving.
		uctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		if _, uerr := conn.Exec(uctx, "SELECT pg_advisory_unlock($1)", LockKey); uerr != nil {
			// Closing the session is the only other way to free the lock;
			// never hand a connection still holding it back to the pool.
			_ = conn.Hijack().Close(uctx)
			err = errors.Join(err, fmt.Errorf("releasing the migration lock: %w", uerr))
			return
		}
		conn.Release()
	}()

	if _, err := conn.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version    integer     PRIMARY KEY,
		name       text        NOT NULL,
		applied_at timestamptz NOT NULL DEFAULT now())`); err != nil {
		return nil, fmt.Errorf("creating schema_migrations: %w", err)
	}
	rows, err := conn.Query(ctx, "SELECT version FROM schema_migrations")
	if err != nil {
		return nil, fmt.Errorf("reading schema_migrations: %w", err)
	}
	done, err := pgx.CollectRows(rows, pgx.RowTo[int])
	if err != nil {
		return nil, fmt.Errorf("reading schema_migrations: %w", err)
	}
	for _, m := range ms {
		if slices.Contains(done, m.Version) {
			continue
		}
		if err := pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, m.SQL, pgx.QueryExecModeSimpleProtocol); err != nil {
				return err
			}
			_, err := tx.Exec(ctx, "INSERT INTO schema_migrations (version, name) VALUES ($1, $2)", m.Version, m.Name)
			return err
		}); err != nil {
			return applied, fmt.Errorf("applying migration %s: %w", m.Name, describe(err))
		}
		applied = append(applied, m.Version)
		log.InfoContext(ctx, "Applied migration", "version", m.Version, "name", m.Name)
	}
	return applied, nil
}

// Current returns the highest version recorded in the database, 0 when the
// schema has never been migrated.
func Current(ctx context.Context, q interface {
	QueryRow(context.Context, string, ...any) pgx.Row
}) (int, error) {
	var v int
	err := q.QueryRow(ctx, "SELECT coalesce(max(version), 0) FROM schema_migrations").Scan(&v)
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "42P01" { // undefined_table
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("reading the schema version: %w", err)
	}
	return v, nil
}

func describe(err error) error {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Position > 0 {
		return fmt.Errorf("%w (at character %d)", err, pgErr.Position)
	}
	return err
}
