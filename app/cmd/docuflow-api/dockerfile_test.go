package main

import (
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/docuflow/docuflow-operator/app/contract"
)

// There is no container engine in CI, so this test holds the Dockerfile to
// the contract the operator builds its task definition from.
func TestTheDockerfileMatchesTheContract(t *testing.T) {
	b, err := os.ReadFile("../../Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	df := string(b)
	hc := contract.HealthCheckCommand()[1:]
	wants := []struct {
		name    string
		pattern string
	}{
		{name: "builds with the project's Go image", pattern: `(?m)^FROM .*golang:1\.27\.3(@sha256:[0-9a-f]{64})? AS build$`},
		{name: "builds without cgo", pattern: `CGO_ENABLED=0`},
		{name: "starts from the app module's go.mod and go.sum", pattern: `(?m)^COPY app/go\.mod app/go\.sum \./$`},
		{name: "copies the app module as the build's root", pattern: `(?m)^COPY app/ \./$`},
		{name: "builds this command of the app module", pattern: `(?m)-o \S+ \./cmd/docuflow-api$`},
		{name: "ends on distroless static nonroot", pattern: `(?m)^FROM gcr\.io/distroless/static-debian12:nonroot(@sha256:[0-9a-f]{64})?$`},
		{name: "copies the binary to the contract path", pattern: `(?m)^COPY --from=build \S+ ` + regexp.QuoteMeta(contract.BinaryPath) + `$`},
		{name: "runs as the contract user", pattern: `(?m)^USER ` + strconv.Itoa(contract.RunAsUID) + `:` + strconv.Itoa(contract.RunAsGID) + `$`},
		{name: "exposes the default port", pattern: `(?m)^EXPOSE ` + strconv.Itoa(contract.DefaultListenPort) + `$`},
		{name: "starts the binary", pattern: `(?m)^ENTRYPOINT \["` + regexp.QuoteMeta(contract.BinaryPath) + `"\]$`},
		{name: "health-checks with the subcommand", pattern: regexp.QuoteMeta(`CMD ["` + strings.Join(hc, `", "`) + `"]`)},
		{name: "injects version and build into main", pattern: `-X main\.version=\$\{VERSION\} -X main\.build=\$\{BUILD\}`},
	}
	for _, w := range wants {
		if !regexp.MustCompile(w.pattern).MatchString(df) {
			t.Errorf("Dockerfile no longer %s (pattern %s)", w.name, w.pattern)
		}
	}
	// The operator's go.mod would bring the operator's module, and its
	// Kubernetes dependencies, back into the app's build.
	if regexp.MustCompile(`(?m)^COPY go\.(mod|sum)\b`).MatchString(df) {
		t.Error("Dockerfile copies the operator's go.mod or go.sum")
	}
	if strings.Count(df, "\nFROM ") != 2 {
		t.Error("Dockerfile is not a two-stage build")
	}
}
