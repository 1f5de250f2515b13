package main

import (
	"bufio"
	"bytes"
	"debug/elf"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/docuflow/docuflow-operator/app/contract"
	"github.com/docuflow/docuflow-operator/app/internal/pgtest"
)

var (
	pg     *pgtest.Server
	binary string
)

// TestMain builds the binary the way app/Dockerfile does, once, and starts
// PostgreSQL for the tests that run it.
func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "docuflow-api-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "docuflow-api")
	build := exec.Command("go", "build", "-trimpath",
		"-ldflags", "-s -w -X main.version=1.2.3-test -X main.build=build-abc",
		"-o", binary, ".")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "building the binary: %v\n%s", err, out)
		os.Exit(1)
	}
	code := pgtest.Main(m, &pg)
	_ = os.RemoveAll(dir)
	os.Exit(code)
}

func TestTheBinaryIsStaticallyLinked(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the image runs Linux binaries")
	}
	f, err := elf.Open(binary)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			t.Error("the binary asks for a dynamic loader, which distroless/static does not have")
		}
	}
	if libs, _ := f.ImportedLibraries(); len(libs) > 0 {
		t.Errorf("the binary needs shared libraries %v", libs)
	}
}

// proc is the binary running in the background.
type proc struct {
	cmd  *exec.Cmd
	out  *lockedBuffer
	port int
	done chan error
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// environ turns a map into a complete environment, so nothing from the test
// process's own environment leaks in.
func environ(env map[string]string) []string {
	out := []string{}
	for k, v := range env {
		out = append(out, k+"="+v)
	}
	return out
}

func start(t *testing.T, env map[string]string) *proc {
	t.Helper()
	p := &proc{out: &lockedBuffer{}, done: make(chan error, 1)}
	p.port, _ = strconv.Atoi(env[contract.EnvListenPort])
	p.cmd = exec.Command(binary)
	p.cmd.Env = environ(env)
	p.cmd.Stdout, p.cmd.Stderr = p.out, p.out
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.done <- p.cmd.Wait() }()
	t.Cleanup(func() {
		_ = p.cmd.Process.Kill()
		<-p.done
	})
	return p
}

func (p *proc) get(path string) (int, string, error) {
	return getPort(p.port, path)
}

func getPort(port int, path string) (int, string, error) {
	resp, err := (&http.Client{Timeout: 5 * time.Second}).Get(fmt.Sprintf("http://127.0.0.1:%d%s", port, path))
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), err
}

func eventually(t *testing.T, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", within, what)
		}
		time.Sleep(25 * time.Millisecond)
	}
}

func runHealthcheck(t *testing.T, port int) (int, string) {
	t.Helper()
	cmd := exec.Command(binary, contract.HealthCheckSubcommand)
	// The health check runs in the same container, so it sees the same
	// environment; the database settings are deliberately absent here.
	cmd.Env = environ(map[string]string{contract.EnvListenPort: strconv.Itoa(port)})
	out, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		return exit.ExitCode(), string(out)
	}
	if err != nil {
		t.Fatal(err)
	}
	return 0, string(out)
}

func TestTheBinaryServesProbesAndStopsCleanlyOnSIGTERM(t *testing.T) {
	db := pg.NewDatabase(t)
	env := db.Env()
	port, metricsPort := freePort(t), freePort(t)
	env[contract.EnvListenPort] = strconv.Itoa(port)
	env[contract.EnvMetricsPort] = strconv.Itoa(metricsPort)
	env[contract.EnvShutdownDrain] = "1s"
	p := start(t, env)

	eventually(t, 30*time.Second, "readiness", func() bool {
		code, _, err := p.get(contract.ReadinessPath)
		return err == nil && code == http.StatusOK
	})
	if code, out := runHealthcheck(t, port); code != 0 {
		t.Errorf("healthcheck exited %d against a live server: %s", code, out)
	}
	code, page, err := getPort(metricsPort, "/")
	if err != nil || code != http.StatusOK || !strings.Contains(page, "1.2.3-test") || !strings.Contains(page, "build-abc") {
		t.Errorf("the metrics port's status page %d (%v) does not show the linked-in version and build:\n%s", code, err, page)
	}
	if strings.Contains(page, db.Password) {
		t.Error("the status page shows the database password")
	}
	if code, page, err := p.get("/"); err != nil || code != http.StatusOK || strings.Contains(page, "1.2.3-test") {
		t.Errorf("the public status page %d (%v) shows the version or fails:\n%s", code, err, page)
	}
	if code, _, err := getPort(metricsPort, contract.MetricsPath); err != nil || code != http.StatusOK {
		t.Errorf("metrics on the metrics port: %d (%v)", code, err)
	}
	// No issuer in this environment: the API is closed, and says why.
	if code, body, err := p.get("/api/v1/documents"); err != nil || code != http.StatusUnauthorized || !strings.Contains(body, "authentication is not configured") {
		t.Errorf("GET /api/v1/documents without an issuer: %d %s (%v), want 401", code, body, err)
	}

	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-p.done:
		if err != nil {
			t.Errorf("exit after SIGTERM: %v, want status 0\n%s", err, p.out)
		}
		p.done <- err
	case <-time.After(30 * time.Second):
		t.Fatal("the binary did not exit within 30s of SIGTERM")
	}
	if code, _ := runHealthcheck(t, port); code != 1 {
		t.Errorf("healthcheck exited %d with nothing listening, want 1", code)
	}

	var msgs []string
	sc := bufio.NewScanner(strings.NewReader(p.out.String()))
	for sc.Scan() {
		var line struct{ Msg string }
		if err := json.Unmarshal(sc.Bytes(), &line); err != nil {
			t.Errorf("log line is not JSON: %s", sc.Text())
			continue
		}
		msgs = append(msgs, line.Msg)
	}
	for _, want := range []string{"Authentication is not configured", "Serving", "Schema is current", "Shutting down", "Stopped"} {
		if !strings.Contains(strings.Join(msgs, "|"), want) {
			t.Errorf("logs lack %q: %q", want, msgs)
		}
	}
	if strings.Contains(p.out.String(), db.Password) {
		t.Error("the logs show the database password")
	}
}

func TestTheBinaryRefusesToStartWithoutItsSettings(t *testing.T) {
	tests := []struct {
		name    string
		drop    string
		set     map[string]string
		wantVar string
	}{
		{name: "without a database host", drop: contract.EnvDBHost, wantVar: contract.EnvDBHost},
		{name: "without a password", drop: contract.EnvDBPassword, wantVar: contract.EnvDBPassword},
		{name: "with a malformed port", set: map[string]string{contract.EnvDBPort: "fivefourthreetwo"}, wantVar: contract.EnvDBPort},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := pgtest.Database{Host: "127.0.0.1", Port: 1, Name: "x", User: "u", Password: "p"}.Env()
			delete(env, tt.drop)
			for k, v := range tt.set {
				env[k] = v
			}
			cmd := exec.Command(binary)
			cmd.Env = environ(env)
			out, err := cmd.CombinedOutput()
			var exit *exec.ExitError
			if !errors.As(err, &exit) || exit.ExitCode() != 1 {
				t.Fatalf("exit %v, want status 1\n%s", err, out)
			}
			if !strings.Contains(string(out), tt.wantVar) || !json.Valid(bytes.TrimSpace(out)) {
				t.Errorf("output does not name %s in a JSON log line:\n%s", tt.wantVar, out)
			}
		})
	}
}

func TestUnknownArgumentsAreRejected(t *testing.T) {
	out, err := exec.Command(binary, "serve", "--now").CombinedOutput()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 2 || !strings.Contains(string(out), "usage") {
		t.Errorf("exit %v, output %s; want status 2 with usage", err, out)
	}
	out, err = exec.Command(binary, "version").Output()
	if err != nil || strings.TrimSpace(string(out)) != "1.2.3-test build-abc" {
		t.Errorf("version printed %q (%v)", out, err)
	}
}
