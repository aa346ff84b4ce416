package domain

import "time"

// Figures are the time a service spent in each status over some range,
// and the number of outages (intervals down) in it.
type Figures struct {
	Operational time.Duration
	Degraded    time.Duration
	Down        time.Duration
	Maintenance time.Duration
	Outages     int64
}

// Counted is the time uptime is a fraction of: every status but
// maintenance (and time the service did not exist, which is not in
// Figures at all).
func (f Figures) Counted() time.Duration { return f.Operational + f.Degraded + f.Down }

// Uptime is the fraction of counted time the service was not down; ok is
// false when there is no counted time.
func (f Figures) Uptime() (uptime float64, ok bool) {
	c := f.Counted()
	if c <= 0 {
		return 0, false
	}
	return float64(c-f.Down) / float64(c), true
}

// Worst is the worst status with time in f (down, then degraded, then
// maintenance, then operational); "" when f holds no time.
func (f Figures) Worst() Status {
	switch {
	case f.Down > 0:
		return Down
	case f.Degraded > 0:
		return Degraded
	case f.Maintenance > 0:
		return Maintenance
	case f.Operational > 0:
		return Operational
	}
	return ""
}

// Plus returns f + g.
func (f Figures) Plus(g Figures) Figures {
	return Figures{
		Operational: f.Operational + g.Operational, Degraded: f.Degraded + g.Degraded,
		Down: f.Down + g.Down, Maintenance: f.Maintenance + g.Maintenance, Outages: f.Outages + g.Outages,
	}
}

// Negated returns -f, to take a contribution back out of a sum.
func (f Figures) Negated() Figures {
	return Figures{Operational: -f.Operational, Degraded: -f.Degraded, Down: -f.Down, Maintenance: -f.Maintenance, Outages: -f.Outages}
}

// addTime adds d of status s.
func (f *Figures) addTime(s Status, d time.Duration) {
	switch s {
	case Operational:
		f.Operational += d
	case Degraded:
		f.Degraded += d
	case Down:
		f.Down += d
	case Maintenance:
		f.Maintenance += d
	}
}

// Span is the range of time [From, To).
type Span struct {
	From, To time.Time
}

// Empty reports whether the span holds no time.
func (s Span) Empty() bool { return !s.From.Before(s.To) }

// Contains reports whether t is in the span.
func (s Span) Contains(t time.Time) bool { return !t.Before(s.From) && t.Before(s.To) }

// overlap is the time iv spends in s; an open interval ends at now.
func (iv Interval) overlap(s Span, now time.Time) time.Duration {
	end := iv.End
	if iv.Open {
		end = now
	}
	from, to := maxTime(iv.Start, s.From), minTime(end, s.To)
	if !from.Before(to) {
		return 0
	}
	return to.Sub(from)
}

// Length is the interval's duration, up to now while it is open.
func (iv Interval) Length(now time.Time) time.Duration {
	end := iv.End
	if iv.Open {
		end = now
	}
	if !iv.Start.Before(end) {
		return 0
	}
	return end.Sub(iv.Start)
}

// Measure returns the Figures of intervals (a service's, contiguous, in
// version order) over s, up to now: the reference every summary of them
// must agree with. An outage is counted when a down interval of positive
// length overlaps s.
func Measure(intervals []Interval, s Span, now time.Time) Figures {
	s = s.Until(now)
	var f Figures
	for _, iv := range intervals {
		d := iv.overlap(s, now)
		f.addTime(iv.Status, d)
		if iv.Status == Down && d > 0 {
			f.Outages++
		}
	}
	return f
}

// Until returns s cut at now: time to come is not counted.
func (s Span) Until(now time.Time) Span {
	if s.To.After(now) {
		s.To = now
	}
	return s
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}
