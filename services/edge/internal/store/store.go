// Package store keeps the edge's organisations, API keys and audit log
// in its Postgres schema. It translates Postgres errors into domain errors.
package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/upstatehq/upstate/pkg/ids"
	"github.com/upstatehq/upstate/pkg/outbox"
	"github.com/upstatehq/upstate/services/edge/internal/auth"
	"github.com/upstatehq/upstate/services/edge/internal/domain"
)

// Store is the edge's Postgres store.
type Store struct {
	pool *pgxpool.Pool
	// Outbox holds the events of audit entries until the relay publishes
	// them.
	Outbox *outbox.Outbox
}

// New returns a store over pool.
func New(pool *pgxpool.Pool) *Store {
	return &Store{pool: pool, Outbox: outbox.New(pool, OutboxTable)}
}

const keyColumns = `id, org_id, name, prefix, scopes, created_at, last_used_at, revoked_at, expires_at`

func scanKey(row pgx.Row) (domain.APIKey, error) {
	var k domain.APIKey
	var scopes []string
	err := row.Scan(&k.ID, &k.OrgID, &k.Name, &k.Prefix, &scopes, &k.CreatedAt, &k.LastUsedAt, &k.RevokedAt, &k.ExpiresAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return k, domain.ErrNotFound
	}
	for _, s := range scopes {
		k.Scopes = append(k.Scopes, auth.Scope(s))
	}
	return k, err
}

// CreateOrg adds an organisation and returns its id.
func (s *Store) CreateOrg(ctx context.Context, name string, at time.Time) (string, error) {
	id := ids.New(ids.Org)
	if _, err := s.pool.Exec(ctx, `INSERT INTO edge.orgs (id, name, created_at) VALUES ($1, $2, $3)`, id, name, at); err != nil {
		return "", fmt.Errorf("insert org: %w", err)
	}
	return id, nil
}

// CreateKey stores a key of the organisation.
func (s *Store) CreateKey(ctx context.Context, k domain.APIKey, hash []byte) error {
	return insertKey(ctx, s.pool, k, hash)
}

func insertKey(ctx context.Context, db interface {
	Exec(context.Context, string, ...any) (pgconn.CommandTag, error)
}, k domain.APIKey, hash []byte) error {
	_, err := db.Exec(ctx, `INSERT INTO edge.api_keys (id, org_id, name, prefix, key_hash, scopes, created_at, expires_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, k.ID, k.OrgID, k.Name, k.Prefix, hash, scopeNames(k.Scopes), k.CreatedAt, k.ExpiresAt)
	if err != nil {
		return fmt.Errorf("insert api key: %w", err)
	}
	return nil
}

// scopeNames is scopes as a text[] (never NULL).
func scopeNames(scopes []auth.Scope) []string {
	out := make([]string, len(scopes))
	for i, sc := range scopes {
		out[i] = string(sc)
	}
	return out
}

// FindKey returns the key with the given hash that is not revoked; it may
// have expired, which is for the caller's clock to say.
func (s *Store) FindKey(ctx context.Context, hash []byte) (domain.APIKey, error) {
	k, err := scanKey(s.pool.QueryRow(ctx, `SELECT `+keyColumns+` FROM edge.api_keys
		WHERE key_hash = $1 AND revoked_at IS NULL`, hash))
	if err != nil && !errors.Is(err, domain.ErrNotFound) {
		return k, fmt.Errorf("find api key: %w", err)
	}
	return k, err
}

// TouchKey records that a key was used.
func (s *Store) TouchKey(ctx context.Context, id string, at time.Time) error {
	if _, err := s.pool.Exec(ctx, `UPDATE edge.api_keys SET last_used_at = $2 WHERE id = $1`, id, at); err != nil {
		return fmt.Errorf("touch api key %s: %w", id, err)
	}
	return nil
}

// GetKey returns the active key id of the organisation.
func (s *Store) GetKey(ctx context.Context, orgID, id string) (domain.APIKey, error) {
	k, err := scanKey(s.pool.QueryRow(ctx, `SELECT `+keyColumns+` FROM edge.api_keys
		WHERE org_id = $1 AND id = $2 AND revoked_at IS NULL`, orgID, id))
	if err != nil && !errors.Is(err, domain.ErrNotFound) {
		return k, fmt.Errorf("get api key %s: %w", id, err)
	}
	return k, err
}

// ListKeys returns up to limit active keys of the organisation whose
// scopes are all within the given ones, with ids after afterID, in
// creation order.
func (s *Store) ListKeys(ctx context.Context, orgID string, within []auth.Scope, afterID string, limit int) ([]domain.APIKey, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+keyColumns+` FROM edge.api_keys
		WHERE org_id = $1 AND revoked_at IS NULL AND scopes <@ $2 AND id > $3 ORDER BY id LIMIT $4`,
		orgID, scopeNames(within), afterID, limit)
	if err != nil {
		return nil, fmt.Errorf("list api keys: %w", err)
	}
	keys, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (domain.APIKey, error) { return scanKey(r) })
	if err != nil {
		return nil, fmt.Errorf("list api keys: %w", err)
	}
	return keys, nil
}

// RevokeKey revokes an active key of the organisation.
func (s *Store) RevokeKey(ctx context.Context, orgID, id string, at time.Time) error {
	tag, err := s.pool.Exec(ctx, `UPDATE edge.api_keys SET revoked_at = $3
		WHERE org_id = $1 AND id = $2 AND revoked_at IS NULL`, orgID, id, at)
	if err != nil {
		return fmt.Errorf("revoke api key %s: %w", id, err)
	}
	if tag.RowsAffected() == 0 {
		return domain.ErrNotFound
	}
	return nil
}

// Bootstrap makes sure the key exists, held by the bootstrap organisation
// with every scope, creating both as needed. It is idempotent, and safe when
// several edge replicas start at once. It returns the key's organisation.
func (s *Store) Bootstrap(ctx context.Context, key auth.Key, at time.Time) (string, error) {
	var orgID string
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtext('upstate.edge.bootstrap'))`); err != nil {
			return err
		}
		err := tx.QueryRow(ctx, `SELECT org_id FROM edge.api_keys WHERE key_hash = $1`, key.Hash).Scan(&orgID)
		if err == nil {
			return nil
		}
		if !errors.Is(err, pgx.ErrNoRows) {
			return err
		}
		err = tx.QueryRow(ctx, `SELECT id FROM edge.orgs WHERE bootstrap`).Scan(&orgID)
		if errors.Is(err, pgx.ErrNoRows) {
			orgID = ids.New(ids.Org)
			_, err = tx.Exec(ctx, `INSERT INTO edge.orgs (id, name, bootstrap, created_at) VALUES ($1, 'Default', true, $2)`, orgID, at)
		}
		if err != nil {
			return err
		}
		return insertKey(ctx, tx, domain.APIKey{
			ID: ids.New(ids.APIKey), OrgID: orgID, Name: "bootstrap", Prefix: key.Prefix,
			Scopes: []auth.Scope{auth.ScopeWrite}, CreatedAt: at,
		}, key.Hash)
	})
	if err != nil {
		return "", fmt.Errorf("bootstrap api key: %w", err)
	}
	return orgID, nil
}

// ConsoleSecret returns the secret that seals console sessions, storing
// candidate as that secret if there is none yet: the replicas that start
// together all end up with the first one stored.
func (s *Store) ConsoleSecret(ctx context.Context, candidate []byte, at time.Time) ([]byte, error) {
	if _, err := s.pool.Exec(ctx, `INSERT INTO edge.console_secret (secret, created_at) VALUES ($1, $2)
		ON CONFLICT (id) DO NOTHING`, candidate, at); err != nil {
		return nil, fmt.Errorf("store console secret: %w", err)
	}
	var secret []byte
	if err := s.pool.QueryRow(ctx, `SELECT secret FROM edge.console_secret`).Scan(&secret); err != nil {
		return nil, fmt.Errorf("read console secret: %w", err)
	}
	return secret, nil
}
