package pgtest

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func TestServerBinariesAreFoundOrReportedMissing(t *testing.T) {
	root := t.TempDir()
	install := func(version string) string {
		bin := filepath.Join(root, version, "bin")
		if err := os.MkdirAll(bin, 0o755); err != nil {
			t.Fatal(err)
		}
		for _, name := range []string{"initdb", "pg_ctl"} {
			if err := os.WriteFile(filepath.Join(bin, name), nil, 0o755); err != nil {
				t.Fatal(err)
			}
		}
		return bin
	}
	notOnPath := func(string) (string, error) { return "", errors.New("not found") }
	glob := filepath.Join(root, "*", "bin", "initdb")

	if _, err := findBinaries(notOnPath, glob); err == nil || err.Error() != MissingBinariesMessage {
		t.Errorf("with no binaries: err = %v, want %q", err, MissingBinariesMessage)
	}

	install("13")
	newest := install("15")
	if got, err := findBinaries(notOnPath, glob); err != nil || got != newest {
		t.Errorf("with versions 13 and 15: got %q, %v; want the newest, %s", got, err, newest)
	}

	onPath := install("custom")
	lookPath := func(name string) (string, error) { return filepath.Join(onPath, name), nil }
	if got, err := findBinaries(lookPath, glob); err != nil || got != onPath {
		t.Errorf("with initdb on PATH: got %q, %v; want %s", got, err, onPath)
	}
}
