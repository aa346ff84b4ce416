package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/upstatehq/upstate/pkg/bus"
	"github.com/upstatehq/upstate/services/sla/internal/domain"
)

// SLOEvent builds the event announcing what an evaluation found, written
// to the outbox in the evaluation's transaction.
type SLOEvent func(kind domain.SLOEvent, s domain.SLO, state domain.SLOState, at time.Time) (bus.Event, error)

// State returns the SLO's state at now.
func (st *Store) State(ctx context.Context, s domain.SLO, now time.Time) (domain.SLOState, error) {
	state, _, err := sloState(ctx, st.pool, s, now)
	if err != nil {
		return domain.SLOState{}, fmt.Errorf("state of slo %s: %w", s.ID, err)
	}
	return state, nil
}

// sloState measures the SLO's downtime over its periods; serviceDown
// tells whether its service's newest interval is down, even one starting
// after now (a now taken before the transition was applied, or a status
// service whose clock is ahead): such a service is down, and its SLO
// must be watched.
func sloState(ctx context.Context, q querier, s domain.SLO, now time.Time) (state domain.SLOState, serviceDown bool, err error) {
	figs, open, err := measure(ctx, q, s.ServiceID, domain.Periods(s.Window, now), now, false)
	if err != nil {
		return domain.SLOState{}, false, err
	}
	return s.State(domain.DowntimeOf(figs)), open != nil && open.Status == domain.Down, nil
}

// DueSLOs returns the ids of up to limit SLOs due for evaluation at now,
// the longest due first.
func (st *Store) DueSLOs(ctx context.Context, now time.Time, limit int) ([]string, error) {
	rows, err := st.pool.Query(ctx, `SELECT id FROM sla.slos WHERE evaluate_at <= $1 ORDER BY evaluate_at LIMIT $2`, now, limit)
	if err != nil {
		return nil, fmt.Errorf("due slos: %w", err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("due slos: %w", err)
	}
	return ids, nil
}

// Evaluation is what EvaluateSLO did.
type Evaluation struct {
	// Skipped is true when the SLO was gone, not due, or being evaluated
	// by another replica.
	Skipped bool
	SLO     domain.SLO
	Events  []domain.SLOEvent
}

// EvaluateSLO evaluates the SLO at now if it is due, in one transaction
// with its row locked (another replica's evaluation skips it) and its
// service's row shared, as Apply locks it first: no transition of the
// service commits while the SLO is measured, so the measure is of one
// state of the intervals, and a transition applied meanwhile commits
// after the evaluation and makes the SLO due again. The events
// of the episodes that started or ended are written to the outbox with
// the SLO's new flags, so each fires once however often evaluations run
// or the process restarts. The next evaluation is set every seconds from
// now while domain.SLO.Watch says so, and left to the next status event
// otherwise.
func (st *Store) EvaluateSLO(ctx context.Context, id string, now time.Time, every time.Duration, event SLOEvent) (Evaluation, error) {
	var ev Evaluation
	err := pgx.BeginFunc(ctx, st.pool, func(tx pgx.Tx) error {
		ev = Evaluation{}
		// The service first, then the SLO, in Apply's order: the two
		// never wait for each other in a cycle.
		if _, err := tx.Exec(ctx, `SELECT FROM sla.services
			WHERE service_id = (SELECT service_id FROM sla.slos WHERE id = $1) FOR SHARE`, id); err != nil {
			return err
		}
		before, err := scanSLO(tx.QueryRow(ctx, `SELECT `+sloColumns+` FROM sla.slos
			WHERE id = $1 AND evaluate_at <= $2 FOR UPDATE SKIP LOCKED`, id, now))
		if errors.Is(err, domain.ErrNotFound) {
			ev.Skipped = true
			return nil
		}
		if err != nil {
			return err
		}
		state, down, err := sloState(ctx, tx, before, now)
		if err != nil {
			return err
		}
		after, kinds := before.Evaluate(state)
		for i, k := range kinds {
			s := after
			s.Version = before.Version + int64(i) + 1
			e, err := event(k, s, state, now)
			if err != nil {
				return err
			}
			if err := st.Outbox.Write(ctx, tx, e); err != nil {
				return err
			}
		}
		var next *time.Time
		if after.Watch(down) {
			t := now.Add(every)
			next = &t
		}
		_, err = tx.Exec(ctx, `UPDATE sla.slos SET burning = $2, exhausted = $3, version = $4, evaluate_at = $5 WHERE id = $1`,
			id, after.Burning, after.Exhausted, after.Version, next)
		ev.SLO, ev.Events = after, kinds
		return err
	})
	if err != nil {
		return Evaluation{}, fmt.Errorf("evaluate slo %s: %w", id, err)
	}
	return ev, nil
}
