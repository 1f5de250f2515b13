package server

import (
	"context"
	"html/template"
	"net/http"
	"runtime"
	"time"

	"github.com/docuflow/docuflow-operator/app/internal/migrate"
)

// statusTemplate renders only the fields of statusData: nothing from the
// configuration reaches it, so no host, user, password or DSN can leak.
var statusTemplate = template.Must(template.New("status").Parse(`<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>DocuFlow API</title>
<style>body{font-family:sans-serif;margin:2rem}td,th{padding:.25rem 1rem;text-align:left}</style></head>
<body>
<h1>DocuFlow API</h1>
<table>
<tr><th>Version</th><td>{{.Version}}</td></tr>
<tr><th>Build</th><td>{{.Build}}</td></tr>
<tr><th>Go</th><td>{{.GoVersion}}</td></tr>
<tr><th>Uptime</th><td>{{.Uptime}}</td></tr>
<tr><th>Database</th><td>{{.Database}}</td></tr>
<tr><th>Schema version</th><td>{{.Schema}} (this build needs {{.SchemaNeeded}})</td></tr>
<tr><th>Ready</th><td>{{.Ready}}</td></tr>
</table>
</body>
</html>
`))

// publicStatusTemplate is what anonymous callers on the public port see:
// whether the service is up and ready, nothing that fingerprints it.
var publicStatusTemplate = template.Must(template.New("public").Parse(`<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>DocuFlow API</title>
<style>body{font-family:sans-serif;margin:2rem}td,th{padding:.25rem 1rem;text-align:left}</style></head>
<body>
<h1>DocuFlow API</h1>
<table>
<tr><th>Ready</th><td>{{.Ready}}</td></tr>
</table>
</body>
</html>
`))

type statusData struct {
	Version, Build, GoVersion, Uptime, Database, Ready string
	Schema, SchemaNeeded                               any
}

func (s *Server) statusPage(w http.ResponseWriter, r *http.Request) {
	d := statusData{
		Version:      s.opts.Version,
		Build:        s.opts.Build,
		GoVersion:    runtime.Version(),
		Uptime:       time.Since(s.started).Round(time.Second).String(),
		Database:     "reachable",
		Schema:       "unknown",
		SchemaNeeded: migrate.Latest(),
		Ready:        "yes",
	}
	ctx, cancel := context.WithTimeout(r.Context(), s.opts.ReadyTimeout)
	defer cancel()
	if err := s.opts.Pool.Ping(ctx); err != nil {
		// Deliberately not the error text: pgx errors name the host and user.
		d.Database = "unreachable"
	} else if v, err := migrate.Current(ctx, s.opts.Pool); err == nil {
		d.Schema = v
	}
	if reason := s.readiness(r.Context()); reason != "" {
		d.Ready = "no: " + reason
	}
	s.render(w, r, statusTemplate, d)
}

// publicStatusPage is the status page of the public port: readiness only.
// The version, build, Go version, schema and pool details are on the metrics
// port's status page.
func (s *Server) publicStatusPage(w http.ResponseWriter, r *http.Request) {
	ready := "yes"
	if s.readiness(r.Context()) != "" {
		ready = "no"
	}
	s.render(w, r, publicStatusTemplate, struct{ Ready string }{ready})
}

func (s *Server) render(w http.ResponseWriter, r *http.Request, t *template.Template, data any) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'")
	w.Header().Set("Cache-Control", "no-store")
	if err := t.Execute(w, data); err != nil {
		s.opts.Logger.ErrorContext(r.Context(), "Rendering the status page failed", "error", err)
	}
}
