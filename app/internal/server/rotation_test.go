package server

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/docuflow/docuflow-operator/app/internal/config"
	"github.com/docuflow/docuflow-operator/app/internal/mototest"
	"github.com/docuflow/docuflow-operator/app/internal/pgtest"
)

// withSecret makes the app read its database credentials from the secret
// only, as in production with DOCUFLOW_DB_SECRET_ARN set.
func withSecret(arn string) appOption {
	return func(c *config.Config) {
		c.DB.SecretARN, c.DB.User, c.DB.Password = arn, "", ""
	}
}

// loginRole creates a role that logs in with password (scram-sha-256, the
// server's only method over TCP), owning its own database, and drops both
// when t ends.
func loginRole(t *testing.T, password string) (pgtest.Database, *pgx.Conn) {
	t.Helper()
	ctx := context.Background()
	admin, err := pgx.Connect(ctx, pgtest.Database{Host: pg.Host, Port: pg.Port, Name: "postgres", User: pg.User, Password: pg.Password}.ConnString())
	if err != nil {
		t.Fatal(err)
	}
	role := fmt.Sprintf("rotating_%d", time.Now().UnixNano())
	if _, err := admin.Exec(ctx, "CREATE ROLE "+role+" LOGIN PASSWORD '"+password+"'"); err != nil {
		t.Fatal(err)
	}
	// Registered before the database's cleanup, so it runs after it.
	t.Cleanup(func() {
		ctx := context.Background()
		_, _ = admin.Exec(ctx, "DROP ROLE IF EXISTS "+role)
		_ = admin.Close(ctx)
	})
	db := pg.NewDatabase(t)
	if _, err := admin.Exec(ctx, "ALTER DATABASE "+pgx.Identifier{db.Name}.Sanitize()+" OWNER TO "+role); err != nil {
		t.Fatal(err)
	}
	db.User, db.Password = role, password
	return db, admin
}

// TestAPasswordRotationCausesNoErrors rotates the database password twice
// under constant load: first the database and then the secret, as RDS's own
// rotation does, then the other way round. Each time the pool's connections
// are closed, so requests need new connections with the new password.
func TestAPasswordRotationCausesNoErrors(t *testing.T) {
	moto := mototest.Start(t)
	ctx := context.Background()
	db, admin := loginRole(t, "first-password")
	sm := moto.SecretsManager("eu-west-1")
	arn := moto.CreateJSON(ctx, t, sm, "rds!db-rotation-test", mototest.Credentials(db.User, "first-password"))

	a := startApp(t, db, withSecret(arn))
	a.waitReady(t)
	pool := a.srv.opts.Pool

	var (
		phase                atomic.Int32 // 0 before, 1 after the first rotation, 2 after the second
		okByPhase            [3]atomic.Int64
		serverErrs, failures atomic.Int64
		firstErr             atomic.Value
		stop                 = make(chan struct{})
		wg                   sync.WaitGroup
	)
	record := func(what string, code int, err error) {
		switch {
		case err != nil:
			failures.Add(1)
			firstErr.CompareAndSwap(nil, fmt.Sprintf("%s: %v", what, err))
		case code >= 500:
			serverErrs.Add(1)
			firstErr.CompareAndSwap(nil, fmt.Sprintf("%s: status %d", what, code))
		default:
			okByPhase[phase.Load()].Add(1)
		}
	}
	body := `{"title":"load","content_type":"text/plain","size_bytes":1,"sha256":"` + strings.Repeat("ab", 32) + `"}`
	for w := range 6 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				var req *http.Request
				switch i % 3 {
				case 0:
					req, _ = http.NewRequest(http.MethodPost, a.url+"/api/v1/documents", strings.NewReader(body))
					req.Header.Set("Content-Type", "application/json")
				case 1:
					req, _ = http.NewRequest(http.MethodGet, a.url+"/api/v1/documents?limit=5", nil)
				default:
					req, _ = http.NewRequest(http.MethodGet, a.url+"/api/v1/documents/00000000-0000-4000-8000-00000000000"+fmt.Sprint(w), nil)
				}
				req.Header.Set("Authorization", "Bearer "+a.token)
				resp, err := client.Do(req)
				code := 0
				if err == nil {
					code = resp.StatusCode
					resp.Body.Close()
				}
				record(req.Method+" "+req.URL.Path, code, err)
			}
		}()
	}
	alter := func(password string) {
		t.Helper()
		if _, err := admin.Exec(ctx, "ALTER ROLE "+db.User+" PASSWORD '"+password+"'"); err != nil {
			t.Fatal(err)
		}
	}
	// reconnect closes every pooled connection (busy ones when released), so
	// what follows runs on connections opened after the change.
	reconnect := func() int64 {
		before := pool.Stat().NewConnsCount()
		pool.Reset()
		return before
	}
	// settle waits for requests to succeed on connections opened after the
	// change; on timeout it reports and goes on, so the error count is shown.
	settle := func(p int32, since int64) {
		t.Helper()
		phase.Store(p)
		deadline := time.Now().Add(20 * time.Second)
		for okByPhase[p].Load() < 30 || pool.Stat().NewConnsCount() <= since {
			if time.Now().After(deadline) {
				t.Errorf("rotation %d: %d requests succeeded within 20s, want 30 on new connections", p, okByPhase[p].Load())
				return
			}
			time.Sleep(20 * time.Millisecond)
		}
	}

	eventually(t, 20*time.Second, "load before the rotation", func() bool { return okByPhase[0].Load() >= 30 })

	// Database first, then the secret (RDS's order: setSecret, then finishSecret).
	alter("second-password")
	reconnect() // new connections in the gap: the old password fails, the secret still has it
	time.Sleep(300 * time.Millisecond)
	moto.PutJSON(ctx, t, sm, arn, mototest.Credentials(db.User, "second-password"))
	settle(1, reconnect())

	// Secret first, then the database.
	moto.PutJSON(ctx, t, sm, arn, mototest.Credentials(db.User, "third-password"))
	reconnect() // the cached second password still works here
	time.Sleep(300 * time.Millisecond)
	alter("third-password")
	settle(2, reconnect())

	close(stop)
	wg.Wait()
	t.Logf("successful requests before, between and after the rotations: %d, %d, %d; new connections: %d",
		okByPhase[0].Load(), okByPhase[1].Load(), okByPhase[2].Load(), pool.Stat().NewConnsCount())
	if n, f := serverErrs.Load(), failures.Load(); n+f > 0 {
		t.Errorf("%d responses were 5xx and %d requests failed during the rotations; first: %v", n, f, firstErr.Load())
	}
	pool.Reset()
	if code, body := a.get(t, "/api/v1/documents"); code != http.StatusOK {
		t.Errorf("after the rotations, on a new connection: %d %s", code, body)
	}
	if code, body := a.get(t, "/readyz"); code != http.StatusOK {
		t.Errorf("readiness after the rotations: %d %s", code, body)
	}
}
