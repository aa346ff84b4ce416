package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/upstatehq/upstate/services/notification/internal/domain"
)

const scheduleColumns = `id, org_id, name, time_zone, layers, created_at, updated_at`

func scanSchedule(row pgx.CollectableRow) (domain.Schedule, error) {
	var s domain.Schedule
	var layers []byte
	if err := row.Scan(&s.ID, &s.OrgID, &s.Spec.Name, &s.Spec.TimeZone, &layers, &s.CreatedAt, &s.UpdatedAt); err != nil {
		return s, err
	}
	s.CreatedAt, s.UpdatedAt = s.CreatedAt.UTC(), s.UpdatedAt.UTC()
	if err := json.Unmarshal(layers, &s.Spec.Layers); err != nil {
		return s, fmt.Errorf("decode layers of schedule %s: %w", s.ID, err)
	}
	return s, nil
}

func scheduleTaken(name string) string { return "a schedule named " + name + " already exists" }

// CreateSchedule stores s; members that are not users of the
// organisation are a ValidationError.
func (st *Store) CreateSchedule(ctx context.Context, s domain.Schedule) error {
	conflict := scheduleTaken(s.Spec.Name)
	return st.inTx(ctx, "create schedule", &conflict, func(tx pgx.Tx) error {
		if err := lockUsers(ctx, tx, s.OrgID, "layers.members", s.Spec.Users()); err != nil {
			return err
		}
		layers, err := json.Marshal(s.Spec.Layers)
		if err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `INSERT INTO notification.schedules (`+scheduleColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
			s.ID, s.OrgID, s.Spec.Name, s.Spec.TimeZone, layers, s.CreatedAt, s.UpdatedAt)
		return err
	})
}

// GetSchedule returns the organisation's schedule id.
func (st *Store) GetSchedule(ctx context.Context, orgID, id string) (domain.Schedule, error) {
	rows, err := st.pool.Query(ctx, `SELECT `+scheduleColumns+` FROM notification.schedules WHERE org_id = $1 AND id = $2`, orgID, id)
	s, err := one(rows, err, scanSchedule)
	if err != nil && !isDomain(err) {
		return s, fmt.Errorf("get schedule %s: %w", id, err)
	}
	return s, err
}

// ListSchedules returns up to limit schedules with ids below beforeID
// (empty: from the newest), newest first.
func (st *Store) ListSchedules(ctx context.Context, orgID, beforeID string, limit int) ([]domain.Schedule, error) {
	rows, err := st.pool.Query(ctx, `SELECT `+scheduleColumns+` FROM notification.schedules WHERE org_id = $1`+page, orgID, beforeID, limit)
	if err != nil {
		return nil, fmt.Errorf("list schedules: %w", err)
	}
	out, err := pgx.CollectRows(rows, scanSchedule)
	if err != nil {
		return nil, fmt.Errorf("list schedules: %w", err)
	}
	return out, nil
}

// UpdateSchedule applies update to the schedule under its row lock and
// stores the result; update validates.
func (st *Store) UpdateSchedule(ctx context.Context, orgID, id string, update func(domain.Schedule) (domain.Schedule, error)) (domain.Schedule, error) {
	var after domain.Schedule
	var conflict string
	err := st.inTx(ctx, "update schedule "+id, &conflict, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT `+scheduleColumns+` FROM notification.schedules WHERE org_id = $1 AND id = $2 FOR UPDATE`, orgID, id)
		before, err := one(rows, err, scanSchedule)
		if err != nil {
			return err
		}
		if after, err = update(before); err != nil {
			return err
		}
		conflict = scheduleTaken(after.Spec.Name)
		if err := lockUsers(ctx, tx, orgID, "layers.members", after.Spec.Users()); err != nil {
			return err
		}
		layers, err := json.Marshal(after.Spec.Layers)
		if err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `UPDATE notification.schedules SET name = $2, time_zone = $3, layers = $4, updated_at = $5 WHERE id = $1`,
			id, after.Spec.Name, after.Spec.TimeZone, layers, after.UpdatedAt)
		return err
	})
	return after, err
}

// DeleteSchedule removes the schedule and its overrides; one that a
// policy targets is a ConflictError naming the policy.
func (st *Store) DeleteSchedule(ctx context.Context, orgID, id string) error {
	return st.inTx(ctx, "delete schedule "+id, nil, func(tx pgx.Tx) error {
		var name string
		err := tx.QueryRow(ctx, `SELECT name FROM notification.schedules WHERE org_id = $1 AND id = $2 FOR UPDATE`, orgID, id).Scan(&name)
		if errors.Is(err, pgx.ErrNoRows) {
			return domain.ErrNotFound
		}
		if err != nil {
			return err
		}
		inStep, err := json.Marshal([]map[string][]targetDoc{{"targets": {{ScheduleID: id}}}})
		if err != nil {
			return err
		}
		var polID, polName string
		err = tx.QueryRow(ctx, `SELECT id, name FROM notification.policies WHERE org_id = $1 AND steps @> $2 ORDER BY id LIMIT 1`,
			orgID, inStep).Scan(&polID, &polName)
		switch {
		case err == nil:
			return &domain.ConflictError{Reason: fmt.Sprintf("schedule %s is a target of escalation policy %s (%q); remove it from the policy first", id, polID, polName)}
		case !errors.Is(err, pgx.ErrNoRows):
			return err
		}
		_, err = tx.Exec(ctx, `DELETE FROM notification.schedules WHERE id = $1`, id)
		return err
	})
}

const overrideColumns = `o.id, o.schedule_id, o.user_id, o.starts, o.ends, o.created_at`

func scanOverride(row pgx.CollectableRow) (domain.Override, error) {
	var o domain.Override
	err := row.Scan(&o.ID, &o.ScheduleID, &o.UserID, &o.From, &o.To, &o.CreatedAt)
	o.From, o.To, o.CreatedAt = o.From.UTC(), o.To.UTC(), o.CreatedAt.UTC()
	return o, err
}

// CreateOverride stores o on the organisation's schedule; a user who is
// not one of the organisation is a ValidationError.
func (st *Store) CreateOverride(ctx context.Context, orgID string, o domain.Override) error {
	return st.inTx(ctx, "create override", nil, func(tx pgx.Tx) error {
		var found bool
		err := tx.QueryRow(ctx, `SELECT true FROM notification.schedules WHERE org_id = $1 AND id = $2 FOR KEY SHARE`, orgID, o.ScheduleID).Scan(&found)
		if errors.Is(err, pgx.ErrNoRows) {
			return domain.ErrNotFound
		}
		if err != nil {
			return err
		}
		if err := lockUsers(ctx, tx, orgID, "user_id", []string{o.UserID}); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `INSERT INTO notification.overrides (id, schedule_id, user_id, starts, ends, created_at) VALUES ($1, $2, $3, $4, $5, $6)`,
			o.ID, o.ScheduleID, o.UserID, o.From, o.To, o.CreatedAt)
		return err
	})
}

// ListOverrides returns the overrides of the organisation's schedule
// that end after since (zero: all), by start. A schedule that is not the
// organisation's is ErrNotFound.
func (st *Store) ListOverrides(ctx context.Context, orgID, scheduleID string, since time.Time) ([]domain.Override, error) {
	if _, err := st.GetSchedule(ctx, orgID, scheduleID); err != nil {
		return nil, err
	}
	return st.overrides(ctx, st.pool, scheduleID, since, time.Time{})
}

// overrides returns the schedule's overrides ending after since and
// starting before until (zero: no bound), by start.
func (st *Store) overrides(ctx context.Context, q interface {
	Query(context.Context, string, ...any) (pgx.Rows, error)
}, scheduleID string, since, until time.Time) ([]domain.Override, error) {
	rows, err := q.Query(ctx, `SELECT `+overrideColumns+` FROM notification.overrides o
		WHERE o.schedule_id = $1 AND ($2::timestamptz IS NULL OR o.ends > $2) AND ($3::timestamptz IS NULL OR o.starts < $3)
		ORDER BY o.starts, o.id`, scheduleID, nullTime(since), nullTime(until))
	if err != nil {
		return nil, fmt.Errorf("list overrides of %s: %w", scheduleID, err)
	}
	out, err := pgx.CollectRows(rows, scanOverride)
	if err != nil {
		return nil, fmt.Errorf("list overrides of %s: %w", scheduleID, err)
	}
	return out, nil
}

// DeleteOverride removes an override of the organisation's schedule.
func (st *Store) DeleteOverride(ctx context.Context, orgID, scheduleID, id string) error {
	return st.inTx(ctx, "delete override "+id, nil, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `DELETE FROM notification.overrides o USING notification.schedules s
			WHERE o.id = $1 AND o.schedule_id = $2 AND s.id = o.schedule_id AND s.org_id = $3`, id, scheduleID, orgID)
		if err == nil && tag.RowsAffected() == 0 {
			return domain.ErrNotFound
		}
		return err
	})
}

// nullTime is t for a nullable column: NULL when zero.
func nullTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}
