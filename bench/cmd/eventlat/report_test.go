package main

import (
	"math"
	"testing"
	"time"
)

type fakeEvents map[string]time.Time

func (f fakeEvents) lookup(id string) (time.Time, bool) { t, ok := f[id]; return t, ok }

func TestMeasureMatchesEventsToDeliveries(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	s := &sent{attempts: 103, failed: 1}
	ev := fakeEvents{}
	for i := range 100 {
		id := string(rune('a'+i%26)) + string(rune('a'+i/26))
		s.accepted = append(s.accepted, accepted{id: id, at: t0})
		ev[id] = t0.Add(time.Duration(i+1) * time.Millisecond) // 1..100 ms
	}
	s.accepted = append(s.accepted, accepted{id: "lost", at: t0})
	s.accepted = append(s.accepted, accepted{id: "early", at: t0})
	ev["early"] = t0.Add(-time.Millisecond) // stored before the 202 was read

	rep := measure(s, ev, time.Second)
	if rep.Matched != 101 || rep.Missing != 1 || rep.Sent != 103 || rep.Failed != 1 {
		t.Fatalf("report %+v", rep)
	}
	near := func(got, want float64) bool { return math.Abs(got-want) <= want/100+0.01 }
	if !near(rep.P50Ms, 50) || !near(rep.P99Ms, 99) || !near(rep.MaxMs, 100) {
		t.Fatalf("p50 %v p99 %v max %v, want about 50, 99, 100", rep.P50Ms, rep.P99Ms, rep.MaxMs)
	}
}

func TestSettleStopsOnceEveryEventCame(t *testing.T) {
	t.Parallel()
	s := &sent{accepted: []accepted{{id: "x", at: time.Now()}}}
	start := time.Now()
	rep := settle(s, fakeEvents{"x": time.Now()}, time.Minute)
	if time.Since(start) > 10*time.Second || rep.Matched != 1 {
		t.Fatalf("settle took %v, report %+v", time.Since(start), rep)
	}
}
