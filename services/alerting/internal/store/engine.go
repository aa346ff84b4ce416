package store

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/upstatehq/upstate/pkg/bus"
	"github.com/upstatehq/upstate/pkg/ids"
	"github.com/upstatehq/upstate/services/alerting/internal/domain"
)

// timelineDepth is how many of a service's newest versions an evaluation
// reads: enough for any run and flap window in practice; a longer run is
// not Complete, and its alert keeps the start it had.
const timelineDepth = 500

// evaluateServices evaluates every rule of the organisation on each of
// the services (ids sorted, so that concurrent transactions lock them in
// the same order) at now, and writes what that changes: alerts, their
// history, notification groups and events.
func (st *Store) evaluateServices(ctx context.Context, tx pgx.Tx, orgID string, serviceIDs []string, now time.Time) error {
	if len(serviceIDs) == 0 {
		return nil
	}
	rules, err := st.rulesOf(ctx, tx, orgID)
	if err != nil {
		return err
	}
	eff := newEffects(orgID)
	for _, id := range serviceIDs {
		if err := st.evaluateService(ctx, tx, rules, id, now, eff); err != nil {
			return fmt.Errorf("evaluate service %s: %w", id, err)
		}
	}
	return st.apply(ctx, tx, eff, now)
}

// evaluateService runs domain.Evaluate for each rule selecting the
// service and for each open alert of a rule that no longer does, under
// the service's row lock.
func (st *Store) evaluateService(ctx context.Context, tx pgx.Tx, rules *orgRules, id string, now time.Time, eff *effects) error {
	svc, err := scanService(tx.QueryRow(ctx, `SELECT `+serviceColumns+` FROM alerting.services WHERE id = $1 FOR NO KEY UPDATE`, id))
	if errors.Is(err, domain.ErrNotFound) {
		return nil // never seen: nothing to evaluate
	}
	if err != nil {
		return err
	}
	tl, err := timeline(ctx, tx, id)
	if err != nil {
		return err
	}
	if err := syncStatus(ctx, tx, &svc, tl); err != nil {
		return err
	}
	open, next, err := openAlerts(ctx, tx, `service_id = $1`, id)
	if err != nil {
		return err
	}
	var matched []*domain.Rule
	if !svc.Deleted {
		matched = rules.index.Match(svc.ID, svc.Tags)
	}
	newID := func() string { return st.NewID(ids.Alert) }
	for _, r := range matched {
		out := domain.Evaluate(domain.Input{Rule: *r, Service: svc, Timeline: tl, Now: now}, open[r.ID], newID)
		delete(open, r.ID)
		if err := st.save(ctx, tx, out, r, next, eff); err != nil {
			return err
		}
	}
	for _, ruleID := range slices.Sorted(maps.Keys(open)) {
		r, gone := rules.byID[ruleID], domain.NoteRuleDeleted
		switch {
		case svc.Deleted:
			gone = domain.NoteServiceGone
		case r != nil:
			gone = domain.NoteDeselected
		}
		in := domain.Input{Rule: domain.Rule{ID: ruleID}, Service: svc, Timeline: tl, Gone: gone, Now: now}
		if r != nil {
			in.Rule = *r
		}
		out := domain.Evaluate(in, open[ruleID], newID)
		if err := st.save(ctx, tx, out, r, next, eff); err != nil {
			return err
		}
	}
	return nil
}

// syncStatus keeps the service's status column (which inhibition reads)
// at its timeline's newest status.
func syncStatus(ctx context.Context, tx pgx.Tx, svc *domain.Service, tl []domain.Change) error {
	i := slices.IndexFunc(tl, func(c domain.Change) bool { return c.Kind != domain.Edited })
	if i < 0 || tl[i].Status == svc.Status {
		return nil
	}
	svc.Status = tl[i].Status
	_, err := tx.Exec(ctx, `UPDATE alerting.services SET status = $2, status_version = $3 WHERE id = $1`, svc.ID, string(tl[i].Status), tl[i].Version)
	return err
}

// save writes what an evaluation changed and gathers its effects; next
// holds when the open alerts given to it were due for evaluation.
func (st *Store) save(ctx context.Context, tx pgx.Tx, out domain.Outcome, r *domain.Rule, next map[string]time.Time, eff *effects) error {
	if e := out.Ended; e != nil {
		if err := saveAlert(ctx, tx, e, time.Time{}); err != nil {
			return err
		}
		if out.EndedFired {
			eff.announce(e, r, announceResolved)
		}
	}
	a := out.Alert
	if a == nil {
		return nil
	}
	if !out.Changed {
		// Only when it is due may differ (a scheduler tick that changed
		// nothing): keep it from being found due again and again.
		if was, ok := next[a.ID]; ok && !was.Equal(out.NextEval) {
			_, err := tx.Exec(ctx, `UPDATE alerting.alerts SET next_eval_at = $2 WHERE id = $1`, a.ID, nullTime(out.NextEval))
			return err
		}
		return nil
	}
	if err := saveAlert(ctx, tx, a, out.NextEval); err != nil {
		return err
	}
	flapped := slices.ContainsFunc(a.NewEntries(), func(e domain.Entry) bool {
		return e.Kind == domain.EntryFlapping || e.Kind == domain.EntryStable
	})
	switch {
	case out.Fired:
		eff.announce(a, r, announceFiring)
	case out.Resolved:
		eff.announce(a, r, announceResolved)
	case flapped:
		eff.touch(a, r)
	}
	a.MarkSaved()
	return nil
}

// The events an alert's change announces.
type announcement int

const (
	announceNone announcement = iota
	announceFiring
	announceResolved
	announceAcknowledged
)

// effects are what a transaction's evaluations ask for besides the alerts
// they wrote: notification groups to schedule and events to write, once
// every alert is saved.
type effects struct {
	orgID   string
	touched map[string]touch // by group key
	events  []pending
}

type touch struct {
	rule   *domain.Rule // nil: deleted
	alerts []*domain.Alert
}

type pending struct {
	alert *domain.Alert
	what  announcement
}

func newEffects(orgID string) *effects { return &effects{orgID: orgID, touched: map[string]touch{}} }

// announce queues the event of the alert's change and schedules its group.
func (e *effects) announce(a *domain.Alert, r *domain.Rule, what announcement) {
	e.events = append(e.events, pending{alert: a, what: what})
	e.touch(a, r)
}

// touch schedules the alert's notification group.
func (e *effects) touch(a *domain.Alert, r *domain.Rule) {
	t := e.touched[a.GroupKey]
	if r != nil {
		t.rule = r
	}
	t.alerts = append(t.alerts, a)
	e.touched[a.GroupKey] = t
}

// apply schedules the touched groups and writes the queued events.
func (st *Store) apply(ctx context.Context, tx pgx.Tx, eff *effects, now time.Time) error {
	for _, key := range slices.Sorted(maps.Keys(eff.touched)) {
		if err := st.touchGroup(ctx, tx, eff.orgID, key, eff.touched[key], now); err != nil {
			return err
		}
	}
	if len(eff.events) == 0 {
		return nil
	}
	svcs := make([]string, 0, len(eff.events))
	for _, p := range eff.events {
		svcs = append(svcs, p.alert.ServiceID)
	}
	m, err := mutes(ctx, tx, eff.orgID, svcs, now)
	if err != nil {
		return err
	}
	evs := make([]bus.Event, 0, len(eff.events))
	for _, p := range eff.events {
		a := *p.alert
		m.Apply(&a)
		var ev bus.Event
		switch p.what {
		case announceFiring:
			ev, err = st.ann.AlertFiring(a)
		case announceResolved:
			ev, err = st.ann.AlertResolved(a)
		case announceAcknowledged:
			ev, err = st.ann.AlertAcknowledged(a)
		}
		if err != nil {
			return err
		}
		evs = append(evs, ev)
	}
	return st.Outbox.Write(ctx, tx, evs...)
}
