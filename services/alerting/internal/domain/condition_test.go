package domain

import (
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

func TestRun(t *testing.T) {
	chg := func(v int64, s, prev Status, d time.Duration) Change {
		return Change{Version: v, Kind: Changed, Status: s, Previous: prev, At: at(d)}
	}
	edit := func(v int64) Change { return Change{Version: v, Kind: Edited} }
	tests := []struct {
		name     string
		timeline Timeline
		statuses []Status
		holds    bool
		since    time.Duration
		complete bool
	}{
		{"nothing known", nil, []Status{Down}, false, 0, false},
		{"created down", Timeline{{Version: 1, Kind: Created, Status: Down, At: t0}}, []Status{Down}, true, 0, true},
		{"a change from a status outside the rule", Timeline{chg(5, Down, Operational, time.Minute)}, []Status{Down}, true, time.Minute, true},
		{"first seen mid-run", Timeline{chg(5, Down, Degraded, time.Minute)}, []Status{Down, Degraded}, true, time.Minute, false},
		{"the run followed back through an edit", Timeline{
			chg(3, Degraded, Operational, time.Minute), edit(4), chg(5, Down, Degraded, 2*time.Minute),
		}, []Status{Down, Degraded}, true, time.Minute, true},
		{"a missing version stops the walk", Timeline{
			chg(2, Down, Operational, time.Minute), chg(5, Down, Down, 4*time.Minute),
		}, []Status{Down}, true, 4 * time.Minute, false},
		{"an observation ends the walk incomplete", Timeline{
			{Version: 3, Kind: Observed, Status: Degraded, At: time.Time{}.Add(1)}, chg(4, Down, Degraded, 2*time.Minute),
		}, []Status{Down, Degraded}, true, -1, false},
		{"the newest status outside the rule", Timeline{chg(2, Down, Operational, time.Minute), chg(3, Operational, Down, 2*time.Minute)}, []Status{Down}, false, 0, false},
		{"an edit after the change does not count", Timeline{chg(2, Down, Operational, time.Minute), edit(3)}, []Status{Down}, true, time.Minute, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := Run(tt.timeline.Newest(), tt.statuses)
			want := at(tt.since)
			if tt.since < 0 {
				want = time.Time{}.Add(1)
			}
			if c.Holds != tt.holds || (tt.holds && (!c.Since.Equal(want) || c.Complete != tt.complete)) {
				t.Fatalf("Run = %+v, want holds %v since %v complete %v", c, tt.holds, want, tt.complete)
			}
		})
	}
}

func TestTimelineAdd(t *testing.T) {
	var tl Timeline
	obs := Change{Version: 3, Kind: Observed, Status: Down}
	if !tl.Add(obs) || tl.Add(obs) {
		t.Fatal("an observation is added once")
	}
	real := Change{Version: 3, Kind: Changed, Status: Down, Previous: Degraded}
	if !tl.Add(real) || tl[0].Kind != Changed || tl.Add(obs) || tl.Add(real) {
		t.Fatalf("the change of the version replaces its observation, once: %+v", tl)
	}
}

func TestFlapping(t *testing.T) {
	var steps []step
	for i := range 7 {
		s := Down
		if i%2 == 1 {
			s = Operational
		}
		steps = append(steps, step{time.Duration(i+1) * time.Minute, s})
	}
	tl := changes(steps...)
	if f, _ := Flapping(tl, at(7*time.Minute), 7, 10*time.Minute); f {
		t.Fatal("7 changes flap above a threshold of 7")
	}
	f, until := Flapping(tl, at(7*time.Minute), 6, 10*time.Minute)
	if !f || !until.Equal(at(11*time.Minute)) {
		t.Fatalf("7 changes over 6: flapping %v until %v, want until 11m", f, until)
	}
	if f, _ := Flapping(tl, at(11*time.Minute), 6, 10*time.Minute); f {
		t.Fatal("still flapping once the first change left the window")
	}
}

// Any interleaving of duplicated and re-ordered status events ends in the
// same alert states as delivering them in order: the open alert of each
// rule and service, its state, since when it is active and when it fires.
func TestEvaluateOrderInsensitive(t *testing.T) {
	rules := []Rule{rule(0), rule(3*time.Minute, Down, Degraded), rule(10*time.Minute, Degraded)}
	for i := range rules {
		rules[i].ID = []string{"rul_a", "rul_b", "rul_c"}[i]
		rules[i].Spec.FlapThreshold = 1000 // flapping holds alerts by their history: kept out here
	}
	statuses := []Status{Operational, Degraded, Down, Maintenance}
	for seed := range uint64(2000) {
		rng := rand.New(rand.NewPCG(seed, 7))
		// A service's versions: its creation, then status changes and
		// edits a minute or so apart.
		var events Timeline
		cur, v, now := Operational, int64(1), t0
		curVersion, curAt := v, now
		events = append(events, Change{Version: 1, Kind: Created, Status: cur, At: now})
		for range 2 + rng.IntN(12) {
			v++
			now = now.Add(time.Duration(1+rng.IntN(240)) * time.Second)
			if rng.IntN(5) == 0 {
				events = append(events, Change{Version: v, Kind: Edited, At: now})
				if rng.IntN(2) == 0 { // an edit's event shows the status it found
					events = append(events, Change{Version: curVersion, Kind: Observed, Status: cur, At: curAt})
				}
				continue
			}
			next := statuses[rng.IntN(len(statuses))]
			for next == cur {
				next = statuses[rng.IntN(len(statuses))]
			}
			events = append(events, Change{Version: v, Kind: Changed, Status: next, Previous: cur, At: now})
			cur, curVersion, curAt = next, v, now
		}
		end := now.Add(time.Duration(rng.IntN(15)) * time.Minute)

		inOrder := deliver(rules, events, func(c Change) time.Time { return c.At }, end)
		shuffled := slices.Clone(events)
		for range len(events) / 2 { // duplicates
			shuffled = append(shuffled, events[rng.IntN(len(events))])
		}
		rng.Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
		// Delivered late, in that order, at times growing to the end.
		times := map[int]time.Time{}
		for i := range shuffled {
			times[i] = now.Add(end.Sub(now) * time.Duration(i) / time.Duration(len(shuffled)))
		}
		i := -1
		got := deliver(rules, shuffled, func(Change) time.Time { i++; return times[i] }, end)
		for _, r := range rules {
			w, g := inOrder[r.ID], got[r.ID]
			if (w == nil) != (g == nil) || (w != nil && (w.State != g.State || !w.ActiveSince.Equal(g.ActiveSince) || !w.FiresAt.Equal(g.FiresAt))) {
				t.Fatalf("seed %d, rule %s: in order %+v, shuffled %+v\nevents %+v", seed, r.ID, w, g, events)
			}
		}
	}
}

// deliver applies events one by one as the store does (the timeline, then
// every rule evaluated at the delivery's time), then evaluates at end,
// and returns each rule's open alert.
func deliver(rules []Rule, events []Change, when func(Change) time.Time, end time.Time) map[string]*Alert {
	var tl Timeline
	open := map[string]*Alert{}
	newID := ids()
	eval := func(now time.Time) {
		for _, r := range rules {
			out := Evaluate(Input{Rule: r, Service: checkout, Timeline: tl.Newest(), Now: now}, open[r.ID], newID)
			if out.Ended != nil && out.Ended.Open() {
				panic("an ended alert is open")
			}
			open[r.ID] = out.Alert
			if out.Alert != nil && !out.Alert.Open() {
				delete(open, r.ID)
			}
		}
	}
	last := t0
	for _, e := range events {
		now := when(e)
		if now.Before(last) {
			now = last
		}
		last = now
		if tl.Add(e) {
			eval(now)
		}
	}
	eval(end)
	return open
}
