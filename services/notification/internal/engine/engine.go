// Package engine is the escalation engine's bookkeeping, without I/O:
// how an alert's events fold into the escalation the engine keeps for it
// (Follow), and what its notifications say (Message). Which steps are due
// and their keys are the escalation package's; the store runs both under
// row locks, the consumer and the scheduler drive them.
//
// An escalation follows the newest version of its alert: every alert
// event carries the whole alert with a version that grows by one per
// change, so an older or repeated event changes nothing, and an
// acknowledgement seen before the group notification that starts the
// escalation still stops it.
package engine

import (
	"cmp"
	"time"

	"github.com/upstatehq/upstate/services/notification/internal/escalation"
)

// Alert is an alert as its newest event tells it.
type Alert struct {
	ID, OrgID string
	// PolicyID is the rule's escalation policy; only a group notification
	// tells it (empty otherwise).
	PolicyID    string
	Version     int64
	FiredAt     time.Time
	RuleName    string
	ServiceID   string
	ServiceName string
	// Severity is "info", "warning" or "critical".
	Severity     string
	Acknowledged bool
	Resolved     bool
}

// Escalation is what the engine keeps of one alert.
type Escalation struct {
	Alert Alert
	// Done counts the steps notified (escalation.State.Done).
	Done int
	// NextAt is when to evaluate the policy again; zero: nothing to do.
	NextAt time.Time
	// Notified are the recipients notified so far (channel ids, or user
	// ids of users reached by email), each once: a resolution is owed to
	// each.
	Notified []string
}

// State is the escalation as the policy arithmetic reads it.
func (e Escalation) State() escalation.State {
	return escalation.State{AlertID: e.Alert.ID, FiredAt: e.Alert.FiredAt, Done: e.Done,
		Acknowledged: e.Alert.Acknowledged, Resolved: e.Alert.Resolved}
}

// Active reports whether the escalation still has a policy to run: it
// knows its policy and firing time and is neither acknowledged nor
// resolved.
func (e Escalation) Active() bool {
	a := e.Alert
	return a.PolicyID != "" && !a.FiredAt.IsZero() && !a.Acknowledged && !a.Resolved
}

// Change says which messages an event owes now.
type Change struct {
	// Acknowledged: the event acknowledges an escalation that was not,
	// and the alert is not resolved (a resolution says more).
	Acknowledged bool
	// Resolved: the event resolves an escalation that was not resolved.
	Resolved bool
}

// Follow folds the alert event a into the escalation cur (nil: the alert
// is new to the engine) at now. The alert's fields follow the newest
// version; the policy and firing time are kept once known, a resolution
// is final. The change says whether the acknowledgements or resolutions
// are owed now. An active escalation is due for evaluation at now
// (evaluating again is harmless: the policy arithmetic only returns steps
// not done yet).
func Follow(cur *Escalation, a Alert, now time.Time) (next Escalation, change Change) {
	if cur == nil {
		next = Escalation{Alert: a}
	} else {
		next = *cur
		if a.Version > cur.Alert.Version {
			next.Alert = a
			next.Alert.Resolved = a.Resolved || cur.Alert.Resolved
		}
		next.Alert.PolicyID = cmp.Or(cur.Alert.PolicyID, a.PolicyID)
		next.Alert.FiredAt = cmp.Or(cur.Alert.FiredAt, next.Alert.FiredAt, a.FiredAt)
		change.Resolved = !cur.Alert.Resolved && next.Alert.Resolved
		change.Acknowledged = !cur.Alert.Acknowledged && next.Alert.Acknowledged && !next.Alert.Resolved
	}
	next.NextAt = time.Time{}
	if next.Active() {
		next.NextAt = now
	}
	return next, change
}
