package domain

import "time"

// Step is what the scheduler does next to a maintenance window.
type Step int

// The scheduler's steps.
const (
	// StepNone: nothing is due.
	StepNone Step = iota
	// StepStart: the window's start is past: its services enter
	// maintenance, and it is in progress (Started).
	StepStart
	// StepEnd: the window's end is past: its services leave maintenance,
	// and it is completed (Ended).
	StepEnd
)

// NextStep returns what is due on the window at now. A scheduled window
// whose end is past too ends without starting: its whole time passed while
// no scheduler ran (or its start kept failing), and putting its services in
// maintenance now would only announce it after the fact. Its end gives
// back whatever a start that failed halfway holds.
func (m Maintenance) NextStep(now time.Time) Step {
	switch {
	case m.Status == Scheduled && !m.EndsAt.After(now):
		return StepEnd
	case m.Status == Scheduled && !m.StartsAt.After(now):
		return StepStart
	case m.Status == InProgress && !m.EndsAt.After(now):
		return StepEnd
	}
	return StepNone
}

// Started returns the window in progress from now, once its services
// entered maintenance.
func (m Maintenance) Started(now time.Time) Maintenance {
	m.Status, m.StartedAt, m.UpdatedAt = InProgress, now, now
	m.Version++
	return m
}

// Ended returns the window completed at now, once its services left
// maintenance; never before its start, whatever the clocks of replicas say.
func (m Maintenance) Ended(now time.Time) Maintenance {
	m.Status, m.EndedAt, m.UpdatedAt = Completed, latest(now, m.StartedAt), now
	m.Version++
	return m
}

// Cancellation is how cancelling a window goes.
type Cancellation struct {
	// Moved, when set, is the window in progress with its end brought
	// forward to now, saved before its services leave, so that if giving
	// one back fails the scheduler finishes the end rather than the
	// original schedule hours later.
	Moved *Maintenance
	// After is the window once its services left: completed if it was in
	// progress, cancelled if it had not started (normally nothing is held
	// yet, but a start that failed halfway may hold some services already).
	After Maintenance
}

// Cancel returns how cancelling the window at now goes: one in progress
// ends now, one scheduled is cancelled, a finished one cannot be.
func (m Maintenance) Cancel(now time.Time) (Cancellation, error) {
	switch m.Status {
	case InProgress:
		var c Cancellation
		if now.Before(m.EndsAt) {
			// Never before its start: clocks of replicas differ a little.
			moved := m
			moved.EndsAt, moved.UpdatedAt = latest(now, m.StartsAt.Add(time.Microsecond)), now
			moved.Version++
			c.Moved, m = &moved, moved
		}
		c.After = m.Ended(now)
		return c, nil
	case Scheduled:
		after := m.Ended(now)
		after.Status = Cancelled
		return Cancellation{After: after}, nil
	}
	return Cancellation{}, &TransitionError{Reason: "the maintenance is already " + string(m.Status)}
}

func latest(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}
