package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/upstatehq/upstate/services/alerting/internal/domain"
)

// specDoc is a rule's spec as the spec column keeps it; durations in
// milliseconds.
type specDoc struct {
	Name               string            `json:"name"`
	ServiceIDs         []string          `json:"service_ids,omitempty"`
	Tags               map[string]string `json:"tags,omitempty"`
	All                bool              `json:"all,omitempty"`
	Statuses           []domain.Status   `json:"statuses"`
	ForMS              int64             `json:"for_ms"`
	Severity           domain.Severity   `json:"severity"`
	EscalationPolicyID string            `json:"escalation_policy_id,omitempty"`
	Labels             map[string]string `json:"labels,omitempty"`
	IncludeSLOEvents   bool              `json:"include_slo_events,omitempty"`
	GroupBy            []string          `json:"group_by"`
	GroupWaitMS        int64             `json:"group_wait_ms"`
	GroupIntervalMS    int64             `json:"group_interval_ms"`
	RepeatIntervalMS   int64             `json:"repeat_interval_ms"`
	FlapThreshold      int               `json:"flap_threshold"`
	FlapWindowMS       int64             `json:"flap_window_ms"`
}

func toDoc(s domain.RuleSpec) specDoc {
	return specDoc{
		Name: s.Name, ServiceIDs: s.Selector.ServiceIDs, Tags: s.Selector.Tags, All: s.Selector.All,
		Statuses: s.Statuses, ForMS: s.For.Milliseconds(), Severity: s.Severity, EscalationPolicyID: s.EscalationPolicyID,
		Labels: s.Labels, IncludeSLOEvents: s.IncludeSLOEvents, GroupBy: s.GroupBy,
		GroupWaitMS: s.GroupWait.Milliseconds(), GroupIntervalMS: s.GroupInterval.Milliseconds(),
		RepeatIntervalMS: s.RepeatInterval.Milliseconds(), FlapThreshold: s.FlapThreshold, FlapWindowMS: s.FlapWindow.Milliseconds(),
	}
}

func (d specDoc) spec() domain.RuleSpec {
	ms := func(n int64) time.Duration { return time.Duration(n) * time.Millisecond }
	return domain.RuleSpec{
		Name: d.Name, Selector: domain.Selector{ServiceIDs: d.ServiceIDs, Tags: d.Tags, All: d.All},
		Statuses: d.Statuses, For: ms(d.ForMS), Severity: d.Severity, EscalationPolicyID: d.EscalationPolicyID,
		Labels: d.Labels, IncludeSLOEvents: d.IncludeSLOEvents, GroupBy: d.GroupBy,
		GroupWait: ms(d.GroupWaitMS), GroupInterval: ms(d.GroupIntervalMS), RepeatInterval: ms(d.RepeatIntervalMS),
		FlapThreshold: d.FlapThreshold, FlapWindow: ms(d.FlapWindowMS),
	}
}

const ruleColumns = `id, org_id, spec, created_at, updated_at, version`

func scanRule(row pgx.Row) (domain.Rule, error) {
	var r domain.Rule
	var raw []byte
	if err := row.Scan(&r.ID, &r.OrgID, &raw, &r.CreatedAt, &r.UpdatedAt, &r.Version); err != nil {
		if errors.Is(err, pgx.ErrNoRows) {
			return r, domain.ErrNotFound
		}
		return r, err
	}
	var d specDoc
	if err := json.Unmarshal(raw, &d); err != nil {
		return r, fmt.Errorf("decode rule %s: %w", r.ID, err)
	}
	r.Spec = d.spec()
	r.CreatedAt, r.UpdatedAt = r.CreatedAt.UTC(), r.UpdatedAt.UTC()
	return r, nil
}

// listRules returns the organisation's rules with ids below beforeID
// (empty: from the newest), newest first, up to limit (0: all).
func listRules(ctx context.Context, q pgx.Tx, orgID, beforeID string, limit int) ([]domain.Rule, error) {
	sql := `SELECT ` + ruleColumns + ` FROM alerting.rules WHERE org_id = $1 AND ($2 = '' OR id < $2) ORDER BY id DESC`
	args := []any{orgID, beforeID}
	if limit > 0 {
		sql += ` LIMIT $3`
		args = append(args, limit)
	}
	rows, err := q.Query(ctx, sql, args...)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (domain.Rule, error) { return scanRule(r) })
}

// CreateRule stores r and evaluates it on the organisation's services it
// selects, in one transaction.
func (st *Store) CreateRule(ctx context.Context, r domain.Rule) error {
	err := pgx.BeginFunc(ctx, st.pool, func(tx pgx.Tx) error {
		doc, err := json.Marshal(toDoc(r.Spec))
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO alerting.rules (`+ruleColumns+`) VALUES ($1, $2, $3, $4, $5, $6)`,
			r.ID, r.OrgID, doc, r.CreatedAt, r.UpdatedAt, r.Version); err != nil {
			return err
		}
		if err := bumpRules(ctx, tx, r.OrgID); err != nil {
			return err
		}
		return st.evaluateRule(ctx, tx, r.OrgID, r.ID, r.Spec.Selector, r.CreatedAt)
	})
	if err != nil {
		return fmt.Errorf("create rule: %w", err)
	}
	return nil
}

// GetRule returns the organisation's rule id.
func (st *Store) GetRule(ctx context.Context, orgID, id string) (domain.Rule, error) {
	r, err := scanRule(st.pool.QueryRow(ctx, `SELECT `+ruleColumns+` FROM alerting.rules WHERE org_id = $1 AND id = $2`, orgID, id))
	if err != nil && !errors.Is(err, domain.ErrNotFound) {
		return r, fmt.Errorf("get rule %s: %w", id, err)
	}
	return r, err
}

// ListRules returns up to limit rules with ids below beforeID (empty: from
// the newest), newest first.
func (st *Store) ListRules(ctx context.Context, orgID, beforeID string, limit int) ([]domain.Rule, error) {
	var out []domain.Rule
	err := pgx.BeginFunc(ctx, st.pool, func(tx pgx.Tx) error {
		var err error
		out, err = listRules(ctx, tx, orgID, beforeID, limit)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("list rules: %w", err)
	}
	return out, nil
}

// UpdateRule applies update to the rule under its row lock, stores the
// result unless it is unchanged, and evaluates the rule again on the
// services it selected or selects now. update validates.
func (st *Store) UpdateRule(ctx context.Context, orgID, id string, now time.Time, update func(domain.Rule) (domain.Rule, error)) (domain.Rule, error) {
	var after domain.Rule
	err := pgx.BeginFunc(ctx, st.pool, func(tx pgx.Tx) error {
		before, err := scanRule(tx.QueryRow(ctx, `SELECT `+ruleColumns+` FROM alerting.rules WHERE org_id = $1 AND id = $2 FOR UPDATE`, orgID, id))
		if err != nil {
			return err
		}
		if after, err = update(before); err != nil || after.Version == before.Version {
			return err
		}
		doc, err := json.Marshal(toDoc(after.Spec))
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE alerting.rules SET spec = $2, updated_at = $3, version = $4 WHERE id = $1`,
			id, doc, after.UpdatedAt, after.Version); err != nil {
			return err
		}
		if err := bumpRules(ctx, tx, orgID); err != nil {
			return err
		}
		return st.evaluateRule(ctx, tx, orgID, id, after.Spec.Selector, now)
	})
	if err != nil && !isDomain(err) {
		return after, fmt.Errorf("update rule %s: %w", id, err)
	}
	return after, err
}

// DeleteRule removes the rule; its open alerts resolve in the same
// transaction.
func (st *Store) DeleteRule(ctx context.Context, orgID, id string, now time.Time) error {
	err := pgx.BeginFunc(ctx, st.pool, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `DELETE FROM alerting.rules WHERE org_id = $1 AND id = $2`, orgID, id)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return domain.ErrNotFound
		}
		if err := bumpRules(ctx, tx, orgID); err != nil {
			return err
		}
		return st.evaluateRule(ctx, tx, orgID, id, domain.Selector{}, now)
	})
	if err != nil && !isDomain(err) {
		return fmt.Errorf("delete rule %s: %w", id, err)
	}
	return err
}

// evaluateRule evaluates the organisation's services that have an open
// alert of rule id or that sel selects, after a change of the rule.
func (st *Store) evaluateRule(ctx context.Context, tx pgx.Tx, orgID, id string, sel domain.Selector, now time.Time) error {
	tags, err := json.Marshal(nonNil(sel.Tags))
	if err != nil {
		return err
	}
	rows, err := tx.Query(ctx, `SELECT id FROM alerting.services
		WHERE org_id = $1 AND NOT deleted AND ($2 OR id = ANY($3) OR ($4::jsonb <> '{}' AND tags @> $4::jsonb))
		UNION SELECT service_id FROM alerting.alerts WHERE rule_id = $5 AND state <> 'resolved'
		ORDER BY 1`, orgID, sel.All, stringsOf(sel.ServiceIDs), tags, id)
	if err != nil {
		return err
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return err
	}
	return st.evaluateServices(ctx, tx, orgID, ids, now)
}

// isDomain reports whether err is one the transports map themselves.
func isDomain(err error) bool {
	var verr *domain.ValidationError
	var terr *domain.TransitionError
	return errors.Is(err, domain.ErrNotFound) || errors.As(err, &verr) || errors.As(err, &terr)
}
