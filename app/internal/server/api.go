package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"

	"github.com/docuflow/docuflow-operator/app/internal/store"
)

type errorBody struct {
	Error string `json:"error"`
	Field string `json:"field,omitempty"`
}

type listBody struct {
	Items      []store.Document `json:"items"`
	NextCursor string           `json:"next_cursor,omitempty"`
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, code int, msg, field string) {
	writeJSON(w, code, errorBody{Error: msg, Field: field})
}

func writeFieldError(w http.ResponseWriter, e *fieldError) {
	writeError(w, http.StatusBadRequest, e.Field+" "+e.Message, e.Field)
}

// storeFailed answers for a store error that is not the client's fault.
func (s *Server) storeFailed(w http.ResponseWriter, r *http.Request, err error) {
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		writeError(w, http.StatusServiceUnavailable, "request timed out", "")
		return
	case errors.Is(err, context.Canceled):
		// The client left; nobody reads this answer and nothing is broken.
		writeError(w, http.StatusServiceUnavailable, "request canceled", "")
		return
	}
	s.opts.Logger.ErrorContext(r.Context(), "Database call failed", "error", err, "method", r.Method, "path", r.URL.Path, "sub", subject(r.Context()))
	writeError(w, http.StatusInternalServerError, "internal error", "")
}

// audit records a write: who (sub), what (method, route, document id) and
// the outcome; the log line's time says when. Titles and other content stay
// out: the log is for accountability, not a copy of the data.
func (s *Server) audit(r *http.Request, id, outcome string) {
	who := infoFrom(r.Context()).identity
	admin := who != nil && who.Admin
	s.opts.Logger.InfoContext(r.Context(), "Document write",
		"sub", subject(r.Context()), "admin", admin, "method", r.Method, "route", r.Pattern,
		"document_id", id, "outcome", outcome, "client", clientAddr(r))
}

func (s *Server) createDocument(w http.ResponseWriter, r *http.Request) {
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/json" {
		writeError(w, http.StatusUnsupportedMediaType, "Content-Type must be application/json", "")
		return
	}
	if r.ContentLength > s.opts.MaxBodyBytes {
		writeError(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("request body exceeds %d bytes", s.opts.MaxBodyBytes), "")
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, s.opts.MaxBodyBytes)
	var req createRequest
	if code, msg, field := s.decode(r.Body, &req); code != 0 {
		writeError(w, code, msg, field)
		return
	}
	doc, ferr := req.validate()
	if ferr != nil {
		writeFieldError(w, ferr)
		return
	}
	doc.Owner = subject(r.Context())
	created, err := s.store.Create(r.Context(), doc)
	if err != nil {
		s.audit(r, "", "failed")
		s.storeFailed(w, r, err)
		return
	}
	s.audit(r, created.ID, "created")
	w.Header().Set("Location", "/api/v1/documents/"+created.ID)
	writeJSON(w, http.StatusCreated, created)
}

// decode reads exactly one JSON object with only known fields and describes
// any problem as a status code, a message and the field at fault.
func (s *Server) decode(body io.Reader, v any) (int, string, string) {
	dec := json.NewDecoder(body)
	dec.DisallowUnknownFields()
	err := dec.Decode(v)
	if err == nil {
		// A second value, or garbage, after the object is as wrong as a bad object.
		var extra json.RawMessage
		if err = dec.Decode(&extra); err == io.EOF {
			return 0, "", ""
		} else if err == nil {
			return http.StatusBadRequest, "body must hold a single JSON object", ""
		}
	}
	var (
		maxErr    *http.MaxBytesError
		syntaxErr *json.SyntaxError
		typeErr   *json.UnmarshalTypeError
	)
	switch {
	case errors.As(err, &maxErr):
		return http.StatusRequestEntityTooLarge, fmt.Sprintf("request body exceeds %d bytes", maxErr.Limit), ""
	case errors.Is(err, io.EOF):
		return http.StatusBadRequest, "request body is empty", ""
	case errors.As(err, &typeErr):
		field := typeErr.Field
		if field == "" {
			return http.StatusBadRequest, "body must be a JSON object", ""
		}
		return http.StatusBadRequest, fmt.Sprintf("%s must be a JSON %s", field, jsonKind(typeErr.Type.Kind().String())), field
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		field := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return http.StatusBadRequest, field + " is not a known field", field
	case errors.As(err, &syntaxErr), errors.Is(err, io.ErrUnexpectedEOF):
		return http.StatusBadRequest, "request body is not valid JSON", ""
	default:
		return http.StatusBadRequest, "request body is not valid JSON", ""
	}
}

func jsonKind(goKind string) string {
	switch goKind {
	case "int64", "int", "float64":
		return "number"
	case "slice":
		return "array"
	case "ptr", "string":
		return "string"
	default:
		return "value of the documented type"
	}
}

func (s *Server) documentID(w http.ResponseWriter, r *http.Request) (string, bool) {
	id := r.PathValue("id")
	if !store.IsUUID(id) {
		writeFieldError(w, invalid("id", "must be a UUID"))
		return "", false
	}
	return strings.ToLower(id), true
}

func (s *Server) getDocument(w http.ResponseWriter, r *http.Request) {
	id, ok := s.documentID(w, r)
	if !ok {
		return
	}
	doc, err := s.store.Get(r.Context(), scope(r.Context()), id)
	switch {
	case errors.Is(err, store.ErrNotFound):
		writeError(w, http.StatusNotFound, "document not found", "")
	case err != nil:
		s.storeFailed(w, r, err)
	default:
		writeJSON(w, http.StatusOK, doc)
	}
}

func (s *Server) deleteDocument(w http.ResponseWriter, r *http.Request) {
	id, ok := s.documentID(w, r)
	if !ok {
		return
	}
	err := s.store.Delete(r.Context(), scope(r.Context()), id)
	switch {
	case errors.Is(err, store.ErrNotFound):
		s.audit(r, id, "not found")
		writeError(w, http.StatusNotFound, "document not found", "")
	case err != nil:
		s.audit(r, id, "failed")
		s.storeFailed(w, r, err)
	default:
		s.audit(r, id, "deleted")
		w.WriteHeader(http.StatusNoContent)
	}
}

func (s *Server) listDocuments(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	lq := store.ListQuery{Limit: defaultPageSize, Cursor: q.Get("cursor")}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			writeFieldError(w, invalid("limit", "must be a positive integer"))
			return
		}
		lq.Limit = min(n, maxPageSize)
	}
	if v := q.Get("tag"); v != "" {
		if ferr := validTag("tag", v); ferr != nil {
			writeFieldError(w, ferr)
			return
		}
		lq.Tag = v
	}
	page, err := s.store.List(r.Context(), scope(r.Context()), lq)
	switch {
	case errors.Is(err, store.ErrBadCursor):
		writeFieldError(w, invalid("cursor", "is not a cursor issued for this query"))
	case err != nil:
		s.storeFailed(w, r, err)
	default:
		if page.Documents == nil {
			page.Documents = []store.Document{}
		}
		writeJSON(w, http.StatusOK, listBody{Items: page.Documents, NextCursor: page.NextCursor})
	}
}
