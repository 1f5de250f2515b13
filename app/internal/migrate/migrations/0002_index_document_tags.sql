-- Filtering by tag uses "tags @> ARRAY[...]", which a GIN index serves.
CREATE INDEX documents_tags_idx ON documents USING gin (tags);
