package domain

import (
	"strings"
	"time"
	"unicode/utf8"
)

// SLO is a service level objective: the fraction of a rolling window a
// service should not be down.
type SLO struct {
	ID        string
	OrgID     string
	ServiceID string
	Name      string
	// Target is strictly between 0 and 1 (0.999 allows 0.1% downtime).
	Target    float64
	Window    Window
	CreatedAt time.Time
	UpdatedAt time.Time
	// Version grows by one with every edit and every event the SLO fires;
	// its events' ids carry it.
	Version int64
	// Burning and Exhausted are the episodes in progress, as of the last
	// evaluation: what the next evaluation compares with, so that each
	// event fires once per episode.
	Burning   bool
	Exhausted bool
}

// NewSLO is an SLO as created.
type NewSLO struct {
	ServiceID string
	Name      string
	Target    float64
	Window    string
}

// Validate checks the fields of a new SLO.
func (n NewSLO) Validate() error {
	if n.ServiceID == "" {
		return invalid("service_id", "is required")
	}
	if err := validateName(n.Name); err != nil {
		return err
	}
	if err := validateTarget(n.Target); err != nil {
		return err
	}
	_, err := parseWindow("window", n.Window, SLOWindows)
	return err
}

// SLOPatch holds the fields an edit changes (nil: unchanged).
type SLOPatch struct {
	Name   *string
	Target *float64
	Window *string
}

// Apply returns s edited by p at at, and whether anything changed.
func (p SLOPatch) Apply(s SLO, at time.Time) (SLO, bool, error) {
	if p.Name == nil && p.Target == nil && p.Window == nil {
		return s, false, invalid("name", "name, target or window is required")
	}
	after := s
	if p.Name != nil {
		if err := validateName(*p.Name); err != nil {
			return s, false, err
		}
		after.Name = strings.TrimSpace(*p.Name)
	}
	if p.Target != nil {
		if err := validateTarget(*p.Target); err != nil {
			return s, false, err
		}
		after.Target = *p.Target
	}
	if p.Window != nil {
		w, err := parseWindow("window", *p.Window, SLOWindows)
		if err != nil {
			return s, false, err
		}
		after.Window = w
	}
	if after.Name == s.Name && after.Target == s.Target && after.Window == s.Window {
		return s, false, nil
	}
	after.UpdatedAt = at
	after.Version++
	return after, true, nil
}

// Create returns the SLO n describes.
func (n NewSLO) Create(id, orgID string, at time.Time) SLO {
	return SLO{
		ID: id, OrgID: orgID, ServiceID: n.ServiceID, Name: strings.TrimSpace(n.Name), Target: n.Target,
		Window: Window(n.Window), CreatedAt: at, UpdatedAt: at, Version: 1,
	}
}

func validateName(name string) error {
	n := strings.TrimSpace(name)
	if n == "" || utf8.RuneCountInString(n) > 100 {
		return invalid("name", "must be 1 to 100 characters")
	}
	return nil
}

func validateTarget(t float64) error {
	if !(t > 0 && t < 1) {
		return invalid("target", "must be strictly between 0 and 1, such as 0.999")
	}
	return nil
}
