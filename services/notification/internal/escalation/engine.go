package escalation

import "time"

// State is an alert's escalation as the store keeps it.
type State struct {
	AlertID string
	FiredAt time.Time
	// Done counts the steps notified so far across rounds: step i of
	// round r is the (r·len(Steps) + i + 1)-th.
	Done         int
	Acknowledged bool
	Resolved     bool
}

// Due is a step to notify now.
type Due struct {
	Round, Step int
	// At is when it was due.
	At      time.Time
	Targets []Target
}

// Tick is what an evaluation decides.
type Tick struct {
	// Due are the steps due and not done, in order.
	Due []Due
	// Done is the state's Done once Due are notified.
	Done int
	// Next is when the next step is due; zero when none is left, or the
	// alert is acknowledged or resolved.
	Next time.Time
}

// Evaluate returns the steps of the policy due at now for an alert in
// state s. It is idempotent: evaluating again with the returned Done
// returns nothing new until Next. After a stall longer than a round (a
// worker down), only the latest occurrence of each step is returned:
// paging the same people several times at once helps nobody.
func (p Policy) Evaluate(s State, now time.Time) Tick {
	n := len(p.Steps)
	done := max(s.Done, 0)
	t := Tick{Done: done}
	if s.Acknowledged || s.Resolved || n == 0 {
		return t
	}
	total := n * (p.Repeat + 1)
	pos := done
	for pos < total && !s.FiredAt.Add(p.Offset(pos/n, pos%n)).After(now) {
		pos++
	}
	for q := max(done, pos-n); q < pos; q++ {
		r, i := q/n, q%n
		t.Due = append(t.Due, Due{Round: r, Step: i, At: s.FiredAt.Add(p.Offset(r, i)), Targets: p.Steps[i].Targets})
	}
	t.Done = pos
	if pos < total {
		t.Next = s.FiredAt.Add(p.Offset(pos/n, pos%n))
	}
	return t
}
