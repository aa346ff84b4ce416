package main

import "time"

// result is what drainwatch reports.
type result struct {
	Backlog          uint64  `json:"backlog"`
	Drained          uint64  `json:"drained"`
	Seconds          float64 `json:"seconds"`
	Rate             float64 `json:"rate"`
	FromStartSeconds float64 `json:"from_start_seconds"`
	TimedOut         bool    `json:"timed_out"`
}

// tracker follows the backlog through the samples it is given.
type tracker struct {
	start   time.Time // when watching began
	seen    bool      // a sample came in
	initial uint64    // the first sample's backlog
	last    uint64
	shrunk  time.Time // the first sample below initial
	lastAt  time.Time
}

// observe records a sample and reports whether the backlog is gone.
func (t *tracker) observe(at time.Time, backlog uint64) bool {
	if !t.seen {
		t.seen, t.initial = true, backlog
	}
	if t.shrunk.IsZero() && backlog < t.initial {
		// The first messages went somewhere between the last sample and
		// this one: count from the last sample, the earliest they may have.
		t.shrunk = t.lastAt
		if t.shrunk.IsZero() {
			t.shrunk = at
		}
	}
	t.last, t.lastAt = backlog, at
	return backlog == 0
}

// result summarises the samples so far; timedOut says the watch ended
// before the backlog was gone.
func (t *tracker) result(timedOut bool) result {
	r := result{Backlog: t.initial, Drained: t.initial - min(t.last, t.initial), TimedOut: timedOut}
	if t.seen {
		r.FromStartSeconds = t.lastAt.Sub(t.start).Seconds()
	}
	if !t.shrunk.IsZero() {
		r.Seconds = t.lastAt.Sub(t.shrunk).Seconds()
	}
	if r.Seconds > 0 {
		r.Rate = float64(r.Drained) / r.Seconds
	}
	return r
}
