package store

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/upstatehq/upstate/services/notification/internal/domain"
)

// A team's members come back in their order, as an array.
const teamSelect = `SELECT t.id, t.org_id, t.name, t.created_at, t.updated_at,
	COALESCE((SELECT array_agg(m.user_id ORDER BY m.position) FROM notification.team_members m WHERE m.team_id = t.id), '{}')
	FROM notification.teams t`

func scanTeam(row pgx.CollectableRow) (domain.Team, error) {
	var t domain.Team
	err := row.Scan(&t.ID, &t.OrgID, &t.Spec.Name, &t.CreatedAt, &t.UpdatedAt, &t.Spec.MemberIDs)
	t.CreatedAt, t.UpdatedAt = t.CreatedAt.UTC(), t.UpdatedAt.UTC()
	return t, err
}

func teamTaken(name string) string { return "a team named " + name + " already exists" }

// setMembers replaces the team's members, after checking they are users
// of the organisation.
func setMembers(ctx context.Context, tx pgx.Tx, t domain.Team) error {
	if err := lockUsers(ctx, tx, t.OrgID, "member_ids", t.Spec.MemberIDs); err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, `DELETE FROM notification.team_members WHERE team_id = $1`, t.ID); err != nil {
		return err
	}
	_, err := tx.Exec(ctx, `INSERT INTO notification.team_members (team_id, position, user_id)
		SELECT $1, n, u FROM unnest($2::text[]) WITH ORDINALITY AS m(u, n)`, t.ID, nonNil(t.Spec.MemberIDs))
	return err
}

// CreateTeam stores t; unknown members are a ValidationError.
func (st *Store) CreateTeam(ctx context.Context, t domain.Team) error {
	conflict := teamTaken(t.Spec.Name)
	return st.inTx(ctx, "create team", &conflict, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO notification.teams (id, org_id, name, created_at, updated_at) VALUES ($1, $2, $3, $4, $5)`,
			t.ID, t.OrgID, t.Spec.Name, t.CreatedAt, t.UpdatedAt); err != nil {
			return err
		}
		return setMembers(ctx, tx, t)
	})
}

// GetTeam returns the organisation's team id.
func (st *Store) GetTeam(ctx context.Context, orgID, id string) (domain.Team, error) {
	rows, err := st.pool.Query(ctx, teamSelect+` WHERE t.org_id = $1 AND t.id = $2`, orgID, id)
	t, err := one(rows, err, scanTeam)
	if err != nil && !isDomain(err) {
		return t, fmt.Errorf("get team %s: %w", id, err)
	}
	return t, err
}

// ListTeams returns up to limit teams with ids below beforeID (empty:
// from the newest), newest first.
func (st *Store) ListTeams(ctx context.Context, orgID, beforeID string, limit int) ([]domain.Team, error) {
	rows, err := st.pool.Query(ctx, teamSelect+` WHERE t.org_id = $1 AND ($2 = '' OR t.id < $2) ORDER BY t.id DESC LIMIT $3`, orgID, beforeID, limit)
	if err != nil {
		return nil, fmt.Errorf("list teams: %w", err)
	}
	out, err := pgx.CollectRows(rows, scanTeam)
	if err != nil {
		return nil, fmt.Errorf("list teams: %w", err)
	}
	return out, nil
}

// UpdateTeam applies update to the team under its row lock and stores
// the result; update validates.
func (st *Store) UpdateTeam(ctx context.Context, orgID, id string, update func(domain.Team) (domain.Team, error)) (domain.Team, error) {
	var after domain.Team
	var conflict string
	err := st.inTx(ctx, "update team "+id, &conflict, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, teamSelect+` WHERE t.org_id = $1 AND t.id = $2 FOR UPDATE OF t`, orgID, id)
		before, err := one(rows, err, scanTeam)
		if err != nil {
			return err
		}
		if after, err = update(before); err != nil {
			return err
		}
		conflict = teamTaken(after.Spec.Name)
		if _, err := tx.Exec(ctx, `UPDATE notification.teams SET name = $2, updated_at = $3 WHERE id = $1`, id, after.Spec.Name, after.UpdatedAt); err != nil {
			return err
		}
		return setMembers(ctx, tx, after)
	})
	return after, err
}

// DeleteTeam removes the team.
func (st *Store) DeleteTeam(ctx context.Context, orgID, id string) error {
	return st.inTx(ctx, "delete team "+id, nil, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `DELETE FROM notification.teams WHERE org_id = $1 AND id = $2`, orgID, id)
		if err == nil && tag.RowsAffected() == 0 {
			return domain.ErrNotFound
		}
		return err
	})
}
