package store

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/upstatehq/upstate/pkg/bus"
	"github.com/upstatehq/upstate/pkg/ids"
	"github.com/upstatehq/upstate/pkg/outbox"
	notificationv1 "github.com/upstatehq/upstate/proto/gen/upstate/notification/v1"
	"github.com/upstatehq/upstate/services/notification/internal/channel"
	"github.com/upstatehq/upstate/services/notification/internal/domain"
	"github.com/upstatehq/upstate/services/notification/internal/engine"
	"github.com/upstatehq/upstate/services/notification/internal/escalation"
)

// OutboxTable is the notification service's outbox (pkg/outbox).
const OutboxTable = "notification.outbox"

// Encoder turns a notification into the NOTIFY event that enqueues it
// (the notification package's Event).
type Encoder func(*notificationv1.Notification) (bus.Event, error)

// Escalations keeps the escalation engine's state: one row per alert
// followed, changed under its row lock together with the outbox rows of
// the notifications the change owes, so that a notification leaves once
// whichever replica, consumer or scheduler round makes the change.
type Escalations struct {
	st     *Store
	Outbox *outbox.Outbox
	encode Encoder
	// Email says whether users without personal channels are reached by
	// email (an SMTP server is configured).
	Email bool
}

// NewEscalations returns the escalations of st's database.
func NewEscalations(st *Store, encode Encoder, email bool) *Escalations {
	return &Escalations{st: st, Outbox: outbox.New(st.pool, OutboxTable), encode: encode, Email: email}
}

const escalationColumns = `alert_id, org_id, policy_id, alert_version, fired_at, done, acknowledged, resolved, next_at, notified,
	rule_name, service_id, service_name, severity`

func scanEscalation(row pgx.CollectableRow) (engine.Escalation, error) {
	var e engine.Escalation
	a := &e.Alert
	var fired, next *time.Time
	err := row.Scan(&a.ID, &a.OrgID, &a.PolicyID, &a.Version, &fired, &e.Done, &a.Acknowledged, &a.Resolved, &next, &e.Notified,
		&a.RuleName, &a.ServiceID, &a.ServiceName, &a.Severity)
	if fired != nil {
		a.FiredAt = fired.UTC()
	}
	if next != nil {
		e.NextAt = next.UTC()
	}
	return e, err
}

// Follow applies alert events (engine.Follow) in one transaction, each
// under its escalation's row lock, and writes the messages owed by the
// change: resolutions to everyone notified when the alert resolves;
// acknowledgements, when it is acknowledged, to the PagerDuty channels
// notified only. PagerDuty keeps the incident's state and pages again on
// its side until told; chats and inboxes would only get noise, and the
// resolution reaches them anyway. It returns how many escalations are
// due now.
func (s *Escalations) Follow(ctx context.Context, alerts []engine.Alert, now time.Time) (int, error) {
	// Rows locked in one order by every batch: no deadlock between
	// batches; one alert's events keep their order.
	alerts = slices.Clone(alerts)
	slices.SortStableFunc(alerts, func(a, b engine.Alert) int { return cmp.Compare(a.ID, b.ID) })
	due := 0
	err := pgx.BeginFunc(ctx, s.st.pool, func(tx pgx.Tx) error {
		due = 0
		for _, a := range alerts {
			rows, err := tx.Query(ctx, `SELECT `+escalationColumns+` FROM notification.escalations WHERE alert_id = $1 FOR UPDATE`, a.ID)
			cur, err := one(rows, err, scanEscalation)
			var curp *engine.Escalation
			switch {
			case err == nil:
				curp = &cur
			case !errors.Is(err, domain.ErrNotFound):
				return fmt.Errorf("load escalation of %s: %w", a.ID, err)
			}
			next, change := engine.Follow(curp, a, now)
			if err := save(ctx, tx, next, now); err != nil {
				return err
			}
			if !next.NextAt.IsZero() {
				due++
			}
			var owed []escalation.Notification
			switch {
			case change.Resolved:
				owed = escalation.Resolutions(a.ID, next.Notified)
			case change.Acknowledged:
				pd, err := pagerDutyChannels(ctx, tx, next.Alert.OrgID, next.Notified)
				if err != nil {
					return err
				}
				owed = escalation.Acknowledgements(a.ID, pd)
			}
			events, err := s.events(ctx, tx, next, owed, now)
			if err != nil {
				return err
			}
			if err := s.Outbox.Write(ctx, tx, events...); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("follow %d alert events: %w", len(alerts), err)
	}
	return due, nil
}

// pagerDutyChannels returns the recipients that are PagerDuty channels of
// the organisation, in their order. A channel deleted since is left out:
// its messages would be given up.
func pagerDutyChannels(ctx context.Context, q querier, orgID string, recipients []string) ([]string, error) {
	var chans []string
	for _, r := range recipients {
		if ids.HasPrefix(r, ids.Channel) {
			chans = append(chans, r)
		}
	}
	if len(chans) == 0 {
		return nil, nil
	}
	rows, err := q.Query(ctx, `SELECT id FROM notification.channels WHERE org_id = $1 AND id = ANY($2) AND type = $3`,
		orgID, chans, string(channel.PagerDuty))
	if err != nil {
		return nil, fmt.Errorf("load pagerduty channels: %w", err)
	}
	pd, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("load pagerduty channels: %w", err)
	}
	return slices.DeleteFunc(chans, func(id string) bool { return !slices.Contains(pd, id) }), nil
}

func save(ctx context.Context, tx pgx.Tx, e engine.Escalation, now time.Time) error {
	a := e.Alert
	_, err := tx.Exec(ctx, `INSERT INTO notification.escalations (`+escalationColumns+`, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $15)
		ON CONFLICT (alert_id) DO UPDATE SET policy_id = $3, alert_version = $4, fired_at = $5, done = $6,
			acknowledged = $7, resolved = $8, next_at = $9, notified = $10, rule_name = $11, service_id = $12,
			service_name = $13, severity = $14, updated_at = $15`,
		a.ID, a.OrgID, a.PolicyID, a.Version, nullTime(a.FiredAt), e.Done, a.Acknowledged, a.Resolved, nullTime(e.NextAt),
		nonNil(e.Notified), a.RuleName, a.ServiceID, a.ServiceName, a.Severity, now)
	if err != nil {
		return fmt.Errorf("save escalation of %s: %w", a.ID, err)
	}
	return nil
}

// EscalateDue evaluates up to limit escalations due at now: the steps
// due reach their targets as they are at now, and their notifications go
// to the outbox in the transaction that moves the escalation on, under its
// row lock. It returns how many escalations it evaluated.
//
// Evaluating reads policies, schedules and users, so it is done before
// the transaction: a transaction never waits for another connection of
// the pool. The row is then locked (SKIP LOCKED: another replica has
// it) and written only if it is still as it was read; otherwise the next
// round evaluates it again. A step is therefore notified once whichever
// replicas evaluate it at once.
func (s *Escalations) EscalateDue(ctx context.Context, now time.Time, limit int) (int, error) {
	rows, err := s.st.pool.Query(ctx, `SELECT `+escalationColumns+` FROM notification.escalations
		WHERE next_at <= $1 ORDER BY next_at LIMIT $2`, now, limit)
	if err != nil {
		return 0, fmt.Errorf("escalate due alerts: %w", err)
	}
	due, err := pgx.CollectRows(rows, scanEscalation)
	if err != nil {
		return 0, fmt.Errorf("escalate due alerts: %w", err)
	}
	for _, e := range due {
		if err := s.escalate(ctx, e, now); err != nil {
			return 0, fmt.Errorf("escalate %s: %w", e.Alert.ID, err)
		}
	}
	return len(due), nil
}

// escalate evaluates e, read at now, and writes the outcome if e is
// unchanged since.
func (s *Escalations) escalate(ctx context.Context, e engine.Escalation, now time.Time) error {
	read := e
	e.NextAt = time.Time{}
	var ns []escalation.Notification
	if e.Active() {
		p, err := s.st.GetPolicy(ctx, e.Alert.OrgID, e.Alert.PolicyID)
		switch {
		case errors.Is(err, domain.ErrNotFound):
			// Deleted since: nothing left to run.
		case err != nil:
			return err
		default:
			tick := p.Spec.Policy.Evaluate(e.State(), now)
			if ns, err = s.notifications(ctx, e, tick.Due, now); err != nil {
				return err
			}
			for _, n := range ns {
				e.Notified = appendNew(e.Notified, n.Recipient)
			}
			e.Done, e.NextAt = tick.Done, tick.Next
		}
	}
	events, err := s.events(ctx, s.st.pool, e, ns, now)
	if err != nil {
		return err
	}
	return pgx.BeginFunc(ctx, s.st.pool, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT `+escalationColumns+` FROM notification.escalations WHERE alert_id = $1 FOR UPDATE SKIP LOCKED`, e.Alert.ID)
		cur, err := one(rows, err, scanEscalation)
		if errors.Is(err, domain.ErrNotFound) {
			return nil // another replica holds it
		}
		if err != nil {
			return err
		}
		if !same(cur, read) {
			return nil // changed since it was read: the next round sees the change
		}
		if err := save(ctx, tx, e, now); err != nil {
			return err
		}
		return s.Outbox.Write(ctx, tx, events...)
	})
}

// same reports whether an escalation is as it was read.
func same(a, b engine.Escalation) bool {
	return a.Alert == b.Alert && a.Done == b.Done && a.NextAt.Equal(b.NextAt) && slices.Equal(a.Notified, b.Notified)
}

// notifications are the notifications of the due steps of e at now.
func (s *Escalations) notifications(ctx context.Context, e engine.Escalation, due []escalation.Due, now time.Time) ([]escalation.Notification, error) {
	var targets []escalation.Target
	for _, d := range due {
		for _, t := range d.Targets {
			if !slices.Contains(targets, t) {
				targets = append(targets, t)
			}
		}
	}
	reach, err := s.reach(ctx, e.Alert.OrgID, targets, now)
	if err != nil {
		return nil, err
	}
	return escalation.Notifications(e.Alert.ID, due, func(t escalation.Target) []string { return reach[t] }), nil
}

// reach returns whom each target reaches at now: a channel itself; the
// users on call in a schedule, or a user, through their personal
// channels, or by email (their user id) when they have none and email is
// configured.
func (s *Escalations) reach(ctx context.Context, orgID string, targets []escalation.Target, now time.Time) (map[escalation.Target][]string, error) {
	res, err := s.st.Resolve(ctx, orgID, targets, now)
	if err != nil {
		return nil, err
	}
	channels := make(map[string][]string, len(res.Recipients))
	for _, r := range res.Recipients {
		channels[r.UserID] = r.ChannelIDs
	}
	out := make(map[escalation.Target][]string, len(targets))
	for i, t := range targets {
		if t.ChannelID != "" {
			out[t] = res.ByTarget[i]
			continue
		}
		for _, u := range res.ByTarget[i] {
			switch {
			case len(channels[u]) > 0:
				out[t] = append(out[t], channels[u]...)
			case s.Email:
				out[t] = append(out[t], u)
			}
		}
	}
	return out, nil
}

// querier reads in a transaction or from the pool.
type querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

// events are the NOTIFY events of the notifications ns about e, the
// addresses of users reached by email read with q.
func (s *Escalations) events(ctx context.Context, q querier, e engine.Escalation, ns []escalation.Notification, now time.Time) ([]bus.Event, error) {
	if len(ns) == 0 {
		return nil, nil
	}
	var userIDs []string
	for _, n := range ns {
		if ids.HasPrefix(n.Recipient, ids.User) {
			userIDs = append(userIDs, n.Recipient)
		}
	}
	emails := map[string]string{}
	if len(userIDs) > 0 {
		rows, err := q.Query(ctx, `SELECT id, email FROM notification.users WHERE org_id = $1 AND id = ANY($2)`, e.Alert.OrgID, userIDs)
		if err != nil {
			return nil, fmt.Errorf("load users: %w", err)
		}
		var id, email string
		if _, err := pgx.ForEachRow(rows, []any{&id, &email}, func() error { emails[id] = email; return nil }); err != nil {
			return nil, fmt.Errorf("load users: %w", err)
		}
	}
	events := make([]bus.Event, 0, len(ns))
	for _, n := range ns {
		email, isUser := emails[n.Recipient]
		if ids.HasPrefix(n.Recipient, ids.User) && !isUser {
			continue // deleted since: nobody to write to
		}
		ev, err := s.encode(engine.Message(e, n, email, now))
		if err != nil {
			return nil, fmt.Errorf("notification %s: %w", n.Key, err)
		}
		events = append(events, ev)
	}
	return events, nil
}

// PruneFinished deletes the escalations finished before before: their
// alert resolved and nothing left to do. The alert's version goes with
// them: an event of the alert redelivered after that, days late, would
// be followed again.
func (s *Escalations) PruneFinished(ctx context.Context, before time.Time) (int64, error) {
	tag, err := s.st.pool.Exec(ctx, `DELETE FROM notification.escalations
		WHERE resolved AND next_at IS NULL AND updated_at < $1`, before)
	if err != nil {
		return 0, fmt.Errorf("prune escalations: %w", err)
	}
	return tag.RowsAffected(), nil
}
