// Package store keeps the status page service's state in its Postgres
// schema: pages and their components, the read model pages are rendered
// from (services, posts, incidents, maintenance windows, daily figures),
// subscribers and the deliveries still to make. It translates Postgres
// errors into domain errors.
package store

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/upstatehq/upstate/services/statuspage/internal/domain"
)

// Store is the status page service's Postgres store.
type Store struct {
	pool *pgxpool.Pool
}

// New returns a store over pool.
func New(pool *pgxpool.Pool) *Store { return &Store{pool: pool} }

// querier is a pool or a transaction.
type querier interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// uniqueViolation translates a unique violation on the pages' slug or
// custom domain.
func uniqueViolation(err error) error {
	var pe *pgconn.PgError
	if errors.As(err, &pe) && pe.Code == "23505" {
		switch pe.ConstraintName {
		case "pages_slug_key":
			return domain.ErrSlugTaken
		case "pages_custom_domain_key":
			return domain.ErrDomainTaken
		}
	}
	return err
}

func utc(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }

// bumpPages marks the pages showing any of the services as changed: a
// new revision, and updated_at now.
func bumpPages(ctx context.Context, q querier, now time.Time, serviceIDs []string) (int64, error) {
	tag, err := q.Exec(ctx, `UPDATE statuspage.pages SET revision = revision + 1, updated_at = greatest(updated_at, $2)
		WHERE id IN (SELECT page_id FROM statuspage.components WHERE service_id = ANY($1))`, serviceIDs, now)
	return tag.RowsAffected(), err
}

// revisePages gives the pages showing the service a new revision without
// changing updated_at: what changed (daily figures) is not in the
// documents that carry it.
func revisePages(ctx context.Context, q querier, serviceID string) error {
	_, err := q.Exec(ctx, `UPDATE statuspage.pages SET revision = revision + 1
		WHERE id IN (SELECT page_id FROM statuspage.components WHERE service_id = $1)`, serviceID)
	return err
}
