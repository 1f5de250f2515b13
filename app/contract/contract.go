package contract

// Environment variables the operator sets in the task definition's plain
// `environment` list.
const (
	// EnvListenPort is the TCP port the HTTP server listens on.
	EnvListenPort = "DOCUFLOW_LISTEN_PORT"
	// EnvDBHost is the PostgreSQL endpoint address (the RDS instance endpoint).
	EnvDBHost = "DOCUFLOW_DB_HOST"
	// EnvDBPort is the PostgreSQL port.
	EnvDBPort = "DOCUFLOW_DB_PORT"
	// EnvDBName is the database the application owns.
	EnvDBName = "DOCUFLOW_DB_NAME"
)

// Environment variables injected by ECS from the RDS-managed master secret
// through `secrets`/`valueFrom`, never as plain environment values.
const (
	// EnvDBUser is the database user name, taken from SecretKeyUsername.
	EnvDBUser = "DOCUFLOW_DB_USER"
	// EnvDBPassword is the database password, taken from SecretKeyPassword.
	EnvDBPassword = "DOCUFLOW_DB_PASSWORD"
)

// Optional environment variables; each has a safe default, so the operator
// only sets them to override it.
const (
	// EnvDBSSLMode overrides the TLS mode towards the database: one of
	// disable, require, verify-ca or verify-full (the default).
	EnvDBSSLMode = "DOCUFLOW_DB_SSLMODE"
	// EnvDBCAFile points at a PEM bundle that replaces the Amazon RDS CA bundle
	// embedded in the binary.
	EnvDBCAFile = "DOCUFLOW_DB_CA_FILE"
	// EnvShutdownDrain is how long readiness reports failure before the server
	// stops accepting connections, as a Go duration.
	EnvShutdownDrain = "DOCUFLOW_SHUTDOWN_DRAIN"
	// EnvShutdownGrace is how long in-flight requests may take to finish after
	// the drain, as a Go duration.
	EnvShutdownGrace = "DOCUFLOW_SHUTDOWN_GRACE"
	// EnvLogLevel sets the minimum log level: debug, info, warn or error.
	EnvLogLevel = "DOCUFLOW_LOG_LEVEL"
	// EnvMetricsPort is the TCP port of the second listener, which serves
	// MetricsPath and the detailed status page; it must not be reachable
	// through the load balancer.
	EnvMetricsPort = "DOCUFLOW_METRICS_PORT"
	// EnvAuthIssuer is the OpenID Connect issuer URL (https) whose bearer
	// tokens the API accepts. Unset, every /api/ request is refused with 401.
	EnvAuthIssuer = "DOCUFLOW_AUTH_ISSUER"
	// EnvAuthAudience is the value a token's aud claim must contain; required
	// when EnvAuthIssuer is set.
	EnvAuthAudience = "DOCUFLOW_AUTH_AUDIENCE"
	// EnvAuthAdminGroup is a value of the token's groups claim, or one word of
	// its scope claim, that lets a caller see and change every document.
	EnvAuthAdminGroup = "DOCUFLOW_AUTH_ADMIN_GROUP"
	// EnvDBSecretARN is the ARN of the Secrets Manager secret holding the
	// database user name and password (keys SecretKeyUsername and
	// SecretKeyPassword). When set, the API reads them from Secrets Manager
	// whenever it opens a connection, so a rotated password is picked up
	// without a restart, and EnvDBUser and EnvDBPassword become optional.
	EnvDBSecretARN = "DOCUFLOW_DB_SECRET_ARN"
)

// JSON keys of the RDS-managed master user secret in Secrets Manager.
const (
	// SecretKeyUsername is the key holding the master user name.
	SecretKeyUsername = "username"
	// SecretKeyPassword is the key holding the master user password.
	SecretKeyPassword = "password"
)

// Defaults and facts about the container image.
const (
	// DefaultListenPort is the port used when EnvListenPort is unset; it is
	// also the port the image exposes and the operator's default containerPort.
	DefaultListenPort = 8080
	// DefaultDBPort is the PostgreSQL port used when EnvDBPort is unset.
	DefaultDBPort = 5432
	// DefaultDBSSLMode is the TLS mode used when EnvDBSSLMode is unset.
	DefaultDBSSLMode = "verify-full"
	// BinaryPath is where the image places the binary; it is the entrypoint.
	BinaryPath = "/docuflow-api"
	// HealthCheckSubcommand makes the binary probe its own liveness endpoint,
	// because the distroless image has no shell or curl.
	HealthCheckSubcommand = "healthcheck"
	// RunAsUID is the non-root user the image runs as (distroless "nonroot").
	RunAsUID = 65532
	// RunAsGID is the group the image runs as (distroless "nonroot").
	RunAsGID = 65532
	// LivenessPath answers 200 while the process serves HTTP, without the database.
	LivenessPath = "/healthz"
	// ReadinessPath answers 200 only when the database is reachable, the schema
	// is migrated and the process is not shutting down; use it for the target group.
	ReadinessPath = "/readyz"
	// DefaultMetricsPort is the metrics listener's port when EnvMetricsPort is
	// unset. It is not the container port the target group forwards to.
	DefaultMetricsPort = 9090
	// MetricsPath serves Prometheus metrics, on the metrics port only.
	MetricsPath = "/metrics"
)

// HealthCheckCommand returns the container health check command for the task
// definition; it needs no shell.
func HealthCheckCommand() []string {
	return []string{"CMD", BinaryPath, HealthCheckSubcommand}
}

// PlainEnv returns the names the operator puts in the task definition's
// `environment` list, in a stable order.
func PlainEnv() []string {
	return []string{EnvListenPort, EnvDBHost, EnvDBPort, EnvDBName}
}

// SecretEnv maps each environment variable that ECS injects from the
// RDS-managed secret to the JSON key it takes from that secret.
func SecretEnv() map[string]string {
	return map[string]string{
		EnvDBUser:     SecretKeyUsername,
		EnvDBPassword: SecretKeyPassword,
	}
}

// OptionalEnv returns the names that override a default, in a stable order.
// Without the EnvAuth* names the API refuses every /api/ request; without
// EnvDBSecretARN it logs in with EnvDBUser and EnvDBPassword as read at start.
func OptionalEnv() []string {
	return []string{
		EnvDBSSLMode, EnvDBCAFile, EnvShutdownDrain, EnvShutdownGrace, EnvLogLevel,
		EnvMetricsPort, EnvAuthIssuer, EnvAuthAudience, EnvAuthAdminGroup, EnvDBSecretARN,
	}
}

// AllEnv returns every environment variable the binary reads, in a stable order.
func AllEnv() []string {
	all := PlainEnv()
	all = append(all, EnvDBUser, EnvDBPassword)
	return append(all, OptionalEnv()...)
}
