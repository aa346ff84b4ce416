// Package domain holds the incidents service's rules as plain types and
// functions: what an incident and a maintenance window are, which changes
// they accept, and what a status change does to a receiver's automatic
// incidents. It does no I/O.
package domain

import (
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// IncidentStatus is where the work on an incident stands.
type IncidentStatus string

// The statuses of an incident; Resolved is final.
const (
	Investigating IncidentStatus = "investigating"
	Identified    IncidentStatus = "identified"
	Monitoring    IncidentStatus = "monitoring"
	Resolved      IncidentStatus = "resolved"
)

// Severity is how bad an incident is.
type Severity string

// The severities.
const (
	Minor    Severity = "minor"
	Major    Severity = "major"
	Critical Severity = "critical"
)

// Source says who opened an incident.
type Source string

// The sources of incidents.
const (
	SourceManual   Source = "manual"
	SourceReceiver Source = "receiver"
)

// Limits of the fields people type.
const (
	MaxTitle    = 200
	MaxMessage  = 5000
	MaxServices = 100
)

// Update is one entry of an incident's timeline.
type Update struct {
	At      time.Time
	Status  IncidentStatus
	Message string
	Author  string
}

// Incident is a disruption with a timeline.
type Incident struct {
	ID         string
	OrgID      string
	Title      string
	Status     IncidentStatus
	Severity   Severity
	ServiceIDs []string
	Source     Source
	// ReceiverID is the receiver that opened it (source receiver).
	ReceiverID string
	CreatedAt  time.Time
	UpdatedAt  time.Time
	// ResolvedAt is zero while the incident is open.
	ResolvedAt time.Time
	Updates    []Update
	// Version increases by one with every change; events carry it.
	Version int64
}

// Open reports whether the incident is not resolved.
func (i Incident) Open() bool { return i.Status != Resolved }

// NewIncident is an incident opened by hand.
type NewIncident struct {
	Title      string
	Severity   Severity
	ServiceIDs []string
	// Status is the initial status; empty means investigating.
	Status  IncidentStatus
	Message string
	Author  string
}

// Validate checks a new incident and fills its defaults.
func (n *NewIncident) Validate() error {
	n.Title = strings.TrimSpace(n.Title)
	if err := validateTitle(n.Title); err != nil {
		return err
	}
	if n.Severity == "" {
		return invalid("severity", "is required; valid values are minor, major, critical")
	}
	if n.Status == "" {
		n.Status = Investigating
	}
	if n.Status == Resolved {
		return invalid("status", "a new incident cannot be resolved; valid values are investigating, identified, monitoring")
	}
	if err := validateMessage(n.Message); err != nil {
		return err
	}
	ids, err := normalizeServiceIDs(n.ServiceIDs, 0)
	n.ServiceIDs = ids
	return err
}

// Open returns the incident n describes, opened at t with its first
// timeline entry.
func (n NewIncident) Open(id, orgID string, t time.Time) Incident {
	msg := n.Message
	if msg == "" {
		msg = "Incident opened: " + n.Title
	}
	return Incident{
		ID: id, OrgID: orgID, Title: n.Title, Status: n.Status, Severity: n.Severity,
		ServiceIDs: n.ServiceIDs, Source: SourceManual, CreatedAt: t, UpdatedAt: t, Version: 1,
		Updates: []Update{{At: t, Status: n.Status, Message: msg, Author: n.Author}},
	}
}

// Patch changes the fields that are set.
type Patch struct {
	Title      *string
	Severity   Severity
	ServiceIDs *[]string
	// Status, when set, changes the status and adds a timeline entry with
	// Message.
	Status  IncidentStatus
	Message string
	Author  string
}

// Validate checks the fields that are set.
func (p *Patch) Validate() error {
	if p.Title != nil {
		t := strings.TrimSpace(*p.Title)
		p.Title = &t
		if err := validateTitle(t); err != nil {
			return err
		}
	}
	if p.ServiceIDs != nil {
		ids, err := normalizeServiceIDs(*p.ServiceIDs, 0)
		if err != nil {
			return err
		}
		p.ServiceIDs = &ids
	}
	return validateMessage(p.Message)
}

// Apply returns the incident after the patch at t, or a *TransitionError
// when the patch would move a resolved incident's status. A patch that
// changes nothing returns the incident as it was and changed false.
func (p Patch) Apply(i Incident, t time.Time) (after Incident, changed bool, err error) {
	after = i
	after.Updates = slices.Clone(i.Updates)
	after.ServiceIDs = slices.Clone(i.ServiceIDs)
	if p.Title != nil && *p.Title != i.Title {
		after.Title, changed = *p.Title, true
	}
	if p.Severity != "" && p.Severity != i.Severity {
		after.Severity, changed = p.Severity, true
	}
	if p.ServiceIDs != nil && !slices.Equal(*p.ServiceIDs, i.ServiceIDs) {
		after.ServiceIDs, changed = slices.Clone(*p.ServiceIDs), true
	}
	if p.Status != "" && (p.Status != i.Status || p.Message != "") {
		if err := checkTransition(i.Status, p.Status); err != nil {
			return i, false, err
		}
		after = addUpdate(after, Update{At: t, Status: p.Status, Message: p.Message, Author: p.Author})
		changed = true
	}
	if !changed {
		return i, false, nil
	}
	after.UpdatedAt = t
	after.Version++
	return after, true, nil
}

// AddUpdate returns the incident with a new timeline entry at t. An empty
// status keeps the current one; a status change follows the same rules as
// Patch.
func AddUpdate(i Incident, status IncidentStatus, message, author string, t time.Time) (Incident, error) {
	if strings.TrimSpace(message) == "" {
		return i, invalid("message", "is required")
	}
	if err := validateMessage(message); err != nil {
		return i, err
	}
	if status == "" {
		status = i.Status
	}
	if err := checkTransition(i.Status, status); err != nil {
		return i, err
	}
	after := addUpdate(i, Update{At: t, Status: status, Message: message, Author: author})
	after.UpdatedAt = t
	after.Version++
	return after, nil
}

// addUpdate appends u to the timeline and moves the incident to its status.
func addUpdate(i Incident, u Update) Incident {
	i.Updates = append(slices.Clone(i.Updates), u)
	if u.Status == Resolved && i.Status != Resolved {
		i.ResolvedAt = u.At
	}
	i.Status = u.Status
	return i
}

// checkTransition allows any move between the open statuses (a fix that
// did not hold sends "monitoring" back to "identified") and to resolved,
// and keeps a resolved incident resolved: notes may still be added to it,
// but a recurrence is a new incident, so that resolved incidents, their
// duration and what was announced about them do not change afterwards.
func checkTransition(from, to IncidentStatus) error {
	if from == Resolved && to != Resolved {
		return &TransitionError{Reason: fmt.Sprintf("the incident is resolved and cannot go back to %s; open a new incident instead", to)}
	}
	return nil
}

func validateTitle(t string) error {
	switch {
	case t == "":
		return invalid("title", "is required")
	case utf8.RuneCountInString(t) > MaxTitle:
		return invalid("title", fmt.Sprintf("must be at most %d characters", MaxTitle))
	}
	return nil
}

func validateMessage(m string) error {
	if utf8.RuneCountInString(m) > MaxMessage {
		return invalid("message", fmt.Sprintf("must be at most %d characters", MaxMessage))
	}
	return nil
}

// normalizeServiceIDs checks the count is within [min, MaxServices],
// then trims and drops duplicates (keeping the first occurrence's place).
// The limit is on the list as given, checked before any id is read, so
// that an oversized list costs nothing; the rest is linear in its length.
func normalizeServiceIDs(ids []string, min int) ([]string, error) {
	if len(ids) > MaxServices {
		return nil, invalid("service_ids", fmt.Sprintf("must name at most %d services", MaxServices))
	}
	out := make([]string, 0, len(ids))
	seen := make(map[string]struct{}, len(ids))
	for _, id := range ids {
		id = strings.TrimSpace(id)
		if id == "" {
			return nil, invalid("service_ids", "must not contain empty ids")
		}
		if _, dup := seen[id]; !dup {
			seen[id] = struct{}{}
			out = append(out, id)
		}
	}
	if len(out) < min {
		return nil, invalid("service_ids", fmt.Sprintf("must name at least %d service", min))
	}
	return out, nil
}
