// Package pgtest gives tests a real PostgreSQL server: a throwaway one built
// from the system's server binaries in a temporary directory (started once per
// test package from TestMain), or the one named by DATABASE_URL. Each test gets
// its own database, so tests stay isolated without a server each, and a TCP
// proxy lets a test cut and restore the database link at will.
package pgtest
