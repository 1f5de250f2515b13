// Package store persists document metadata in PostgreSQL through a pgx pool.
// It builds the pool from the validated configuration (TLS included), and
// pages through documents with an opaque keyset cursor so that concurrent
// inserts never shift a page under a client.
package store
