package store_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/docuflow/docuflow-operator/app/internal/config"
	"github.com/docuflow/docuflow-operator/app/internal/migrate"
	"github.com/docuflow/docuflow-operator/app/internal/pgtest"
	"github.com/docuflow/docuflow-operator/app/internal/store"
)

func dbConfig(d pgtest.Database) config.DB {
	return config.DB{Host: d.Host, Port: d.Port, Name: d.Name, User: d.User, Password: d.Password, SSLMode: "disable"}
}

// migratedStore returns a store on a fresh, migrated database.
func migratedStore(t *testing.T) (*store.Store, *pgxpool.Pool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	pool, err := store.Open(ctx, dbConfig(pg.NewDatabase(t)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	if _, err := migrate.Up(ctx, pool, slog.New(slog.NewTextHandler(io.Discard, nil))); err != nil {
		t.Fatal(err)
	}
	return store.New(pool), pool
}

func newDoc(i int, tags ...string) store.NewDocument {
	sum := sha256.Sum256([]byte(strconv.Itoa(i)))
	return store.NewDocument{Title: fmt.Sprintf("doc %d", i), ContentType: "application/pdf", SizeBytes: int64(i), SHA256: hex.EncodeToString(sum[:]), Tags: tags, Owner: "alice"}
}

// alice is the scope of newDoc's owner.
var alice = store.Scope{Owner: "alice"}

func TestCreateGetDeleteRoundTrip(t *testing.T) {
	s, _ := migratedStore(t)
	ctx := context.Background()
	in := newDoc(1, "invoice", "2024")
	in.StorageURI = "s3://bucket/key"
	created, err := s.Create(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	if !store.IsUUID(created.ID) || created.CreatedAt.IsZero() {
		t.Fatalf("created document lacks id or time: %+v", created)
	}
	got, err := s.Get(ctx, alice, created.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Title != in.Title || got.SHA256 != in.SHA256 || !slices.Equal(got.Tags, in.Tags) || got.StorageURI != in.StorageURI || !got.CreatedAt.Equal(created.CreatedAt) {
		t.Errorf("read back %+v, created %+v", got, created)
	}
	if err := s.Delete(ctx, alice, created.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Get(ctx, alice, created.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Get after Delete = %v, want ErrNotFound", err)
	}
	if err := s.Delete(ctx, alice, created.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("second Delete = %v, want ErrNotFound", err)
	}
}

func TestADocumentWithoutTagsOrURIReadsBackEmpty(t *testing.T) {
	s, _ := migratedStore(t)
	created, err := s.Create(context.Background(), newDoc(2))
	if err != nil {
		t.Fatal(err)
	}
	if created.Tags == nil || len(created.Tags) != 0 || created.StorageURI != "" {
		t.Errorf("got tags %#v and URI %q, want an empty list and no URI", created.Tags, created.StorageURI)
	}
}

func TestPagesCoverEveryEarlierDocumentOnceDespiteConcurrentInserts(t *testing.T) {
	s, _ := migratedStore(t)
	ctx := context.Background()
	const before = 57
	want := map[string]bool{}
	for i := 0; i < before; i++ {
		d, err := s.Create(ctx, newDoc(i))
		if err != nil {
			t.Fatal(err)
		}
		want[d.ID] = true
	}

	// Writers keep inserting while the reader pages through. They start once
	// the first page is read: started earlier, on a loaded machine they can
	// insert hundreds of documents older than the first page's cursor, which
	// the reader then rightly pages through too.
	stop := make(chan struct{})
	var wg sync.WaitGroup
	startWriters := func() {
		for w := 0; w < 3; w++ {
			wg.Add(1)
			go func(w int) {
				defer wg.Done()
				for i := 0; ; i++ {
					select {
					case <-stop:
						return
					default:
					}
					if _, err := s.Create(ctx, newDoc(1000*(w+1)+i)); err != nil {
						t.Errorf("concurrent insert: %v", err)
						return
					}
				}
			}(w)
		}
	}

	seen := map[string]bool{}
	cursor := ""
	for pages := 0; ; pages++ {
		if pages > before {
			t.Fatal("pagination did not end")
		}
		p, err := s.List(ctx, alice, store.ListQuery{Limit: 5, Cursor: cursor})
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range p.Documents {
			if seen[d.ID] {
				t.Errorf("document %s returned twice", d.ID)
			}
			seen[d.ID] = true
		}
		if pages == 0 {
			startWriters()
		}
		if p.NextCursor == "" {
			break
		}
		cursor = p.NextCursor
	}
	close(stop)
	wg.Wait()
	for id := range want {
		if !seen[id] {
			t.Errorf("document %s that existed before the first page was skipped", id)
		}
	}
}

func TestListFiltersByTagAndBindsTheCursorToTheFilter(t *testing.T) {
	s, _ := migratedStore(t)
	ctx := context.Background()
	for i := 0; i < 6; i++ {
		tags := []string{"all"}
		if i%2 == 0 {
			tags = append(tags, "even")
		}
		if _, err := s.Create(ctx, newDoc(i, tags...)); err != nil {
			t.Fatal(err)
		}
	}
	p, err := s.List(ctx, alice, store.ListQuery{Tag: "even", Limit: 2})
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Documents) != 2 || p.NextCursor == "" {
		t.Fatalf("first page: %d documents, cursor %q", len(p.Documents), p.NextCursor)
	}
	rest, err := s.List(ctx, alice, store.ListQuery{Tag: "even", Limit: 2, Cursor: p.NextCursor})
	if err != nil {
		t.Fatal(err)
	}
	if len(rest.Documents) != 1 || rest.NextCursor != "" {
		t.Errorf("second page: %d documents, cursor %q; want the last even document", len(rest.Documents), rest.NextCursor)
	}
	for _, d := range append(p.Documents, rest.Documents...) {
		if !slices.Contains(d.Tags, "even") {
			t.Errorf("document %s without the tag was listed", d.ID)
		}
	}
	if _, err := s.List(ctx, alice, store.ListQuery{Tag: "all", Limit: 2, Cursor: p.NextCursor}); !errors.Is(err, store.ErrBadCursor) {
		t.Errorf("cursor reused with another tag: err = %v, want ErrBadCursor", err)
	}
	if _, err := s.List(ctx, alice, store.ListQuery{Limit: 2, Cursor: "!!"}); !errors.Is(err, store.ErrBadCursor) {
		t.Errorf("garbage cursor: err = %v, want ErrBadCursor", err)
	}
}
