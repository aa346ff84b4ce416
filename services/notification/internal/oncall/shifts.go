package oncall

import (
	"slices"
	"time"
)

// Shift is a stretch of the final timeline during which one user is on
// call, and where that comes from.
type Shift struct {
	UserID     string
	Start, End time.Time
	// Layer is the index in Schedule.Layers of the layer that puts the
	// user on call, or -1 when Override.
	Layer int
	// Override says an override puts the user on call.
	Override bool
}

// OnCall returns who is on call at the instant at: nobody (nil) or one
// user. It is a list so that callers notify "everyone on call" and need
// not change should a schedule ever put several people on call at once.
func (s Schedule) OnCall(at time.Time) []string {
	for i := len(s.Overrides) - 1; i >= 0; i-- {
		if o := s.Overrides[i]; !at.Before(o.From) && at.Before(o.To) {
			return []string{o.UserID}
		}
	}
	loc := s.location()
	for i := len(s.Layers) - 1; i >= 0; i-- {
		if u, ok := newRotation(s.Layers[i], loc).at(at); ok {
			return []string{u}
		}
	}
	return nil
}

// source is one layer's or one override's spans, with its rank: a higher
// rank takes precedence.
type source struct {
	spans    []span
	layer    int
	override bool
	next     int // the first span that may still cover the sweep
}

// Shifts returns the final timeline within [from, to): shifts in time
// order, clipped to the window, never overlapping, merged where the same
// user stays on call from the same layer (or by overrides); the gaps are
// times nobody is on call. Times are in the schedule's zone. The caller
// bounds the window: an hourly rotation gives a shift per hour.
func (s Schedule) Shifts(from, to time.Time) []Shift {
	if !from.Before(to) {
		return nil
	}
	loc := s.location()
	// Sources from the lowest rank to the highest.
	var srcs []*source
	for i, l := range s.Layers {
		if sp := newRotation(l, loc).spans(from, to); len(sp) > 0 {
			srcs = append(srcs, &source{spans: sp, layer: i})
		}
	}
	for _, o := range s.Overrides {
		if st, en := later(o.From, from), earlier(o.To, to); st.Before(en) {
			srcs = append(srcs, &source{spans: []span{{st, en, o.UserID}}, layer: -1, override: true})
		}
	}
	var cuts []time.Time
	for _, src := range srcs {
		for _, sp := range src.spans {
			cuts = append(cuts, sp.start, sp.end)
		}
	}
	slices.SortFunc(cuts, time.Time.Compare)
	cuts = slices.CompactFunc(cuts, time.Time.Equal)

	var out []Shift
	for i := 0; i+1 < len(cuts); i++ {
		st, en := cuts[i], cuts[i+1]
		src, user := top(srcs, st)
		if src == nil {
			continue
		}
		if n := len(out); n > 0 {
			if p := &out[n-1]; p.End.Equal(st) && p.UserID == user && p.Layer == src.layer && p.Override == src.override {
				p.End = en.In(loc)
				continue
			}
		}
		out = append(out, Shift{UserID: user, Start: st.In(loc), End: en.In(loc), Layer: src.layer, Override: src.override})
	}
	return out
}

// top is the highest-ranked source with someone on call at t, and who.
// Calls come with t increasing, so each source's cursor only moves on.
func top(srcs []*source, t time.Time) (*source, string) {
	var best *source
	var user string
	for _, src := range srcs {
		for src.next < len(src.spans) && !src.spans[src.next].end.After(t) {
			src.next++
		}
		if src.next < len(src.spans) && !src.spans[src.next].start.After(t) {
			best, user = src, src.spans[src.next].user
		}
	}
	return best, user
}
