package store

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/upstatehq/upstate/pkg/bus"
)

// outboxLockKey makes one relay at a time publish, so that events of a
// service leave in the order they were written even with several replicas.
const outboxLockKey = "upstate.status.outbox"

// RelayOutbox hands up to limit pending events, oldest first, to publish and
// deletes them once publish returns nil, all in one transaction. It returns
// how many events were relayed; 0 when the outbox is empty or another
// replica holds the relay lock. If publish fails nothing is deleted and the
// events are offered again next time (their message ids make JetStream drop
// the copies it already stored).
func (st *Store) RelayOutbox(ctx context.Context, limit int, publish func(context.Context, []bus.Event) error) (int, error) {
	n := 0
	err := pgx.BeginFunc(ctx, st.pool, func(tx pgx.Tx) error {
		var locked bool
		if err := tx.QueryRow(ctx, `SELECT pg_try_advisory_xact_lock(hashtext($1))`, outboxLockKey).Scan(&locked); err != nil {
			return err
		}
		if !locked {
			return nil
		}
		rows, err := tx.Query(ctx, `SELECT id, subject, msg_id, ce_type, ce_source, ce_time, payload
			FROM status.outbox ORDER BY id LIMIT $1`, limit)
		if err != nil {
			return err
		}
		var ids []int64
		events, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (bus.Event, error) {
			var e bus.Event
			var id int64
			err := r.Scan(&id, &e.Subject, &e.ID, &e.Type, &e.Source, &e.Time, &e.Data)
			ids = append(ids, id)
			return e, err
		})
		if err != nil || len(events) == 0 {
			return err
		}
		if err := publish(ctx, events); err != nil {
			return err
		}
		// Exactly the relayed ids: a lower id still uncommitted when we read
		// is not relayed yet and must stay.
		if _, err := tx.Exec(ctx, `DELETE FROM status.outbox WHERE id = ANY($1)`, ids); err != nil {
			return err
		}
		n = len(events)
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("relay outbox: %w", err)
	}
	return n, nil
}
