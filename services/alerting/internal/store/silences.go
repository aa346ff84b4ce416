package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/upstatehq/upstate/pkg/ids"
	"github.com/upstatehq/upstate/services/alerting/internal/domain"
)

// matchersDoc is a silence's matchers as the matchers column keeps them.
type matchersDoc struct {
	ServiceIDs []string          `json:"service_ids,omitempty"`
	Tags       map[string]string `json:"tags,omitempty"`
	RuleIDs    []string          `json:"rule_ids,omitempty"`
}

const silenceColumns = `id, org_id, matchers, starts_at, ends_at, comment, created_by, coalesce(maintenance_id, ''),
	maintenance_version, created_at, updated_at`

func scanSilence(row pgx.Row) (domain.Silence, error) {
	var s domain.Silence
	var m matchersDoc
	err := row.Scan(&s.ID, &s.OrgID, &m, &s.StartsAt, &s.EndsAt, &s.Comment, &s.CreatedBy, &s.MaintenanceID,
		&s.MaintenanceVersion, &s.CreatedAt, &s.UpdatedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return s, domain.ErrNotFound
	}
	s.Matchers = domain.Matchers{ServiceIDs: m.ServiceIDs, Tags: m.Tags, RuleIDs: m.RuleIDs}
	s.StartsAt, s.EndsAt, s.CreatedAt, s.UpdatedAt = s.StartsAt.UTC(), s.EndsAt.UTC(), s.CreatedAt.UTC(), s.UpdatedAt.UTC()
	return s, err
}

// silences returns the silences matching where (which may end with an
// ORDER BY and a LIMIT).
func silences(ctx context.Context, tx pgx.Tx, where string, args ...any) ([]domain.Silence, error) {
	rows, err := tx.Query(ctx, `SELECT `+silenceColumns+` FROM alerting.silences WHERE `+where, args...)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (domain.Silence, error) { return scanSilence(r) })
}

func saveSilence(ctx context.Context, tx pgx.Tx, s domain.Silence) error {
	var mnt *string
	if s.MaintenanceID != "" {
		mnt = &s.MaintenanceID
	}
	m := matchersDoc{ServiceIDs: s.Matchers.ServiceIDs, Tags: s.Matchers.Tags, RuleIDs: s.Matchers.RuleIDs}
	_, err := tx.Exec(ctx, `INSERT INTO alerting.silences (id, org_id, matchers, starts_at, ends_at, comment, created_by,
			maintenance_id, maintenance_version, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
		ON CONFLICT (id) DO UPDATE SET matchers = EXCLUDED.matchers, starts_at = EXCLUDED.starts_at, ends_at = EXCLUDED.ends_at,
			comment = EXCLUDED.comment, maintenance_version = EXCLUDED.maintenance_version, updated_at = EXCLUDED.updated_at`,
		s.ID, s.OrgID, m, s.StartsAt, s.EndsAt, s.Comment, s.CreatedBy, mnt, s.MaintenanceVersion, s.CreatedAt, s.UpdatedAt)
	return err
}

// CreateSilence stores s.
func (st *Store) CreateSilence(ctx context.Context, s domain.Silence) error {
	if err := pgx.BeginFunc(ctx, st.pool, func(tx pgx.Tx) error { return saveSilence(ctx, tx, s) }); err != nil {
		return fmt.Errorf("create silence: %w", err)
	}
	return nil
}

// GetSilence returns the organisation's silence id.
func (st *Store) GetSilence(ctx context.Context, orgID, id string) (domain.Silence, error) {
	s, err := scanSilence(st.pool.QueryRow(ctx, `SELECT `+silenceColumns+` FROM alerting.silences WHERE org_id = $1 AND id = $2`, orgID, id))
	if err != nil && !errors.Is(err, domain.ErrNotFound) {
		return s, fmt.Errorf("get silence %s: %w", id, err)
	}
	return s, err
}

// ListSilences returns up to limit silences with ids below beforeID
// (empty: from the newest), newest first; activeAt, when not zero, keeps
// those active then.
func (st *Store) ListSilences(ctx context.Context, orgID, beforeID string, activeAt time.Time, limit int) ([]domain.Silence, error) {
	var out []domain.Silence
	err := pgx.BeginFunc(ctx, st.pool, func(tx pgx.Tx) error {
		var err error
		out, err = silences(ctx, tx, `org_id = $1 AND ($2 = '' OR id < $2) AND ($3::timestamptz IS NULL OR (starts_at <= $3 AND ends_at > $3))
			ORDER BY id DESC LIMIT $4`, orgID, beforeID, nullTime(activeAt), limit)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("list silences: %w", err)
	}
	return out, nil
}

// ExpireSilence ends the organisation's silence at now (domain
// Silence.Expire) and returns it afterwards.
func (st *Store) ExpireSilence(ctx context.Context, orgID, id string, now time.Time) (domain.Silence, error) {
	var after domain.Silence
	err := pgx.BeginFunc(ctx, st.pool, func(tx pgx.Tx) error {
		before, err := scanSilence(tx.QueryRow(ctx, `SELECT `+silenceColumns+` FROM alerting.silences WHERE org_id = $1 AND id = $2 FOR UPDATE`, orgID, id))
		if err != nil {
			return err
		}
		var changed bool
		if after, changed, err = before.Expire(now); err != nil || !changed {
			return err
		}
		return saveSilence(ctx, tx, after)
	})
	if err != nil && !isDomain(err) {
		return after, fmt.Errorf("expire silence %s: %w", id, err)
	}
	return after, err
}

// ApplyWindows applies maintenance windows' events in one transaction:
// each window's silence follows its newest version (domain.MaintenanceSilence).
// It returns how many silences changed.
func (st *Store) ApplyWindows(ctx context.Context, ws []domain.Window, now time.Time) (int, error) {
	n := 0
	err := pgx.BeginFunc(ctx, st.pool, func(tx pgx.Tx) error {
		n = 0
		for _, w := range ws {
			cur, err := scanSilence(tx.QueryRow(ctx, `SELECT `+silenceColumns+` FROM alerting.silences WHERE maintenance_id = $1 FOR UPDATE`, w.ID))
			var current *domain.Silence
			switch {
			case err == nil:
				current = &cur
			case !errors.Is(err, domain.ErrNotFound):
				return err
			}
			s, ok := domain.MaintenanceSilence(st.NewID(ids.Silence), w, current, now)
			if !ok {
				continue
			}
			if err := saveSilence(ctx, tx, s); err != nil {
				return err
			}
			n++
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("apply %d maintenance windows: %w", len(ws), err)
	}
	return n, nil
}
