package config

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/docuflow/docuflow-operator/app/contract"
	"github.com/docuflow/docuflow-operator/app/internal/dbtls"
)

func validEnv() map[string]string {
	return map[string]string{
		contract.EnvDBHost:     "db.example.internal",
		contract.EnvDBName:     "docuflow",
		contract.EnvDBUser:     "docuflow_admin",
		contract.EnvDBPassword: "s3cret pass",
	}
}

func lookupIn(env map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) {
		v, ok := env[k]
		return v, ok
	}
}

func TestLoaderReadsExactlyTheContractNames(t *testing.T) {
	var read []string
	lookup := func(k string) (string, bool) {
		read = append(read, k)
		return lookupIn(validEnv())(k)
	}
	if _, err := Load(lookup); err != nil {
		t.Fatal(err)
	}
	slices.Sort(read)
	read = slices.Compact(read)
	want := slices.Sorted(slices.Values(contract.AllEnv()))
	if !slices.Equal(read, want) {
		t.Errorf("loader read %q\nwant exactly %q", read, want)
	}
}

func TestDefaultsApplyWhenOptionalSettingsAreAbsent(t *testing.T) {
	cfg, err := Load(lookupIn(validEnv()))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.ListenPort != contract.DefaultListenPort || cfg.DB.Port != contract.DefaultDBPort {
		t.Errorf("ports = %d/%d, want defaults", cfg.ListenPort, cfg.DB.Port)
	}
	if cfg.DB.SSLMode != dbtls.ModeVerifyFull || cfg.DB.CAPEM != nil {
		t.Errorf("TLS = %q with CA %d bytes, want verify-full with the embedded bundle", cfg.DB.SSLMode, len(cfg.DB.CAPEM))
	}
	if cfg.ShutdownDrain != DefaultShutdownDrain || cfg.ShutdownGrace != DefaultShutdownGrace || cfg.LogLevel != slog.LevelInfo {
		t.Errorf("shutdown/log defaults not applied: %+v", cfg)
	}
	if cfg.DB.Password != "s3cret pass" {
		t.Errorf("password was altered: %q", cfg.DB.Password)
	}
}

func TestEachBadSettingStopsStartupNamingTheVariable(t *testing.T) {
	dir := t.TempDir()
	notPEM := filepath.Join(dir, "not.pem")
	if err := os.WriteFile(notPEM, []byte("hello"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		key   string
		value string // "" with unset=true removes the variable
		unset bool
	}{
		{name: "a missing database host", key: contract.EnvDBHost, unset: true},
		{name: "a blank database host", key: contract.EnvDBHost, value: "   "},
		{name: "a missing database name", key: contract.EnvDBName, unset: true},
		{name: "a missing database user", key: contract.EnvDBUser, unset: true},
		{name: "a missing database password", key: contract.EnvDBPassword, unset: true},
		{name: "a listen port that is not a number", key: contract.EnvListenPort, value: "http"},
		{name: "a listen port out of range", key: contract.EnvListenPort, value: "70000"},
		{name: "a database port of zero", key: contract.EnvDBPort, value: "0"},
		{name: "an unknown TLS mode", key: contract.EnvDBSSLMode, value: "prefer"},
		{name: "a CA file that does not exist", key: contract.EnvDBCAFile, value: filepath.Join(dir, "absent.pem")},
		{name: "a CA file without certificates", key: contract.EnvDBCAFile, value: notPEM},
		{name: "a drain that is not a duration", key: contract.EnvShutdownDrain, value: "five"},
		{name: "a grace period too long for ECS", key: contract.EnvShutdownGrace, value: "1h"},
		{name: "an unknown log level", key: contract.EnvLogLevel, value: "chatty"},
		{name: "a metrics port that is not a number", key: contract.EnvMetricsPort, value: "metrics"},
		{name: "a metrics port equal to the listen port", key: contract.EnvMetricsPort, value: "8080"},
		{name: "an issuer over plain HTTP", key: contract.EnvAuthIssuer, value: "http://idp.example.com"},
		{name: "an issuer that is not a URL", key: contract.EnvAuthIssuer, value: "idp.example.com"},
		{name: "a secret ARN of another service", key: contract.EnvDBSecretARN, value: "arn:aws:s3:::bucket"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := validEnv()
			if tt.unset {
				delete(env, tt.key)
			} else {
				env[tt.key] = tt.value
			}
			_, err := Load(lookupIn(env))
			if err == nil {
				t.Fatalf("Load accepted %s=%q", tt.key, tt.value)
			}
			var ve *VarError
			if !errors.As(err, &ve) || ve.Var != tt.key {
				t.Fatalf("error %q does not name %s", err, tt.key)
			}
			if !strings.Contains(err.Error(), tt.key) {
				t.Errorf("message %q does not contain %s", err, tt.key)
			}
		})
	}
}

func TestAllProblemsAreReportedTogether(t *testing.T) {
	_, err := Load(lookupIn(map[string]string{contract.EnvListenPort: "x"}))
	for _, name := range []string{contract.EnvListenPort, contract.EnvDBHost, contract.EnvDBName, contract.EnvDBUser, contract.EnvDBPassword} {
		if err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("error %v does not mention %s", err, name)
		}
	}
}

func TestAnOperatorCAFileReplacesTheEmbeddedBundle(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(path, dbtls.RDSBundle(), 0o600); err != nil {
		t.Fatal(err)
	}
	env := validEnv()
	env[contract.EnvDBCAFile] = path
	cfg, err := Load(lookupIn(env))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.DB.CAFile != path || len(cfg.DB.CAPEM) == 0 {
		t.Errorf("CA file not loaded: %q, %d bytes", cfg.DB.CAFile, len(cfg.DB.CAPEM))
	}
}

func TestTheDatabaseSettingsNeverPrintThePassword(t *testing.T) {
	cfg, err := Load(lookupIn(validEnv()))
	if err != nil {
		t.Fatal(err)
	}
	var sb strings.Builder
	slog.New(slog.NewJSONHandler(&sb, nil)).Info("Loaded", "db", cfg.DB)
	for _, s := range []string{fmt.Sprint(cfg.DB), fmt.Sprintf("%+v", cfg.DB), fmt.Sprintf("%v", cfg), sb.String()} {
		if strings.Contains(s, "s3cret") {
			t.Errorf("password leaked: %s", s)
		}
	}
}

func TestHealthcheckNeedsOnlyTheListenPort(t *testing.T) {
	p, err := ListenPort(lookupIn(map[string]string{contract.EnvListenPort: "9090"}))
	if err != nil || p != 9090 {
		t.Errorf("ListenPort = %d, %v", p, err)
	}
	if _, err := ListenPort(lookupIn(map[string]string{contract.EnvListenPort: "-1"})); err == nil {
		t.Error("ListenPort accepted -1")
	}
}

func TestAnIssuerNeedsAnAudience(t *testing.T) {
	env := validEnv()
	env[contract.EnvAuthIssuer] = "https://idp.example.com/realms/docuflow"
	_, err := Load(lookupIn(env))
	var ve *VarError
	if !errors.As(err, &ve) || ve.Var != contract.EnvAuthAudience {
		t.Fatalf("Load = %v, want an error naming %s", err, contract.EnvAuthAudience)
	}
	env[contract.EnvAuthAudience] = "docuflow-api"
	env[contract.EnvAuthAdminGroup] = "docuflow-admins"
	cfg, err := Load(lookupIn(env))
	if err != nil {
		t.Fatal(err)
	}
	want := Auth{Issuer: "https://idp.example.com/realms/docuflow", Audience: "docuflow-api", AdminGroup: "docuflow-admins"}
	if cfg.Auth != want {
		t.Errorf("Auth = %+v, want %+v", cfg.Auth, want)
	}
}

func TestWithoutAnIssuerAuthenticationStaysUnconfigured(t *testing.T) {
	cfg, err := Load(lookupIn(validEnv()))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Auth != (Auth{}) || cfg.MetricsPort != contract.DefaultMetricsPort {
		t.Errorf("Auth = %+v, metrics port %d; want no auth and port %d", cfg.Auth, cfg.MetricsPort, contract.DefaultMetricsPort)
	}
}

func TestASecretARNMakesTheUserAndPasswordOptional(t *testing.T) {
	env := validEnv()
	delete(env, contract.EnvDBUser)
	delete(env, contract.EnvDBPassword)
	arn := "arn:aws:secretsmanager:eu-west-1:123456789012:secret:rds!db-0a1b2c-AbCdEf"
	env[contract.EnvDBSecretARN] = arn
	cfg, err := Load(lookupIn(env))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.DB.SecretARN != arn || SecretRegion(arn) != "eu-west-1" {
		t.Errorf("secret ARN %q in region %q", cfg.DB.SecretARN, SecretRegion(arn))
	}
}
