package domain

import (
	"fmt"
	"slices"
	"time"
	"unicode/utf8"

	"github.com/upstatehq/upstate/pkg/selector"
)

// Matchers say which alerts a silence holds: those matching every kind of
// matcher given (at least one).
type Matchers struct {
	ServiceIDs []string
	Tags       map[string]string
	RuleIDs    []string
}

// Match reports whether an alert of rule ruleID on a service with id and
// tags matches.
func (m Matchers) Match(ruleID, serviceID string, tags map[string]string) bool {
	if len(m.ServiceIDs) > 0 && !slices.Contains(m.ServiceIDs, serviceID) {
		return false
	}
	if len(m.RuleIDs) > 0 && !slices.Contains(m.RuleIDs, ruleID) {
		return false
	}
	return selector.HasTags(tags, m.Tags)
}

// Silence holds the notifications of the alerts it matches from StartsAt
// until EndsAt; the alerts still change state.
type Silence struct {
	ID, OrgID string
	Matchers  Matchers
	StartsAt  time.Time
	EndsAt    time.Time
	Comment   string
	CreatedBy string
	// MaintenanceID is the maintenance window the silence follows, and
	// MaintenanceVersion the version of the window it was last set from.
	MaintenanceID      string
	MaintenanceVersion int64
	CreatedAt          time.Time
	UpdatedAt          time.Time
}

// Active reports whether the silence holds alerts at now.
func (s Silence) Active(now time.Time) bool { return !now.Before(s.StartsAt) && now.Before(s.EndsAt) }

// NewSilence is a silence asked for through the API.
type NewSilence struct {
	Matchers Matchers
	// StartsAt zero means now.
	StartsAt, EndsAt time.Time
	Comment          string
}

// Validate checks n at now.
func (n NewSilence) Validate(now time.Time) error {
	m := n.Matchers
	if len(m.ServiceIDs) == 0 && len(m.Tags) == 0 && len(m.RuleIDs) == 0 {
		return invalid("matchers", "give at least one of service_ids, tags, rule_ids")
	}
	if len(m.ServiceIDs) > MaxServiceIDs || len(m.RuleIDs) > MaxServiceIDs {
		return invalid("matchers", fmt.Sprintf("service_ids and rule_ids hold at most %d ids each", MaxServiceIDs))
	}
	if err := validatePairs("matchers.tags", m.Tags); err != nil {
		return err
	}
	if n.EndsAt.IsZero() {
		return invalid("ends_at", "is required")
	}
	start := n.StartsAt
	if start.IsZero() {
		start = now
	}
	if !n.EndsAt.After(start) || !n.EndsAt.After(now) {
		return invalid("ends_at", "must be after starts_at and in the future")
	}
	if utf8.RuneCountInString(n.Comment) > 1000 {
		return invalid("comment", "must be at most 1000 characters")
	}
	return nil
}

// Create returns the silence n asks for, created by actor at now.
func (n NewSilence) Create(id, orgID, actor string, now time.Time) Silence {
	start := n.StartsAt
	if start.IsZero() {
		start = now
	}
	m := n.Matchers
	m.ServiceIDs, m.RuleIDs = dedupe(m.ServiceIDs), dedupe(m.RuleIDs)
	return Silence{
		ID: id, OrgID: orgID, Matchers: m, StartsAt: start, EndsAt: n.EndsAt, Comment: n.Comment,
		CreatedBy: actor, CreatedAt: now, UpdatedAt: now,
	}
}

// Expire ends the silence at now (it stays, for the record); one that has
// ended already is left as it is. A maintenance window's silence follows
// its window and cannot be expired by hand.
func (s Silence) Expire(now time.Time) (Silence, bool, error) {
	if s.MaintenanceID != "" {
		return s, false, &TransitionError{Reason: "the silence follows maintenance window " + s.MaintenanceID + "; cancel or edit the window instead"}
	}
	if !now.Before(s.EndsAt) {
		return s, false, nil
	}
	if now.Before(s.StartsAt) {
		s.StartsAt = now
	}
	s.EndsAt, s.UpdatedAt = now, now
	return s, true, nil
}

// Window is what a maintenance window's events say of it.
type Window struct {
	ID, OrgID, Title string
	ServiceIDs       []string
	StartsAt, EndsAt time.Time
	// EndedAt is when it completed or was cancelled; zero before.
	EndedAt   time.Time
	Cancelled bool
	Version   int64
}

// MaintenanceSilence returns the silence window w gives its services:
// from its start to its end, or to when it ended if earlier; a window
// cancelled before it started silences nothing. current is the silence
// made for an earlier version of the window (nil: none); a version at or
// below current's is stale and changes nothing (ok is false).
func MaintenanceSilence(id string, w Window, current *Silence, now time.Time) (s Silence, ok bool) {
	if current != nil && current.MaintenanceVersion >= w.Version {
		return *current, false
	}
	end := w.EndsAt
	if !w.EndedAt.IsZero() && w.EndedAt.Before(end) {
		end = w.EndedAt
	}
	start := w.StartsAt
	if w.Cancelled || end.Before(start) {
		end = start
	}
	s = Silence{
		ID: id, OrgID: w.OrgID, Matchers: Matchers{ServiceIDs: dedupe(w.ServiceIDs)},
		StartsAt: start, EndsAt: end, Comment: "Maintenance: " + w.Title,
		CreatedBy: w.ID, MaintenanceID: w.ID, MaintenanceVersion: w.Version, CreatedAt: now, UpdatedAt: now,
	}
	if current != nil {
		s.ID, s.CreatedAt = current.ID, current.CreatedAt
	}
	return s, true
}
