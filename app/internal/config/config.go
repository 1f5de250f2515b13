package config

import (
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/docuflow/docuflow-operator/app/contract"
	"github.com/docuflow/docuflow-operator/app/internal/dbtls"
)

// Defaults for the optional settings.
const (
	// DefaultShutdownDrain leaves the load balancer time to see readiness fail.
	DefaultShutdownDrain = 5 * time.Second
	// DefaultShutdownGrace keeps drain plus grace under ECS's default 30 s stopTimeout.
	DefaultShutdownGrace = 20 * time.Second
)

// Config is the complete, validated configuration of one API process.
type Config struct {
	// ListenPort is the HTTP port.
	ListenPort int
	// MetricsPort is the port of the metrics and status listener.
	MetricsPort int
	// Auth says which bearer tokens the API accepts.
	Auth Auth
	// DB describes how to reach PostgreSQL.
	DB DB
	// ShutdownDrain is how long readiness fails before the listener closes.
	ShutdownDrain time.Duration
	// ShutdownGrace bounds how long in-flight requests may run after the drain.
	ShutdownGrace time.Duration
	// LogLevel is the minimum level written to the log.
	LogLevel slog.Level
}

// Auth holds the OpenID Connect settings; a zero Issuer means that
// authentication is not configured and every /api/ request is refused.
type Auth struct {
	// Issuer is the issuer URL, the iss claim tokens must carry.
	Issuer string
	// Audience is the value the aud claim must contain.
	Audience string
	// AdminGroup, when set, is the groups value or scope word that grants
	// access to every document.
	AdminGroup string
}

// DB holds the database connection settings.
type DB struct {
	// Host is the server address.
	Host string
	// Port is the server port.
	Port int
	// Name is the database name.
	Name string
	// User is the role to log in as; ignored when SecretARN is set.
	User string
	// Password is the role's password; it is never logged or rendered.
	// Ignored when SecretARN is set.
	Password string
	// SecretARN names the Secrets Manager secret to read the user name and
	// password from whenever a connection is opened; empty to use User and
	// Password.
	SecretARN string
	// SSLMode is one of the dbtls modes.
	SSLMode string
	// CAFile is the operator-supplied CA bundle path, empty for the embedded bundle.
	CAFile string
	// CAPEM is the content of CAFile, nil for the embedded bundle.
	CAPEM []byte
}

// LogValue renders the settings for a log line without the password.
func (d DB) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("host", d.Host),
		slog.Int("port", d.Port),
		slog.String("name", d.Name),
		slog.String("user", d.User),
		slog.String("secret_arn", d.SecretARN),
		slog.String("sslmode", d.SSLMode),
		slog.String("ca_file", d.CAFile),
	)
}

// String renders the settings without the password, for fmt and %v.
func (d DB) String() string {
	return fmt.Sprintf("host=%s port=%d dbname=%s user=%s sslmode=%s", d.Host, d.Port, d.Name, d.User, d.SSLMode)
}

// VarError is a problem with one environment variable.
type VarError struct {
	// Var is the environment variable at fault.
	Var string
	// Problem says what is wrong with it.
	Problem string
}

// Error implements error.
func (e *VarError) Error() string { return e.Var + ": " + e.Problem }

// FromEnv loads the configuration from the process environment.
func FromEnv() (Config, error) { return Load(os.LookupEnv) }

// Load reads every setting through lookup and reports all problems at once,
// each as a *VarError naming its variable.
func Load(lookup func(string) (string, bool)) (Config, error) {
	l := loader{lookup: lookup}
	secretARN := l.secretARN()
	// With a secret to read them from, the user name and password in the
	// environment are only what ECS injected at start, stale after a rotation.
	user, password := l.required, l.requiredRaw
	if secretARN != "" {
		user, password = l.optional, l.optionalRaw
	}
	cfg := Config{
		ListenPort:  l.port(contract.EnvListenPort, contract.DefaultListenPort),
		MetricsPort: l.port(contract.EnvMetricsPort, contract.DefaultMetricsPort),
		Auth:        l.auth(),
		DB: DB{
			Host:      l.required(contract.EnvDBHost),
			Port:      l.port(contract.EnvDBPort, contract.DefaultDBPort),
			Name:      l.required(contract.EnvDBName),
			User:      user(contract.EnvDBUser),
			Password:  password(contract.EnvDBPassword),
			SecretARN: secretARN,
			SSLMode:   l.sslMode(),
		},
		ShutdownDrain: l.duration(contract.EnvShutdownDrain, DefaultShutdownDrain, 0, time.Minute),
		ShutdownGrace: l.duration(contract.EnvShutdownGrace, DefaultShutdownGrace, time.Second, 5*time.Minute),
		LogLevel:      l.logLevel(),
	}
	cfg.DB.CAFile, cfg.DB.CAPEM = l.caFile()
	if cfg.MetricsPort != 0 && cfg.MetricsPort == cfg.ListenPort {
		l.fail(contract.EnvMetricsPort, "must differ from %s (%d): metrics must not be served on the port the load balancer reaches", contract.EnvListenPort, cfg.ListenPort)
	}
	if err := errors.Join(l.errs...); err != nil {
		return Config{}, err
	}
	return cfg, nil
}

type loader struct {
	lookup func(string) (string, bool)
	errs   []error
}

func (l *loader) fail(name, format string, args ...any) {
	l.errs = append(l.errs, &VarError{Var: name, Problem: fmt.Sprintf(format, args...)})
}

func (l *loader) get(name string) (string, bool) {
	v, ok := l.lookup(name)
	v = strings.TrimSpace(v)
	return v, ok && v != ""
}

func (l *loader) required(name string) string {
	v, ok := l.get(name)
	if !ok {
		l.fail(name, "must be set")
	}
	return v
}

// requiredRaw keeps surrounding spaces, which may be part of a password.
func (l *loader) requiredRaw(name string) string {
	v, ok := l.lookup(name)
	if !ok || v == "" {
		l.fail(name, "must be set")
	}
	return v
}

func (l *loader) optional(name string) string {
	v, _ := l.get(name)
	return v
}

func (l *loader) optionalRaw(name string) string {
	v, _ := l.lookup(name)
	return v
}

// secretARNPattern matches a Secrets Manager secret ARN and captures its region.
var secretARNPattern = regexp.MustCompile(`^arn:aws[a-z-]*:secretsmanager:([a-z0-9-]+):\d{12}:secret:[A-Za-z0-9/_+=.@!-]+$`)

// SecretRegion returns the region of a Secrets Manager secret ARN, "" when
// arn is not one.
func SecretRegion(arn string) string {
	m := secretARNPattern.FindStringSubmatch(arn)
	if m == nil {
		return ""
	}
	return m[1]
}

func (l *loader) secretARN() string {
	v, ok := l.get(contract.EnvDBSecretARN)
	if !ok {
		return ""
	}
	if SecretRegion(v) == "" {
		l.fail(contract.EnvDBSecretARN, "must be a Secrets Manager secret ARN such as arn:aws:secretsmanager:eu-west-1:123456789012:secret:name, got %q", v)
	}
	return v
}

func (l *loader) auth() Auth {
	a := Auth{}
	issuer, ok := l.get(contract.EnvAuthIssuer)
	audience, hasAudience := l.get(contract.EnvAuthAudience)
	a.AdminGroup, _ = l.get(contract.EnvAuthAdminGroup)
	if !ok {
		// Authentication stays closed: Run warns and /api/ answers 401.
		return Auth{}
	}
	u, err := url.Parse(issuer)
	if err != nil || u.Scheme != "https" || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		l.fail(contract.EnvAuthIssuer, "must be an https URL without query or fragment, got %q", issuer)
	}
	if !hasAudience {
		l.fail(contract.EnvAuthAudience, "must be set when %s is set", contract.EnvAuthIssuer)
	}
	a.Issuer, a.Audience = issuer, audience
	return a
}

func (l *loader) port(name string, def int) int {
	v, ok := l.get(name)
	if !ok {
		return def
	}
	p, err := strconv.Atoi(v)
	if err != nil || p < 1 || p > 65535 {
		l.fail(name, "must be a port number between 1 and 65535, got %q", v)
		return 0
	}
	return p
}

func (l *loader) duration(name string, def, lo, hi time.Duration) time.Duration {
	v, ok := l.get(name)
	if !ok {
		return def
	}
	d, err := time.ParseDuration(v)
	if err != nil || d < lo || d > hi {
		l.fail(name, "must be a duration between %s and %s such as \"10s\", got %q", lo, hi, v)
		return 0
	}
	return d
}

func (l *loader) sslMode() string {
	v, ok := l.get(contract.EnvDBSSLMode)
	if !ok {
		return contract.DefaultDBSSLMode
	}
	if !slices.Contains(dbtls.Modes, v) {
		l.fail(contract.EnvDBSSLMode, "must be one of %s, got %q", strings.Join(dbtls.Modes, ", "), v)
	}
	return v
}

func (l *loader) caFile() (string, []byte) {
	path, ok := l.get(contract.EnvDBCAFile)
	if !ok {
		return "", nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		l.fail(contract.EnvDBCAFile, "cannot read the CA bundle: %v", err)
		return path, nil
	}
	if _, err := dbtls.Roots(b); err != nil {
		l.fail(contract.EnvDBCAFile, "%s holds no PEM certificates", path)
		return path, nil
	}
	return path, b
}

func (l *loader) logLevel() slog.Level {
	v, ok := l.get(contract.EnvLogLevel)
	if !ok {
		return slog.LevelInfo
	}
	var lvl slog.Level
	if err := lvl.UnmarshalText([]byte(v)); err != nil {
		l.fail(contract.EnvLogLevel, "must be debug, info, warn or error, got %q", v)
	}
	return lvl
}

// ListenPort reads only the listen port, for the healthcheck subcommand, which
// must work even when the database settings are absent or wrong.
func ListenPort(lookup func(string) (string, bool)) (int, error) {
	l := loader{lookup: lookup}
	p := l.port(contract.EnvListenPort, contract.DefaultListenPort)
	return p, errors.Join(l.errs...)
}
