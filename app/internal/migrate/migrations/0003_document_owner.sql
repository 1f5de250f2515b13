-- Every document belongs to the subject (the token's sub) that created it.
-- Rows from before authentication get the empty owner, which no token can
-- carry (the API requires a non-empty sub): only admins see and delete them.
-- The default keeps inserts from a task of the previous version, still running
-- during a rolling deployment, in that admin-only state too.
ALTER TABLE documents ADD COLUMN owner text NOT NULL DEFAULT '';

-- A caller's own listing: its documents, newest first, in keyset order.
CREATE INDEX documents_owner_created_at_id_idx ON documents (owner, created_at DESC, id DESC);
