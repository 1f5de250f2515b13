package controllers

import (
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestTheControllerKnowsNoACKKind holds the layering: everything about an ACK
// kind (its status fields, its conditions, its deletion-time changes, what
// ready means for it) lives in internal/desired. The controller's code
// imports only the kind-agnostic parts of internal/ack: the list of kinds and
// the interface every kind implements.
func TestTheControllerKnowsNoACKKind(t *testing.T) {
	allowed := map[string]bool{
		"github.com/docuflow/docuflow-operator/internal/ack":      true,
		"github.com/docuflow/docuflow-operator/internal/ack/core": true,
	}
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	checked := 0
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		parsed, err := parser.ParseFile(token.NewFileSet(), f, nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		checked++
		for _, imp := range parsed.Imports {
			path, _ := strconv.Unquote(imp.Path.Value)
			ackKind := strings.HasPrefix(path, "github.com/docuflow/docuflow-operator/internal/ack/") && !allowed[path]
			ackRuntime := strings.HasPrefix(path, "github.com/aws-controllers-k8s/")
			if ackKind || ackRuntime {
				t.Errorf("%s imports %s: what it needs of ACK belongs behind internal/desired", f, path)
			}
		}
	}
	if checked == 0 {
		t.Fatal("no non-test Go files found in controllers/")
	}
}
