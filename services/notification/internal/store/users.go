package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/upstatehq/upstate/services/notification/internal/domain"
)

const userColumns = `id, org_id, name, email, time_zone, slack_member_id, phone, channel_ids, created_at, updated_at`

func scanUser(row pgx.CollectableRow) (domain.User, error) {
	var u domain.User
	err := row.Scan(&u.ID, &u.OrgID, &u.Spec.Name, &u.Spec.Email, &u.Spec.TimeZone, &u.Spec.SlackMemberID, &u.Spec.Phone,
		&u.Spec.ChannelIDs, &u.CreatedAt, &u.UpdatedAt)
	u.CreatedAt, u.UpdatedAt = u.CreatedAt.UTC(), u.UpdatedAt.UTC()
	return u, err
}

func emailTaken(email string) string { return "a user with email " + email + " already exists" }

// CreateUser stores u.
func (st *Store) CreateUser(ctx context.Context, u domain.User) error {
	conflict := emailTaken(u.Spec.Email)
	return st.inTx(ctx, "create user", &conflict, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO notification.users (`+userColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
			u.ID, u.OrgID, u.Spec.Name, u.Spec.Email, u.Spec.TimeZone, u.Spec.SlackMemberID, u.Spec.Phone, nonNil(u.Spec.ChannelIDs),
			u.CreatedAt, u.UpdatedAt)
		return err
	})
}

// GetUser returns the organisation's user id.
func (st *Store) GetUser(ctx context.Context, orgID, id string) (domain.User, error) {
	rows, err := st.pool.Query(ctx, `SELECT `+userColumns+` FROM notification.users WHERE org_id = $1 AND id = $2`, orgID, id)
	u, err := one(rows, err, scanUser)
	if err != nil && !isDomain(err) {
		return u, fmt.Errorf("get user %s: %w", id, err)
	}
	return u, err
}

// ListUsers returns up to limit users with ids below beforeID (empty:
// from the newest), newest first.
func (st *Store) ListUsers(ctx context.Context, orgID, beforeID string, limit int) ([]domain.User, error) {
	rows, err := st.pool.Query(ctx, `SELECT `+userColumns+` FROM notification.users WHERE org_id = $1`+page, orgID, beforeID, limit)
	if err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	out, err := pgx.CollectRows(rows, scanUser)
	if err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	return out, nil
}

// UpdateUser applies update to the user under its row lock and stores
// the result; update validates.
func (st *Store) UpdateUser(ctx context.Context, orgID, id string, update func(domain.User) (domain.User, error)) (domain.User, error) {
	var after domain.User
	conflict := ""
	err := st.inTx(ctx, "update user "+id, &conflict, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT `+userColumns+` FROM notification.users WHERE org_id = $1 AND id = $2 FOR UPDATE`, orgID, id)
		before, err := one(rows, err, scanUser)
		if err != nil {
			return err
		}
		if after, err = update(before); err != nil {
			return err
		}
		conflict = emailTaken(after.Spec.Email)
		s := after.Spec
		_, err = tx.Exec(ctx, `UPDATE notification.users SET name = $2, email = $3, time_zone = $4, slack_member_id = $5, phone = $6,
			channel_ids = $7, updated_at = $8 WHERE id = $1`,
			id, s.Name, s.Email, s.TimeZone, s.SlackMemberID, s.Phone, nonNil(s.ChannelIDs), after.UpdatedAt)
		return err
	})
	return after, err
}

// DeleteUser removes the user and takes them out of their teams. A user
// that a schedule's layer or override, or a policy's step, names is a
// ConflictError naming the first such record.
func (st *Store) DeleteUser(ctx context.Context, orgID, id string) error {
	return st.inTx(ctx, "delete user "+id, nil, func(tx pgx.Tx) error {
		// The row lock waits for, and then keeps out, any transaction
		// that is adding a reference to the user (lockUsers).
		var name string
		err := tx.QueryRow(ctx, `SELECT name FROM notification.users WHERE org_id = $1 AND id = $2 FOR UPDATE`, orgID, id).Scan(&name)
		if errors.Is(err, pgx.ErrNoRows) {
			return domain.ErrNotFound
		}
		if err != nil {
			return err
		}
		if err := userReferenced(ctx, tx, orgID, id); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `DELETE FROM notification.users WHERE id = $1`, id)
		return err
	})
}

// userReferenced returns a ConflictError when a schedule or policy of
// the organisation names the user.
func userReferenced(ctx context.Context, tx pgx.Tx, orgID, id string) error {
	inLayer, err := json.Marshal([]map[string][]string{{"members": {id}}})
	if err != nil {
		return err
	}
	inStep, err := json.Marshal([]map[string][]targetDoc{{"targets": {{UserID: id}}}})
	if err != nil {
		return err
	}
	var kind, refID, refName string
	err = tx.QueryRow(ctx, `
		(SELECT 'is a member of a layer of schedule', id, name FROM notification.schedules WHERE org_id = $1 AND layers @> $2 ORDER BY id LIMIT 1)
		UNION ALL
		(SELECT 'has an override in schedule', s.id, s.name FROM notification.overrides o JOIN notification.schedules s ON s.id = o.schedule_id
			WHERE o.user_id = $4 ORDER BY s.id LIMIT 1)
		UNION ALL
		(SELECT 'is a target of escalation policy', id, name FROM notification.policies WHERE org_id = $1 AND steps @> $3 ORDER BY id LIMIT 1)
		LIMIT 1`, orgID, inLayer, inStep, id).Scan(&kind, &refID, &refName)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil
	}
	if err != nil {
		return err
	}
	return &domain.ConflictError{Reason: fmt.Sprintf("user %s %s %s (%q); remove them from it first", id, kind, refID, refName)}
}
