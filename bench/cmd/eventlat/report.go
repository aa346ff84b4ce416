package main

import (
	"time"

	"github.com/upstatehq/upstate/bench/internal/latency"
)

// report is what eventlat prints.
type report struct {
	Rate      float64 `json:"rate"`
	Sent      uint64  `json:"sent"`
	Failed    uint64  `json:"failed"`
	FirstErr  string  `json:"first_error,omitempty"`
	Matched   uint64  `json:"matched"`
	Missing   uint64  `json:"missing"`
	P50Ms     float64 `json:"p50_ms"`
	P99Ms     float64 `json:"p99_ms"`
	MaxMs     float64 `json:"max_ms"`
	SettleMs  float64 `json:"settle_ms"`
	AcceptedN int     `json:"accepted"`
}

// lookup finds when a delivery's event was stored.
type lookup interface {
	lookup(id string) (time.Time, bool)
}

// settle waits up to timeout for every accepted delivery's event, then
// measures the latencies of those that came.
func settle(s *sent, ev lookup, timeout time.Duration) report {
	start := time.Now()
	for {
		missing := 0
		for _, a := range s.accepted {
			if _, ok := ev.lookup(a.id); !ok {
				missing++
			}
		}
		if missing == 0 || time.Since(start) >= timeout {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	return measure(s, ev, time.Since(start))
}

// measure computes the report from what was sent and the events seen.
func measure(s *sent, ev lookup, settled time.Duration) report {
	var h latency.Histogram
	rep := report{Sent: s.attempts, Failed: s.failed, FirstErr: s.firstErr, AcceptedN: len(s.accepted),
		SettleMs: ms(settled)}
	for _, a := range s.accepted {
		at, ok := ev.lookup(a.id)
		if !ok {
			rep.Missing++
			continue
		}
		rep.Matched++
		// The stream may store the event before the client has read the
		// 202: that is no latency at all.
		h.Record(max(at.Sub(a.at), 0))
	}
	rep.P50Ms, rep.P99Ms, rep.MaxMs = ms(h.Quantile(0.5)), ms(h.Quantile(0.99)), ms(h.Max())
	return rep
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
