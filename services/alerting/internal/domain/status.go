package domain

import "time"

// Status is a service's status as the status service reports it.
type Status string

// The service statuses.
const (
	Operational Status = "operational"
	Degraded    Status = "degraded"
	Down        Status = "down"
	Maintenance Status = "maintenance"
)

// Valid reports whether s is one of the four statuses.
func (s Status) Valid() bool {
	switch s {
	case Operational, Degraded, Down, Maintenance:
		return true
	}
	return false
}

// ChangeKind says what an entry of a service's timeline records.
type ChangeKind string

// The kinds of timeline entries, one per version of the service's events.
const (
	// Created: the service was created with Status (its first version).
	Created ChangeKind = "created"
	// Changed: the status changed from Previous to Status.
	Changed ChangeKind = "changed"
	// Observed: an event that was not a status change (an edit) showed
	// the service with Status since At, set at this version; the status
	// before it is unknown. The StatusChanged of that version replaces it
	// when it arrives.
	Observed ChangeKind = "observed"
	// Edited: the service's name, description or tags changed; its status
	// did not.
	Edited ChangeKind = "edited"
)

// Change is one version of a service, as its events told it.
type Change struct {
	Version  int64
	Kind     ChangeKind
	Status   Status
	Previous Status
	At       time.Time
}

// bearsStatus reports whether the entry says what the status was.
func (c Change) bearsStatus() bool { return c.Kind != Edited }

// Replaces reports whether c, for a version already on the timeline as
// old, tells more than old does: a status change or a creation replaces
// an observation of the same version.
func (c Change) Replaces(old Change) bool {
	return old.Kind == Observed && (c.Kind == Changed || c.Kind == Created)
}

// Service is what the alerting service knows of a service: from the
// STATUS stream's events, and from its own dependencies and SLO events.
type Service struct {
	OrgID string
	ID    string
	Name  string
	Tags  map[string]string
	// Status is the status of the newest version known to bear one.
	Status Status
	// Version is the newest version of its events applied.
	Version int64
	// Deleted is set by its ServiceDeleted event: every alert resolves.
	Deleted bool
	// SLOBurningSince is when one of its SLOs started burning its error
	// budget too fast; zero while none does.
	SLOBurningSince time.Time
}
