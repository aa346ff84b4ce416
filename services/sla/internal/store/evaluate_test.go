package store_test

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/upstatehq/upstate/pkg/bus"
	"github.com/upstatehq/upstate/pkg/service/servicetest"
	"github.com/upstatehq/upstate/pkg/testenv"
	"github.com/upstatehq/upstate/services/sla/internal/domain"
	"github.com/upstatehq/upstate/services/sla/internal/store"
	"github.com/upstatehq/upstate/services/sla/migrations"
)

// recordEvent builds a bus event naming its kind, so the outbox says what
// fired.
func recordEvent(kind domain.SLOEvent, s domain.SLO, _ domain.SLOState, at time.Time) (bus.Event, error) {
	return bus.Event{Subject: bus.SLASubject(s.OrgID, s.ID), ID: s.ID, Type: string(kind), Source: "test", Time: at, Data: []byte{}}, nil
}

// drain takes the outbox's events, as the relay would, and returns their
// kinds.
func drain(t testing.TB, st *store.Store) []string {
	t.Helper()
	var kinds []string
	_, err := st.Outbox.RelayBatch(context.Background(), 100, func(_ context.Context, evs []bus.Event) error {
		for _, e := range evs {
			kinds = append(kinds, e.Type)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return kinds
}

// An outage that goes on without new status events burns, then exhausts
// the budget, each once however often the SLO is evaluated; after it the
// burn stops, and the budget comes back when the outage leaves the
// window. The timer is set while the service is down or an episode goes
// on, and left to the next status event otherwise.
func TestEvaluateFiresOncePerEpisode(t *testing.T) {
	t.Parallel()
	st := newStore(t)
	ctx := context.Background()
	apply(t, st, t0, change("svc_1", 1, domain.Operational, t0.Add(-24*time.Hour)))
	slo := domain.NewSLO{ServiceID: "svc_1", Name: "API", Target: 0.999, Window: "7d"}.Create("slo_1", "org_a", t0)
	if err := st.CreateSLO(ctx, slo); err != nil {
		t.Fatal(err)
	}
	const every = 30 * time.Second
	evaluate := func(now time.Time) store.Evaluation {
		t.Helper()
		ids, err := st.DueSLOs(ctx, now, 10)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Contains(ids, "slo_1") {
			return store.Evaluation{Skipped: true}
		}
		ev, err := st.EvaluateSLO(ctx, "slo_1", now, every, recordEvent)
		if err != nil {
			t.Fatal(err)
		}
		return ev
	}
	if ev := evaluate(t0); ev.Skipped || len(ev.Events) != 0 {
		t.Fatalf("first evaluation: %+v", ev)
	}
	if ev := evaluate(t0.Add(time.Hour)); !ev.Skipped {
		t.Fatal("evaluated again without a status event while operational")
	}

	down := t0.Add(time.Hour)
	if res := apply(t, st, down, change("svc_1", 2, domain.Down, down)); !res.Due {
		t.Fatalf("a status change did not make the SLO due: %+v", res)
	}
	var fired []string
	// 7d at 0.999: a budget of 604.8 s; 14.4× over 1 h needs 51.84 s down.
	for at := down; at.Before(down.Add(15 * time.Minute)); at = at.Add(every) {
		evaluate(at)
		fired = append(fired, drain(t, st)...)
	}
	if want := []string{"burning", "exhausted"}; !slices.Equal(fired, want) {
		t.Fatalf("during the outage: %v, want %v", fired, want)
	}

	up := down.Add(15 * time.Minute)
	apply(t, st, up, change("svc_1", 3, domain.Operational, up))
	fired = nil
	for at := up; at.Before(up.Add(2 * time.Hour)); at = at.Add(every) {
		evaluate(at)
		fired = append(fired, drain(t, st)...)
	}
	if want := []string{"burn_stopped"}; !slices.Equal(fired, want) {
		t.Fatalf("after the outage: %v, want %v", fired, want)
	}
	later := up.Add(7*24*time.Hour + time.Minute)
	evaluate(later)
	if got := drain(t, st); !slices.Equal(got, []string{"recovered"}) {
		t.Fatalf("once the outage left the window: %v", got)
	}
	if ev := evaluate(later.Add(time.Hour)); !ev.Skipped {
		t.Fatalf("still evaluated with nothing going on: %+v", ev)
	}
	s, err := st.GetSLO(ctx, "org_a", "slo_1")
	if err != nil || s.Version != 5 || s.Burning || s.Exhausted {
		t.Fatalf("slo = %+v, %v", s, err)
	}
}

// A transition of a service whose SLO is being evaluated waits for the
// evaluation to commit, then makes the SLO due again and says so: the
// evaluation measured the intervals without it, so the evaluator must
// look again. Were the transition to commit in the middle, the
// evaluation would measure some of the intervals before it and some
// after, and its timer would overwrite the one the transition set.
func TestApplyWaitsForEvaluation(t *testing.T) {
	t.Parallel()
	pool := servicetest.Postgres(t, migrations.Schema, migrations.FS)
	st := store.New(pool)
	ctx := context.Background()
	apply(t, st, t0, change("svc_1", 1, domain.Down, t0))
	slo := domain.NewSLO{ServiceID: "svc_1", Name: "API", Target: 0.999, Window: "7d"}.Create("slo_1", "org_a", t0)
	if err := st.CreateSLO(ctx, slo); err != nil {
		t.Fatal(err)
	}
	const every = 30 * time.Second
	// Ten minutes down, 600 s of a 604.8 s budget: the evaluation finds
	// a fast burn, and announces it from inside its transaction, where
	// it waits.
	at := t0.Add(10 * time.Minute)
	announcing, resume := make(chan struct{}), make(chan struct{})
	release := sync.OnceFunc(func() { close(resume) })
	t.Cleanup(release)
	paused := func(kind domain.SLOEvent, s domain.SLO, state domain.SLOState, now time.Time) (bus.Event, error) {
		close(announcing)
		<-resume
		return recordEvent(kind, s, state, now)
	}
	evaluated := make(chan error, 1)
	go func() {
		_, err := st.EvaluateSLO(ctx, "slo_1", at, every, paused)
		evaluated <- err
	}()
	select {
	case <-announcing:
	case err := <-evaluated:
		t.Fatalf("the evaluation announced nothing (%v)", err)
	}

	type result struct {
		res store.ApplyResult
		err error
	}
	// Applied a little later, when the evaluation's timer is due too.
	later := at.Add(every)
	applied := make(chan result, 1)
	go func() {
		res, err := st.Apply(ctx, later, change("svc_1", 2, domain.Operational, later))
		applied <- result{res, err}
	}()
	// The transition is either applied already (the evaluation did not
	// hold it off) or waiting for a lock.
	var early *result
	testenv.Eventually(t, 10*time.Second, func() error {
		select {
		case r := <-applied:
			early = &r
			return nil
		default:
		}
		var waiting int
		if err := pool.QueryRow(ctx, `SELECT count(*) FROM pg_stat_activity
			WHERE datname = current_database() AND wait_event_type = 'Lock'`).Scan(&waiting); err != nil {
			return err
		}
		if waiting == 0 {
			return errors.New("the transition is neither applied nor waiting for a lock")
		}
		return nil
	})
	release()
	if err := <-evaluated; err != nil {
		t.Fatal(err)
	}
	r := early
	if r == nil {
		got := <-applied
		r = &got
	} else {
		t.Error("the transition was applied in the middle of an evaluation of its service's SLO")
	}
	if r.err != nil {
		t.Fatal(r.err)
	}
	if !r.res.Due {
		t.Errorf("the transition did not make the SLO due: %+v", r.res)
	}
	if ids, err := st.DueSLOs(ctx, later, 10); err != nil || !slices.Equal(ids, []string{"slo_1"}) {
		t.Fatalf("due after the transition: %v, %v", ids, err)
	}
	if got := drain(t, st); !slices.Equal(got, []string{"burning"}) {
		t.Fatalf("the evaluation announced %v", got)
	}
}

// An evaluation whose now is older than a transition it reads (now was
// taken before the transition was applied, or the status service's clock
// is ahead) still counts the service as down, and keeps the SLO watched:
// nothing else would evaluate it until the next status event.
func TestEvaluateWatchesAServiceDownAfterNow(t *testing.T) {
	t.Parallel()
	st := newStore(t)
	ctx := context.Background()
	apply(t, st, t0, change("svc_1", 1, domain.Operational, t0.Add(-time.Hour)))
	slo := domain.NewSLO{ServiceID: "svc_1", Name: "API", Target: 0.999, Window: "7d"}.Create("slo_1", "org_a", t0)
	if err := st.CreateSLO(ctx, slo); err != nil {
		t.Fatal(err)
	}
	down := t0.Add(time.Second)
	apply(t, st, down, change("svc_1", 2, domain.Down, down))
	const every = 30 * time.Second
	if ev, err := st.EvaluateSLO(ctx, "slo_1", t0, every, recordEvent); err != nil || ev.Skipped || len(ev.Events) != 0 {
		t.Fatalf("evaluation before the outage: %+v, %v", ev, err)
	}
	if ids, err := st.DueSLOs(ctx, t0.Add(every), 10); err != nil || !slices.Equal(ids, []string{"slo_1"}) {
		t.Fatalf("due %s later: %v, %v; the outage is not watched", every, ids, err)
	}
}

// An evaluation waits for a transition of its service being applied,
// which holds the service's row from its first statement to its commit,
// even when the SLO is newer than the transition's marking of the
// service's SLOs: it measures the intervals before the transition or
// after it, never halfway.
func TestEvaluateWaitsForApply(t *testing.T) {
	t.Parallel()
	pool := servicetest.Postgres(t, migrations.Schema, migrations.FS)
	st := store.New(pool)
	ctx := context.Background()
	apply(t, st, t0, change("svc_1", 1, domain.Down, t0))
	applying, err := pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer applying.Rollback(ctx)
	if _, err := applying.Exec(ctx, `UPDATE sla.services SET org_id = org_id WHERE service_id = 'svc_1'`); err != nil {
		t.Fatal(err)
	}
	slo := domain.NewSLO{ServiceID: "svc_1", Name: "API", Target: 0.999, Window: "7d"}.Create("slo_1", "org_a", t0)
	if err := st.CreateSLO(ctx, slo); err != nil {
		t.Fatal(err)
	}
	evaluated := make(chan error, 1)
	go func() {
		_, err := st.EvaluateSLO(ctx, "slo_1", t0.Add(time.Minute), 30*time.Second, recordEvent)
		evaluated <- err
	}()
	testenv.Eventually(t, 10*time.Second, func() error {
		select {
		case err := <-evaluated:
			t.Fatalf("evaluated while a transition of the service was being applied (%v)", err)
		default:
		}
		var waiting int
		if err := pool.QueryRow(ctx, `SELECT count(*) FROM pg_stat_activity
			WHERE datname = current_database() AND wait_event_type = 'Lock'`).Scan(&waiting); err != nil {
			return err
		}
		if waiting == 0 {
			return errors.New("the evaluation is neither done nor waiting for a lock")
		}
		return nil
	})
	if err := applying.Rollback(ctx); err != nil {
		t.Fatal(err)
	}
	if err := <-evaluated; err != nil {
		t.Fatal(err)
	}
}

// Deleting a burning SLO ends its burn for whoever follows it: the
// deletion announces burn_stopped once. Deleting one that does not burn
// announces nothing.
func TestDeleteBurningSLOStopsTheBurn(t *testing.T) {
	t.Parallel()
	st := newStore(t)
	ctx := context.Background()
	apply(t, st, t0, change("svc_1", 1, domain.Down, t0))
	slo := domain.NewSLO{ServiceID: "svc_1", Name: "API", Target: 0.999, Window: "7d"}.Create("slo_burning", "org_a", t0)
	if err := st.CreateSLO(ctx, slo); err != nil {
		t.Fatal(err)
	}
	// Down for ten minutes: it burns; the evaluation's events are taken.
	now := t0.Add(10 * time.Minute)
	if _, err := st.EvaluateSLO(ctx, "slo_burning", now, time.Minute, recordEvent); err != nil {
		t.Fatal(err)
	}
	if got := drain(t, st); !slices.Contains(got, "burning") {
		t.Fatalf("the outage did not burn the SLO: %v", got)
	}
	if err := st.DeleteSLO(ctx, "org_a", "slo_burning", now, recordEvent); err != nil {
		t.Fatal(err)
	}
	if got := drain(t, st); !slices.Equal(got, []string{"burn_stopped"}) {
		t.Fatalf("deleting a burning SLO announced %v, want burn_stopped", got)
	}
	if _, err := st.GetSLO(ctx, "org_a", "slo_burning"); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("deleted SLO: %v", err)
	}
	if err := st.DeleteSLO(ctx, "org_a", "slo_burning", now, recordEvent); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("deleted twice: %v", err)
	}
	// One never evaluated, so not burning.
	calm := domain.NewSLO{ServiceID: "svc_1", Name: "calm", Target: 0.5, Window: "7d"}.Create("slo_wide", "org_a", t0)
	if err := st.CreateSLO(ctx, calm); err != nil {
		t.Fatal(err)
	}
	if err := st.DeleteSLO(ctx, "org_a", "slo_wide", now, recordEvent); err != nil {
		t.Fatal(err)
	}
	if got := drain(t, st); len(got) != 0 {
		t.Fatalf("deleting a calm SLO announced %v", got)
	}
}
