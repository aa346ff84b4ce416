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
// under its escalation's row lock, and writes the resolutions owed by
// those that resolve. It returns how many escalations are due now.
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
			next, resolvedNow := engine.Follow(curp, a, now)
			if err := save(ctx, tx, next, now); err != nil {
				return err
			}
			if !next.NextAt.IsZero() {
				due++
			}
			if resolvedNow {
				if err := s.write(ctx, tx, next, escalation.Resolutions(a.ID, next.Notified), now); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("follow %d alert events: %w", len(alerts), err)
	}
	return due, nil
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

// EscalateDue evaluates up to limit escalations due at now, each under
// its row lock (rows another replica holds are skipped): the steps due
// reach their targets as they are at now, their notifications go to the
// outbox and the escalation moves on, in one transaction. It returns how
// many escalations it evaluated.
func (s *Escalations) EscalateDue(ctx context.Context, now time.Time, limit int) (int, error) {
	n := 0
	err := pgx.BeginFunc(ctx, s.st.pool, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT `+escalationColumns+` FROM notification.escalations
			WHERE next_at <= $1 ORDER BY next_at LIMIT $2 FOR UPDATE SKIP LOCKED`, now, limit)
		if err != nil {
			return err
		}
		list, err := pgx.CollectRows(rows, scanEscalation)
		if err != nil {
			return err
		}
		n = len(list)
		for _, e := range list {
			if err := s.escalate(ctx, tx, e, now); err != nil {
				return fmt.Errorf("escalate %s: %w", e.Alert.ID, err)
			}
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("escalate due alerts: %w", err)
	}
	return n, nil
}

func (s *Escalations) escalate(ctx context.Context, tx pgx.Tx, e engine.Escalation, now time.Time) error {
	e.NextAt = time.Time{}
	if !e.Active() {
		return save(ctx, tx, e, now)
	}
	p, err := s.st.GetPolicy(ctx, e.Alert.OrgID, e.Alert.PolicyID)
	if errors.Is(err, domain.ErrNotFound) {
		return save(ctx, tx, e, now) // deleted since: nothing left to run
	}
	if err != nil {
		return err
	}
	tick := p.Spec.Policy.Evaluate(e.State(), now)
	var targets []escalation.Target
	for _, d := range tick.Due {
		for _, t := range d.Targets {
			if !slices.Contains(targets, t) {
				targets = append(targets, t)
			}
		}
	}
	reach, err := s.reach(ctx, e.Alert.OrgID, targets, now)
	if err != nil {
		return err
	}
	ns := escalation.Notifications(e.Alert.ID, tick.Due, func(t escalation.Target) []string { return reach[t] })
	for _, n := range ns {
		e.Notified = appendNew(e.Notified, n.Recipient)
	}
	e.Done, e.NextAt = tick.Done, tick.Next
	if err := save(ctx, tx, e, now); err != nil {
		return err
	}
	return s.write(ctx, tx, e, ns, now)
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

// write puts the notifications ns about e in the outbox.
func (s *Escalations) write(ctx context.Context, tx pgx.Tx, e engine.Escalation, ns []escalation.Notification, now time.Time) error {
	if len(ns) == 0 {
		return nil
	}
	var userIDs []string
	for _, n := range ns {
		if ids.HasPrefix(n.Recipient, ids.User) {
			userIDs = append(userIDs, n.Recipient)
		}
	}
	users, err := s.st.usersByID(ctx, e.Alert.OrgID, userIDs)
	if err != nil {
		return err
	}
	events := make([]bus.Event, 0, len(ns))
	for _, n := range ns {
		email := ""
		if ids.HasPrefix(n.Recipient, ids.User) {
			u, ok := users[n.Recipient]
			if !ok {
				continue // deleted since: nobody to write to
			}
			email = u.Spec.Email
		}
		ev, err := s.encode(engine.Message(e, n, email, now))
		if err != nil {
			return fmt.Errorf("notification %s: %w", n.Key, err)
		}
		events = append(events, ev)
	}
	return s.Outbox.Write(ctx, tx, events...)
}
