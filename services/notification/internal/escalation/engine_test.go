package escalation

import (
	"fmt"
	"slices"
	"testing"
	"time"
)

var fired = time.Date(2026, 12, 3, 14, 0, 0, 0, time.UTC)

// clock reads "mm:ss" after the firing.
func clock(tb testing.TB, s string) time.Time {
	tb.Helper()
	var m, sec int
	if _, err := fmt.Sscanf(s, "%d:%d", &m, &sec); err != nil {
		tb.Fatalf("clock %q: %v", s, err)
	}
	return fired.Add(time.Duration(m)*time.Minute + time.Duration(sec)*time.Second)
}

// renderDue writes a due step as "r<round>s<step>@mm:ss".
func renderDue(d Due) string {
	off := d.At.Sub(fired)
	return fmt.Sprintf("r%ds%d@%02d:%02d", d.Round, d.Step, int(off.Minutes()), int(off.Seconds())%60)
}

func TestEvaluate(t *testing.T) {
	t.Parallel()
	oneStep := Policy{Steps: []Step{{After: 5 * time.Minute, Targets: []Target{{UserID: "usr_1"}}}}, Repeat: 2}
	tests := []struct {
		name     string
		policy   Policy
		state    State
		now      string
		want     []string
		wantDone int
		wantNext string // "" none
	}{
		{"the first step at the firing", threeSteps(0), State{}, "00:00", []string{"r0s0@00:00"}, 1, "05:00"},
		{"nothing before the next step", threeSteps(0), State{Done: 1}, "04:59", nil, 1, "05:00"},
		{"the second step on time", threeSteps(0), State{Done: 1}, "05:00", []string{"r0s1@05:00"}, 2, "10:00"},
		{"a late evaluation catches up", threeSteps(0), State{Done: 1}, "12:00", []string{"r0s1@05:00", "r0s2@10:00"}, 3, ""},
		{"all done without repeat", threeSteps(0), State{Done: 3}, "59:00", nil, 3, ""},
		{"acknowledged stops it", threeSteps(0), State{Done: 1, Acknowledged: true}, "12:00", nil, 1, ""},
		{"resolved stops it", threeSteps(3), State{Done: 2, Resolved: true}, "30:00", nil, 2, ""},
		{"a repeat starts over after the last gap", threeSteps(1), State{Done: 3}, "15:00", []string{"r1s0@15:00"}, 4, "20:00"},
		{"the last step of the last round", threeSteps(1), State{Done: 5}, "25:00", []string{"r1s2@25:00"}, 6, ""},
		{"a stall of rounds notifies each step once", threeSteps(2), State{Done: 1}, "60:00", []string{"r2s0@30:00", "r2s1@35:00", "r2s2@40:00"}, 9, ""},
		{"a stall of part of a round", threeSteps(2), State{Done: 2}, "21:00", []string{"r0s2@10:00", "r1s0@15:00", "r1s1@20:00"}, 5, "25:00"},
		{"one step repeats every after", oneStep, State{Done: 1}, "10:00", []string{"r1s0@10:00"}, 2, "15:00"},
		{"one step, before it", oneStep, State{}, "04:00", nil, 0, "05:00"},
		{"a negative done is none", threeSteps(0), State{Done: -4}, "00:00", []string{"r0s0@00:00"}, 1, "05:00"},
		{"a done past the end", threeSteps(0), State{Done: 7}, "00:00", nil, 7, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if err := tt.policy.Validate(); err != nil {
				t.Fatal(err)
			}
			st := tt.state
			st.AlertID, st.FiredAt = "alt_1", fired
			tick := tt.policy.Evaluate(st, clock(t, tt.now))
			var got []string
			for _, d := range tick.Due {
				got = append(got, renderDue(d))
				if !slices.Equal(d.Targets, tt.policy.Steps[d.Step].Targets) {
					t.Errorf("%s has the targets %v", renderDue(d), d.Targets)
				}
			}
			if !slices.Equal(got, tt.want) || tick.Done != tt.wantDone {
				t.Fatalf("Evaluate = %q, done %d; want %q, done %d", got, tick.Done, tt.want, tt.wantDone)
			}
			wantNext := time.Time{}
			if tt.wantNext != "" {
				wantNext = clock(t, tt.wantNext)
			}
			if !tick.Next.Equal(wantNext) {
				t.Fatalf("Next = %s, want %s", tick.Next, wantNext)
			}
		})
	}
}

// TestEvaluateTicking evaluates as a worker does, carrying Done forward:
// every step of every round comes exactly once, at the first tick at or
// after it is due, and never before; Next is never in the past.
func TestEvaluateTicking(t *testing.T) {
	t.Parallel()
	for _, p := range []Policy{threeSteps(2), {Steps: []Step{{After: 90 * time.Second}, {After: 7 * time.Minute}}, Repeat: 3}} {
		st := State{AlertID: "alt_1", FiredAt: fired}
		var got []Due
		var seenAt []time.Time
		for now := fired; now.Before(fired.Add(3 * time.Hour)); now = now.Add(20 * time.Second) {
			tick := p.Evaluate(st, now)
			for _, d := range tick.Due {
				if d.At.After(now) || now.Sub(d.At) >= 20*time.Second {
					t.Fatalf("%s returned at %s", renderDue(d), now.Sub(fired))
				}
				got = append(got, d)
				seenAt = append(seenAt, now)
			}
			if !tick.Next.IsZero() && !tick.Next.After(now) {
				t.Fatalf("Next %s is not after now %s", tick.Next, now)
			}
			st.Done = tick.Done
		}
		n := len(p.Steps)
		if len(got) != n*(p.Repeat+1) {
			t.Fatalf("%d notifications, want %d", len(got), n*(p.Repeat+1))
		}
		for q, d := range got {
			if d.Round != q/n || d.Step != q%n || !d.At.Equal(fired.Add(p.Offset(q/n, q%n))) {
				t.Fatalf("notification %d is %s", q, renderDue(d))
			}
			if q > 0 && !got[q-1].At.Before(d.At) {
				t.Fatalf("%s not after %s", renderDue(d), renderDue(got[q-1]))
			}
		}
	}
}
