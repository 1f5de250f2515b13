package server

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/docuflow/docuflow-operator/app/internal/store"
)

func TestDocumentsCanBeCreatedReadListedAndDeleted(t *testing.T) {
	a := startApp(t, pg.NewDatabase(t))
	a.waitReady(t)

	resp, body := a.postJSON(t, "/api/v1/documents", validBody())
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("create: %d %s", resp.StatusCode, body)
	}
	var created store.Document
	decodeJSON(t, body, &created)
	if loc := resp.Header.Get("Location"); loc != "/api/v1/documents/"+created.ID {
		t.Errorf("Location = %q for id %s", loc, created.ID)
	}

	code, body := a.get(t, "/api/v1/documents/"+created.ID)
	var got store.Document
	decodeJSON(t, body, &got)
	if code != http.StatusOK || got.ID != created.ID || got.Title != "Q3 report" || got.SHA256 != strings.Repeat("ab", 32) || !slices.Equal(got.Tags, []string{"finance", "q3"}) {
		t.Errorf("get: %d %+v", code, got)
	}

	code, body = a.get(t, "/api/v1/documents?tag=finance")
	var list listBody
	decodeJSON(t, body, &list)
	if code != http.StatusOK || len(list.Items) != 1 || list.Items[0].ID != created.ID || list.NextCursor != "" {
		t.Errorf("list: %d %s", code, body)
	}

	resp, _ = a.do(t, http.MethodDelete, "/api/v1/documents/"+created.ID, "", nil)
	if resp.StatusCode != http.StatusNoContent {
		t.Errorf("delete: %d", resp.StatusCode)
	}
	if code, _ := a.get(t, "/api/v1/documents/"+created.ID); code != http.StatusNotFound {
		t.Errorf("get after delete: %d, want 404", code)
	}
	code, body = a.get(t, "/api/v1/documents")
	if code != http.StatusOK || !bytes.Contains(body, []byte(`"items":[]`)) {
		t.Errorf("empty list: %d %s, want an empty items array", code, body)
	}

	// Every log line is one JSON object.
	for _, line := range strings.Split(strings.TrimSpace(a.logs.String()), "\n") {
		if !json.Valid([]byte(line)) {
			t.Errorf("log line is not JSON: %s", line)
		}
	}
	if !strings.Contains(a.logs.String(), `"msg":"Request served"`) {
		t.Error("requests are not logged")
	}
}

func TestEveryInvalidFieldIsRejectedWithItsName(t *testing.T) {
	a := startApp(t, pg.NewDatabase(t))
	a.waitReady(t)
	with := func(key string, value any) map[string]any {
		b := validBody()
		if value == nil {
			delete(b, key)
		} else {
			b[key] = value
		}
		return b
	}
	manyTags := make([]string, 33)
	for i := range manyTags {
		manyTags[i] = fmt.Sprintf("t%d", i)
	}
	tests := []struct {
		name      string
		method    string
		path      string
		body      any // marshalled; a string is sent as it is
		wantField string
	}{
		{name: "a missing title", body: with("title", nil), wantField: "title"},
		{name: "a blank title", body: with("title", "   "), wantField: "title"},
		{name: "a title over 300 characters", body: with("title", strings.Repeat("x", 301)), wantField: "title"},
		{name: "a title with a control character", body: with("title", "a\u0007b"), wantField: "title"},
		{name: "a title that is not a string", body: with("title", 12), wantField: "title"},
		{name: "a missing content type", body: with("content_type", nil), wantField: "content_type"},
		{name: "a content type that is not a media type", body: with("content_type", "pdf"), wantField: "content_type"},
		{name: "a missing size", body: with("size_bytes", nil), wantField: "size_bytes"},
		{name: "a negative size", body: with("size_bytes", -1), wantField: "size_bytes"},
		{name: "a size given as a string", body: with("size_bytes", "1024"), wantField: "size_bytes"},
		{name: "a fractional size", body: with("size_bytes", 1.5), wantField: "size_bytes"},
		{name: "a missing checksum", body: with("sha256", nil), wantField: "sha256"},
		{name: "a checksum of the wrong length", body: with("sha256", "abc123"), wantField: "sha256"},
		{name: "a checksum that is not hexadecimal", body: with("sha256", strings.Repeat("zz", 32)), wantField: "sha256"},
		{name: "more than 32 tags", body: with("tags", manyTags), wantField: "tags"},
		{name: "a tag with spaces", body: with("tags", []string{"no spaces"}), wantField: "tags"},
		{name: "tags that are not a list", body: with("tags", "finance"), wantField: "tags"},
		{name: "a storage URI with another scheme", body: with("storage_uri", "ftp://host/file"), wantField: "storage_uri"},
		{name: "a storage URI without a bucket", body: with("storage_uri", "s3:///key"), wantField: "storage_uri"},
		{name: "an unknown field", body: with("owner", "alice"), wantField: "owner"},
		{name: "malformed JSON", body: `{"title": `},
		{name: "a body that is not an object", body: `[1, 2]`},
		{name: "two objects in one body", body: `{"title":"a"} {"title":"b"}`},
		{name: "an empty body", body: ``},
		{name: "a document id that is not a UUID", method: http.MethodGet, path: "/api/v1/documents/42", wantField: "id"},
		{name: "a delete with an id that is not a UUID", method: http.MethodDelete, path: "/api/v1/documents/x", wantField: "id"},
		{name: "a page size of zero", method: http.MethodGet, path: "/api/v1/documents?limit=0", wantField: "limit"},
		{name: "a page size that is not a number", method: http.MethodGet, path: "/api/v1/documents?limit=ten", wantField: "limit"},
		{name: "a tag filter with spaces", method: http.MethodGet, path: "/api/v1/documents?tag=a%20b", wantField: "tag"},
		{name: "a cursor this API did not issue", method: http.MethodGet, path: "/api/v1/documents?cursor=bm9wZQ", wantField: "cursor"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			method, path := tt.method, tt.path
			if method == "" {
				method, path = http.MethodPost, "/api/v1/documents"
			}
			var body io.Reader
			if tt.body != nil {
				raw, ok := tt.body.(string)
				if !ok {
					b, _ := json.Marshal(tt.body)
					raw = string(b)
				}
				body = strings.NewReader(raw)
			}
			resp, b := a.do(t, method, path, "application/json", body)
			if resp.StatusCode != http.StatusBadRequest {
				t.Fatalf("status %d, want 400: %s", resp.StatusCode, b)
			}
			var e errorBody
			decodeJSON(t, b, &e)
			if e.Field != tt.wantField || e.Error == "" {
				t.Errorf("error %+v, want field %q", e, tt.wantField)
			}
		})
	}
}

func TestOversizedBodiesAreRejected(t *testing.T) {
	a := startApp(t, pg.NewDatabase(t))
	a.waitReady(t)
	big := validBody()
	big["title"] = strings.Repeat("x", DefaultMaxBodyBytes)
	raw, _ := json.Marshal(big)
	tests := []struct {
		name string
		body io.Reader
	}{
		{name: "a body announced larger than the limit", body: bytes.NewReader(raw)},
		// Without a length the server only finds out while reading.
		{name: "a streamed body that grows past the limit", body: io.MultiReader(bytes.NewReader(raw))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, b := a.do(t, http.MethodPost, "/api/v1/documents", "application/json", tt.body)
			if resp.StatusCode != http.StatusRequestEntityTooLarge {
				t.Errorf("status %d, want 413: %s", resp.StatusCode, b)
			}
		})
	}
}

func TestUnknownDocumentsEndpointsAndMethodsAreReported(t *testing.T) {
	a := startApp(t, pg.NewDatabase(t))
	a.waitReady(t)
	absent := "/api/v1/documents/00000000-0000-4000-8000-000000000000"
	tests := []struct {
		name        string
		method      string
		path        string
		contentType string
		want        int
	}{
		{name: "reading an unknown id", method: http.MethodGet, path: absent, want: http.StatusNotFound},
		{name: "deleting an unknown id", method: http.MethodDelete, path: absent, want: http.StatusNotFound},
		{name: "an unknown API path", method: http.MethodGet, path: "/api/v1/folders", want: http.StatusNotFound},
		{name: "an unsupported method", method: http.MethodPut, path: "/api/v1/documents", want: http.StatusMethodNotAllowed},
		{name: "a body that is not JSON", method: http.MethodPost, path: "/api/v1/documents", contentType: "text/plain", want: http.StatusUnsupportedMediaType},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, b := a.do(t, tt.method, tt.path, tt.contentType, strings.NewReader("{}"))
			if resp.StatusCode != tt.want {
				t.Errorf("status %d, want %d: %s", resp.StatusCode, tt.want, b)
			}
		})
	}
}

func TestPagesAreCappedAndChainedByCursor(t *testing.T) {
	a := startApp(t, pg.NewDatabase(t))
	a.waitReady(t)
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, a.db.ConnString())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, `INSERT INTO documents (owner, title, content_type, size_bytes, sha256)
		SELECT 'alice', 'doc ' || i, 'text/plain', i, repeat('0', 64) FROM generate_series(1, 130) i`); err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	path := "/api/v1/documents?limit=1000"
	for pages := 1; ; pages++ {
		code, body := a.get(t, path)
		var page listBody
		decodeJSON(t, body, &page)
		if code != http.StatusOK || len(page.Items) > maxPageSize {
			t.Fatalf("page %d: status %d with %d items", pages, code, len(page.Items))
		}
		for _, d := range page.Items {
			if seen[d.ID] {
				t.Fatalf("document %s listed twice", d.ID)
			}
			seen[d.ID] = true
		}
		if page.NextCursor == "" {
			if pages != 2 {
				t.Errorf("130 documents took %d pages of at most %d", pages, maxPageSize)
			}
			break
		}
		path = "/api/v1/documents?limit=1000&cursor=" + page.NextCursor
	}
	if len(seen) != 130 {
		t.Errorf("listed %d documents, want 130", len(seen))
	}
}

func TestMetricsCountRequestsByRoutePattern(t *testing.T) {
	a := startApp(t, pg.NewDatabase(t))
	a.waitReady(t)
	a.get(t, "/api/v1/documents/00000000-0000-4000-8000-000000000000")
	code, body := a.get(t, a.metricsURL+"/metrics")
	if code != http.StatusOK {
		t.Fatalf("metrics: %d", code)
	}
	text := string(body)
	for _, want := range []string{
		`docuflow_http_requests_total{code="404",method="GET",route="GET /api/v1/documents/{id}"} 1`,
		`docuflow_http_request_duration_seconds_bucket{method="GET",route="GET /api/v1/documents/{id}",le="+Inf"} 1`,
		`docuflow_db_pool_max_conns 10`,
		`docuflow_db_pool_total_conns`,
		`docuflow_build_info{build="build-abc",version="1.2.3-test"} 1`,
		`go_goroutines`,
	} {
		if !strings.Contains(text, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	if strings.Contains(text, "00000000-0000-4000") {
		t.Error("a raw path leaked into a metric label")
	}
}
