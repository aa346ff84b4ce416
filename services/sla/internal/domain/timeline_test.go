package domain_test

import (
	"slices"
	"time"

	"github.com/upstatehq/upstate/services/sla/internal/domain"
)

// timeline keeps one service's intervals and hourly buckets in memory the
// way the store keeps them in Postgres: it hands Splice the same
// neighbours and applies the changes and bucket deltas it returns.
type timeline struct {
	intervals map[int64]domain.Interval
	buckets   map[time.Time]domain.Figures
}

func newTimeline() *timeline {
	return &timeline{intervals: map[int64]domain.Interval{}, buckets: map[time.Time]domain.Figures{}}
}

// apply applies t unless its version is known; it reports whether it did.
func (tl *timeline) apply(t domain.Transition) bool {
	if _, ok := tl.intervals[t.Version]; ok {
		return false
	}
	var prev *domain.Interval
	var after []domain.Interval
	for _, iv := range tl.sorted() {
		switch {
		case iv.Version < t.Version:
			p := iv
			prev = &p
		case iv.Version > t.Version:
			// The store's query: the later intervals starting before t's
			// effective start, and the first later one in any case.
			start := t.At
			if prev != nil && prev.Start.After(start) {
				start = prev.Start
			}
			if len(after) == 0 || iv.Start.Before(start) {
				after = append(after, iv)
			}
		}
	}
	changes := domain.Splice(prev, t, after)
	for h, f := range domain.BucketDeltas(changes) {
		tl.buckets[h] = tl.buckets[h].Plus(f)
	}
	for _, c := range changes {
		tl.intervals[c.New.Version] = c.New
	}
	return true
}

func (tl *timeline) sorted() []domain.Interval {
	out := make([]domain.Interval, 0, len(tl.intervals))
	for _, iv := range tl.intervals {
		out = append(out, iv)
	}
	slices.SortFunc(out, func(a, b domain.Interval) int { return int(a.Version - b.Version) })
	return out
}

// figures measures s as the store does: buckets for the whole hours,
// intervals for the pieces and the open one.
func (tl *timeline) figures(s domain.Span, now time.Time) domain.Figures {
	s = s.Until(now)
	p := domain.PlanSpan(s)
	var sum domain.Summary
	for h, f := range tl.buckets {
		if !p.Hours.Empty() && p.Hours.Contains(h) {
			sum.Hours = sum.Hours.Plus(f)
		}
	}
	all := tl.sorted()
	closed := func(lo, hi time.Time) []domain.Interval {
		// Intervals starting from the latest start not after lo, before hi.
		var s0 time.Time
		found := false
		for _, iv := range all {
			if !iv.Start.After(lo) {
				s0, found = iv.Start, true
			}
		}
		var out []domain.Interval
		for _, iv := range all {
			if !iv.Open && (!found || !iv.Start.Before(s0)) && iv.Start.Before(hi) {
				out = append(out, iv)
			}
		}
		return out
	}
	for _, piece := range p.Pieces {
		sum.Pieces = append(sum.Pieces, closed(piece.From, piece.To))
	}
	sum.AtFrom = closed(s.From, s.From)
	if n := len(all); n > 0 && all[n-1].Open {
		sum.Open = &all[n-1]
	}
	return p.Figures(sum, now)
}
