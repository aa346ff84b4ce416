package domain

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// Limits on user-provided text.
const (
	MaxNameLen        = 100
	MaxDescriptionLen = 1000
)

// Service is one monitored service of an organisation.
type Service struct {
	ID                string
	OrgID             string
	Name              string
	Description       string
	Status            Status
	StatusDescription string
	StatusChangedAt   time.Time
	CreatedAt         time.Time
	UpdatedAt         time.Time
	// Version is the version of the service's latest event: its creation
	// is 1, and each status change and each edit adds one, as will its
	// deletion. Consumers of its events keep the highest version applied.
	// Services created before creation was an event start at 0.
	Version int64
	// StatusVersion is the version of the event that set the current
	// status: the latest status change, or the creation. Conditional
	// reports (Report.ExpectedVersion) compare against it, so that an edit
	// of the name does not count as a change of status.
	StatusVersion int64
	// Tags are free key/value pairs that alert rules and silences select
	// services by; never nil once read or created.
	Tags map[string]string
}

// NewService returns the service created with id at t, at version 1.
func NewService(id, orgID, name, description string, status Status, t time.Time) Service {
	return Service{
		ID: id, OrgID: orgID, Name: name, Description: description, Status: status,
		StatusChangedAt: t, CreatedAt: t, UpdatedAt: t, Version: 1, StatusVersion: 1, Tags: map[string]string{},
	}
}

// Edit returns s with the name, description and/or tags that e sets, at
// the next version, and whether anything changed; an edit that changes
// nothing leaves s as it is. The caller validates the values.
func Edit(s Service, e ServiceEdit, t time.Time) (Service, bool) {
	after := s
	if e.Name != nil {
		after.Name = *e.Name
	}
	if e.Description != nil {
		after.Description = *e.Description
	}
	if e.Tags != nil {
		after.Tags = map[string]string{}
		for k, v := range *e.Tags {
			after.Tags[k] = v
		}
	}
	if after.Name == s.Name && after.Description == s.Description && equalTags(after.Tags, s.Tags) {
		return s, false
	}
	after.UpdatedAt = t
	after.Version++
	return after, true
}

// Delete returns s as its deletion at t leaves it: at the next version,
// which its ServiceDeleted event carries.
func Delete(s Service, t time.Time) Service {
	s.UpdatedAt = t
	s.Version++
	return s
}

// Change is one entry of a service's status history.
type Change struct {
	ServiceID   string
	Version     int64
	Previous    Status
	Status      Status
	Description string
	Source      Source
	Actor       string
	ChangedAt   time.Time
	// Webhook is set when a webhook delivery caused the change.
	Webhook *WebhookCause
}

// WebhookCause identifies the webhook delivery behind a report and carries
// its receiver's automatic-incident setting to the event, so that consumers
// need not look the receiver up.
type WebhookCause struct {
	ReceiverID   string
	DeliveryID   string
	AutoIncident AutoIncident
}

// Report is a status reported for a service.
type Report struct {
	Status Status
	// Description, when non-nil, becomes the status description.
	Description *string
	Source      Source
	Actor       string
	At          time.Time
	// Webhook is set when the report comes from a webhook delivery.
	Webhook *WebhookCause
	// ExpectedVersion, when non-nil, makes the report conditional on the
	// service's StatusVersion still being this, so that a caller restoring
	// a status it read earlier (the end of a maintenance window) does not
	// overwrite a change of status made since; an edit of the name or
	// description meanwhile does not matter.
	ExpectedVersion *int64
}

// Outcome is what applying a report does.
type Outcome int

// The outcomes of Apply.
const (
	// Unchanged: same status, same (or no) description; nothing to write.
	Unchanged Outcome = iota
	// DescriptionUpdated: same status, new description; no history, no event.
	DescriptionUpdated
	// StatusChanged: a new status; history row and event.
	StatusChanged
	// VersionMismatch: the service is no longer at the report's
	// ExpectedVersion; nothing to write.
	VersionMismatch
)

// Apply returns the service after the report and, when the status changed,
// the history entry to record. Reporting the current status again is not a
// change: it creates no history and no event, and only a new description is
// kept.
func Apply(s Service, r Report) (Service, *Change, Outcome) {
	if r.ExpectedVersion != nil && *r.ExpectedVersion != s.StatusVersion {
		return s, nil, VersionMismatch
	}
	if r.Status == s.Status {
		if r.Description == nil || *r.Description == s.StatusDescription {
			return s, nil, Unchanged
		}
		s.StatusDescription = *r.Description
		s.UpdatedAt = r.At
		return s, nil, DescriptionUpdated
	}
	desc := ""
	if r.Description != nil {
		desc = *r.Description
	}
	ch := &Change{
		ServiceID:   s.ID,
		Version:     s.Version + 1,
		Previous:    s.Status,
		Status:      r.Status,
		Description: desc,
		Source:      r.Source,
		Actor:       r.Actor,
		ChangedAt:   r.At,
		Webhook:     r.Webhook,
	}
	s.Status = r.Status
	s.StatusDescription = desc
	s.StatusChangedAt = r.At
	s.UpdatedAt = r.At
	s.Version, s.StatusVersion = ch.Version, ch.Version
	return s, ch, StatusChanged
}

// ValidateName checks a service name: 1–100 characters after trimming.
func ValidateName(name string) (string, error) {
	n := strings.TrimSpace(name)
	if n == "" {
		return "", &ValidationError{Field: "name", Message: "is required"}
	}
	if utf8.RuneCountInString(n) > MaxNameLen {
		return "", &ValidationError{Field: "name", Message: fmt.Sprintf("must be at most %d characters", MaxNameLen)}
	}
	return n, nil
}

// ValidateDescription checks a free-text description's length.
func ValidateDescription(field, d string) error {
	if utf8.RuneCountInString(d) > MaxDescriptionLen {
		return &ValidationError{Field: field, Message: fmt.Sprintf("must be at most %d characters", MaxDescriptionLen)}
	}
	return nil
}
