package oncall

import "time"

// date is a calendar day in the schedule's zone.
type date struct {
	y int
	m time.Month
	d int
}

func dateOf(t time.Time) date {
	y, m, d := t.Date()
	return date{y, m, d}
}

// add returns the day n days later (earlier when n < 0).
func (d date) add(n int) date {
	return dateOf(time.Date(d.y, d.m, d.d+n, 0, 0, 0, 0, time.UTC))
}

func (d date) weekday() time.Weekday {
	return time.Date(d.y, d.m, d.d, 0, 0, 0, 0, time.UTC).Weekday()
}

// daysBetween is b - a in days.
func daysBetween(a, b date) int {
	ta := time.Date(a.y, a.m, a.d, 0, 0, 0, 0, time.UTC)
	tb := time.Date(b.y, b.m, b.d, 0, 0, 0, 0, time.UTC)
	// Unix seconds rather than Sub, which saturates past 292 years.
	return int((tb.Unix() - ta.Unix()) / 86400)
}

// clock is a wall-clock time of day, to the second.
type clock struct{ h, m, s int }

// wall is the instant of the wall time d c in loc, resolved as RFC 5545
// §3.3.5 resolves a local DATE-TIME: a repeated time (autumn fold) is its
// first occurrence; a skipped time (spring gap) is read with the offset
// in force before the gap, so it lands as far after the gap's start as
// it names. time.Date leaves both cases unspecified.
func wall(d date, c clock, loc *time.Location) time.Time {
	naive := time.Date(d.y, d.m, d.d, c.h, c.m, c.s, 0, time.UTC)
	// The offsets around the wall time; a zone changes its offset at most
	// once within a day in practice.
	_, before := naive.Add(-24 * time.Hour).In(loc).Zone()
	_, after := naive.Add(24 * time.Hour).In(loc).Zone()
	var found time.Time
	for _, off := range []int{before, after} {
		t := naive.Add(-time.Duration(off) * time.Second).In(loc)
		if sameWall(t, d, c) && (found.IsZero() || t.Before(found)) {
			found = t
		}
	}
	if !found.IsZero() {
		return found
	}
	return naive.Add(-time.Duration(before) * time.Second).In(loc)
}

func sameWall(t time.Time, d date, c clock) bool {
	h, m, s := t.Clock()
	return dateOf(t) == d && h == c.h && m == c.m && s == c.s
}
