package oncall

import (
	"slices"
	"time"
)

// span is a half-open interval of time [start, end), owned by user when
// it is a turn of a rotation.
type span struct {
	start, end time.Time
	user       string
}

// rotation computes the hand-offs of a layer in the schedule's zone.
type rotation struct {
	layer     Layer
	loc       *time.Location
	startDate date
	startTime clock
	// first is the instant of the first hand-off.
	first time.Time
}

func newRotation(l Layer, loc *time.Location) rotation {
	h, m, s := l.Start.Clock()
	r := rotation{layer: l, loc: loc, startDate: dateOf(l.Start), startTime: clock{h, m, s}}
	r.first = wall(r.startDate, r.startTime, loc)
	return r
}

// handoff is the instant of the k-th hand-off (the 0th is the first):
// elapsed hours for Hour, the start's wall time k periods of calendar days
// later otherwise.
func (r rotation) handoff(k int) time.Time {
	n := k * r.layer.Handoff.Every
	if r.layer.Handoff.Unit == Hour {
		// Seconds, not a Duration, which overflows after 292 years.
		return time.Unix(r.first.Unix()+int64(n)*3600, 0).In(r.loc)
	}
	return wall(r.startDate.add(n*r.days()), r.startTime, r.loc)
}

// days is how many days a period of a Day or Week unit has per Every.
func (r rotation) days() int {
	if r.layer.Handoff.Unit == Week {
		return 7
	}
	return 1
}

// turn is the k with handoff(k) <= t < handoff(k+1), or -1 when t is
// before the first hand-off.
func (r rotation) turn(t time.Time) int {
	if t.Before(r.first) {
		return -1
	}
	// The estimate is off by at most one period: offsets change by hours.
	var k int
	if every := r.layer.Handoff.Every; r.layer.Handoff.Unit == Hour {
		k = int((t.Unix() - r.first.Unix()) / int64(every*3600))
	} else {
		k = daysBetween(r.startDate, dateOf(t.In(r.loc))) / (every * r.days())
	}
	for k > 0 && r.handoff(k).After(t) {
		k--
	}
	for !r.handoff(k + 1).After(t) {
		k++
	}
	return k
}

// member is who is on call during turn k.
func (r rotation) member(k int) string { return r.layer.Members[k%len(r.layer.Members)] }

// spans are the turns of the layer within [from, to), clipped to it and
// to the layer's restrictions.
func (r rotation) spans(from, to time.Time) []span {
	lo := later(from, r.first)
	if !lo.Before(to) {
		return nil
	}
	var out []span
	for k := r.turn(lo); ; k++ {
		s := r.handoff(k)
		if !s.Before(to) {
			break
		}
		out = append(out, span{later(s, from), earlier(r.handoff(k+1), to), r.member(k)})
	}
	if len(r.layer.Restrictions) == 0 {
		return out
	}
	return intersect(out, windows(r.layer.Restrictions, r.loc, from, to))
}

// at is who the layer has on call at t, if anyone.
func (r rotation) at(t time.Time) (string, bool) {
	k := r.turn(t)
	if k < 0 {
		return "", false
	}
	if len(r.layer.Restrictions) > 0 && len(windows(r.layer.Restrictions, r.loc, t, t.Add(1))) == 0 {
		return "", false
	}
	return r.member(k), true
}

// windows are the times within [from, to) inside any of the
// restrictions, sorted, disjoint and not adjacent.
func windows(rs []Restriction, loc *time.Location, from, to time.Time) []span {
	var out []span
	// A window starting the day before from may reach into it.
	last := dateOf(to.In(loc))
	for d := dateOf(from.In(loc)).add(-1); daysBetween(d, last) >= 0; d = d.add(1) {
		for _, r := range rs {
			if !slices.Contains(r.Weekdays, d.weekday()) {
				continue
			}
			endDate := d
			if r.End.minutes() <= r.Start.minutes() {
				endDate = d.add(1)
			}
			s := wall(d, clock{r.Start.Hour, r.Start.Minute, 0}, loc)
			e := wall(endDate, clock{r.End.Hour, r.End.Minute, 0}, loc)
			s, e = later(s, from), earlier(e, to)
			if s.Before(e) {
				out = append(out, span{start: s, end: e})
			}
		}
	}
	slices.SortFunc(out, func(a, b span) int { return a.start.Compare(b.start) })
	merged := out[:0]
	for _, w := range out {
		if n := len(merged); n > 0 && !w.start.After(merged[n-1].end) {
			merged[n-1].end = later(merged[n-1].end, w.end)
			continue
		}
		merged = append(merged, w)
	}
	return merged
}

// intersect clips the sorted, disjoint turns to the sorted, disjoint
// windows.
func intersect(turns, wins []span) []span {
	var out []span
	for i, j := 0, 0; i < len(turns) && j < len(wins); {
		s, e := later(turns[i].start, wins[j].start), earlier(turns[i].end, wins[j].end)
		if s.Before(e) {
			out = append(out, span{s, e, turns[i].user})
		}
		if turns[i].end.Before(wins[j].end) {
			i++
		} else {
			j++
		}
	}
	return out
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func earlier(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}
