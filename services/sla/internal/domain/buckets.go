package domain

import "time"

// Bucket is the length of the summaries history is kept in: the Figures
// of every closed interval, cut at the hour, per UTC hour. A query sums
// the whole hours of its range and measures the rest (under an hour at
// either end, and the open interval) from intervals, so it never reads a
// service's raw history. An outage is counted in the hour its interval
// starts.
const Bucket = time.Hour

// Contribution returns what a closed interval adds to each hourly bucket
// it overlaps (nothing for an open one: it is measured at query time).
func (iv Interval) Contribution() map[time.Time]Figures {
	if iv.Open || !iv.Start.Before(iv.End) {
		return nil
	}
	out := map[time.Time]Figures{}
	for h := iv.Start.Truncate(Bucket); h.Before(iv.End); h = h.Add(Bucket) {
		var f Figures
		f.addTime(iv.Status, iv.overlap(Span{From: h, To: h.Add(Bucket)}, iv.End))
		if iv.Status == Down && h.Equal(iv.Start.Truncate(Bucket)) {
			f.Outages = 1
		}
		out[h.UTC()] = f
	}
	return out
}

// BucketDeltas returns what the hourly buckets change by when changes are
// applied: each old closed interval taken out, each new one added.
func BucketDeltas(changes []Change) map[time.Time]Figures {
	out := map[time.Time]Figures{}
	for _, c := range changes {
		if c.Old != nil {
			for h, f := range c.Old.Contribution() {
				out[h] = out[h].Plus(f.Negated())
			}
		}
		for h, f := range c.New.Contribution() {
			out[h] = out[h].Plus(f)
		}
	}
	for h, f := range out {
		if f == (Figures{}) {
			delete(out, h)
		}
	}
	return out
}

// Plan is how a span is measured: the whole hours in Hours summed from
// buckets (Hours is empty when there are none), and the pieces at either
// end (under an hour each) measured from the closed intervals overlapping
// them. The open interval is measured over Span on its own.
type Plan struct {
	Span   Span
	Hours  Span
	Pieces []Span
}

// PlanSpan plans the measure of s.
func PlanSpan(s Span) Plan {
	p := Plan{Span: s}
	if s.Empty() {
		return p
	}
	first, last := ceilBucket(s.From), s.To.Truncate(Bucket)
	if !first.Before(last) {
		p.Pieces = []Span{s}
		return p
	}
	p.Hours = Span{From: first, To: last}
	if head := (Span{From: s.From, To: first}); !head.Empty() {
		p.Pieces = append(p.Pieces, head)
	}
	if tail := (Span{From: last, To: s.To}); !tail.Empty() {
		p.Pieces = append(p.Pieces, tail)
	}
	return p
}

func ceilBucket(t time.Time) time.Time {
	h := t.Truncate(Bucket)
	if h.Before(t) {
		h = h.Add(Bucket)
	}
	return h
}

// Summary is what a plan is measured from.
type Summary struct {
	// Hours is the sum of the buckets of the plan's Hours.
	Hours Figures
	// Pieces holds, per piece of the plan, the closed intervals
	// overlapping it.
	Pieces [][]Interval
	// AtFrom holds the closed intervals whose Start is the latest Start
	// not after the span's From: the one going on at From among them.
	AtFrom []Interval
	// Open is the service's open interval, if any.
	Open *Interval
}

// Figures measures the plan's span from s, up to now (the span must not
// go past now). It equals Measure over all the service's intervals.
func (p Plan) Figures(s Summary, now time.Time) Figures {
	f := s.Hours
	for i, piece := range p.Pieces {
		if i >= len(s.Pieces) {
			break
		}
		for _, iv := range s.Pieces[i] {
			if iv.Open {
				continue
			}
			f.addTime(iv.Status, iv.overlap(piece, now))
			if iv.Status == Down && iv.Start.Before(iv.End) && piece.Contains(iv.Start) {
				f.Outages++
			}
		}
	}
	if !p.Span.Empty() {
		// An outage that began before the span and goes on into it.
		for _, iv := range s.AtFrom {
			if !iv.Open && iv.Status == Down && iv.Start.Before(p.Span.From) && iv.End.After(p.Span.From) {
				f.Outages++
			}
		}
	}
	if o := s.Open; o != nil {
		d := o.overlap(p.Span, now)
		f.addTime(o.Status, d)
		if o.Status == Down && d > 0 {
			f.Outages++
		}
	}
	return f
}
