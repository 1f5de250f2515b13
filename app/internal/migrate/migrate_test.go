package migrate

import (
	"context"
	"io"
	"log/slog"
	"os"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/docuflow/docuflow-operator/app/internal/config"
	"github.com/docuflow/docuflow-operator/app/internal/pgtest"
	"github.com/docuflow/docuflow-operator/app/internal/store"
)

var pg *pgtest.Server

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m, &pg)) }

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

func openPool(t *testing.T, d pgtest.Database) *pgxpool.Pool {
	t.Helper()
	pool, err := store.Open(context.Background(), config.DB{Host: d.Host, Port: d.Port, Name: d.Name, User: d.User, Password: d.Password, SSLMode: "disable"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	return pool
}

func TestTenTasksStartingTogetherApplyEachMigrationOnce(t *testing.T) {
	d := pg.NewDatabase(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	const tasks = 10
	pools := make([]*pgxpool.Pool, tasks)
	for i := range pools {
		pools[i] = openPool(t, d)
	}
	start := make(chan struct{})
	applied := make([][]int, tasks)
	errs := make([]error, tasks)
	var wg sync.WaitGroup
	for i := range pools {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			<-start
			applied[i], errs[i] = Up(ctx, pools[i], quiet)
		}(i)
	}
	close(start)
	wg.Wait()

	total := 0
	for i, err := range errs {
		if err != nil {
			t.Fatalf("task %d: %v", i, err)
		}
		total += len(applied[i])
	}
	ms, _ := All()
	if total != len(ms) {
		t.Errorf("tasks applied %d migrations between them, want %d (each once): %v", total, len(ms), applied)
	}
	rows, err := pools[0].Query(ctx, "SELECT version, count(*) FROM schema_migrations GROUP BY version")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	n := 0
	for rows.Next() {
		var v, c int
		if err := rows.Scan(&v, &c); err != nil {
			t.Fatal(err)
		}
		if c != 1 {
			t.Errorf("version %d recorded %d times", v, c)
		}
		n++
	}
	if n != len(ms) {
		t.Errorf("schema_migrations has %d versions, want %d", n, len(ms))
	}
}

func TestARestartAppliesNothing(t *testing.T) {
	pool := openPool(t, pg.NewDatabase(t))
	ctx := context.Background()
	if _, err := Up(ctx, pool, quiet); err != nil {
		t.Fatal(err)
	}
	again, err := Up(ctx, pool, quiet)
	if err != nil {
		t.Fatal(err)
	}
	if len(again) != 0 {
		t.Errorf("second run applied %v", again)
	}
	v, err := Current(ctx, pool)
	if err != nil || v != Latest() {
		t.Errorf("Current = %d, %v; want %d", v, err, Latest())
	}
}

func TestAFailingMigrationLeavesNoTraceAndReleasesTheLock(t *testing.T) {
	pool := openPool(t, pg.NewDatabase(t))
	ctx := context.Background()
	bad := []Migration{
		{Version: 1, Name: "0001_ok.sql", SQL: "CREATE TABLE a (x int)"},
		{Version: 2, Name: "0002_broken.sql", SQL: "CREATE TABLE b (x int); SELEC oops"},
	}
	if _, err := apply(ctx, pool, bad, quiet); err == nil {
		t.Fatal("broken migration reported success")
	}
	v, err := Current(ctx, pool)
	if err != nil || v != 1 {
		t.Errorf("Current = %d, %v; want 1 (the good migration only)", v, err)
	}
	var exists bool
	if err := pool.QueryRow(ctx, "SELECT to_regclass('b') IS NOT NULL").Scan(&exists); err != nil || exists {
		t.Errorf("table from the broken migration exists=%v (err %v)", exists, err)
	}
	// Another session can take the lock at once: it was released, not leaked.
	var got bool
	if err := pool.QueryRow(ctx, "SELECT pg_try_advisory_lock($1)", LockKey).Scan(&got); err != nil || !got {
		t.Errorf("lock still held after the failure (err %v)", err)
	}
}

func TestCurrentIsZeroBeforeTheFirstMigration(t *testing.T) {
	pool := openPool(t, pg.NewDatabase(t))
	if v, err := Current(context.Background(), pool); err != nil || v != 0 {
		t.Errorf("Current = %d, %v; want 0", v, err)
	}
}

func TestMigrationFilesMustBeNumberedOnce(t *testing.T) {
	tests := []struct {
		name  string
		files fstest.MapFS
	}{
		{name: "a file without a number is rejected", files: fstest.MapFS{"m/create.sql": {}}},
		{name: "two files with one number are rejected", files: fstest.MapFS{"m/0001_a.sql": {}, "m/001_b.sql": {}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := load(tt.files, "m"); err == nil {
				t.Error("load accepted the files")
			}
		})
	}
	ms, err := All()
	if err != nil || len(ms) == 0 || ms[0].Version != 1 {
		t.Fatalf("embedded migrations: %v, %v", ms, err)
	}
}
