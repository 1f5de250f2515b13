package store

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// ErrNotFound reports that no document has the requested id.
var ErrNotFound = errors.New("document not found")

// ErrBadCursor reports a cursor that this API did not issue for this query.
var ErrBadCursor = errors.New("invalid cursor")

// Document is the stored metadata of one document.
type Document struct {
	// ID is a UUID assigned by the database.
	ID string `json:"id"`
	// Title is a human-readable name.
	Title string `json:"title"`
	// ContentType is the document's media type.
	ContentType string `json:"content_type"`
	// SizeBytes is the document's size.
	SizeBytes int64 `json:"size_bytes"`
	// SHA256 is the lower-case hex SHA-256 of the document's bytes.
	SHA256 string `json:"sha256"`
	// Tags are lower-case labels used for filtering.
	Tags []string `json:"tags"`
	// StorageURI locates the bytes, when known.
	StorageURI string `json:"storage_uri,omitempty"`
	// CreatedAt is when the metadata was stored.
	CreatedAt time.Time `json:"created_at"`
	// Owner is the subject that created the document; empty for documents
	// from before authentication, which only admins see.
	Owner string `json:"owner"`
}

// NewDocument is validated input for Create.
type NewDocument struct {
	// Title is a trimmed, non-empty title.
	Title string
	// ContentType is a media type.
	ContentType string
	// SizeBytes is not negative.
	SizeBytes int64
	// SHA256 is 64 lower-case hexadecimal characters.
	SHA256 string
	// Tags are lower-case and unique; nil is stored as an empty list.
	Tags []string
	// StorageURI is empty when unknown.
	StorageURI string
	// Owner is the creating subject; never empty.
	Owner string
}

// Scope is whose documents a caller may see and change.
type Scope struct {
	// Owner is the caller's subject.
	Owner string
	// All lets the caller see and change every document (admins).
	All bool
}

// ErrNoOwner reports a document to create without an owner, which would make
// it an admin-only document by accident.
var ErrNoOwner = errors.New("document has no owner")

// Store reads and writes documents.
type Store struct {
	pool *pgxpool.Pool
}

// New returns a Store on pool.
func New(pool *pgxpool.Pool) *Store { return &Store{pool: pool} }

const columns = "id::text, title, content_type, size_bytes, sha256, tags, coalesce(storage_uri, ''), created_at, owner"

// visible is the condition that limits a query to the scope's documents. An
// empty owner never matches, so a zero Scope sees nothing, not the
// admin-only documents without an owner.
const visible = "(@all OR (owner = @owner AND @owner <> ''))"

func (sc Scope) args() pgx.NamedArgs {
	return pgx.NamedArgs{"all": sc.All, "owner": sc.Owner}
}

func scanDocument(row pgx.Row) (Document, error) {
	var d Document
	err := row.Scan(&d.ID, &d.Title, &d.ContentType, &d.SizeBytes, &d.SHA256, &d.Tags, &d.StorageURI, &d.CreatedAt, &d.Owner)
	d.CreatedAt = d.CreatedAt.UTC()
	return d, err
}

// Create stores a document and returns it with its id and creation time.
func (s *Store) Create(ctx context.Context, n NewDocument) (Document, error) {
	if n.Owner == "" {
		return Document{}, ErrNoOwner
	}
	tags := n.Tags
	if tags == nil {
		tags = []string{}
	}
	var d Document
	err := Retry(ctx, s.pool, func(ctx context.Context) (err error) {
		row := s.pool.QueryRow(ctx, `INSERT INTO documents (title, content_type, size_bytes, sha256, tags, storage_uri, owner)
			VALUES ($1, $2, $3, $4, $5, nullif($6, ''), $7) RETURNING `+columns,
			n.Title, n.ContentType, n.SizeBytes, n.SHA256, tags, n.StorageURI, n.Owner)
		d, err = scanDocument(row)
		return err
	})
	if err != nil {
		// Never the title: it is the customer's data, and this error is logged.
		return Document{}, fmt.Errorf("inserting a document for %s: %w", n.Owner, err)
	}
	return d, nil
}

// Get returns the document with id if the scope may see it, or ErrNotFound:
// someone else's document is indistinguishable from a missing one.
func (s *Store) Get(ctx context.Context, sc Scope, id string) (Document, error) {
	args := sc.args()
	args["id"] = id
	var d Document
	err := Retry(ctx, s.pool, func(ctx context.Context) (err error) {
		d, err = scanDocument(s.pool.QueryRow(ctx, "SELECT "+columns+" FROM documents WHERE id = @id::uuid AND "+visible, args))
		return err
	})
	if errors.Is(err, pgx.ErrNoRows) {
		return Document{}, ErrNotFound
	}
	if err != nil {
		return Document{}, fmt.Errorf("reading document %s: %w", id, err)
	}
	return d, nil
}

// Delete removes the document with id if the scope may change it, or returns
// ErrNotFound.
func (s *Store) Delete(ctx context.Context, sc Scope, id string) error {
	args := sc.args()
	args["id"] = id
	var deleted int64
	err := Retry(ctx, s.pool, func(ctx context.Context) error {
		tag, err := s.pool.Exec(ctx, "DELETE FROM documents WHERE id = @id::uuid AND "+visible, args)
		deleted = tag.RowsAffected()
		return err
	})
	if err != nil {
		return fmt.Errorf("deleting document %s: %w", id, err)
	}
	if deleted == 0 {
		return ErrNotFound
	}
	return nil
}

// ListQuery selects one page of documents, newest first.
type ListQuery struct {
	// Tag keeps only documents carrying this tag, when not empty.
	Tag string
	// Limit is the page size; the caller bounds it.
	Limit int
	// Cursor continues after the last document of a previous page, when not empty.
	Cursor string
}

// Page is one page of documents.
type Page struct {
	// Documents are newest first.
	Documents []Document
	// NextCursor fetches the following page; empty on the last page.
	NextCursor string
}

// cursor is the position after which a page starts. It carries the filter so
// that a cursor cannot be replayed against a different query.
type cursor struct {
	CreatedAt int64  `json:"t"` // microseconds since the epoch, PostgreSQL's precision
	ID        string `json:"i"`
	Tag       string `json:"g,omitempty"`
}

func (c cursor) encode() string {
	b, _ := json.Marshal(c)
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodeCursor(s, tag string) (cursor, error) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return cursor{}, ErrBadCursor
	}
	var c cursor
	if err := json.Unmarshal(b, &c); err != nil || c.ID == "" || c.Tag != tag || !IsUUID(c.ID) {
		return cursor{}, ErrBadCursor
	}
	return c, nil
}

// List returns one page of the scope's documents. The order (created_at, id) is total and every row's
// key is fixed at insert, so following NextCursor never repeats a document and
// never skips one that existed when the first page was read.
func (s *Store) List(ctx context.Context, sc Scope, q ListQuery) (Page, error) {
	args := sc.args()
	args["limit"], args["tag"] = q.Limit+1, q.Tag
	where := visible + " AND (@tag = '' OR tags @> ARRAY[@tag::text])"
	if q.Cursor != "" {
		c, err := decodeCursor(q.Cursor, q.Tag)
		if err != nil {
			return Page{}, err
		}
		where += " AND (created_at, id) < (@after_t, @after_id::uuid)"
		args["after_t"] = time.UnixMicro(c.CreatedAt).UTC()
		args["after_id"] = c.ID
	}
	var docs []Document
	err := Retry(ctx, s.pool, func(ctx context.Context) error {
		rows, err := s.pool.Query(ctx, "SELECT "+columns+" FROM documents WHERE "+where+
			" ORDER BY created_at DESC, id DESC LIMIT @limit", args)
		if err != nil {
			return err
		}
		docs, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (Document, error) { return scanDocument(r) })
		return err
	})
	if err != nil {
		return Page{}, fmt.Errorf("listing documents: %w", err)
	}
	p := Page{Documents: docs}
	if len(docs) > q.Limit {
		p.Documents = docs[:q.Limit]
		last := p.Documents[q.Limit-1]
		p.NextCursor = cursor{CreatedAt: last.CreatedAt.UnixMicro(), ID: last.ID, Tag: q.Tag}.encode()
	}
	return p, nil
}

// IsUUID reports whether s is a canonical 8-4-4-4-12 hexadecimal UUID, the
// only id form the API issues.
func IsUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if (c < '0' || c > '9') && (c < 'a' || c > 'f') && (c < 'A' || c > 'F') {
				return false
			}
		}
	}
	return true
}
