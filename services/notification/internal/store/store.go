// Package store keeps the notification service's people and on-call
// records in its Postgres schema: users, teams, schedules with their
// overrides, escalation policies and routes. It checks, under row locks,
// that the users and schedules a record names exist in its organisation
// and that none is deleted while another record names it, and translates
// Postgres errors into domain errors.
package store

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/upstatehq/upstate/pkg/pgdb"
	"github.com/upstatehq/upstate/services/notification/internal/domain"
)

// Store is the notification service's Postgres store.
type Store struct {
	pool *pgxpool.Pool
}

// New returns a store over pool.
func New(pool *pgxpool.Pool) *Store { return &Store{pool: pool} }

// uniqueViolation is Postgres's unique_violation.
const uniqueViolation = "23505"

// inTx runs fn in a transaction; what names the operation in a wrapped
// error. Domain errors come back as they are; a unique violation becomes
// a ConflictError saying *conflict, which fn may set once it knows the
// new values.
func (st *Store) inTx(ctx context.Context, what string, conflict *string, fn func(pgx.Tx) error) error {
	err := pgx.BeginFunc(ctx, st.pool, fn)
	switch {
	case err == nil:
		return nil
	case conflict != nil && pgdb.IsCode(err, uniqueViolation):
		return &domain.ConflictError{Reason: *conflict}
	case isDomain(err):
		return err
	}
	return fmt.Errorf("%s: %w", what, err)
}

// isDomain reports whether err is the domain's, to be returned as is.
func isDomain(err error) bool {
	var verr *domain.ValidationError
	var cerr *domain.ConflictError
	return errors.Is(err, domain.ErrNotFound) || errors.As(err, &verr) || errors.As(err, &cerr)
}

// one scans a single row, ErrNotFound when there is none.
func one[T any](rows pgx.Rows, err error, scan func(pgx.CollectableRow) (T, error)) (T, error) {
	var zero T
	if err != nil {
		return zero, err
	}
	v, err := pgx.CollectExactlyOneRow(rows, scan)
	if errors.Is(err, pgx.ErrNoRows) {
		return zero, domain.ErrNotFound
	}
	return v, err
}

// page is the keyset condition and order of a listing, newest first:
// ids below before (empty: from the newest), at most limit rows.
const page = ` AND ($2 = '' OR id < $2) ORDER BY id DESC LIMIT $3`

// lockUsers makes sure every id is a user of the organisation and keeps
// it from being deleted until tx ends; field names the request field.
func lockUsers(ctx context.Context, tx pgx.Tx, orgID, field string, userIDs []string) error {
	return lockExisting(ctx, tx, "notification.users", "user", orgID, field, userIDs)
}

// lockSchedules is lockUsers for schedules.
func lockSchedules(ctx context.Context, tx pgx.Tx, orgID, field string, scheduleIDs []string) error {
	return lockExisting(ctx, tx, "notification.schedules", "schedule", orgID, field, scheduleIDs)
}

func lockExisting(ctx context.Context, tx pgx.Tx, table, kind, orgID, field string, list []string) error {
	if len(list) == 0 {
		return nil
	}
	rows, err := tx.Query(ctx, `SELECT id FROM `+table+` WHERE org_id = $1 AND id = ANY($2) ORDER BY id FOR KEY SHARE`, orgID, list)
	if err != nil {
		return err
	}
	found, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return err
	}
	have := make(map[string]bool, len(found))
	for _, id := range found {
		have[id] = true
	}
	for _, id := range list {
		if !have[id] {
			return domain.UnknownError(field, kind, id)
		}
	}
	return nil
}

// nonNil is s for a text[] column: never NULL.
func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
