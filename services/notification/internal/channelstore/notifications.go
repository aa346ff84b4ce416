package channelstore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/upstatehq/upstate/pkg/groupcommit"
	"github.com/upstatehq/upstate/pkg/pgdb"
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

// claimSQL claims a batch in one statement: each row is inserted, or, if
// its key is known, leased when it is pending and not leased; the rows
// claimed are returned.
const claimSQL = `INSERT INTO notification.notifications AS t (id, org_id, idempotency_key, channel_id, alert_id, incident_id,
		kind, title, destination, status, message, created_at, tries_from, lease_until)
	SELECT id, org_id, key, channel_id, alert_id, incident_id, kind, title, destination, 'pending', message, created_at, created_at, lease_until
	FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[],
		$10::bytea[], $11::timestamptz[], $12::timestamptz[], $13::timestamptz[])
		AS r(id, org_id, key, channel_id, alert_id, incident_id, kind, title, destination, message, created_at, now, lease_until)
	ON CONFLICT (org_id, idempotency_key) DO UPDATE SET lease_until = EXCLUDED.lease_until
		WHERE t.status = 'pending' AND (t.lease_until IS NULL OR t.lease_until <= $12[1])
	RETURNING org_id, idempotency_key, id, status, attempts, tries_from`

// Claim records n if its key is new and claims it for the caller until
// leaseUntil, unless it is no longer pending or another worker holds it.
func (st *Store) Claim(ctx context.Context, n Notification, now, leaseUntil time.Time) (Claim, error) {
	return one(st.ClaimAll(ctx, []ClaimRequest{{N: n, Now: now, LeaseUntil: leaseUntil}}))
}

// ClaimAll is Claim of several notifications (Sync).
func (st *Store) ClaimAll(ctx context.Context, reqs []ClaimRequest) ([]groupcommit.Result[Claim], error) {
	steps := make([]Step, len(reqs))
	for i := range reqs {
		steps[i].Claim = &reqs[i]
	}
	res, err := st.Sync(ctx, steps)
	if err != nil {
		return nil, err
	}
	out := make([]groupcommit.Result[Claim], len(res))
	for i, r := range res {
		out[i] = groupcommit.Result[Claim]{Value: r.Value.Claim, Err: r.Err}
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

// finishSQL records a batch of outcomes in one statement: each pending
// notification takes its status, and its attempt, if one was made, is
// numbered after the others; the ids changed are returned.
const finishSQL = `WITH r AS (
		SELECT * FROM unnest($1::text[], $2::text[], $3::timestamptz[], $4::bool[], $5::timestamptz[], $6::int[], $7::bigint[], $8::text[])
			AS r(id, status, delivered_at, attempted, at, status_code, latency_ms, error)),
	n AS (
		UPDATE notification.notifications t SET status = r.status, lease_until = NULL, delivered_at = r.delivered_at,
			attempts = t.attempts + CASE WHEN r.attempted THEN 1 ELSE 0 END
		FROM r WHERE t.id = r.id AND t.status = 'pending'
		RETURNING t.id, t.attempts, r.attempted, r.at, r.status_code, r.latency_ms, r.error),
	a AS (
		INSERT INTO notification.attempts (notification_id, n, at, status_code, latency_ms, error)
		SELECT id, attempts, at, status_code, latency_ms, error FROM n WHERE attempted)
	SELECT id FROM n`

// FinishAll is Finish of several notifications (Sync).
func (st *Store) FinishAll(ctx context.Context, reqs []FinishRequest) ([]groupcommit.Result[bool], error) {
	steps := make([]Step, len(reqs))
	for i := range reqs {
		steps[i].Finish = &reqs[i]
	}
	res, err := st.Sync(ctx, steps)
	if err != nil {
		return nil, err
	}
	out := make([]groupcommit.Result[bool], len(res))
	for i, r := range res {
		out[i] = groupcommit.Result[bool]{Value: r.Value.Finished, Err: r.Err}
	}
	return out, nil
}

// Step is one request of Sync: a claim or the record of an outcome.
type Step struct {
	Claim  *ClaimRequest
	Finish *FinishRequest
}

// StepResult answers a Step: the claim, or whether the outcome was
// recorded (Finish).
type StepResult struct {
	Claim    Claim
	Finished bool
}

// Sync applies claims and records of outcomes, whatever their number, in
// one round trip of two statements (the records first, so that a copy of
// a key recorded in the same batch is found delivered), committed
// together; a third statement follows only when some keys were not
// claimed. Under load, concurrent deliveries share it (groupcommit): a
// delivery's claim and the record of another's outcome cost one round
// trip, not two. A key twice among the claims is claimed for the first
// one only. The claims share the first one's Now.
func (st *Store) Sync(ctx context.Context, steps []Step) ([]groupcommit.Result[StepResult], error) {
	var claims []ClaimRequest
	var finishes []FinishRequest
	for _, s := range steps {
		switch {
		case s.Claim != nil:
			claims = append(claims, *s.Claim)
		case s.Finish != nil:
			finishes = append(finishes, *s.Finish)
		}
	}
	b := &pgx.Batch{}
	if len(finishes) > 0 {
		b.Queue(finishSQL, finishArgs(finishes)...)
	}
	cb := newClaimBatch(claims)
	if len(claims) > 0 {
		b.Queue(claimSQL, cb.args...)
	}
	changed, claimed, err := st.sendSync(ctx, b, len(finishes) > 0, len(claims) > 0)
	if err != nil {
		return nil, fmt.Errorf("claim and record notifications: %w", err)
	}
	if err := st.settle(ctx, cb, claimed); err != nil {
		return nil, fmt.Errorf("claim notifications: %w", err)
	}
	out := make([]groupcommit.Result[StepResult], len(steps))
	ci := 0
	for i, s := range steps {
		switch {
		case s.Claim != nil:
			out[i].Value.Claim, out[i].Err = cb.result(ci, claimed)
			ci++
		case s.Finish != nil:
			out[i].Value.Finished = changed[s.Finish.ID]
		default:
			out[i].Err = errors.New("neither a claim nor a record")
		}
	}
	return out, nil
}

// sendSync sends b, whose statements are finishSQL if finishes and then
// claimSQL if claims, and reads the ids recorded and the claims made.
func (st *Store) sendSync(ctx context.Context, b *pgx.Batch, finishes, claims bool) (map[string]bool, map[claimKey]Claim, error) {
	changed, claimed := map[string]bool{}, map[claimKey]Claim{}
	if b.Len() == 0 {
		return changed, claimed, nil
	}
	br := st.pool.SendBatch(ctx, b)
	if finishes {
		rows, _ := br.Query()
		ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			br.Close()
			return nil, nil, err
		}
		for _, id := range ids {
			changed[id] = true
		}
	}
	if claims {
		rows, _ := br.Query()
		for rows.Next() {
			var k claimKey
			c := Claim{Claimed: true}
			if err := rows.Scan(&k.org, &k.key, &c.ID, &c.Status, &c.Attempts, &c.TriesFrom); err != nil {
				rows.Close()
				br.Close()
				return nil, nil, err
			}
			c.TriesFrom = c.TriesFrom.UTC()
			claimed[k] = c
		}
		if err := rows.Err(); err != nil {
			br.Close()
			return nil, nil, err
		}
	}
	return changed, claimed, br.Close()
}

// claimBatch is the claims of a Sync.
type claimBatch struct {
	reqs []ClaimRequest
	// first is the request that stands for each key.
	first map[claimKey]int
	// args are claimSQL's.
	args []any
}

// claimKey is a notification's key in its organisation.
type claimKey struct{ org, key string }

func newClaimBatch(reqs []ClaimRequest) claimBatch {
	cb := claimBatch{reqs: reqs, first: map[claimKey]int{}}
	var cols struct {
		id, org, key, channel, alert, incident, kind, title, dest []string
		msg                                                       [][]byte
		created, now, lease                                       []time.Time
	}
	for i, r := range reqs {
		k := claimKey{r.N.OrgID, r.N.Key}
		if _, dup := cb.first[k]; dup {
			continue
		}
		cb.first[k] = i
		n := r.N
		cols.id, cols.org, cols.key = append(cols.id, n.ID), append(cols.org, n.OrgID), append(cols.key, n.Key)
		cols.channel, cols.alert, cols.incident = append(cols.channel, n.ChannelID), append(cols.alert, n.AlertID), append(cols.incident, n.IncidentID)
		cols.kind, cols.title, cols.dest = append(cols.kind, n.Kind), append(cols.title, n.Title), append(cols.dest, n.Destination)
		cols.msg, cols.created = append(cols.msg, n.Message), append(cols.created, n.CreatedAt)
		cols.now, cols.lease = append(cols.now, reqs[0].Now), append(cols.lease, r.LeaseUntil)
	}
	cb.args = []any{cols.id, cols.org, cols.key, cols.channel, cols.alert, cols.incident, cols.kind,
		cols.title, cols.dest, cols.msg, cols.created, cols.now, cols.lease}
	return cb
}

// settle completes claimed, the claims made, with their leases and with
// where the keys not claimed stand: known and not the caller's to deliver
// now. It reads them in a statement of its own, after the claim has
// committed: under READ COMMITTED a transaction around both would read
// no more consistently (each statement takes its own snapshot). A row
// that changed meanwhile is reported as it is now, which the worker reads
// as it would have (delivered or dead: a duplicate; pending: tried again
// once its lease ends).
func (st *Store) settle(ctx context.Context, cb claimBatch, claimed map[claimKey]Claim) error {
	var orgs, keys []string
	for k, i := range cb.first {
		if c, ok := claimed[k]; ok {
			c.LeaseUntil = cb.reqs[i].LeaseUntil
			claimed[k] = c
			continue
		}
		orgs, keys = append(orgs, k.org), append(keys, k.key)
	}
	if len(keys) == 0 {
		return nil
	}
	rows, err := st.pool.Query(ctx, `SELECT n.org_id, n.idempotency_key, n.id, n.status, n.attempts, n.lease_until
		FROM notification.notifications n JOIN unnest($1::text[], $2::text[]) AS r(org_id, key)
			ON n.org_id = r.org_id AND n.idempotency_key = r.key`, orgs, keys)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var k claimKey
		var c Claim
		var lease *time.Time
		if err := rows.Scan(&k.org, &k.key, &c.ID, &c.Status, &c.Attempts, &lease); err != nil {
			return err
		}
		if lease != nil {
			c.LeaseUntil = lease.UTC()
		}
		claimed[k] = c
	}
	return rows.Err()
}

// result is the answer to the i-th claim.
func (cb claimBatch) result(i int, claimed map[claimKey]Claim) (Claim, error) {
	r := cb.reqs[i]
	k := claimKey{r.N.OrgID, r.N.Key}
	c, ok := claimed[k]
	switch {
	case !ok:
		return Claim{}, fmt.Errorf("claim notification %s: neither claimed nor found", r.N.ID)
	case cb.first[k] != i:
		// A copy of the key in the same batch: the first one has it.
		c.Claimed = false
	}
	return c, nil
}

// finishArgs are finishSQL's arguments for reqs.
func finishArgs(reqs []FinishRequest) []any {
	n := len(reqs)
	ids, statuses, errs := make([]string, n), make([]string, n), make([]string, n)
	delivered, at := make([]*time.Time, n), make([]time.Time, n)
	attempted, codes, latencies := make([]bool, n), make([]int32, n), make([]int64, n)
	for i, r := range reqs {
		ids[i], statuses[i], at[i] = r.ID, string(r.Status), r.Now
		if r.Status == Delivered {
			delivered[i] = &reqs[i].Now
		}
		if a := r.Attempt; a != nil {
			attempted[i], at[i], codes[i], latencies[i], errs[i] = true, a.At, int32(a.StatusCode), a.Latency.Milliseconds(), a.Error
		}
	}
	return []any{ids, statuses, delivered, attempted, at, codes, latencies, errs}
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
// below beforeID (all when empty), newest first, with their attempts,
// read in one snapshot: an outcome recorded between the two queries would
// otherwise show its attempt next to the status from before it.
func (st *Store) ListNotifications(ctx context.Context, orgID string, f Filter, beforeID string, limit int) ([]Notification, error) {
	var out []Notification
	err := pgdb.Snapshot(ctx, st.pool, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT `+notificationColumns+` FROM notification.notifications
			WHERE org_id = $1 AND ($2 = '' OR id < $2) AND ($3 = '' OR alert_id = $3) AND ($4 = '' OR channel_id = $4) AND ($5 = '' OR status = $5)
			ORDER BY id DESC LIMIT $6`, orgID, beforeID, f.AlertID, f.ChannelID, f.Status, limit)
		if err != nil {
			return fmt.Errorf("list notifications: %w", err)
		}
		out, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (Notification, error) { return scanNotification(r) })
		if err != nil {
			return fmt.Errorf("list notifications: %w", err)
		}
		return attempts(ctx, tx, out)
	})
	return out, err
}

// GetNotification returns the organisation's notification id.
func (st *Store) GetNotification(ctx context.Context, orgID, id string) (Notification, error) {
	var n Notification
	err := pgdb.Snapshot(ctx, st.pool, func(tx pgx.Tx) error {
		var err error
		n, err = scanNotification(tx.QueryRow(ctx, `SELECT `+notificationColumns+` FROM notification.notifications WHERE org_id = $1 AND id = $2`, orgID, id))
		if err != nil {
			if errors.Is(err, channel.ErrNotFound) {
				return err
			}
			return fmt.Errorf("get notification %s: %w", id, err)
		}
		ns := []Notification{n}
		err = attempts(ctx, tx, ns)
		n = ns[0]
		return err
	})
	return n, err
}

// attempts fills in the attempts of ns.
func attempts(ctx context.Context, tx pgx.Tx, ns []Notification) error {
	if len(ns) == 0 {
		return nil
	}
	ids := make([]string, len(ns))
	at := make(map[string]int, len(ns))
	for i, n := range ns {
		ids[i], at[n.ID] = n.ID, i
	}
	rows, err := tx.Query(ctx, `SELECT notification_id, at, status_code, latency_ms, error FROM notification.attempts
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

// pruneHistorySQL deletes the finished notifications last tried before
// $1. A notification is created before it is tried, so created_at < $1
// holds for each of them and lets the scan use notifications_created
// (a producer whose clock runs ahead only delays its own rows' prune by
// as much); the rows it reads beyond them are the few created before $1
// and tried since (pending, retried by hand).
const pruneHistorySQL = `DELETE FROM notification.notifications
	WHERE created_at < $1 AND status IN ('delivered', 'dead') AND greatest(tries_from, delivered_at) < $1`

// PruneHistory deletes the delivered and dead notifications, and their
// attempts, last tried (created, retried by hand or delivered) before
// before. Their keys go with them: a copy of one enqueued again after
// that would be delivered again.
func (st *Store) PruneHistory(ctx context.Context, before time.Time) (int64, error) {
	tag, err := st.pool.Exec(ctx, pruneHistorySQL, before)
	if err != nil {
		return 0, fmt.Errorf("prune notifications: %w", err)
	}
	return tag.RowsAffected(), nil
}
