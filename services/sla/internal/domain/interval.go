package domain

import "time"

// Status is a service's status as the SLA service counts it.
type Status string

// The statuses of the status service, and Gone for a deleted service.
const (
	Operational Status = "operational"
	Degraded    Status = "degraded"
	Down        Status = "down"
	Maintenance Status = "maintenance"
	// Gone is a service's status from its deletion on: not counted.
	Gone Status = "gone"
)

// Valid reports whether s is one of the statuses above.
func (s Status) Valid() bool {
	switch s {
	case Operational, Degraded, Down, Maintenance, Gone:
		return true
	}
	return false
}

// Transition says that a service entered Status at At, by the event of
// the service's Version. Versions order a service's transitions; events
// may arrive in any order and more than once.
type Transition struct {
	Version int64
	Status  Status
	At      time.Time
}

// Interval is the time a service spent in the status of one transition:
// from Start until the next transition's Start, or up to now while Open.
//
// Start is the transition's time, or its predecessor's Start if that is
// later: transitions of one service are ordered by version, and a clock
// that went backwards between two of them (reports stamped by different
// processes) does not make time count twice. Starts therefore never
// decrease along versions, and a service's intervals are contiguous.
type Interval struct {
	Version int64
	Status  Status
	// At is the transition's own time, as reported.
	At    time.Time
	Start time.Time
	// End is the next interval's Start; zero while Open.
	End  time.Time
	Open bool
}

// Change is an interval as a transition's arrival changes it: Old is nil
// for the new transition's own interval.
type Change struct {
	Old *Interval
	New Interval
}

// Splice returns the intervals that change when t arrives, given the
// interval of the newest transition before it (prev, nil if none) and
// those after it, in version order, up to and including the first whose
// Start is not before t's time (or all of them). The result is the same
// as building the intervals from every transition in version order, so
// the order of arrival never matters.
func Splice(prev *Interval, t Transition, after []Interval) []Change {
	start := t.At
	if prev != nil && prev.Start.After(start) {
		start = prev.Start
	}
	n := Interval{Version: t.Version, Status: t.Status, At: t.At, Start: start, Open: true}
	// A later transition's Start is the latest time of those up to it, so
	// t raises the Starts before its time to its own and leaves the others.
	starts := make([]time.Time, len(after))
	for i, iv := range after {
		starts[i] = iv.Start
		if starts[i].Before(start) {
			starts[i] = start
		}
	}
	var out []Change
	if prev != nil {
		p := *prev
		p.End, p.Open = start, false
		out = append(out, Change{Old: prev, New: p})
	}
	if len(after) > 0 {
		n.End, n.Open = starts[0], false
	}
	out = append(out, Change{New: n})
	for i := range after {
		old := after[i]
		iv := old
		iv.Start = starts[i]
		if i+1 < len(after) {
			iv.End, iv.Open = starts[i+1], false
		}
		if !iv.same(old) {
			out = append(out, Change{Old: &after[i], New: iv})
		}
	}
	return out
}

// Build returns the intervals of transitions, which must be in version
// order without duplicates: what Splice gives when they arrive in order.
func Build(ts []Transition) []Interval {
	out := make([]Interval, 0, len(ts))
	for i, t := range ts {
		iv := Interval{Version: t.Version, Status: t.Status, At: t.At, Start: t.At, Open: true}
		if i > 0 {
			if p := out[i-1].Start; p.After(iv.Start) {
				iv.Start = p
			}
			out[i-1].End, out[i-1].Open = iv.Start, false
		}
		out = append(out, iv)
	}
	return out
}

// same reports whether two intervals are the same, times compared as
// instants.
func (iv Interval) same(o Interval) bool {
	return iv.Version == o.Version && iv.Status == o.Status && iv.At.Equal(o.At) &&
		iv.Start.Equal(o.Start) && iv.End.Equal(o.End) && iv.Open == o.Open
}

// ServiceEvent is what the SLA service takes from one event of a
// service on STATUS: its creation, a status change, an edit or its
// deletion.
type ServiceEvent struct {
	OrgID     string
	ServiceID string
	Version   int64
	// Name is the service's name as the event has it ("" if it has none).
	Name string
	// Transition is the status the event starts (nil for an edit).
	Transition *Transition
	// Deleted is true for the service's deletion.
	Deleted bool
}
