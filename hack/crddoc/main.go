// Command crddoc writes docs/reference.md, the DocuFlowStack field reference,
// from the generated CustomResourceDefinition, so that the reference cannot
// drift from the schema the API server enforces; and the profile defaults,
// in the reference and in the README's table, from desired.ProfileTable, the
// values the operator applies.
//
//	go run ./hack/crddoc          # (re)write docs/reference.md
//	go run ./hack/crddoc -check   # fail when docs/reference.md is stale
//
// A relative -out is taken from the repository root, so both work from any
// directory inside the repository.
package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/docuflow/docuflow-operator/config/crd"
	"github.com/docuflow/docuflow-operator/internal/controlplane"
	"github.com/docuflow/docuflow-operator/internal/desired"
)

// defaultOut is where the reference lives, relative to the repository root.
const defaultOut = "docs/reference.md"

// sourceFile is the CRD the reference is generated from, as the reader finds
// it in the repository.
const sourceFile = "config/crd/" + crd.DocuFlowStackFile

func main() {
	out := flag.String("out", defaultOut, "file to write; a relative path is taken from the repository root")
	check := flag.Bool("check", false, "write nothing; exit 1 when the file differs from what would be generated")
	flag.Parse()
	if flag.NArg() != 0 {
		fmt.Fprintf(os.Stderr, "crddoc: unexpected arguments %q\n", flag.Args())
		os.Exit(2)
	}
	if err := run(*out, *check); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

func run(out string, check bool) error {
	root, err := controlplane.RepoRoot()
	if err != nil {
		return fmt.Errorf("crddoc: %w", err)
	}
	rows := desired.ProfileTable()
	want, err := Reference(crd.DocuFlowStack(), sourceFile, rows)
	if err != nil {
		return fmt.Errorf("crddoc: %w", err)
	}
	path := out
	if !filepath.IsAbs(path) {
		path = filepath.Join(root, path)
	}
	readmePath := filepath.Join(root, "README.md")
	readme, err := os.ReadFile(readmePath)
	if err != nil {
		return fmt.Errorf("crddoc: %w", err)
	}
	wantReadme, err := WithProfileTable(readme, rows)
	if err != nil {
		return fmt.Errorf("crddoc: %w", err)
	}
	if check {
		got, err := os.ReadFile(path)
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("crddoc: %w", err)
		}
		return errors.Join(Compare(out, got, want), Compare("README.md (its profile table)", readme, wantReadme))
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("crddoc: %w", err)
	}
	if err := os.WriteFile(path, want, 0o644); err != nil {
		return fmt.Errorf("crddoc: %w", err)
	}
	if err := os.WriteFile(readmePath, wantReadme, 0o644); err != nil {
		return fmt.Errorf("crddoc: %w", err)
	}
	return nil
}

// Compare returns nil when got equals want, else the error that tells the
// reader to regenerate name, with the first line that differs.
func Compare(name string, got, want []byte) error {
	if bytes.Equal(got, want) {
		return nil
	}
	msg := fmt.Sprintf("%s is stale: run 'make docs'", name)
	if got == nil {
		return fmt.Errorf("%s (the file does not exist)", msg)
	}
	g := strings.Split(string(got), "\n")
	w := strings.Split(string(want), "\n")
	for i := 0; i < max(len(g), len(w)); i++ {
		var gl, wl string
		if i < len(g) {
			gl = g[i]
		}
		if i < len(w) {
			wl = w[i]
		}
		if gl != wl || i >= len(g) || i >= len(w) {
			return fmt.Errorf("%s\nfirst difference at line %d:\n  on disk:   %s\n  generated: %s", msg, i+1, clip(gl), clip(wl))
		}
	}
	return fmt.Errorf("%s", msg)
}

// clip shortens a line for an error message.
func clip(s string) string {
	const n = 160
	if len(s) > n {
		return s[:n] + "..."
	}
	return s
}
