package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/upstatehq/upstate/services/alerting/internal/domain"
)

const alertColumns = `id, org_id, rule_id, rule_name, service_id, service_name, state, severity, labels,
	group_key, group_id, active_since, fires_at, fired_at, resolved_at, acked_by, acked_at, ack_note,
	flapping, created_at, updated_at, version`

// scanAlert reads alertColumns, then into extra the columns after them.
func scanAlert(row pgx.Row, extra ...any) (domain.Alert, error) {
	var a domain.Alert
	var state, severity string
	var fired, resolved, acked *time.Time
	err := row.Scan(append([]any{&a.ID, &a.OrgID, &a.RuleID, &a.RuleName, &a.ServiceID, &a.ServiceName, &state, &severity, &a.Labels,
		&a.GroupKey, &a.GroupID, &a.ActiveSince, &a.FiresAt, &fired, &resolved, &a.AckedBy, &acked, &a.AckNote,
		&a.Flapping, &a.CreatedAt, &a.UpdatedAt, &a.Version}, extra...)...)
	if errors.Is(err, pgx.ErrNoRows) {
		return a, domain.ErrNotFound
	}
	a.State, a.Severity = domain.State(state), domain.Severity(severity)
	a.FiredAt, a.ResolvedAt, a.AckedAt = timeOf(fired), timeOf(resolved), timeOf(acked)
	a.ActiveSince, a.FiresAt, a.CreatedAt, a.UpdatedAt = a.ActiveSince.UTC(), a.FiresAt.UTC(), a.CreatedAt.UTC(), a.UpdatedAt.UTC()
	return a, err
}

// openAlerts returns, locked, the open alerts matching where, by rule id,
// and when each is due for evaluation (by alert id). FOR NO KEY UPDATE
// leaves their keys shareable, so that a notification writing their
// history does not wait for the lock.
func openAlerts(ctx context.Context, tx pgx.Tx, where string, args ...any) (map[string]*domain.Alert, map[string]time.Time, error) {
	rows, err := tx.Query(ctx, `SELECT `+alertColumns+`, next_eval_at FROM alerting.alerts WHERE `+where+` AND state <> 'resolved'
		ORDER BY id FOR NO KEY UPDATE`, args...)
	if err != nil {
		return nil, nil, err
	}
	out, next := map[string]*domain.Alert{}, map[string]time.Time{}
	for rows.Next() {
		var n *time.Time
		a, err := scanAlert(rows, &n)
		if err != nil {
			rows.Close()
			return nil, nil, err
		}
		out[a.RuleID], next[a.ID] = &a, timeOf(n)
	}
	return out, next, rows.Err()
}

// saveAlert writes the alert and the history entries added since it was
// read; next is when the scheduler evaluates it again (zero: never).
func saveAlert(ctx context.Context, tx pgx.Tx, a *domain.Alert, next time.Time) error {
	if _, err := tx.Exec(ctx, `INSERT INTO alerting.alerts (`+alertColumns+`, next_eval_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23)
		ON CONFLICT (id) DO UPDATE SET rule_name = EXCLUDED.rule_name, service_name = EXCLUDED.service_name,
			state = EXCLUDED.state, severity = EXCLUDED.severity, labels = EXCLUDED.labels, group_key = EXCLUDED.group_key,
			active_since = EXCLUDED.active_since, fires_at = EXCLUDED.fires_at, fired_at = EXCLUDED.fired_at,
			resolved_at = EXCLUDED.resolved_at, acked_by = EXCLUDED.acked_by, acked_at = EXCLUDED.acked_at,
			ack_note = EXCLUDED.ack_note, flapping = EXCLUDED.flapping, updated_at = EXCLUDED.updated_at,
			version = EXCLUDED.version, next_eval_at = EXCLUDED.next_eval_at`,
		a.ID, a.OrgID, a.RuleID, a.RuleName, a.ServiceID, a.ServiceName, string(a.State), string(a.Severity), nonNil(a.Labels),
		a.GroupKey, a.GroupID, a.ActiveSince, a.FiresAt, nullTime(a.FiredAt), nullTime(a.ResolvedAt), a.AckedBy, nullTime(a.AckedAt), a.AckNote,
		a.Flapping, a.CreatedAt, a.UpdatedAt, a.Version, nullTime(next)); err != nil {
		return fmt.Errorf("save alert %s: %w", a.ID, err)
	}
	return addHistory(ctx, tx, a.ID, a.NewEntries())
}

func addHistory(ctx context.Context, tx pgx.Tx, alertID string, entries []domain.Entry) error {
	for _, e := range entries {
		if _, err := tx.Exec(ctx, `INSERT INTO alerting.alert_history (alert_id, at, kind, actor, note) VALUES ($1, $2, $3, $4, $5)`,
			alertID, e.At, string(e.Kind), e.Actor, e.Note); err != nil {
			return fmt.Errorf("add history of %s: %w", alertID, err)
		}
	}
	return nil
}

// GetAlert returns the organisation's alert with its history, its
// silences and inhibitions as of now.
func (st *Store) GetAlert(ctx context.Context, orgID, id string, now time.Time) (domain.Alert, error) {
	var a domain.Alert
	err := pgx.BeginFunc(ctx, st.pool, func(tx pgx.Tx) error {
		var err error
		if a, err = scanAlert(tx.QueryRow(ctx, `SELECT `+alertColumns+` FROM alerting.alerts WHERE org_id = $1 AND id = $2`, orgID, id)); err != nil {
			return err
		}
		if a.History, err = history(ctx, tx, id); err != nil {
			return err
		}
		return applyMutes(ctx, tx, orgID, []*domain.Alert{&a}, now)
	})
	if err != nil && !isDomain(err) {
		return a, fmt.Errorf("get alert %s: %w", id, err)
	}
	return a, err
}

func history(ctx context.Context, tx pgx.Tx, id string) ([]domain.Entry, error) {
	rows, err := tx.Query(ctx, `SELECT at, kind, actor, note FROM alerting.alert_history WHERE alert_id = $1 ORDER BY id`, id)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (domain.Entry, error) {
		var e domain.Entry
		var kind string
		err := r.Scan(&e.At, &kind, &e.Actor, &e.Note)
		e.At, e.Kind = e.At.UTC(), domain.EntryKind(kind)
		return e, err
	})
}

// AlertFilter selects alerts to list.
type AlertFilter struct {
	State             domain.State // empty: all
	ServiceID, RuleID string
	// BeforeID continues a listing: alerts with smaller ids.
	BeforeID string
}

// ListAlerts returns up to limit alerts, newest first, with their
// silences and inhibitions as of now (without history).
func (st *Store) ListAlerts(ctx context.Context, orgID string, f AlertFilter, limit int, now time.Time) ([]domain.Alert, error) {
	var out []domain.Alert
	err := pgx.BeginFunc(ctx, st.pool, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT `+alertColumns+` FROM alerting.alerts
			WHERE org_id = $1 AND ($2 = '' OR state = $2) AND ($3 = '' OR service_id = $3) AND ($4 = '' OR rule_id = $4)
				AND ($5 = '' OR id < $5)
			ORDER BY id DESC LIMIT $6`, orgID, string(f.State), f.ServiceID, f.RuleID, f.BeforeID, limit)
		if err != nil {
			return err
		}
		if out, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (domain.Alert, error) { return scanAlert(r) }); err != nil {
			return err
		}
		ptrs := make([]*domain.Alert, len(out))
		for i := range out {
			ptrs[i] = &out[i]
		}
		return applyMutes(ctx, tx, orgID, ptrs, now)
	})
	if err != nil {
		return nil, fmt.Errorf("list alerts: %w", err)
	}
	return out, nil
}

// Acknowledge records that actor takes care of the organisation's alert:
// its AlertAcknowledged event is written and its group looks again, so
// that it leaves the group's notifications.
func (st *Store) Acknowledge(ctx context.Context, orgID, id, actor, note string, now time.Time) (domain.Alert, error) {
	return st.changeAck(ctx, orgID, id, now, func(a domain.Alert) (domain.Alert, announcement, error) {
		after, err := a.Acknowledge(actor, note, now)
		return after, announceAcknowledged, err
	})
}

// Unacknowledge takes the acknowledgement back: the alert's group looks
// again, so that it is notified of once more.
func (st *Store) Unacknowledge(ctx context.Context, orgID, id, actor string, now time.Time) (domain.Alert, error) {
	return st.changeAck(ctx, orgID, id, now, func(a domain.Alert) (domain.Alert, announcement, error) {
		after, changed, err := a.Unacknowledge(actor, now)
		if !changed {
			return a, announceNone, err
		}
		return after, announceNone, err
	})
}

func (st *Store) changeAck(ctx context.Context, orgID, id string, now time.Time, change func(domain.Alert) (domain.Alert, announcement, error)) (domain.Alert, error) {
	var after domain.Alert
	err := pgx.BeginFunc(ctx, st.pool, func(tx pgx.Tx) error {
		var next *time.Time
		before, err := scanAlert(tx.QueryRow(ctx, `SELECT `+alertColumns+`, next_eval_at FROM alerting.alerts WHERE org_id = $1 AND id = $2
			FOR NO KEY UPDATE`, orgID, id), &next)
		if err != nil {
			return err
		}
		var what announcement
		if after, what, err = change(before); err != nil || after.Version == before.Version {
			return err
		}
		if err := saveAlert(ctx, tx, &after, timeOf(next)); err != nil {
			return err
		}
		eff := newEffects(orgID)
		r, err := ruleTx(ctx, tx, orgID, after.RuleID)
		if err != nil {
			return err
		}
		if what != announceNone {
			eff.announce(&after, r, what)
		} else {
			eff.touch(&after, r)
		}
		return st.apply(ctx, tx, eff, now)
	})
	if err != nil && !isDomain(err) {
		return after, fmt.Errorf("acknowledge alert %s: %w", id, err)
	}
	if err != nil {
		return after, err
	}
	return st.GetAlert(ctx, orgID, id, now)
}

// ruleTx returns the rule as tx sees it; nil if it was deleted.
func ruleTx(ctx context.Context, tx pgx.Tx, orgID, id string) (*domain.Rule, error) {
	r, err := scanRule(tx.QueryRow(ctx, `SELECT `+ruleColumns+` FROM alerting.rules WHERE org_id = $1 AND id = $2`, orgID, id))
	if errors.Is(err, domain.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &r, nil
}
