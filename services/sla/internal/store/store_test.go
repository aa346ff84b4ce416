package store_test

import (
	"context"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/upstatehq/upstate/pkg/service/servicetest"
	"github.com/upstatehq/upstate/pkg/testenv"
	"github.com/upstatehq/upstate/services/sla/internal/domain"
	"github.com/upstatehq/upstate/services/sla/internal/store"
	"github.com/upstatehq/upstate/services/sla/migrations"
)

func TestMain(m *testing.M) { testenv.Main(m) }

func newStore(t testing.TB) *store.Store {
	t.Helper()
	return store.New(servicetest.Postgres(t, migrations.Schema, migrations.FS))
}

var t0 = time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)

func change(svc string, v int64, s domain.Status, at time.Time) domain.ServiceEvent {
	return domain.ServiceEvent{OrgID: "org_a", ServiceID: svc, Version: v, Transition: &domain.Transition{Version: v, Status: s, At: at}}
}

func apply(t testing.TB, st *store.Store, now time.Time, evs ...domain.ServiceEvent) store.ApplyResult {
	t.Helper()
	res, err := st.Apply(context.Background(), now, evs...)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// history returns n random status changes of svc, versions 1…n, with
// times mostly advancing, sometimes not at all, sometimes going back a
// little, sometimes by days, and microsecond precision.
func history(r *rand.Rand, svc string, n int, from time.Time) []domain.ServiceEvent {
	statuses := []domain.Status{domain.Operational, domain.Degraded, domain.Down, domain.Maintenance}
	out := make([]domain.ServiceEvent, n)
	at := from
	for i := range out {
		switch r.IntN(10) {
		case 0:
		case 1:
			at = at.Add(-time.Duration(r.IntN(5000)) * time.Millisecond)
		case 2:
			at = at.Add(time.Duration(r.IntN(3*24*3600)) * time.Second)
		default:
			at = at.Add(time.Duration(r.IntN(7200_000_000)) * time.Microsecond)
		}
		out[i] = change(svc, int64(i+1), statuses[r.IntN(len(statuses))], at)
	}
	return out
}

func transitions(evs []domain.ServiceEvent) []domain.Transition {
	out := make([]domain.Transition, len(evs))
	for i, e := range evs {
		out[i] = *e.Transition
	}
	return out
}

// Property, against Postgres: a history applied in order one event at a
// time, and applied shuffled with duplicates in batches, gives the same
// uptime and daily figures, equal to measuring its intervals directly.
func TestApplyOrderDoesNotMatter(t *testing.T) {
	t.Parallel()
	st := newStore(t)
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for seed := range uint64(12) {
		r := rand.New(rand.NewPCG(seed, 42))
		evs := history(r, "svc_order", 1+r.IntN(60), t0.Add(-time.Duration(r.IntN(60*24))*time.Hour))
		inOrder, shuffled := "svc_o"+string(rune('a'+seed)), "svc_s"+string(rune('a'+seed))
		for _, e := range evs {
			e.ServiceID = inOrder
			apply(t, st, t0, e)
		}
		var mixed []domain.ServiceEvent
		for _, e := range evs {
			e.ServiceID = shuffled
			mixed = append(mixed, e)
			if r.IntN(3) == 0 {
				mixed = append(mixed, e)
			}
		}
		r.Shuffle(len(mixed), func(i, j int) { mixed[i], mixed[j] = mixed[j], mixed[i] })
		for len(mixed) > 0 {
			n := min(len(mixed), 1+r.IntN(8))
			apply(t, st, t0, mixed[:n]...)
			mixed = mixed[n:]
		}

		last := evs[len(evs)-1].Transition.At
		now := last.Add(time.Duration(r.IntN(48*3600)) * time.Second).Truncate(time.Microsecond)
		spans := []domain.Span{{From: now.Add(-24 * time.Hour), To: now}, {From: now.Add(-90 * 24 * time.Hour), To: now}}
		for range 4 {
			from := evs[0].Transition.At.Add(time.Duration(r.IntN(20*24*3600)-3600) * time.Second)
			spans = append(spans, domain.Span{From: from, To: from.Add(time.Duration(1+r.IntN(5*24*3600)) * time.Second)})
		}
		for _, d := range domain.Days(berlin, 40, now) {
			spans = append(spans, d.Span)
		}
		a, _, err := st.Measure(ctx, inOrder, spans, now, true)
		if err != nil {
			t.Fatal(err)
		}
		b, _, err := st.Measure(ctx, shuffled, spans, now, true)
		if err != nil {
			t.Fatal(err)
		}
		intervals := domain.Build(transitions(evs))
		for i, s := range spans {
			want := domain.Measure(intervals, s, now)
			if a[i] != want || b[i] != want {
				t.Fatalf("seed %d, span %v: in order %+v, shuffled %+v, measured %+v", seed, s, a[i], b[i], want)
			}
		}
	}
}

// Duplicates are counted stale; names follow the newest event carrying
// one; a deletion ends the counted time and deletes the service's SLOs.
func TestApplyServiceEvents(t *testing.T) {
	t.Parallel()
	st := newStore(t)
	ctx := context.Background()
	created := domain.ServiceEvent{OrgID: "org_a", ServiceID: "svc_1", Version: 1, Name: "API",
		Transition: &domain.Transition{Version: 1, Status: domain.Operational, At: t0}}
	renamed := domain.ServiceEvent{OrgID: "org_a", ServiceID: "svc_1", Version: 3, Name: "Public API"}
	down := change("svc_1", 2, domain.Down, t0.Add(time.Hour))
	down.Name = "API"
	if res := apply(t, st, t0, renamed, created, down, down); res.Applied != 2 || res.Stale != 1 {
		t.Fatalf("apply = %+v", res)
	}
	svc, err := st.Service(ctx, "org_a", "svc_1")
	if err != nil || svc.Name != "Public API" || svc.Deleted {
		t.Fatalf("service = %+v, %v", svc, err)
	}
	if _, err := st.Service(ctx, "org_b", "svc_1"); err != domain.ErrNotFound {
		t.Fatalf("another organisation's service: %v", err)
	}
	slo := domain.NewSLO{ServiceID: "svc_1", Name: "API", Target: 0.99, Window: "7d"}.Create("slo_1", "org_a", t0)
	if err := st.CreateSLO(ctx, slo); err != nil {
		t.Fatal(err)
	}
	deleted := domain.ServiceEvent{OrgID: "org_a", ServiceID: "svc_1", Version: 4, Deleted: true,
		Transition: &domain.Transition{Version: 4, Status: domain.Gone, At: t0.Add(2 * time.Hour)}}
	apply(t, st, t0, deleted)
	figs, _, err := st.Measure(ctx, "svc_1", []domain.Span{{From: t0.Add(-time.Hour), To: t0.Add(5 * time.Hour)}}, t0.Add(5*time.Hour), true)
	if err != nil {
		t.Fatal(err)
	}
	if want := (domain.Figures{Operational: time.Hour, Down: time.Hour, Outages: 1}); figs[0] != want {
		t.Fatalf("figures = %+v, want %+v", figs[0], want)
	}
	if _, err := st.GetSLO(ctx, "org_a", "slo_1"); err != domain.ErrNotFound {
		t.Fatalf("the deleted service's SLO: %v", err)
	}
	if list, err := st.ListServices(ctx, "org_a", "", 10); err != nil || len(list) != 0 {
		t.Fatalf("deleted services listed: %+v, %v", list, err)
	}
}
