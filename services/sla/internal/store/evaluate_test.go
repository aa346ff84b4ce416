package store_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/upstatehq/upstate/pkg/bus"
	"github.com/upstatehq/upstate/services/sla/internal/domain"
	"github.com/upstatehq/upstate/services/sla/internal/store"
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
