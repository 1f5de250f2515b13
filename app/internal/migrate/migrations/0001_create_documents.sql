-- Document metadata; the documents themselves live in object storage.
CREATE TABLE documents (
    id           uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    title        text        NOT NULL CHECK (length(title) BETWEEN 1 AND 300),
    content_type text        NOT NULL CHECK (length(content_type) BETWEEN 1 AND 255),
    size_bytes   bigint      NOT NULL CHECK (size_bytes >= 0),
    sha256       text        NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    tags         text[]      NOT NULL DEFAULT '{}',
    storage_uri  text,
    -- clock_timestamp, not now(): rows of one transaction still get distinct,
    -- increasing values, which keeps the keyset order meaningful.
    created_at   timestamptz NOT NULL DEFAULT clock_timestamp()
);

-- The keyset pagination order: newest first, id breaking ties.
CREATE INDEX documents_created_at_id_idx ON documents (created_at DESC, id DESC);
