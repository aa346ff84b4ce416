package store

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/upstatehq/upstate/services/notification/internal/domain"
	"github.com/upstatehq/upstate/services/notification/internal/escalation"
)

const policyColumns = `id, org_id, name, steps, repeat, version, created_at, updated_at`

// stepDoc is a step as stored; the reference checks find the users and
// schedules it names by containment (userReferenced, DeleteSchedule).
type stepDoc struct {
	AfterMS int64       `json:"after_ms"`
	Targets []targetDoc `json:"targets"`
}

// targetDoc is a target as stored: only its one id.
type targetDoc struct {
	ScheduleID string `json:"schedule_id,omitempty"`
	UserID     string `json:"user_id,omitempty"`
	ChannelID  string `json:"channel_id,omitempty"`
}

func stepsDoc(steps []escalation.Step) ([]byte, error) {
	docs := make([]stepDoc, len(steps))
	for i, s := range steps {
		docs[i] = stepDoc{AfterMS: s.After.Milliseconds(), Targets: make([]targetDoc, len(s.Targets))}
		for j, t := range s.Targets {
			docs[i].Targets[j] = targetDoc(t)
		}
	}
	return json.Marshal(docs)
}

func scanPolicy(row pgx.CollectableRow) (domain.Policy, error) {
	var p domain.Policy
	var steps []byte
	if err := row.Scan(&p.ID, &p.OrgID, &p.Spec.Name, &steps, &p.Spec.Repeat, &p.Version, &p.CreatedAt, &p.UpdatedAt); err != nil {
		return p, err
	}
	p.CreatedAt, p.UpdatedAt = p.CreatedAt.UTC(), p.UpdatedAt.UTC()
	var docs []stepDoc
	if err := json.Unmarshal(steps, &docs); err != nil {
		return p, fmt.Errorf("decode steps of policy %s: %w", p.ID, err)
	}
	for _, d := range docs {
		step := escalation.Step{After: time.Duration(d.AfterMS) * time.Millisecond}
		for _, t := range d.Targets {
			step.Targets = append(step.Targets, escalation.Target(t))
		}
		p.Spec.Steps = append(p.Spec.Steps, step)
	}
	return p, nil
}

func policyTaken(name string) string { return "an escalation policy named " + name + " already exists" }

// lockTargets checks that the users and schedules the policy names are
// the organisation's and keeps them until tx ends.
func lockTargets(ctx context.Context, tx pgx.Tx, orgID string, spec domain.PolicySpec) error {
	users, schedules := spec.References()
	if err := lockUsers(ctx, tx, orgID, "steps.targets.user_id", users); err != nil {
		return err
	}
	return lockSchedules(ctx, tx, orgID, "steps.targets.schedule_id", schedules)
}

// CreatePolicy stores p; unknown users or schedules are a
// ValidationError.
func (st *Store) CreatePolicy(ctx context.Context, p domain.Policy) error {
	conflict := policyTaken(p.Spec.Name)
	return st.inTx(ctx, "create policy", &conflict, func(tx pgx.Tx) error {
		if err := lockTargets(ctx, tx, p.OrgID, p.Spec); err != nil {
			return err
		}
		steps, err := stepsDoc(p.Spec.Steps)
		if err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `INSERT INTO notification.policies (`+policyColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
			p.ID, p.OrgID, p.Spec.Name, steps, p.Spec.Repeat, p.Version, p.CreatedAt, p.UpdatedAt)
		return err
	})
}

// GetPolicy returns the organisation's policy id.
func (st *Store) GetPolicy(ctx context.Context, orgID, id string) (domain.Policy, error) {
	rows, err := st.pool.Query(ctx, `SELECT `+policyColumns+` FROM notification.policies WHERE org_id = $1 AND id = $2`, orgID, id)
	p, err := one(rows, err, scanPolicy)
	if err != nil && !isDomain(err) {
		return p, fmt.Errorf("get policy %s: %w", id, err)
	}
	return p, err
}

// ListPolicies returns up to limit policies with ids below beforeID
// (empty: from the newest), newest first.
func (st *Store) ListPolicies(ctx context.Context, orgID, beforeID string, limit int) ([]domain.Policy, error) {
	rows, err := st.pool.Query(ctx, `SELECT `+policyColumns+` FROM notification.policies WHERE org_id = $1`+page, orgID, beforeID, limit)
	if err != nil {
		return nil, fmt.Errorf("list policies: %w", err)
	}
	out, err := pgx.CollectRows(rows, scanPolicy)
	if err != nil {
		return nil, fmt.Errorf("list policies: %w", err)
	}
	return out, nil
}

// UpdatePolicy applies update to the policy under its row lock and
// stores the result; update validates and moves the version.
func (st *Store) UpdatePolicy(ctx context.Context, orgID, id string, update func(domain.Policy) (domain.Policy, error)) (domain.Policy, error) {
	var after domain.Policy
	var conflict string
	err := st.inTx(ctx, "update policy "+id, &conflict, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT `+policyColumns+` FROM notification.policies WHERE org_id = $1 AND id = $2 FOR UPDATE`, orgID, id)
		before, err := one(rows, err, scanPolicy)
		if err != nil {
			return err
		}
		if after, err = update(before); err != nil {
			return err
		}
		conflict = policyTaken(after.Spec.Name)
		if err := lockTargets(ctx, tx, orgID, after.Spec); err != nil {
			return err
		}
		steps, err := stepsDoc(after.Spec.Steps)
		if err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `UPDATE notification.policies SET name = $2, steps = $3, repeat = $4, version = $5, updated_at = $6 WHERE id = $1`,
			id, after.Spec.Name, steps, after.Spec.Repeat, after.Version, after.UpdatedAt)
		return err
	})
	return after, err
}

// DeletePolicy removes the policy.
func (st *Store) DeletePolicy(ctx context.Context, orgID, id string) error {
	return st.inTx(ctx, "delete policy "+id, nil, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `DELETE FROM notification.policies WHERE org_id = $1 AND id = $2`, orgID, id)
		if err == nil && tag.RowsAffected() == 0 {
			return domain.ErrNotFound
		}
		return err
	})
}
