// Package outbox implements the transactional outbox every service uses to
// publish its events: a change and the event announcing it are written in
// one Postgres transaction, and a Relay publishes the events to JetStream
// afterwards, oldest first, deleting exactly those JetStream acknowledged.
// An event is therefore never lost when the process dies between commit and
// publish, and never published for a change that was rolled back.
//
// Each row keeps the W3C trace context of the change that wrote it, and
// the relay publishes the event with it: consumers continue the trace of
// the request or message that caused the change, however late the relay
// runs.
//
// Each service keeps its outbox in its own schema, as a table of this shape:
//
//	CREATE TABLE <schema>.outbox (
//	    id           bigserial PRIMARY KEY,
//	    subject      text NOT NULL,
//	    msg_id       text NOT NULL,
//	    ce_type      text NOT NULL,
//	    ce_source    text NOT NULL,
//	    ce_time      timestamptz NOT NULL,
//	    payload      bytea NOT NULL,
//	    trace_parent text NOT NULL DEFAULT '',
//	    trace_state  text NOT NULL DEFAULT ''
//	);
package outbox

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/upstatehq/upstate/pkg/bus"
)

// Outbox is one service's outbox table.
type Outbox struct {
	pool  *pgxpool.Pool
	table string
}

// New returns the outbox in table ("<schema>.outbox"), a constant of the
// calling service.
func New(pool *pgxpool.Pool, table string) *Outbox {
	return &Outbox{pool: pool, table: table}
}

// Write adds events to the outbox in tx, the transaction of the change they
// announce, in order: their ids, and so the order they are relayed in,
// follow the order given. An event without a trace context of its own is
// kept with ctx's.
func (o *Outbox) Write(ctx context.Context, tx pgx.Tx, events ...bus.Event) error {
	if len(events) == 0 {
		return nil
	}
	b := &pgx.Batch{}
	o.Queue(ctx, b, events...)
	if err := tx.SendBatch(ctx, b).Close(); err != nil {
		return fmt.Errorf("write %d events to the outbox: %w", len(events), err)
	}
	return nil
}

// Queue adds the statement writing events, as Write does, to b: a
// transaction that writes several tables sends them all in one round trip.
func (o *Outbox) Queue(ctx context.Context, b *pgx.Batch, events ...bus.Event) {
	if len(events) == 0 {
		return
	}
	n := len(events)
	subjects, ids, types, sources := make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	times, data := make([]time.Time, n), make([][]byte, n)
	parents, states := make([]string, n), make([]string, n)
	current := bus.TraceOf(ctx)
	for i, e := range events {
		subjects[i], ids[i], types[i], sources[i], times[i], data[i] = e.Subject, e.ID, e.Type, e.Source, e.Time, e.Data
		if e.Trace.Parent == "" {
			e.Trace = current
		}
		parents[i], states[i] = e.Trace.Parent, e.Trace.State
	}
	// Rows in the order given, and the id sequence with them.
	b.Queue(`INSERT INTO `+o.table+` (subject, msg_id, ce_type, ce_source, ce_time, payload, trace_parent, trace_state)
		SELECT subject, msg_id, ce_type, ce_source, ce_time, payload, trace_parent, trace_state
		FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::timestamptz[], $6::bytea[], $7::text[], $8::text[])
			WITH ORDINALITY AS e(subject, msg_id, ce_type, ce_source, ce_time, payload, trace_parent, trace_state, n)
		ORDER BY n`, subjects, ids, types, sources, times, data, parents, states)
}

// RelayBatch hands up to limit pending events, oldest first, to publish and
// deletes those JetStream stored, all in one transaction. It returns how
// many events were relayed; 0 when the outbox is empty or another
// replica holds the relay lock, which makes one relay at a time publish so
// that events leave in the order they were written.
//
// If publish fails, nothing is deleted and the events are offered again
// next time (their message ids make JetStream drop the copies it already
// stored), unless its error is a *bus.PublishError saying which events were
// stored: those are deleted, the others offered again, and RelayBatch
// returns how many were relayed together with the error.
func (o *Outbox) RelayBatch(ctx context.Context, limit int, publish func(context.Context, []bus.Event) error) (int, error) {
	n := 0
	var publishErr error
	err := pgx.BeginFunc(ctx, o.pool, func(tx pgx.Tx) error {
		var locked bool
		if err := tx.QueryRow(ctx, `SELECT pg_try_advisory_xact_lock(hashtext($1))`, o.table).Scan(&locked); err != nil {
			return err
		}
		if !locked {
			return nil
		}
		rows, err := tx.Query(ctx, `SELECT id, subject, msg_id, ce_type, ce_source, ce_time, payload, trace_parent, trace_state
			FROM `+o.table+` ORDER BY id LIMIT $1`, limit)
		if err != nil {
			return err
		}
		var ids []int64
		events, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (bus.Event, error) {
			var e bus.Event
			var id int64
			err := r.Scan(&id, &e.Subject, &e.ID, &e.Type, &e.Source, &e.Time, &e.Data, &e.Trace.Parent, &e.Trace.State)
			ids = append(ids, id)
			return e, err
		})
		if err != nil || len(events) == 0 {
			return err
		}
		if publishErr = publish(ctx, events); publishErr != nil {
			var partial *bus.PublishError
			if !errors.As(publishErr, &partial) || len(partial.Stored) != len(ids) {
				return publishErr
			}
			ids = storedIDs(ids, partial.Stored)
		}
		// Exactly the relayed ids: a lower id still uncommitted when we read
		// is not relayed yet and must stay, and so must an event that was
		// not stored, to go out next time ahead of its subject's later ones.
		if _, err := tx.Exec(ctx, `DELETE FROM `+o.table+` WHERE id = ANY($1)`, ids); err != nil {
			return err
		}
		n = len(ids)
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("relay %s: %w", o.table, err)
	}
	if publishErr != nil {
		return n, fmt.Errorf("relay %s: %w", o.table, publishErr)
	}
	return n, nil
}

// storedIDs returns the ids whose event was stored.
func storedIDs(ids []int64, stored []bool) []int64 {
	kept := ids[:0]
	for i, id := range ids {
		if stored[i] {
			kept = append(kept, id)
		}
	}
	return kept
}
