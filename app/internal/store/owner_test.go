package store_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/docuflow/docuflow-operator/app/internal/store"
)

func TestEachScopeSeesAndDeletesOnlyItsOwnDocuments(t *testing.T) {
	s, pool := migratedStore(t)
	ctx := context.Background()
	mine, err := s.Create(ctx, newDoc(1, "shared"))
	if err != nil {
		t.Fatal(err)
	}
	theirs := newDoc(2, "shared")
	theirs.Owner = "bob"
	their, err := s.Create(ctx, theirs)
	if err != nil {
		t.Fatal(err)
	}
	// A row from before owners existed, as the migration leaves it.
	var legacy string
	if err := pool.QueryRow(ctx, `INSERT INTO documents (title, content_type, size_bytes, sha256)
		VALUES ('old', 'text/plain', 1, repeat('0', 64)) RETURNING id::text`).Scan(&legacy); err != nil {
		t.Fatal(err)
	}
	bob, admin := store.Scope{Owner: "bob"}, store.Scope{Owner: "root", All: true}

	ids := func(sc store.Scope) []string {
		p, err := s.List(ctx, sc, store.ListQuery{Limit: 10})
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, d := range p.Documents {
			out = append(out, d.ID)
		}
		return out
	}
	if got := ids(alice); len(got) != 1 || got[0] != mine.ID {
		t.Errorf("alice lists %v, want only %s", got, mine.ID)
	}
	if got := ids(store.Scope{}); len(got) != 0 {
		t.Errorf("an empty scope lists %v, want nothing (not the ownerless rows)", got)
	}
	if got := ids(admin); len(got) != 3 {
		t.Errorf("an admin lists %v, want all three documents", got)
	}
	for _, id := range []string{their.ID, legacy} {
		if _, err := s.Get(ctx, alice, id); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("alice reads %s: %v, want ErrNotFound", id, err)
		}
		if err := s.Delete(ctx, alice, id); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("alice deletes %s: %v, want ErrNotFound", id, err)
		}
	}
	if d, err := s.Get(ctx, bob, their.ID); err != nil || d.Owner != "bob" {
		t.Errorf("bob reads his own document: %+v, %v", d, err)
	}
	if err := s.Delete(ctx, admin, legacy); err != nil {
		t.Errorf("an admin deletes an ownerless document: %v", err)
	}
	if err := s.Delete(ctx, admin, their.ID); err != nil {
		t.Errorf("an admin deletes bob's document: %v", err)
	}
	if _, err := s.Create(ctx, store.NewDocument{Title: "x", ContentType: "text/plain", SHA256: strings.Repeat("0", 64)}); !errors.Is(err, store.ErrNoOwner) {
		t.Errorf("creating without an owner: %v, want ErrNoOwner", err)
	}
}

func TestAFailedInsertDoesNotQuoteTheTitle(t *testing.T) {
	s, _ := migratedStore(t)
	doc := newDoc(3)
	// Longer than the column's CHECK allows, so the database refuses the row.
	doc.Title = "Confidential merger plan " + strings.Repeat("x", 300)
	_, err := s.Create(context.Background(), doc)
	if err == nil {
		t.Fatal("the database accepted a 325-character title")
	}
	if strings.Contains(err.Error(), "Confidential") {
		t.Errorf("the error, which is logged, quotes the title: %v", err)
	}
}
