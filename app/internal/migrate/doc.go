// Package migrate owns the database schema: SQL files embedded in the binary,
// applied in order at start-up and recorded in schema_migrations. A session
// advisory lock on one dedicated connection serialises the tasks of a service
// that start together, so each migration runs exactly once.
package migrate
