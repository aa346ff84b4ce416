package domain_test

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/upstatehq/upstate/services/sla/internal/domain"
)

var t0 = time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)

func at(d time.Duration) time.Time { return t0.Add(d) }

func tr(v int64, s domain.Status, d time.Duration) domain.Transition {
	return domain.Transition{Version: v, Status: s, At: at(d)}
}

func span(from, to time.Duration) domain.Span { return domain.Span{From: at(from), To: at(to)} }

func TestMeasure(t *testing.T) {
	t.Parallel()
	now := at(10 * time.Hour)
	tests := []struct {
		name string
		ts   []domain.Transition
		span domain.Span
		want domain.Figures
	}{
		{
			name: "a window cuts the intervals at both ends",
			ts: []domain.Transition{
				tr(1, domain.Operational, 0), tr(2, domain.Down, time.Hour), tr(3, domain.Operational, 2*time.Hour),
			},
			span: span(90*time.Minute, 3*time.Hour),
			want: domain.Figures{Down: 30 * time.Minute, Operational: time.Hour, Outages: 1},
		},
		{
			name: "maintenance inside an outage is left out of the count",
			ts: []domain.Transition{
				tr(1, domain.Operational, 0), tr(2, domain.Down, time.Hour), tr(3, domain.Maintenance, 90*time.Minute),
				tr(4, domain.Down, 2*time.Hour), tr(5, domain.Operational, 3*time.Hour),
			},
			span: span(0, 4*time.Hour),
			want: domain.Figures{Operational: 2 * time.Hour, Down: 90 * time.Minute, Maintenance: 30 * time.Minute, Outages: 2},
		},
		{
			name: "time before the service existed is not counted",
			ts:   []domain.Transition{tr(1, domain.Degraded, 5*time.Hour)},
			span: span(0, 6*time.Hour),
			want: domain.Figures{Degraded: time.Hour},
		},
		{
			name: "time after its deletion is not counted",
			ts:   []domain.Transition{tr(1, domain.Operational, 0), tr(2, domain.Gone, time.Hour)},
			span: span(0, 6*time.Hour),
			want: domain.Figures{Operational: time.Hour},
		},
		{
			name: "the current interval counts up to now, not to the end of the range",
			ts:   []domain.Transition{tr(1, domain.Operational, 0), tr(2, domain.Down, 9*time.Hour)},
			span: span(8*time.Hour, 24*time.Hour),
			want: domain.Figures{Operational: time.Hour, Down: time.Hour, Outages: 1},
		},
		{
			name: "a zero-length interval counts nothing, not even an outage",
			ts: []domain.Transition{
				tr(1, domain.Operational, 0), tr(2, domain.Down, time.Hour), tr(3, domain.Operational, time.Hour),
			},
			span: span(0, 2*time.Hour),
			want: domain.Figures{Operational: 2 * time.Hour},
		},
		{
			name: "a transition in the future starts nothing before it",
			ts:   []domain.Transition{tr(1, domain.Operational, 0), tr(2, domain.Down, 12*time.Hour)},
			span: span(0, 24*time.Hour),
			want: domain.Figures{Operational: 10 * time.Hour},
		},
		{
			name: "a clock that went backwards does not count time twice",
			ts: []domain.Transition{
				tr(1, domain.Operational, 0), tr(2, domain.Down, 2*time.Hour), tr(3, domain.Operational, time.Hour),
			},
			span: span(0, 4*time.Hour),
			want: domain.Figures{Operational: 4 * time.Hour},
		},
		{
			name: "an outage that began before the range counts in it",
			ts:   []domain.Transition{tr(1, domain.Down, 0), tr(2, domain.Operational, 2*time.Hour)},
			span: span(time.Hour, 3*time.Hour),
			want: domain.Figures{Down: time.Hour, Operational: time.Hour, Outages: 1},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := domain.Measure(domain.Build(tt.ts), tt.span, now); got != tt.want {
				t.Errorf("Measure = %+v, want %+v", got, tt.want)
			}
			tl := newTimeline()
			for _, x := range tt.ts {
				tl.apply(x)
			}
			if got := tl.figures(tt.span, now); got != tt.want {
				t.Errorf("from buckets = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestUptime(t *testing.T) {
	t.Parallel()
	tests := []struct {
		f      domain.Figures
		uptime float64
		ok     bool
		worst  domain.Status
	}{
		{domain.Figures{}, 0, false, ""},
		{domain.Figures{Maintenance: time.Hour}, 0, false, domain.Maintenance},
		{domain.Figures{Operational: 3 * time.Hour, Down: time.Hour}, 0.75, true, domain.Down},
		{domain.Figures{Degraded: time.Hour, Maintenance: time.Hour}, 1, true, domain.Degraded},
	}
	for _, tt := range tests {
		u, ok := tt.f.Uptime()
		if u != tt.uptime || ok != tt.ok || tt.f.Worst() != tt.worst {
			t.Errorf("%+v: uptime %v %v worst %q, want %v %v %q", tt.f, u, ok, tt.f.Worst(), tt.uptime, tt.ok, tt.worst)
		}
	}
}

// randomHistory returns n status changes of one service with versions 1…n
// and times that mostly advance, sometimes by nothing, sometimes going
// back a little (reports stamped by different processes), sometimes by
// days; the last may be the service's deletion.
func randomHistory(r *rand.Rand, n int) []domain.Transition {
	statuses := []domain.Status{domain.Operational, domain.Degraded, domain.Down, domain.Maintenance}
	out := make([]domain.Transition, n)
	t := t0.Add(-time.Duration(r.IntN(40*24)) * time.Hour)
	for i := range out {
		switch r.IntN(10) {
		case 0:
		case 1:
			t = t.Add(-time.Duration(r.IntN(5000)) * time.Millisecond)
		case 2:
			t = t.Add(time.Duration(r.IntN(3*24*3600)) * time.Second)
		default:
			t = t.Add(time.Duration(r.IntN(7200_000_000)) * time.Microsecond)
		}
		out[i] = domain.Transition{Version: int64(i + 1), Status: statuses[r.IntN(len(statuses))], At: t}
	}
	if r.IntN(4) == 0 {
		out[n-1].Status = domain.Gone
	}
	return out
}

// shuffledWithDuplicates returns ts in a random order, some twice.
func shuffledWithDuplicates(r *rand.Rand, ts []domain.Transition) []domain.Transition {
	out := append([]domain.Transition{}, ts...)
	for _, x := range ts {
		if r.IntN(3) == 0 {
			out = append(out, x)
		}
	}
	r.Shuffle(len(out), func(i, j int) { out[i], out[j] = out[j], out[i] })
	return out
}

// Property: a history applied in order, and applied shuffled with
// duplicates, gives the same intervals, the same buckets, and the same
// uptime and daily figures; and those agree with measuring the intervals
// directly.
func TestOrderDoesNotMatter(t *testing.T) {
	t.Parallel()
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	for seed := range uint64(200) {
		r := rand.New(rand.NewPCG(seed, 13))
		ts := randomHistory(r, 1+r.IntN(40))
		now := ts[len(ts)-1].At.Add(time.Duration(r.IntN(48*3600)) * time.Second)

		inOrder, shuffled := newTimeline(), newTimeline()
		for _, x := range ts {
			inOrder.apply(x)
		}
		for _, x := range shuffledWithDuplicates(r, ts) {
			shuffled.apply(x)
		}
		want := domain.Build(ts)
		for i, iv := range shuffled.sorted() {
			if iv.Version != want[i].Version || iv.Status != want[i].Status || !iv.Start.Equal(want[i].Start) ||
				iv.Open != want[i].Open || !iv.End.Equal(want[i].End) {
				t.Fatalf("seed %d: interval %d = %+v, want %+v", seed, i, iv, want[i])
			}
		}
		if len(inOrder.buckets) != len(shuffled.buckets) {
			t.Fatalf("seed %d: %d buckets in order, %d shuffled", seed, len(inOrder.buckets), len(shuffled.buckets))
		}
		for h, f := range inOrder.buckets {
			if shuffled.buckets[h] != f {
				t.Fatalf("seed %d: bucket %s = %+v shuffled, %+v in order", seed, h, shuffled.buckets[h], f)
			}
		}
		spans := []domain.Span{{From: now.Add(-24 * time.Hour), To: now}, {From: now.Add(-90 * 24 * time.Hour), To: now}}
		for range 5 {
			from := ts[0].At.Add(time.Duration(r.IntN(30*24*3600)-24*3600) * time.Second)
			spans = append(spans, domain.Span{From: from, To: from.Add(time.Duration(1+r.IntN(10*24*3600)) * time.Second)})
		}
		for _, d := range domain.Days(berlin, 60, now) {
			spans = append(spans, d.Span)
		}
		for _, s := range spans {
			direct := domain.Measure(want, s, now)
			if a, b := inOrder.figures(s, now), shuffled.figures(s, now); a != direct || b != direct {
				t.Fatalf("seed %d: over %v: in order %+v, shuffled %+v, measured %+v", seed, s, a, b, direct)
			}
		}
	}
}
