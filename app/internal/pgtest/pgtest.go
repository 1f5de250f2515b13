package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/docuflow/docuflow-operator/app/contract"
)

// MissingBinariesMessage is printed, and the package fails, when neither
// DATABASE_URL nor the PostgreSQL server binaries are available.
const MissingBinariesMessage = "PostgreSQL server binaries not found: install them with 'apt-get install -y postgresql'"

// errMissingBinaries marks the one start-up failure with a fixed message.
var errMissingBinaries = errors.New(MissingBinariesMessage)

// Server is a running PostgreSQL server reachable over TCP on 127.0.0.1 (or
// wherever DATABASE_URL points).
type Server struct {
	// Host is the address tests connect to.
	Host string
	// Port is the TCP port.
	Port int
	// User is a superuser, able to create databases.
	User string
	// Password is User's password.
	Password string
	// CAFile is a PEM file with the CA that signed the server's TLS
	// certificate; empty when the server came from DATABASE_URL.
	CAFile string

	adminDB string
	stop    func() error
	dbSeq   atomic.Int64
}

// Main starts a server, stores it in *dst, runs the package's tests and stops
// the server. Call it from TestMain: os.Exit(pgtest.Main(m, &srv)).
func Main(m *testing.M, dst **Server) int {
	srv, err := Start()
	if err != nil {
		if errors.Is(err, errMissingBinaries) {
			fmt.Fprintln(os.Stderr, MissingBinariesMessage)
		} else {
			fmt.Fprintf(os.Stderr, "pgtest: starting PostgreSQL: %v\n", err)
		}
		return 1
	}
	*dst = srv
	code := m.Run()
	if err := srv.Stop(); err != nil {
		fmt.Fprintf(os.Stderr, "pgtest: stopping PostgreSQL: %v\n", err)
	}
	return code
}

// Start connects to DATABASE_URL when it is set, otherwise builds and starts a
// server from the system binaries.
func Start() (*Server, error) {
	if url := os.Getenv("DATABASE_URL"); url != "" {
		return external(url)
	}
	return startLocal()
}

// Stop shuts a local server down and removes its files; it does nothing for
// DATABASE_URL.
func (s *Server) Stop() error {
	if s.stop == nil {
		return nil
	}
	return s.stop()
}

func external(url string) (*Server, error) {
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("parsing DATABASE_URL: %w", err)
	}
	s := &Server{Host: cfg.Host, Port: int(cfg.Port), User: cfg.User, Password: cfg.Password, adminDB: cfg.Database}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := s.connect(ctx, s.adminDB)
	if err != nil {
		return nil, fmt.Errorf("connecting to DATABASE_URL: %w", err)
	}
	return s, conn.Close(ctx)
}

// Database is one test's private database on the server.
type Database struct {
	// Host is the server address.
	Host string
	// Port is the server port.
	Port int
	// Name is the database, unique to one test.
	Name string
	// User owns the database.
	User string
	// Password is User's password.
	Password string
	// CAFile is the server's CA, empty when unknown.
	CAFile string
}

// ConnString returns a pgx keyword/value connection string without TLS.
func (d Database) ConnString() string {
	return fmt.Sprintf("host=%s port=%d dbname=%s user=%s password=%s sslmode=disable",
		d.Host, d.Port, quote(d.Name), quote(d.User), quote(d.Password))
}

// Env returns the API's environment for this database, named as in package
// contract, with TLS disabled.
func (d Database) Env() map[string]string {
	return map[string]string{
		contract.EnvDBHost:     d.Host,
		contract.EnvDBPort:     strconv.Itoa(d.Port),
		contract.EnvDBName:     d.Name,
		contract.EnvDBUser:     d.User,
		contract.EnvDBPassword: d.Password,
		contract.EnvDBSSLMode:  "disable",
	}
}

// NewDatabase creates an empty database for t and drops it when t ends.
func (s *Server) NewDatabase(t testing.TB) Database {
	t.Helper()
	name := fmt.Sprintf("t%d_%d_%s", os.Getpid(), s.dbSeq.Add(1), randomHex(4))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := s.connect(ctx, s.adminDB)
	if err != nil {
		t.Fatalf("connecting to create a test database: %v", err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
		t.Fatalf("creating test database %s: %v", name, err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		conn, err := s.connect(ctx, s.adminDB)
		if err != nil {
			t.Errorf("connecting to drop test database %s: %v", name, err)
			return
		}
		defer conn.Close(ctx)
		// FORCE ends sessions a test left open, such as a pool it never closed.
		if _, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)"); err != nil {
			t.Errorf("dropping test database %s: %v", name, err)
		}
	})
	return Database{Host: s.Host, Port: s.Port, Name: name, User: s.User, Password: s.Password, CAFile: s.CAFile}
}

func (s *Server) connect(ctx context.Context, db string) (*pgx.Conn, error) {
	d := Database{Host: s.Host, Port: s.Port, Name: db, User: s.User, Password: s.Password}
	return pgx.Connect(ctx, d.ConnString())
}

func startLocal() (*Server, error) {
	bin, err := findBinaries(exec.LookPath, "/usr/lib/postgresql/*/bin/initdb")
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "docuflow-pgtest-")
	if err != nil {
		return nil, fmt.Errorf("creating the server directory: %w", err)
	}
	s := &Server{Host: "127.0.0.1", User: "postgres", Password: randomHex(16), adminDB: "postgres"}
	cleanup := func() { _ = os.RemoveAll(dir) }

	run, err := runner(dir)
	if err != nil {
		cleanup()
		return nil, err
	}
	pwfile := filepath.Join(dir, "pwfile")
	if err := os.WriteFile(pwfile, []byte(s.Password+"\n"), 0o600); err != nil {
		cleanup()
		return nil, fmt.Errorf("writing the password file: %w", err)
	}
	ca, err := writeTLSFiles(dir)
	if err != nil {
		cleanup()
		return nil, err
	}
	s.CAFile = ca
	if err := run.chown(); err != nil {
		cleanup()
		return nil, err
	}

	data := filepath.Join(dir, "data")
	if out, err := run.cmd(filepath.Join(bin, "initdb"), "-D", data, "-U", s.User, "--pwfile", pwfile,
		"--auth-local=trust", "--auth-host=scram-sha-256", "-E", "UTF8", "--no-locale", "--no-sync").CombinedOutput(); err != nil {
		cleanup()
		return nil, fmt.Errorf("initdb: %w\n%s", err, out)
	}

	logFile := filepath.Join(dir, "postgres.log")
	pgctl := filepath.Join(bin, "pg_ctl")
	var lastErr error
	// A port picked as free can be taken before postgres binds it; try again.
	for attempt := 0; attempt < 3; attempt++ {
		port, err := freePort()
		if err != nil {
			cleanup()
			return nil, err
		}
		opts := strings.Join([]string{
			"-p", strconv.Itoa(port), "-k", dir, "-c", "listen_addresses=127.0.0.1",
			"-c", "ssl=on", "-c", "ssl_cert_file=" + filepath.Join(dir, "server.crt"), "-c", "ssl_key_file=" + filepath.Join(dir, "server.key"),
			// Durability is worthless for throwaway data; speed is not.
			"-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off",
			"-c", "max_connections=300",
		}, " ")
		out, err := run.cmd(pgctl, "-D", data, "-l", logFile, "-w", "-t", "60", "-o", opts, "start").CombinedOutput()
		if err == nil {
			s.Port = port
			s.stop = func() error {
				out, err := run.cmd(pgctl, "-D", data, "-m", "immediate", "-w", "-t", "60", "stop").CombinedOutput()
				cleanup()
				if err != nil {
					return fmt.Errorf("pg_ctl stop: %w\n%s", err, out)
				}
				return nil
			}
			return s, nil
		}
		logText, _ := os.ReadFile(logFile)
		lastErr = fmt.Errorf("pg_ctl start: %w\n%s\n%s", err, out, logText)
	}
	cleanup()
	return nil, lastErr
}

// findBinaries looks for initdb and pg_ctl on PATH, then in Debian's
// versioned directories (glob), preferring the newest version.
func findBinaries(lookPath func(string) (string, error), glob string) (string, error) {
	if p, err := lookPath("initdb"); err == nil {
		dir := filepath.Dir(p)
		if _, err := os.Stat(filepath.Join(dir, "pg_ctl")); err == nil {
			return dir, nil
		}
	}
	matches, _ := filepath.Glob(glob)
	sort.Slice(matches, func(i, j int) bool { return versionOf(matches[i]) > versionOf(matches[j]) })
	for _, m := range matches {
		dir := filepath.Dir(m)
		if _, err := os.Stat(filepath.Join(dir, "pg_ctl")); err == nil {
			return dir, nil
		}
	}
	return "", errMissingBinaries
}

func versionOf(initdb string) float64 {
	v, _ := strconv.ParseFloat(filepath.Base(filepath.Dir(filepath.Dir(initdb))), 64)
	return v
}

// cmdRunner runs the server binaries as a user they accept: initdb and
// postgres refuse to run as root, so as root they run as "postgres".
type cmdRunner struct {
	dir      string
	asUser   string
	uid, gid int
}

func runner(dir string) (*cmdRunner, error) {
	r := &cmdRunner{dir: dir}
	if os.Geteuid() != 0 {
		return r, nil
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		return nil, fmt.Errorf("running as root needs the postgres user, which the Debian package creates: %w", err)
	}
	r.asUser = u.Username
	r.uid, _ = strconv.Atoi(u.Uid)
	r.gid, _ = strconv.Atoi(u.Gid)
	return r, nil
}

func (r *cmdRunner) chown() error {
	if r.asUser == "" {
		return nil
	}
	err := filepath.WalkDir(r.dir, func(path string, _ fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		return os.Lchown(path, r.uid, r.gid)
	})
	if err != nil {
		return fmt.Errorf("handing %s to the postgres user: %w", r.dir, err)
	}
	return nil
}

func (r *cmdRunner) cmd(name string, args ...string) *exec.Cmd {
	var c *exec.Cmd
	if r.asUser == "" {
		c = exec.Command(name, args...)
	} else {
		c = exec.Command("runuser", append([]string{"-u", r.asUser, "--", name}, args...)...)
	}
	c.Dir = r.dir
	return c
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("finding a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func quote(s string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(s) + "'"
}
