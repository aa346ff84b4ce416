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

const groupColumns = `key, id, org_id, rule_id, rule_name, severity, escalation_policy_id, labels,
	group_wait_ms, group_interval_ms, repeat_interval_ms, created_at, next_flush_at, last_notified_at, notified, seq`

func scanGroup(row pgx.Row) (GroupInfo, error) {
	var g GroupInfo
	var severity string
	var wait, interval, repeat int64
	var next, last *time.Time
	err := row.Scan(&g.Key, &g.ID, &g.OrgID, &g.RuleID, &g.RuleName, &severity, &g.EscalationPolicyID, &g.Labels,
		&wait, &interval, &repeat, &g.CreatedAt, &next, &last, &g.Notified, &g.Seq)
	if errors.Is(err, pgx.ErrNoRows) {
		return g, domain.ErrNotFound
	}
	g.Severity = domain.Severity(severity)
	g.Timing = domain.Timing{Wait: ms(wait), Interval: ms(interval), Repeat: ms(repeat)}
	g.CreatedAt, g.NextFlushAt, g.LastNotifiedAt = g.CreatedAt.UTC(), timeOf(next), timeOf(last)
	return g, err
}

func ms(n int64) time.Duration { return time.Duration(n) * time.Millisecond }

func saveGroup(ctx context.Context, tx pgx.Tx, g GroupInfo) error {
	_, err := tx.Exec(ctx, `INSERT INTO alerting.groups (`+groupColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)
		ON CONFLICT (key) DO UPDATE SET rule_name = EXCLUDED.rule_name, severity = EXCLUDED.severity,
			escalation_policy_id = EXCLUDED.escalation_policy_id, group_wait_ms = EXCLUDED.group_wait_ms,
			group_interval_ms = EXCLUDED.group_interval_ms, repeat_interval_ms = EXCLUDED.repeat_interval_ms,
			next_flush_at = EXCLUDED.next_flush_at, last_notified_at = EXCLUDED.last_notified_at,
			notified = EXCLUDED.notified, seq = EXCLUDED.seq`,
		g.Key, g.ID, g.OrgID, g.RuleID, g.RuleName, string(g.Severity), g.EscalationPolicyID, nonNil(g.Labels),
		g.Timing.Wait.Milliseconds(), g.Timing.Interval.Milliseconds(), g.Timing.Repeat.Milliseconds(),
		g.CreatedAt, nullTime(g.NextFlushAt), nullTime(g.LastNotifiedAt), stringsOf(g.Notified), g.Seq)
	return err
}

// touchGroup schedules the group of key after t's alerts changed: the
// group is opened by an alert firing (it waits group_wait), an existing
// one is scheduled as domain.Group.Touch says, with its rule's current
// settings; a change of an alert with no group (it never fired, or its
// group is done) schedules nothing.
func (st *Store) touchGroup(ctx context.Context, tx pgx.Tx, orgID, key string, t touch, now time.Time) error {
	g, err := scanGroup(tx.QueryRow(ctx, `SELECT `+groupColumns+` FROM alerting.groups WHERE key = $1 FOR UPDATE`, key))
	switch {
	case errors.Is(err, domain.ErrNotFound):
		firing := false
		for _, a := range t.alerts {
			firing = firing || a.State == domain.Firing
		}
		if !firing || t.rule == nil {
			return nil
		}
		r := t.rule
		g = GroupInfo{Group: domain.NewGroup(st.NewID(ids.AlertGroup), orgID, r.ID, key,
			domain.GroupLabels(r.Spec, t.alerts[0].Labels), domain.TimingOf(r.Spec), now)}
	case err != nil:
		return err
	default:
		if t.rule != nil {
			g.Timing = domain.TimingOf(t.rule.Spec)
		}
		g.Group = g.Touch(g.Timing, now)
	}
	if r := t.rule; r != nil {
		g.RuleName, g.Severity, g.EscalationPolicyID, g.Timing = r.Spec.Name, r.Spec.Severity, r.Spec.EscalationPolicyID, domain.TimingOf(r.Spec)
	}
	if err := saveGroup(ctx, tx, g); err != nil {
		return fmt.Errorf("save group: %w", err)
	}
	for _, a := range t.alerts {
		if a.GroupID != g.ID {
			a.GroupID = g.ID
			if _, err := tx.Exec(ctx, `UPDATE alerting.alerts SET group_id = $2 WHERE id = $1`, a.ID, g.ID); err != nil {
				return err
			}
		}
	}
	return nil
}

// FlushDue flushes up to limit groups whose flush is due at now, each in a
// transaction of its own (one another replica is flushing is skipped). It
// returns how many notifications it wrote.
func (st *Store) FlushDue(ctx context.Context, now time.Time, limit int) (int, error) {
	rows, err := st.pool.Query(ctx, `SELECT key FROM alerting.groups WHERE next_flush_at <= $1 ORDER BY next_flush_at LIMIT $2`, now, limit)
	if err != nil {
		return 0, fmt.Errorf("find due groups: %w", err)
	}
	keys, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return 0, fmt.Errorf("find due groups: %w", err)
	}
	sent := 0
	for _, key := range keys {
		var notified bool
		err := pgx.BeginFunc(ctx, st.pool, func(tx pgx.Tx) error {
			var err error
			notified, err = st.flush(ctx, tx, key, now)
			return err
		})
		if err != nil {
			return sent, fmt.Errorf("flush group %s: %w", key, err)
		}
		if notified {
			sent++
		}
	}
	return sent, nil
}

// flush runs domain.Group.Flush on the group: its open alerts and those
// it notified of as firing, each muted or not as of now. A notification
// is written with its event and a "notified" entry in the history of each
// alert it tells of.
func (st *Store) flush(ctx context.Context, tx pgx.Tx, key string, now time.Time) (bool, error) {
	g, err := scanGroup(tx.QueryRow(ctx, `SELECT `+groupColumns+` FROM alerting.groups WHERE key = $1 AND next_flush_at <= $2
		FOR UPDATE SKIP LOCKED`, key, now))
	if errors.Is(err, domain.ErrNotFound) {
		return false, nil // flushed meanwhile, or by another replica now
	}
	if err != nil {
		return false, err
	}
	rows, err := tx.Query(ctx, `SELECT `+alertColumns+` FROM alerting.alerts
		WHERE (group_key = $1 AND state <> 'resolved') OR id = ANY($2) ORDER BY id`, key, stringsOf(g.Notified))
	if err != nil {
		return false, err
	}
	alerts, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (domain.Alert, error) { return scanAlert(r) })
	if err != nil {
		return false, err
	}
	svcs := make([]string, len(alerts))
	for i, a := range alerts {
		svcs[i] = a.ServiceID
	}
	m, err := mutes(ctx, tx, g.OrgID, svcs, now)
	if err != nil {
		return false, err
	}
	members := make([]domain.Member, len(alerts))
	for i := range alerts {
		m.Apply(&alerts[i])
		members[i] = domain.Member{Alert: alerts[i], Muted: alerts[i].Open() && m.Muted(alerts[i])}
	}
	after, n, drop := g.Flush(members, g.Timing, now)
	g.Group = after
	if drop {
		_, err := tx.Exec(ctx, `DELETE FROM alerting.groups WHERE key = $1`, key)
		if err != nil || n == nil {
			return false, err
		}
	} else if err := saveGroup(ctx, tx, g); err != nil {
		return false, err
	}
	if n == nil {
		return false, nil
	}
	ev, err := st.ann.GroupNotify(g, *n, now)
	if err != nil {
		return false, err
	}
	for _, a := range append(append([]domain.Alert{}, n.Firing...), n.Resolved...) {
		if err := addHistory(ctx, tx, a.ID, []domain.Entry{{At: now, Kind: domain.EntryNotified, Actor: domain.System, Note: ev.ID}}); err != nil {
			return false, err
		}
	}
	return true, st.Outbox.Write(ctx, tx, ev)
}
