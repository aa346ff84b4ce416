package domain

import (
	"slices"
	"strings"
	"time"
)

// MaintenanceStatus is where a maintenance window stands.
type MaintenanceStatus string

// The statuses of a maintenance window.
const (
	Scheduled  MaintenanceStatus = "scheduled"
	InProgress MaintenanceStatus = "in_progress"
	Completed  MaintenanceStatus = "completed"
	Cancelled  MaintenanceStatus = "cancelled"
)

// Maintenance is a scheduled maintenance window.
type Maintenance struct {
	ID         string
	OrgID      string
	Title      string
	Message    string
	ServiceIDs []string
	StartsAt   time.Time
	EndsAt     time.Time
	Status     MaintenanceStatus
	// StartedAt and EndedAt are zero until the window starts and ends.
	StartedAt time.Time
	EndedAt   time.Time
	CreatedAt time.Time
	UpdatedAt time.Time
	Version   int64
}

// Finished reports whether the window completed or was cancelled.
func (m Maintenance) Finished() bool { return m.Status == Completed || m.Status == Cancelled }

// Due reports whether the scheduler has work on the window at t: to start
// it, or to end it.
func (m Maintenance) Due(t time.Time) bool {
	return (m.Status == Scheduled && !m.StartsAt.After(t)) || (m.Status == InProgress && !m.EndsAt.After(t))
}

// NewMaintenance is a window to schedule.
type NewMaintenance struct {
	Title      string
	Message    string
	ServiceIDs []string
	StartsAt   time.Time
	EndsAt     time.Time
}

// Validate checks a new window at time now: a start in the past starts it
// at once, but its end must still be ahead.
func (n *NewMaintenance) Validate(now time.Time) error {
	n.Title = strings.TrimSpace(n.Title)
	if err := validateTitle(n.Title); err != nil {
		return err
	}
	if err := validateMessage(n.Message); err != nil {
		return err
	}
	ids, err := normalizeServiceIDs(n.ServiceIDs, 1)
	if err != nil {
		return err
	}
	n.ServiceIDs = ids
	return validateWindow(n.StartsAt, n.EndsAt, now, true)
}

// Schedule returns the window n describes, created at t.
func (n NewMaintenance) Schedule(id, orgID string, t time.Time) Maintenance {
	return Maintenance{
		ID: id, OrgID: orgID, Title: n.Title, Message: n.Message, ServiceIDs: n.ServiceIDs,
		StartsAt: n.StartsAt.UTC(), EndsAt: n.EndsAt.UTC(), Status: Scheduled,
		CreatedAt: t, UpdatedAt: t, Version: 1,
	}
}

// MaintenancePatch changes the fields that are set.
type MaintenancePatch struct {
	Title      *string
	Message    *string
	ServiceIDs *[]string
	StartsAt   *time.Time
	EndsAt     *time.Time
}

// Validate checks and normalises the fields that can be checked without
// the window, so that a bad list of services is refused before anything
// is asked about its ids.
func (p *MaintenancePatch) Validate() error {
	if p.ServiceIDs != nil {
		ids, err := normalizeServiceIDs(*p.ServiceIDs, 1)
		if err != nil {
			return err
		}
		p.ServiceIDs = &ids
	}
	return nil
}

// Apply returns the window after the patch at now. A scheduled window may
// change anything; one in progress its title, message and end (an end not
// after now ends it at once); a finished one nothing.
func (p MaintenancePatch) Apply(m Maintenance, now time.Time) (Maintenance, error) {
	if m.Finished() {
		return m, &TransitionError{Reason: "the maintenance is " + string(m.Status) + " and can no longer change"}
	}
	if m.Status == InProgress && (p.StartsAt != nil || p.ServiceIDs != nil) {
		return m, &TransitionError{Reason: "the maintenance is in progress: only its title, message and end can change"}
	}
	after := m
	if p.Title != nil {
		after.Title = strings.TrimSpace(*p.Title)
		if err := validateTitle(after.Title); err != nil {
			return m, err
		}
	}
	if p.Message != nil {
		if err := validateMessage(*p.Message); err != nil {
			return m, err
		}
		after.Message = *p.Message
	}
	if p.ServiceIDs != nil {
		ids, err := normalizeServiceIDs(*p.ServiceIDs, 1)
		if err != nil {
			return m, err
		}
		after.ServiceIDs = ids
	}
	if p.StartsAt != nil {
		after.StartsAt = p.StartsAt.UTC()
	}
	if p.EndsAt != nil {
		after.EndsAt = p.EndsAt.UTC()
	}
	if err := validateWindow(after.StartsAt, after.EndsAt, now, m.Status == Scheduled && p.EndsAt != nil); err != nil {
		return m, err
	}
	if after.Title == m.Title && after.Message == m.Message && slices.Equal(after.ServiceIDs, m.ServiceIDs) &&
		after.StartsAt.Equal(m.StartsAt) && after.EndsAt.Equal(m.EndsAt) {
		return m, nil
	}
	after.UpdatedAt = now
	after.Version++
	return after, nil
}

// validateWindow checks that a window ends after it starts and, when
// endAhead, that its end is still in the future (a window that would be
// over before it is saved is a mistake, not a maintenance).
func validateWindow(starts, ends, now time.Time, endAhead bool) error {
	switch {
	case starts.IsZero():
		return invalid("starts_at", "is required")
	case ends.IsZero():
		return invalid("ends_at", "is required")
	case !ends.After(starts):
		return invalid("ends_at", "must be after starts_at")
	case endAhead && !ends.After(now):
		return invalid("ends_at", "must be in the future")
	}
	return nil
}
