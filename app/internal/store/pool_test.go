package store_test

import (
	"context"
	"crypto/x509"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/docuflow/docuflow-operator/app/internal/store"
)

func TestTLSModesAgainstARealServer(t *testing.T) {
	if pg.CAFile == "" {
		t.Skip("the server from DATABASE_URL has no known CA")
	}
	serverCA, err := os.ReadFile(pg.CAFile)
	if err != nil {
		t.Fatal(err)
	}
	d := pg.NewDatabase(t)
	tests := []struct {
		name    string
		mode    string
		ca      []byte
		wantErr string
	}{
		{name: "verify-full trusts the server with its CA as the override bundle", mode: "verify-full", ca: serverCA},
		{name: "verify-full rejects the server with the embedded RDS bundle", mode: "verify-full", wantErr: "certificate signed by unknown authority"},
		{name: "verify-ca trusts the server with its CA", mode: "verify-ca", ca: serverCA},
		{name: "verify-ca rejects the server with the embedded RDS bundle", mode: "verify-ca", wantErr: "unknown authority"},
		{name: "require encrypts without checking the certificate", mode: "require"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := dbConfig(d)
			cfg.SSLMode, cfg.CAPEM = tt.mode, tt.ca
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			pool, err := store.Open(ctx, cfg)
			if err != nil {
				t.Fatal(err)
			}
			defer pool.Close()
			var ssl bool
			err = pool.QueryRow(ctx, "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()").Scan(&ssl)
			if tt.wantErr != "" {
				var unknown x509.UnknownAuthorityError
				if err == nil || (!errors.As(err, &unknown) && !strings.Contains(err.Error(), tt.wantErr)) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !ssl {
				t.Error("the session is not encrypted")
			}
		})
	}
}

func TestThePoolConfigurationHoldsThePasswordOutsideItsConnectionString(t *testing.T) {
	cfg := dbConfig(pg.NewDatabase(t))
	cfg.Password = "pa'ss\\word with spaces"
	pc, err := store.PoolConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(pc.ConnString(), "word with") {
		t.Errorf("connection string carries the password: %s", pc.ConnString())
	}
	if pc.ConnConfig.Password != cfg.Password {
		t.Errorf("password changed on the way: %q", pc.ConnConfig.Password)
	}
	if len(pc.ConnConfig.Fallbacks) != 0 {
		t.Errorf("pool may fall back to another connection mode: %d fallbacks", len(pc.ConnConfig.Fallbacks))
	}
}

func TestAWrongFixedPasswordFailsAtOnceWithoutRetries(t *testing.T) {
	cfg := dbConfig(pg.NewDatabase(t))
	cfg.Password = "not the password"
	ctx := context.Background()
	pool, err := store.Open(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	begin := time.Now()
	err = store.Retry(ctx, pool, pool.Ping)
	if !store.IsPasswordRejected(err) {
		t.Fatalf("Ping = %v, want the server refusing the password (28P01)", err)
	}
	// Retrying only helps when each connection fetches the password anew.
	if d := time.Since(begin); d > 2*time.Second {
		t.Errorf("a fixed wrong password took %s to fail, want no retries", d)
	}
}
