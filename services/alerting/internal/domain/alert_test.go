package domain

import (
	"fmt"
	"testing"
	"time"
)

var t0 = time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)

func at(d time.Duration) time.Time { return t0.Add(d) }

// rule returns a rule selecting every service, holding on statuses, with
// for d.
func rule(d time.Duration, statuses ...Status) Rule {
	spec := DefaultSpec()
	spec.Name, spec.Selector, spec.For = "checkout down", Selector{All: true}, d
	if len(statuses) > 0 {
		spec.Statuses = statuses
	}
	return Rule{ID: "rul_1", OrgID: "org_1", Spec: spec}
}

var checkout = Service{OrgID: "org_1", ID: "svc_1", Name: "Checkout", Tags: map[string]string{"team": "payments"}}

// changes builds a timeline, newest first, from changes given oldest
// first: version 1 is the creation as operational at t0, each later one a
// status change at its offset.
func changes(steps ...step) []Change {
	tl := Timeline{{Version: 1, Kind: Created, Status: Operational, At: t0}}
	prev := Operational
	for i, s := range steps {
		tl = append(tl, Change{Version: int64(i + 2), Kind: Changed, Status: s.status, Previous: prev, At: at(s.at)})
		prev = s.status
	}
	return tl.Newest()
}

type step struct {
	at     time.Duration
	status Status
}

func ids() func() string {
	n := 0
	return func() string { n++; return fmt.Sprintf("alt_%d", n) }
}

func TestEvaluate(t *testing.T) {
	firing := func(since time.Duration) *Alert {
		return &Alert{ID: "alt_0", OrgID: "org_1", RuleID: "rul_1", ServiceID: "svc_1", State: Firing,
			ActiveSince: at(since), FiresAt: at(since + 2*time.Minute), FiredAt: at(since + 2*time.Minute), Version: 2}
	}
	pending := func(since time.Duration) *Alert {
		return &Alert{ID: "alt_0", OrgID: "org_1", RuleID: "rul_1", ServiceID: "svc_1", State: Pending,
			ActiveSince: at(since), FiresAt: at(since + 2*time.Minute), Version: 1}
	}
	flappy := []step{}
	for i := range 8 {
		s := Down
		if i%2 == 1 {
			s = Operational
		}
		flappy = append(flappy, step{time.Duration(i+1) * time.Minute, s})
	}
	tests := []struct {
		name     string
		rule     Rule
		timeline []Change
		current  *Alert
		gone     string
		now      time.Duration
		// want: the state afterwards ("" no alert), since, fired/resolved events, next evaluation
		state           State
		since           time.Duration
		fired, resolved bool
		next            time.Duration
		flapping        bool
		wantEntry       EntryKind
	}{
		{name: "operational raises nothing", rule: rule(2 * time.Minute), timeline: changes(), now: time.Minute},
		{name: "down raises a pending alert until for", rule: rule(2 * time.Minute), timeline: changes(step{time.Minute, Down}),
			now: time.Minute, state: Pending, since: time.Minute, next: 3 * time.Minute, wantEntry: EntryPending},
		{name: "for 0 fires at once", rule: rule(0), timeline: changes(step{time.Minute, Down}),
			now: time.Minute, state: Firing, since: time.Minute, fired: true, wantEntry: EntryFiring},
		{name: "pending fires once for has elapsed", rule: rule(2 * time.Minute), timeline: changes(step{time.Minute, Down}),
			current: pending(time.Minute), now: 3 * time.Minute, state: Firing, since: time.Minute, fired: true, wantEntry: EntryFiring},
		{name: "pending stays pending before for", rule: rule(2 * time.Minute), timeline: changes(step{time.Minute, Down}),
			current: pending(time.Minute), now: 2 * time.Minute, state: Pending, since: time.Minute, next: 3 * time.Minute},
		{name: "a late event fires at once when for has long passed", rule: rule(2 * time.Minute), timeline: changes(step{time.Minute, Down}),
			now: 10 * time.Minute, state: Firing, since: time.Minute, fired: true, wantEntry: EntryFiring},
		{name: "recovering before for never fires", rule: rule(2 * time.Minute),
			timeline: changes(step{time.Minute, Down}, step{2 * time.Minute, Operational}),
			current:  pending(time.Minute), now: 2 * time.Minute, state: Resolved, since: time.Minute, wantEntry: EntryResolved},
		{name: "firing resolves on recovery", rule: rule(2 * time.Minute),
			timeline: changes(step{time.Minute, Down}, step{5 * time.Minute, Operational}),
			current:  firing(time.Minute), now: 5 * time.Minute, state: Resolved, since: time.Minute, resolved: true, wantEntry: EntryResolved},
		{name: "degraded to down keeps the run of a rule holding on both", rule: rule(2*time.Minute, Degraded, Down),
			timeline: changes(step{time.Minute, Degraded}, step{2 * time.Minute, Down}),
			now:      2 * time.Minute, state: Pending, since: time.Minute, next: 3 * time.Minute, wantEntry: EntryPending},
		{name: "degraded to down starts the run of a rule on down", rule: rule(2*time.Minute, Down),
			timeline: changes(step{time.Minute, Degraded}, step{2 * time.Minute, Down}),
			now:      2 * time.Minute, state: Pending, since: 2 * time.Minute, next: 4 * time.Minute, wantEntry: EntryPending},
		{name: "maintenance is not down", rule: rule(0), timeline: changes(step{time.Minute, Maintenance}), now: time.Minute},
		{name: "a deleted rule resolves its firing alert", rule: rule(0), timeline: changes(step{time.Minute, Down}),
			current: firing(time.Minute), gone: NoteRuleDeleted, now: 5 * time.Minute, state: Resolved, since: time.Minute, resolved: true, wantEntry: EntryResolved},
		{name: "flapping keeps a firing alert firing", rule: rule(0), timeline: changes(flappy...),
			current: firing(time.Minute), now: 8 * time.Minute, state: Firing, since: time.Minute, flapping: true,
			next: 12 * time.Minute, wantEntry: EntryFlapping},
		{name: "a stable service's flapping alert resolves", rule: rule(0), timeline: changes(flappy...),
			current: func() *Alert { a := firing(time.Minute); a.Flapping = true; return a }(), now: 20 * time.Minute,
			state: Resolved, since: time.Minute, resolved: true, wantEntry: EntryResolved},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := Evaluate(Input{Rule: tt.rule, Service: checkout, Timeline: tt.timeline, Gone: tt.gone, Now: at(tt.now)}, tt.current, ids())
			if tt.state == "" {
				if out.Alert != nil || out.Changed {
					t.Fatalf("raised %+v", out.Alert)
				}
				return
			}
			a := out.Alert
			if a == nil || a.State != tt.state || !a.ActiveSince.Equal(at(tt.since)) || a.Flapping != tt.flapping {
				t.Fatalf("alert = %+v, want %s since %s, flapping %v", a, tt.state, tt.since, tt.flapping)
			}
			if out.Fired != tt.fired || out.Resolved != tt.resolved {
				t.Fatalf("fired %v resolved %v, want %v %v", out.Fired, out.Resolved, tt.fired, tt.resolved)
			}
			if want := at(tt.next); (tt.next == 0) != out.NextEval.IsZero() || (tt.next != 0 && !out.NextEval.Equal(want)) {
				t.Fatalf("next evaluation %v, want %v", out.NextEval, tt.next)
			}
			if tt.wantEntry != "" {
				if len(a.History) == 0 || a.History[len(a.History)-1].Kind != tt.wantEntry || !out.Changed {
					t.Fatalf("history %+v, changed %v; want a %s entry", a.History, out.Changed, tt.wantEntry)
				}
			}
			if (tt.current != nil) && out.Changed && a.Version != tt.current.Version+1 {
				t.Fatalf("version %d after %d", a.Version, tt.current.Version)
			}
			if tt.gone == "" && (a.Labels[LabelService] != "svc_1" || a.Labels["team"] != "payments" || a.GroupKey == "") {
				t.Fatalf("labels %v group %q", a.Labels, a.GroupKey)
			}
		})
	}
}

// Evaluating again with nothing new changes nothing: a batch retried or a
// duplicate event writes nothing and announces nothing.
func TestEvaluateIsIdempotent(t *testing.T) {
	r := rule(2 * time.Minute)
	tl := changes(step{time.Minute, Down})
	in := Input{Rule: r, Service: checkout, Timeline: tl, Now: at(5 * time.Minute)}
	first := Evaluate(in, nil, ids())
	if !first.Fired {
		t.Fatalf("first = %+v", first)
	}
	again := Evaluate(in, first.Alert, ids())
	if again.Changed || again.Fired || again.Resolved || again.Alert.Version != first.Alert.Version {
		t.Fatalf("again = %+v", again)
	}
}

func TestAcknowledge(t *testing.T) {
	a := Alert{ID: "alt_1", State: Firing, Version: 3}
	acked, err := a.Acknowledge("key_1", "on it", at(time.Minute))
	if err != nil || acked.AckedBy != "key_1" || acked.AckNote != "on it" || acked.Version != 4 || len(acked.NewEntries()) != 1 {
		t.Fatalf("ack = %+v, %v", acked, err)
	}
	un, changed, err := acked.Unacknowledge("key_2", at(2*time.Minute))
	if err != nil || !changed || un.Acknowledged() || un.Version != 5 || un.History[1].Kind != EntryUnacknowledged {
		t.Fatalf("unack = %+v, %v, %v", un, changed, err)
	}
	if _, changed, err := un.Unacknowledge("key_2", at(3*time.Minute)); changed || err != nil {
		t.Fatalf("unack of an alert nobody acknowledged = %v, %v", changed, err)
	}
	a.State = Resolved
	if _, err := a.Acknowledge("key_1", "", at(time.Minute)); err == nil {
		t.Fatal("acknowledged a resolved alert")
	}
}
