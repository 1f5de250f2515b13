package server

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"github.com/docuflow/docuflow-operator/app/internal/auth"
	"github.com/docuflow/docuflow-operator/app/internal/store"
)

// apiPrefix is the part of the URL space that needs a bearer token.
const apiPrefix = "/api/"

// requestInfo is what the middleware learns about a request and the handlers
// and the request log share. It travels in the context as a pointer because
// the mux records the route on the very *http.Request the instrumenting
// middleware holds, so the request must not be copied on the way.
type requestInfo struct {
	identity *auth.Identity
}

type requestInfoKey struct{}

func withRequestInfo(ctx context.Context, ri *requestInfo) context.Context {
	return context.WithValue(ctx, requestInfoKey{}, ri)
}

func infoFrom(ctx context.Context) *requestInfo {
	ri, _ := ctx.Value(requestInfoKey{}).(*requestInfo)
	if ri == nil {
		return &requestInfo{}
	}
	return ri
}

// scope is whose documents the authenticated caller may see and change.
func scope(ctx context.Context) store.Scope {
	id := infoFrom(ctx).identity
	if id == nil {
		// Unreachable behind authenticate; the zero scope sees nothing.
		return store.Scope{}
	}
	return store.Scope{Owner: id.Subject, All: id.Admin}
}

// subject is the caller's sub for logs, "" when anonymous.
func subject(ctx context.Context) string {
	if id := infoFrom(ctx).identity; id != nil {
		return id.Subject
	}
	return ""
}

// authenticate lets a request under apiPrefix through only with a valid
// bearer token; every other path passes untouched. It runs before the mux, so
// unknown /api/ paths and methods answer 401 too and reveal nothing.
func (s *Server) authenticate(next *http.ServeMux) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.HasPrefix(r.URL.Path, apiPrefix) && r.URL.Path != strings.TrimSuffix(apiPrefix, "/") {
			next.ServeHTTP(w, r)
			return
		}
		// Refused requests never reach the mux; name their route for the
		// metrics and logs all the same (still a pattern, never a raw path).
		_, r.Pattern = next.Handler(r)
		if !s.verifier.Configured() {
			w.Header().Set("WWW-Authenticate", `Bearer realm="docuflow"`)
			writeError(w, http.StatusUnauthorized, "authentication is not configured: this API accepts no requests until an OIDC issuer is set", "")
			return
		}
		token, ok := bearerToken(r)
		if !ok {
			w.Header().Set("WWW-Authenticate", `Bearer realm="docuflow"`)
			writeError(w, http.StatusUnauthorized, "missing bearer token", "")
			return
		}
		id, err := s.verifier.Verify(r.Context(), token)
		switch {
		case errors.Is(err, auth.ErrKeysUnavailable):
			s.opts.Logger.WarnContext(r.Context(), "Cannot verify tokens: the issuer's keys are unavailable", "error", err)
			w.Header().Set("Retry-After", "5")
			writeError(w, http.StatusServiceUnavailable, "cannot verify tokens right now", "")
			return
		case err != nil:
			// The reason helps whoever debugs a client; the caller learns nothing.
			s.opts.Logger.InfoContext(r.Context(), "Token refused", "reason", err.Error(), "client", clientAddr(r))
			w.Header().Set("WWW-Authenticate", `Bearer realm="docuflow", error="invalid_token"`)
			writeError(w, http.StatusUnauthorized, "invalid token", "")
			return
		}
		infoFrom(r.Context()).identity = &id
		next.ServeHTTP(w, r)
	})
}

// bearerToken returns the token of an "Authorization: Bearer" header; the
// scheme is case-insensitive (RFC 9110 section 11.1).
func bearerToken(r *http.Request) (string, bool) {
	scheme, token, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	token = strings.TrimSpace(token)
	if !ok || !strings.EqualFold(scheme, "Bearer") || token == "" {
		return "", false
	}
	return token, true
}
