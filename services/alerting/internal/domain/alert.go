package domain

import (
	"maps"
	"time"
)

// State is where an alert stands.
type State string

// The alert states.
const (
	Pending  State = "pending"
	Firing   State = "firing"
	Resolved State = "resolved"
)

// Valid reports whether s is one of the states.
func (s State) Valid() bool { return s == Pending || s == Firing || s == Resolved }

// EntryKind is what an entry of an alert's history records.
type EntryKind string

// The kinds of history entries.
const (
	EntryPending        EntryKind = "pending"
	EntryFiring         EntryKind = "firing"
	EntryAcknowledged   EntryKind = "acknowledged"
	EntryUnacknowledged EntryKind = "unacknowledged"
	EntryResolved       EntryKind = "resolved"
	EntryNotified       EntryKind = "notified"
	EntryFlapping       EntryKind = "flapping"
	EntryStable         EntryKind = "stable"
)

// Entry is one entry of an alert's history.
type Entry struct {
	At    time.Time
	Kind  EntryKind
	Actor string
	Note  string
}

// System is the actor of what the service does by itself.
const System = "system"

// Alert is one rule's alert on one service. A rule and a service have at
// most one open (pending or firing) alert; once resolved, the next time
// the condition holds raises a new one.
type Alert struct {
	ID, OrgID   string
	RuleID      string
	RuleName    string
	ServiceID   string
	ServiceName string
	State       State
	Severity    Severity
	Labels      map[string]string
	// GroupKey names its notification group (GroupKey).
	GroupKey string
	// ActiveSince is when the condition started holding; FiresAt is
	// ActiveSince plus the rule's For.
	ActiveSince time.Time
	FiresAt     time.Time
	// FiredAt, ResolvedAt and AckedAt are zero until they happen.
	FiredAt        time.Time
	ResolvedAt     time.Time
	AckedBy        string
	AckedAt        time.Time
	AckNote        string
	Flapping       bool
	CreatedAt      time.Time
	UpdatedAt      time.Time
	Version        int64
	History        []Entry
	SilencedBy     []string
	InhibitedBy    []string
	GroupID        string
	lastEntryCount int
}

// Open reports whether the alert is pending or firing.
func (a Alert) Open() bool { return a.State != Resolved }

// Acknowledged reports whether someone acknowledged it.
func (a Alert) Acknowledged() bool { return a.AckedBy != "" }

// NewEntries are the history entries added since the alert was read
// (MarkSaved), to be written.
func (a Alert) NewEntries() []Entry { return a.History[a.lastEntryCount:] }

// MarkSaved records that the history up to now is stored.
func (a *Alert) MarkSaved() { a.lastEntryCount = len(a.History) }

func (a *Alert) add(e Entry) { a.History = append(a.History, e) }

// Why an alert resolves, in its history's note.
const (
	NoteRecovered      = "the service left the rule's statuses"
	NoteRecoveredEarly = "the service left the rule's statuses before for elapsed"
	NoteRuleDeleted    = "the rule was deleted"
	NoteDeselected     = "the rule no longer selects the service"
	NoteServiceGone    = "the service was deleted"
)

// Input is what the evaluation of a rule on a service looks at.
type Input struct {
	Rule    Rule
	Service Service
	// Timeline is the service's known versions, newest first.
	Timeline []Change
	// Gone, when not empty, says why the rule no longer applies to the
	// service (NoteRuleDeleted, NoteDeselected, NoteServiceGone): an open
	// alert resolves whatever the status.
	Gone string
	Now  time.Time
}

// Outcome is what an evaluation did.
type Outcome struct {
	// Alert is the alert afterwards; nil when there is none (the
	// condition does not hold and no alert was open).
	Alert *Alert
	// Changed is set when Alert differs from the one given (or is new).
	Changed bool
	// Fired and Resolved are set when the alert fired, or resolved after
	// firing: the events to publish.
	Fired, Resolved bool
	// NextEval is when the evaluation may give another answer with no new
	// event (the alert fires, or its service stops flapping); zero: never.
	NextEval time.Time
	// Ended is the alert given, resolved, when the timeline shows that its
	// run of statuses ended before the one the condition holds in now
	// started (the events in between arrived late): Alert is then the new
	// run's alert. EndedFired is set when Ended had fired, so that its
	// resolution is announced.
	Ended      *Alert
	EndedFired bool
}

// Evaluate runs the state machine of the rule's alert on the service:
// current is its open alert (nil: none), newID names a new one.
//
//   - The condition (Run, or an SLO burning for rules that include SLO
//     events) starting to hold raises a pending alert, active since it
//     started; it fires once it has held for the rule's For (at once for
//     0), then or at a later evaluation (NextEval says when).
//   - A pending alert whose condition stops holding resolves without
//     having fired: nothing to announce. A firing one resolves and is
//     announced, unless its service is flapping (Flapping): it then stays
//     firing until the service is stable again, and is marked flapping
//     meanwhile so that its notifications are held.
//   - A rule deleted or no longer selecting the service, or a service
//     deleted (in.Gone), resolves the alert whatever the status.
//
// The result depends only on its inputs, so that replaying it (a batch
// retried, a duplicate event) changes nothing.
func Evaluate(in Input, current *Alert, newID func() string) Outcome {
	var cond Condition
	if in.Gone == "" {
		cond = condition(in)
	}
	var out Outcome
	if current != nil && cond.Holds && cond.Complete && current.ActiveSince.Before(cond.Since) {
		ended := *current
		ended.History = append([]Entry(nil), current.History...)
		out.EndedFired = ended.State == Firing
		ended.resolve(in.Now, NoteRecovered)
		ended.Version++
		ended.UpdatedAt = in.Now
		out.Ended, current = &ended, nil
	}
	if current == nil {
		if !cond.Holds {
			return out
		}
		a := Alert{
			ID: newID(), OrgID: in.Service.OrgID, RuleID: in.Rule.ID, ServiceID: in.Service.ID,
			State: Pending, ActiveSince: cond.Since, CreatedAt: in.Now, Version: 0,
		}
		a.add(Entry{At: cond.Since, Kind: EntryPending, Actor: System})
		current, out.Changed = &a, true
	} else {
		c := *current
		c.History = append([]Entry(nil), current.History...)
		current = &c
	}
	a := current
	before := *a
	if in.Gone == "" {
		a.RuleName, a.ServiceName, a.Severity = in.Rule.Spec.Name, in.Service.Name, in.Rule.Spec.Severity
		labels := AlertLabels(in.Rule, in.Service)
		if !maps.Equal(labels, a.Labels) {
			a.Labels, out.Changed = labels, true
		}
		a.GroupKey = GroupKey(in.Rule.ID, in.Rule.Spec.GroupBy, GroupLabels(in.Rule.Spec, labels))
	}
	if cond.Holds {
		if !cond.Complete && a.ActiveSince.Before(cond.Since) {
			cond.Since = a.ActiveSince
		}
		a.ActiveSince = cond.Since
		a.FiresAt = cond.Since.Add(in.Rule.Spec.For)
	}
	switch a.State {
	case Pending:
		switch {
		case !cond.Holds:
			a.resolve(in.Now, orNote(in.Gone, NoteRecoveredEarly))
		case !in.Now.Before(a.FiresAt):
			a.State, a.FiredAt = Firing, in.Now
			a.add(Entry{At: in.Now, Kind: EntryFiring, Actor: System})
			out.Fired = true
		default:
			out.NextEval = a.FiresAt
		}
	case Firing:
		flapping, until := false, time.Time{}
		if in.Gone == "" {
			flapping, until = Flapping(in.Timeline, in.Now, in.Rule.Spec.FlapThreshold, in.Rule.Spec.FlapWindow)
		}
		if flapping != a.Flapping {
			a.Flapping = flapping
			kind := EntryStable
			if flapping {
				kind = EntryFlapping
			}
			a.add(Entry{At: in.Now, Kind: kind, Actor: System})
		}
		switch {
		case flapping:
			out.NextEval = until
		case !cond.Holds:
			a.resolve(in.Now, orNote(in.Gone, NoteRecovered))
			out.Resolved = true
		}
	}
	if out.Changed || !sameAlert(before, *a) {
		out.Changed = true
		a.Version++
		a.UpdatedAt = in.Now
	}
	out.Alert = a
	return out
}

// condition is whether the rule's condition holds on the service: one of
// its statuses, or for a rule including SLO events an SLO burning.
func condition(in Input) Condition {
	c := Run(in.Timeline, in.Rule.Spec.Statuses)
	if in.Rule.Spec.IncludeSLOEvents && !in.Service.SLOBurningSince.IsZero() {
		slo := in.Service.SLOBurningSince
		if !c.Holds || slo.Before(c.Since) {
			return Condition{Holds: true, Since: slo, Complete: true}
		}
	}
	return c
}

func (a *Alert) resolve(at time.Time, note string) {
	a.State, a.ResolvedAt, a.Flapping = Resolved, at, false
	a.add(Entry{At: at, Kind: EntryResolved, Actor: System, Note: note})
}

func orNote(gone, note string) string {
	if gone != "" {
		return gone
	}
	return note
}

// sameAlert compares what an evaluation may change.
func sameAlert(a, b Alert) bool {
	return a.State == b.State && a.RuleName == b.RuleName && a.ServiceName == b.ServiceName &&
		a.Severity == b.Severity && a.GroupKey == b.GroupKey && a.ActiveSince.Equal(b.ActiveSince) &&
		a.FiresAt.Equal(b.FiresAt) && a.Flapping == b.Flapping && len(a.History) == len(b.History)
}

// Acknowledge records that actor takes care of the open alert at now.
// Acknowledging an alert already acknowledged replaces who and the note.
func (a Alert) Acknowledge(actor, note string, now time.Time) (Alert, error) {
	if !a.Open() {
		return a, &TransitionError{Reason: "the alert is resolved; there is nothing to acknowledge"}
	}
	a.History = append([]Entry(nil), a.History...)
	a.AckedBy, a.AckedAt, a.AckNote = actor, now, note
	a.add(Entry{At: now, Kind: EntryAcknowledged, Actor: actor, Note: note})
	a.Version++
	a.UpdatedAt = now
	return a, nil
}

// Unacknowledge takes an acknowledgement back; an alert nobody
// acknowledged is left as it is (changed is false).
func (a Alert) Unacknowledge(actor string, now time.Time) (after Alert, changed bool, err error) {
	if !a.Acknowledged() {
		return a, false, nil
	}
	if !a.Open() {
		return a, false, &TransitionError{Reason: "the alert is resolved; its acknowledgement stays"}
	}
	a.History = append([]Entry(nil), a.History...)
	a.AckedBy, a.AckedAt, a.AckNote = "", time.Time{}, ""
	a.add(Entry{At: now, Kind: EntryUnacknowledged, Actor: actor})
	a.Version++
	a.UpdatedAt = now
	return a, true, nil
}
