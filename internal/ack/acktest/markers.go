package acktest

import (
	"bufio"
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"sync"
)

// typeMarkers are the kubebuilder markers of a root type and its package.
type typeMarkers struct {
	plural            string
	scope             string
	statusSubresource bool
	groupName         string
}

// parsedPackage is what markersOf needs from one package's source.
type parsedPackage struct {
	groupName string
	types     map[string]typeMarkers
	err       error
}

var (
	parsedMu       sync.Mutex
	parsedPackages = map[string]*parsedPackage{}
)

// markersOf reads the kubebuilder markers of t, and its package's groupName,
// from the package's source files (tests included).
func markersOf(t reflect.Type) (typeMarkers, error) {
	dir, err := sourceDir(strings.TrimSuffix(t.PkgPath(), "_test"))
	if err != nil {
		return typeMarkers{}, err
	}
	parsedMu.Lock()
	p, ok := parsedPackages[dir]
	if !ok {
		p = parsePackage(dir)
		parsedPackages[dir] = p
	}
	parsedMu.Unlock()
	if p.err != nil {
		return typeMarkers{}, p.err
	}
	m, ok := p.types[t.Name()]
	if !ok {
		return typeMarkers{}, fmt.Errorf("type %s not found in %s", t.Name(), dir)
	}
	m.groupName = p.groupName
	return m, nil
}

func parsePackage(dir string) *parsedPackage {
	p := &parsedPackage{types: map[string]typeMarkers{}}
	files, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil || len(files) == 0 {
		p.err = fmt.Errorf("no Go files in %s", dir)
		return p
	}
	fset := token.NewFileSet()
	for _, name := range files {
		f, err := parser.ParseFile(fset, name, nil, parser.ParseComments|parser.SkipObjectResolution)
		if err != nil {
			p.err = fmt.Errorf("parsing %s: %w", name, err)
			return p
		}
		for _, line := range commentLines(f.Doc) {
			if g, ok := strings.CutPrefix(line, "+groupName="); ok {
				p.groupName = strings.TrimSpace(g)
			}
		}
		for _, decl := range f.Decls {
			gd, ok := decl.(*ast.GenDecl)
			if !ok || gd.Tok != token.TYPE {
				continue
			}
			for _, spec := range gd.Specs {
				ts := spec.(*ast.TypeSpec)
				doc := ts.Doc
				if doc == nil && len(gd.Specs) == 1 {
					doc = gd.Doc
				}
				p.types[ts.Name.Name] = parseTypeMarkers(commentLines(doc))
			}
		}
	}
	return p
}

func parseTypeMarkers(lines []string) typeMarkers {
	var m typeMarkers
	for _, line := range lines {
		if line == "+kubebuilder:subresource:status" {
			m.statusSubresource = true
		}
		args, ok := strings.CutPrefix(line, "+kubebuilder:resource:")
		if !ok {
			continue
		}
		for arg := range strings.SplitSeq(args, ",") {
			k, v, _ := strings.Cut(arg, "=")
			switch strings.TrimSpace(k) {
			case "path":
				m.plural = strings.TrimSpace(v)
			case "scope":
				m.scope = strings.TrimSpace(v)
			}
		}
	}
	return m
}

func commentLines(g *ast.CommentGroup) []string {
	if g == nil {
		return nil
	}
	var out []string
	for _, c := range g.List {
		out = append(out, strings.TrimSpace(strings.TrimPrefix(c.Text, "//")))
	}
	return out
}

// sourceDir finds the directory of a package of this module: from this
// file's location when the binary was built from source, else by walking up
// from the working directory to go.mod.
func sourceDir(pkgPath string) (string, error) {
	var roots []string
	if _, file, _, ok := runtime.Caller(0); ok {
		// This file is <root>/internal/ack/acktest/markers.go.
		roots = append(roots, filepath.Join(filepath.Dir(file), "..", "..", ".."))
	}
	if wd, err := os.Getwd(); err == nil {
		for d := wd; ; d = filepath.Dir(d) {
			if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
				roots = append(roots, d)
				break
			}
			if filepath.Dir(d) == d {
				break
			}
		}
	}
	for _, root := range roots {
		module, err := modulePath(filepath.Join(root, "go.mod"))
		if err != nil {
			continue
		}
		if pkgPath == module {
			return root, nil
		}
		if rest, ok := strings.CutPrefix(pkgPath, module+"/"); ok {
			return filepath.Join(root, filepath.FromSlash(rest)), nil
		}
	}
	return "", fmt.Errorf("cannot find the source of package %s to read its kubebuilder markers", pkgPath)
}

func modulePath(gomod string) (string, error) {
	f, err := os.Open(gomod)
	if err != nil {
		return "", err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if m, ok := strings.CutPrefix(strings.TrimSpace(sc.Text()), "module "); ok {
			return strings.Trim(strings.TrimSpace(m), `"`), nil
		}
	}
	return "", errors.New("no module line in " + gomod)
}
