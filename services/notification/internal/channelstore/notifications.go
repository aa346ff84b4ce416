package channelstore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/upstatehq/upstate/pkg/groupcommit"
	"github.com/upstatehq/upstate/services/notification/internal/channel"
)

// Status is where a notification stands.
type Status string

// The statuses of a notification.
const (
	Pending   Status = "pending"
	Delivered Status = "delivered"
	Dead      Status = "dead"
)

// ErrNotDead refuses to retry a notification that is not dead.
var ErrNotDead = errors.New("only a dead notification can be retried")

// Attempt is one try at delivering a notification.
type Attempt struct {
	At         time.Time
	StatusCode int
	Latency    time.Duration
	Error      string
}

// Notification is a notification's row: what it is, where it stands.
type Notification struct {
	ID, OrgID, Key                 string
	ChannelID, AlertID, IncidentID string
	Kind, Title                    string
	// Destination is where it goes, masked.
	Destination string
	Status      Status
	// Message is the Notification as enqueued (protobuf).
	Message     []byte
	CreatedAt   time.Time
	DeliveredAt *time.Time
	Attempts    []Attempt
}

// Claim is what a worker learns when it claims a notification.
type Claim struct {
	// ID is the stored notification's id: that of the first message with
	// its key.
	ID     string
	Status Status
	// Claimed says the worker holds it until the lease ends; if false,
	// another does until LeaseUntil, or it is no longer pending.
	Claimed    bool
	LeaseUntil time.Time
	// Attempts is how many attempts were made before.
	Attempts int
	// TriesFrom is when its retries started: its creation, or its retry
	// by hand.
	TriesFrom time.Time
}

// ClaimRequest asks to claim notification N at Now until LeaseUntil.
type ClaimRequest struct {
	N               Notification
	Now, LeaseUntil time.Time
}

const claimSQL = `INSERT INTO notification.notifications (id, org_id, idempotency_key, channel_id, alert_id, incident_id,
		kind, title, destination, status, message, created_at, tries_from, lease_until)
	VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'pending', $10, $11, $11, $13)
	ON CONFLICT (org_id, idempotency_key) DO UPDATE SET lease_until = EXCLUDED.lease_until
		WHERE notifications.status = 'pending' AND (notifications.lease_until IS NULL OR notifications.lease_until <= $12)
	RETURNING id, status, attempts, tries_from`

// Claim records n if its key is new and claims it for the caller until
// leaseUntil, unless it is no longer pending or another worker holds it.
func (st *Store) Claim(ctx context.Context, n Notification, now, leaseUntil time.Time) (Claim, error) {
	return one(st.ClaimAll(ctx, []ClaimRequest{{N: n, Now: now, LeaseUntil: leaseUntil}}))
}

// ClaimAll is Claim of several notifications in one transaction and one
// round trip (groupcommit): under load, concurrent deliveries share a
// commit.
func (st *Store) ClaimAll(ctx context.Context, reqs []ClaimRequest) ([]groupcommit.Result[Claim], error) {
	out := make([]groupcommit.Result[Claim], len(reqs))
	err := pgx.BeginFunc(ctx, st.pool, func(tx pgx.Tx) error {
		b := &pgx.Batch{}
		for _, r := range reqs {
			n := r.N
			b.Queue(claimSQL, n.ID, n.OrgID, n.Key, n.ChannelID, n.AlertID, n.IncidentID, n.Kind, n.Title, n.Destination, n.Message, n.CreatedAt, r.Now, r.LeaseUntil)
		}
		br := tx.SendBatch(ctx, b)
		var known []int
		for i, r := range reqs {
			c := &out[i].Value
			err := br.QueryRow().Scan(&c.ID, &c.Status, &c.Attempts, &c.TriesFrom)
			switch {
			case errors.Is(err, pgx.ErrNoRows):
				known = append(known, i)
			case err != nil:
				br.Close()
				return fmt.Errorf("claim notification %s: %w", r.N.ID, err)
			default:
				c.Claimed, c.LeaseUntil, c.TriesFrom = true, r.LeaseUntil, c.TriesFrom.UTC()
			}
		}
		if err := br.Close(); err != nil {
			return err
		}
		if len(known) == 0 {
			return nil
		}
		// Their keys are known and they are not the caller's to deliver
		// now: say why.
		b = &pgx.Batch{}
		for _, i := range known {
			b.Queue(`SELECT id, status, attempts, lease_until FROM notification.notifications WHERE org_id = $1 AND idempotency_key = $2`,
				reqs[i].N.OrgID, reqs[i].N.Key)
		}
		br = tx.SendBatch(ctx, b)
		defer br.Close()
		for _, i := range known {
			var lease *time.Time
			c := &out[i].Value
			if err := br.QueryRow().Scan(&c.ID, &c.Status, &c.Attempts, &lease); err != nil {
				return fmt.Errorf("claim notification %s: %w", reqs[i].N.ID, err)
			}
			if lease != nil {
				c.LeaseUntil = lease.UTC()
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("claim notifications: %w", err)
	}
	return out, nil
}

// one is the single result of a batch of one.
func one[T any](rs []groupcommit.Result[T], err error) (T, error) {
	if err != nil {
		var zero T
		return zero, err
	}
	return rs[0].Value, rs[0].Err
}

// FinishRequest records the outcome of a claimed notification's attempt.
type FinishRequest struct {
	ID     string
	Status Status
	// Attempt is the attempt made; nil if none was.
	Attempt *Attempt
	Now     time.Time
}

// Finish records the outcome of a claimed notification's attempt (nil: no
// attempt was made) and moves it to status, pending included, releasing
// its lease, in one statement: a notification is marked delivered once,
// with the attempt that delivered it. It reports false if the
// notification was no longer pending.
func (st *Store) Finish(ctx context.Context, id string, status Status, a *Attempt, now time.Time) (bool, error) {
	return one(st.FinishAll(ctx, []FinishRequest{{ID: id, Status: status, Attempt: a, Now: now}}))
}

// FinishAll is Finish of several notifications in one transaction and one
// round trip (groupcommit).
func (st *Store) FinishAll(ctx context.Context, reqs []FinishRequest) ([]groupcommit.Result[bool], error) {
	out := make([]groupcommit.Result[bool], len(reqs))
	err := pgx.BeginFunc(ctx, st.pool, func(tx pgx.Tx) error {
		b := &pgx.Batch{}
		for _, r := range reqs {
			var delivered *time.Time
			if r.Status == Delivered {
				delivered = &r.Now
			}
			if r.Attempt == nil {
				b.Queue(`UPDATE notification.notifications SET status = $2, lease_until = NULL, delivered_at = $3
					WHERE id = $1 AND status = 'pending'`, r.ID, r.Status, delivered)
				continue
			}
			a := r.Attempt
			b.Queue(`WITH n AS (
					UPDATE notification.notifications SET status = $2, lease_until = NULL, delivered_at = $3, attempts = attempts + 1
					WHERE id = $1 AND status = 'pending' RETURNING id, attempts)
				INSERT INTO notification.attempts (notification_id, n, at, status_code, latency_ms, error)
				SELECT id, attempts, $4, $5, $6, $7 FROM n`,
				r.ID, r.Status, delivered, a.At, a.StatusCode, a.Latency.Milliseconds(), a.Error)
		}
		br := tx.SendBatch(ctx, b)
		defer br.Close()
		for i, r := range reqs {
			tag, err := br.Exec()
			if err != nil {
				return fmt.Errorf("record notification %s: %w", r.ID, err)
			}
			out[i].Value = tag.RowsAffected() == 1
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("record notifications: %w", err)
	}
	return out, nil
}

// Release gives up a claim without an outcome (the worker stops, the
// breaker is open), so that the next delivery need not wait for the lease.
func (st *Store) Release(ctx context.Context, id string) error {
	if _, err := st.pool.Exec(ctx, `UPDATE notification.notifications SET lease_until = NULL WHERE id = $1 AND status = 'pending'`, id); err != nil {
		return fmt.Errorf("release notification %s: %w", id, err)
	}
	return nil
}

// Filter narrows a listing of notifications; empty fields match all.
type Filter struct {
	AlertID, ChannelID string
	Status             Status
}

const notificationColumns = `id, org_id, idempotency_key, channel_id, alert_id, incident_id, kind, title, destination, status,
	message, created_at, delivered_at`

func scanNotification(row pgx.Row) (Notification, error) {
	var n Notification
	err := row.Scan(&n.ID, &n.OrgID, &n.Key, &n.ChannelID, &n.AlertID, &n.IncidentID, &n.Kind, &n.Title, &n.Destination, &n.Status,
		&n.Message, &n.CreatedAt, &n.DeliveredAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return n, channel.ErrNotFound
	}
	n.CreatedAt = n.CreatedAt.UTC()
	if n.DeliveredAt != nil {
		t := n.DeliveredAt.UTC()
		n.DeliveredAt = &t
	}
	return n, err
}

// ListNotifications returns up to limit notifications matching f with ids
// below beforeID (all when empty), newest first, with their attempts.
func (st *Store) ListNotifications(ctx context.Context, orgID string, f Filter, beforeID string, limit int) ([]Notification, error) {
	rows, err := st.pool.Query(ctx, `SELECT `+notificationColumns+` FROM notification.notifications
		WHERE org_id = $1 AND ($2 = '' OR id < $2) AND ($3 = '' OR alert_id = $3) AND ($4 = '' OR channel_id = $4) AND ($5 = '' OR status = $5)
		ORDER BY id DESC LIMIT $6`, orgID, beforeID, f.AlertID, f.ChannelID, f.Status, limit)
	if err != nil {
		return nil, fmt.Errorf("list notifications: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Notification, error) { return scanNotification(r) })
	if err != nil {
		return nil, fmt.Errorf("list notifications: %w", err)
	}
	if err := st.attempts(ctx, out); err != nil {
		return nil, err
	}
	return out, nil
}

// GetNotification returns the organisation's notification id.
func (st *Store) GetNotification(ctx context.Context, orgID, id string) (Notification, error) {
	n, err := scanNotification(st.pool.QueryRow(ctx, `SELECT `+notificationColumns+` FROM notification.notifications WHERE org_id = $1 AND id = $2`, orgID, id))
	if err != nil {
		if errors.Is(err, channel.ErrNotFound) {
			return n, err
		}
		return n, fmt.Errorf("get notification %s: %w", id, err)
	}
	ns := []Notification{n}
	if err := st.attempts(ctx, ns); err != nil {
		return n, err
	}
	return ns[0], nil
}

// attempts fills in the attempts of ns.
func (st *Store) attempts(ctx context.Context, ns []Notification) error {
	if len(ns) == 0 {
		return nil
	}
	ids := make([]string, len(ns))
	at := make(map[string]int, len(ns))
	for i, n := range ns {
		ids[i], at[n.ID] = n.ID, i
	}
	rows, err := st.pool.Query(ctx, `SELECT notification_id, at, status_code, latency_ms, error FROM notification.attempts
		WHERE notification_id = ANY($1) ORDER BY notification_id, n`, ids)
	if err != nil {
		return fmt.Errorf("list attempts: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			id string
			a  Attempt
			ms int64
		)
		if err := rows.Scan(&id, &a.At, &a.StatusCode, &ms, &a.Error); err != nil {
			return fmt.Errorf("list attempts: %w", err)
		}
		a.At, a.Latency = a.At.UTC(), time.Duration(ms)*time.Millisecond
		ns[at[id]].Attempts = append(ns[at[id]].Attempts, a)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("list attempts: %w", err)
	}
	return nil
}

// Revive makes the organisation's dead notification id pending again, to
// be tried for another 24 hours from now, and returns it, to be enqueued
// again; ErrNotDead if it is not dead.
func (st *Store) Revive(ctx context.Context, orgID, id string, now time.Time) (Notification, error) {
	tag, err := st.pool.Exec(ctx, `UPDATE notification.notifications SET status = 'pending', lease_until = NULL, tries_from = $3
		WHERE org_id = $1 AND id = $2 AND status = 'dead'`, orgID, id, now)
	if err != nil {
		return Notification{}, fmt.Errorf("revive notification %s: %w", id, err)
	}
	n, err := st.GetNotification(ctx, orgID, id)
	if err == nil && tag.RowsAffected() == 0 {
		return n, ErrNotDead
	}
	return n, err
}
