package pgdb

import (
	"context"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"sort"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

var migrationName = regexp.MustCompile(`^[0-9]{4}_[a-z0-9_]+\.sql$`)

// Migrate applies, in name order, the NNNN_description.sql files of fsys
// (searched at its root) that schema has not seen yet, each in its own
// transaction, recording them in <schema>.schema_migrations. A session
// advisory lock serialises replicas that start at the same time.
func Migrate(ctx context.Context, pool *pgxpool.Pool, schema string, fsys fs.FS) error {
	files, err := migrationFiles(fsys)
	if err != nil {
		return err
	}
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("acquire connection: %w", err)
	}
	defer conn.Release()

	lockKey := "upstate.migrate." + schema
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock(hashtext($1))`, lockKey); err != nil {
		return fmt.Errorf("lock migrations of %s: %w", schema, err)
	}
	defer func() {
		// A fresh context: the unlock must run even when ctx was cancelled.
		_, _ = conn.Exec(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock(hashtext($1))`, lockKey)
	}()

	ident := pgx.Identifier{schema}.Sanitize()
	setup := `CREATE SCHEMA IF NOT EXISTS ` + ident + `;
		CREATE TABLE IF NOT EXISTS ` + ident + `.schema_migrations (
			version text PRIMARY KEY,
			applied_at timestamptz NOT NULL DEFAULT now())`
	if _, err := conn.Exec(ctx, setup); err != nil {
		return fmt.Errorf("prepare schema %s: %w", schema, err)
	}
	applied := map[string]bool{}
	rows, err := conn.Query(ctx, `SELECT version FROM `+ident+`.schema_migrations`)
	if err != nil {
		return fmt.Errorf("read applied migrations of %s: %w", schema, err)
	}
	versions, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return fmt.Errorf("read applied migrations of %s: %w", schema, err)
	}
	for _, v := range versions {
		applied[v] = true
	}

	for _, name := range files {
		if applied[name] {
			continue
		}
		sql, err := fs.ReadFile(fsys, name)
		if err != nil {
			return fmt.Errorf("read migration %s: %w", name, err)
		}
		err = pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, string(sql)); err != nil {
				return err
			}
			_, err := tx.Exec(ctx, `INSERT INTO `+ident+`.schema_migrations (version) VALUES ($1)`, name)
			return err
		})
		if err != nil {
			return fmt.Errorf("apply migration %s/%s: %w", schema, name, err)
		}
	}
	return nil
}

func migrationFiles(fsys fs.FS) ([]string, error) {
	entries, err := fs.ReadDir(fsys, ".")
	if err != nil {
		return nil, fmt.Errorf("list migrations: %w", err)
	}
	var names []string
	for _, e := range entries {
		if e.IsDir() || path.Ext(e.Name()) != ".sql" {
			continue
		}
		if !migrationName.MatchString(e.Name()) {
			return nil, fmt.Errorf("migration %q: name must look like 0001_description.sql", e.Name())
		}
		names = append(names, e.Name())
	}
	sort.Strings(names)
	return names, nil
}
