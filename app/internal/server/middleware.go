package server

import (
	"context"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/docuflow/docuflow-operator/app/internal/metrics"
)

// hsts is sent on responses to requests that reached the load balancer over
// HTTPS: browsers then refuse plain HTTP to this host for a year.
const hsts = "max-age=31536000; includeSubDomains"

// viaHTTPS reports whether the load balancer received the request over
// HTTPS. The ALB sets X-Forwarded-Proto itself, overwriting what a client sent.
func viaHTTPS(r *http.Request) bool {
	v := r.Header.Values("X-Forwarded-Proto")
	if len(v) == 0 {
		return false
	}
	last := v[len(v)-1]
	if i := strings.LastIndexByte(last, ','); i >= 0 {
		last = last[i+1:]
	}
	return strings.EqualFold(strings.TrimSpace(last), "https")
}

// clientAddr is the caller's address: the last X-Forwarded-For entry, which
// the ALB appended (earlier entries come from the client and prove nothing),
// or the peer address when the header is absent.
func clientAddr(r *http.Request) string {
	v := r.Header.Values("X-Forwarded-For")
	if len(v) > 0 {
		last := v[len(v)-1]
		if i := strings.LastIndexByte(last, ','); i >= 0 {
			last = last[i+1:]
		}
		if last = strings.TrimSpace(last); last != "" {
			return last
		}
	}
	return r.RemoteAddr
}

// statusWriter remembers the status code a handler wrote.
type statusWriter struct {
	http.ResponseWriter
	code int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.code == 0 {
		w.code = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.code == 0 {
		w.code = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// instrument wraps the mux. The mux records the matched pattern on the request
// it is given, so this middleware passes it the very request it reads the
// pattern from afterwards, and labels metrics with patterns, never raw paths.
func (s *Server) instrument(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		done := s.metrics.Start()
		begin := time.Now()
		ctx, cancel := context.WithTimeout(r.Context(), s.opts.RequestTimeout)
		defer cancel()
		ctx = withRequestInfo(ctx, &requestInfo{})
		r = r.WithContext(ctx)
		sw := &statusWriter{ResponseWriter: w}
		if viaHTTPS(r) {
			sw.Header().Set("Strict-Transport-Security", hsts)
		}
		if s.draining.Load() {
			// Ask keep-alive clients to reconnect, which lands them on another task.
			sw.Header().Set("Connection", "close")
		}
		defer func() {
			if p := recover(); p != nil {
				if p == http.ErrAbortHandler { //nolint:errorlint // recover returns the sentinel itself, never a wrapped error
					panic(p)
				}
				s.opts.Logger.ErrorContext(ctx, "Handler panicked", "panic", p, "method", metrics.Method(r.Method), "path", r.URL.Path)
				if sw.code == 0 {
					writeError(sw, http.StatusInternalServerError, "internal error", "")
				}
			}
			route := r.Pattern
			if route == "" {
				route = "unmatched"
			}
			code := sw.code
			if code == 0 {
				code = http.StatusOK
			}
			done(route, r.Method, code)
			s.logRequest(ctx, r, route, code, time.Since(begin))
		}()
		next.ServeHTTP(sw, r)
	})
}

func (s *Server) logRequest(ctx context.Context, r *http.Request, route string, code int, d time.Duration) {
	level := slog.LevelInfo
	switch {
	case code >= 500:
		level = slog.LevelError
	case route == "GET /healthz" || route == "GET /readyz":
		// Probes arrive every few seconds; logging them buries everything else.
		level = slog.LevelDebug
	}
	s.opts.Logger.Log(ctx, level, "Request served",
		"method", metrics.Method(r.Method), "route", route, "path", r.URL.Path, "status", code,
		"duration_ms", float64(d.Microseconds())/1000, "client", clientAddr(r), "peer", r.RemoteAddr,
		"sub", subject(ctx))
}
