package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"
	"path"
	"strconv"
	"strings"
	"time"
)

// migrationFS holds the schema migrations, applied in file-name order. A
// file is named NNNN_description.sql; NNNN is its version. Never edit a
// migration that has shipped: add a new file.
//
//go:embed migrations/*.sql
var migrationFS embed.FS

// migration is one embedded schema change.
type migration struct {
	version int
	name    string
	sql     string
}

// migrations returns the embedded migrations in version order.
func migrations() ([]migration, error) {
	names, err := fs.Glob(migrationFS, "migrations/*.sql") // sorted
	if err != nil {
		return nil, err
	}
	out := make([]migration, 0, len(names))
	for _, name := range names {
		base := path.Base(name)
		prefix, _, _ := strings.Cut(base, "_")
		version, err := strconv.Atoi(prefix)
		if err != nil || version <= 0 {
			return nil, fmt.Errorf("migration %s: name must start with a positive version number", base)
		}
		if n := len(out); n > 0 && out[n-1].version >= version {
			return nil, fmt.Errorf("migration %s: version %d is not after %d", base, version, out[n-1].version)
		}
		body, err := fs.ReadFile(migrationFS, name)
		if err != nil {
			return nil, err
		}
		out = append(out, migration{version: version, name: base, sql: string(body)})
	}
	return out, nil
}

// migrate applies every embedded migration that the database has not
// recorded in schema_migrations, each in its own transaction with its record.
// The caller holds the database's lock file, so no one else migrates meanwhile.
func migrate(ctx context.Context, conn *sql.Conn) error {
	const create = `CREATE TABLE IF NOT EXISTS schema_migrations (
		version    INTEGER PRIMARY KEY,
		name       TEXT    NOT NULL,
		applied_ns INTEGER NOT NULL
	)`
	if _, err := conn.ExecContext(ctx, create); err != nil {
		return fmt.Errorf("create schema_migrations: %w", err)
	}
	all, err := migrations()
	if err != nil {
		return err
	}
	var newest int
	if err := conn.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&newest); err != nil {
		return fmt.Errorf("read schema version: %w", err)
	}
	if known := all[len(all)-1].version; newest > known {
		return fmt.Errorf("schema version %d is newer than this ratelord-d knows (%d): upgrade ratelord-d", newest, known)
	}
	for _, m := range all {
		var n int
		if err := conn.QueryRowContext(ctx, `SELECT COUNT(*) FROM schema_migrations WHERE version = ?`, m.version).Scan(&n); err != nil {
			return fmt.Errorf("read schema version: %w", err)
		}
		if n > 0 {
			continue
		}
		if err := apply(ctx, conn, m); err != nil {
			return fmt.Errorf("apply %s: %w", m.name, err)
		}
	}
	return nil
}

// apply runs one migration and records it, atomically.
func apply(ctx context.Context, conn *sql.Conn, m migration) error {
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback() //nolint:errcheck // a no-op after Commit
	if _, err := tx.ExecContext(ctx, m.sql); err != nil {
		return err
	}
	const record = `INSERT INTO schema_migrations (version, name, applied_ns) VALUES (?, ?, ?)`
	if _, err := tx.ExecContext(ctx, record, m.version, m.name, time.Now().UnixNano()); err != nil {
		return err
	}
	return tx.Commit()
}
