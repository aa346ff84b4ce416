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

// pageBumps collects the pages a batch changed, to be marked once, at its
// end (bump).
type pageBumps struct {
	services []string // the pages showing these
	pages    []string // and these, read before their services left them
}

// bump marks the pages collected as changed: a new revision (their
// documents are built again) and updated_at. Batches bump pages last and
// lock them in id order, so that concurrent batches, which lock their
// services, incidents and windows in order too, never deadlock.
func (b *pageBumps) bump(ctx context.Context, q querier, now time.Time) error {
	if len(b.services) == 0 && len(b.pages) == 0 {
		return nil
	}
	_, err := q.Exec(ctx, `UPDATE statuspage.pages p SET revision = p.revision + 1, updated_at = greatest(p.updated_at, $3)
		FROM (SELECT id FROM statuspage.pages
			WHERE id = ANY($2) OR id IN (SELECT page_id FROM statuspage.components WHERE service_id = ANY($1))
			ORDER BY id FOR UPDATE) l
		WHERE p.id = l.id`, nonNil(b.services), nonNil(b.pages), now)
	return err
}

// revisePages gives the pages showing the service a new revision without
// changing updated_at: what changed (daily figures) is not in the
// documents that carry it.
func revisePages(ctx context.Context, q querier, serviceID string) error {
	_, err := q.Exec(ctx, `UPDATE statuspage.pages SET revision = revision + 1
		WHERE id IN (SELECT page_id FROM statuspage.components WHERE service_id = $1)`, serviceID)
	return err
}
