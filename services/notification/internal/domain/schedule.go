package domain

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/upstatehq/upstate/pkg/ids"
)

// LocalLayout is how a layer's start is written: a date-time without an
// offset, read in the schedule's zone.
const LocalLayout = "2006-01-02T15:04:05"

// Handoff units.
const (
	UnitHour = "hour"
	UnitDay  = "day"
	UnitWeek = "week"
)

// Weekdays are the names restrictions use, Sunday first as time.Weekday.
var Weekdays = []string{"sun", "mon", "tue", "wed", "thu", "fri", "sat"}

// Handoff is how often a layer's rotation passes to the next member.
type Handoff struct {
	Every int    `json:"every"`
	Unit  string `json:"unit"`
}

// Restriction limits a layer to part of the day on some weekdays.
type Restriction struct {
	// Days are weekday names ("mon"); empty means every day.
	Days []string `json:"days"`
	// Start and End are local times, "HH:MM"; an End not after Start
	// ends the next day.
	Start string `json:"start"`
	End   string `json:"end"`
}

// Layer is one rotation of a schedule; later layers take precedence.
type Layer struct {
	Name         string        `json:"name"`
	Members      []string      `json:"members"`
	Start        string        `json:"start"`
	Handoff      Handoff       `json:"handoff"`
	Restrictions []Restriction `json:"restrictions"`
}

// ScheduleSpec is what an organisation sets of a schedule.
type ScheduleSpec struct {
	Name     string
	TimeZone string
	Layers   []Layer
}

// Schedule is an on-call schedule.
type Schedule struct {
	ID, OrgID            string
	Spec                 ScheduleSpec
	CreatedAt, UpdatedAt time.Time
}

// Override puts a user on call in a schedule from From to To.
type Override struct {
	ID, ScheduleID, UserID string
	From, To               time.Time
	CreatedAt              time.Time
}

// Limits of schedules.
const (
	maxLayers       = 10
	maxLayerMembers = 100
	maxRestrictions = 14
	maxEvery        = 1000
	// MaxRange is the longest override, and range of shifts asked at once.
	MaxRange = 90 * 24 * time.Hour
)

// Normalize trims the text and fills in defaults: the UTC zone, empty
// lists rather than nil.
func (s ScheduleSpec) Normalize() ScheduleSpec {
	s.Name = strings.TrimSpace(s.Name)
	s.TimeZone = strings.TrimSpace(s.TimeZone)
	if s.TimeZone == "" {
		s.TimeZone = "UTC"
	}
	layers := make([]Layer, len(s.Layers))
	for i, l := range s.Layers {
		l.Name = strings.TrimSpace(l.Name)
		l.Handoff.Unit = strings.ToLower(strings.TrimSpace(l.Handoff.Unit))
		if l.Members == nil {
			l.Members = []string{}
		}
		if l.Restrictions == nil {
			l.Restrictions = []Restriction{}
		}
		for j, r := range l.Restrictions {
			if r.Days == nil {
				r.Days = []string{}
			}
			l.Restrictions[j] = r
		}
		layers[i] = l
	}
	s.Layers = layers
	return s
}

// Validate checks every field; whether the members exist is the store's.
func (s ScheduleSpec) Validate() error {
	if err := checkName("name", s.Name); err != nil {
		return err
	}
	if err := CheckTimeZone("time_zone", s.TimeZone); err != nil {
		return err
	}
	if len(s.Layers) == 0 || len(s.Layers) > maxLayers {
		return invalid("layers", fmt.Sprintf("give 1–%d layers", maxLayers))
	}
	for i, l := range s.Layers {
		if err := l.validate(fmt.Sprintf("layers[%d]", i)); err != nil {
			return err
		}
	}
	return nil
}

func (l Layer) validate(field string) error {
	if len([]rune(l.Name)) > maxName {
		return invalid(field+".name", fmt.Sprintf("at most %d characters", maxName))
	}
	if len(l.Members) == 0 {
		return invalid(field+".members", "give at least one user id")
	}
	if err := checkIDs(field+".members", ids.User, l.Members, maxLayerMembers); err != nil {
		return err
	}
	if _, err := time.Parse(LocalLayout, l.Start); err != nil {
		return invalid(field+".start", "must be a local date-time such as 2026-12-07T09:00:00 (no offset: the schedule's zone)")
	}
	if l.Handoff.Every < 1 || l.Handoff.Every > maxEvery {
		return invalid(field+".handoff.every", fmt.Sprintf("must be between 1 and %d", maxEvery))
	}
	if !slices.Contains([]string{UnitHour, UnitDay, UnitWeek}, l.Handoff.Unit) {
		return invalid(field+".handoff.unit", "valid values are hour, day, week")
	}
	if len(l.Restrictions) > maxRestrictions {
		return invalid(field+".restrictions", fmt.Sprintf("at most %d", maxRestrictions))
	}
	for j, r := range l.Restrictions {
		if err := r.validate(fmt.Sprintf("%s.restrictions[%d]", field, j)); err != nil {
			return err
		}
	}
	return nil
}

func (r Restriction) validate(field string) error {
	for _, d := range r.Days {
		if !slices.Contains(Weekdays, d) {
			return invalid(field+".days", fmt.Sprintf("%q is not a day; valid values are %s", d, strings.Join(Weekdays, ", ")))
		}
	}
	start, err := ClockTime(r.Start)
	if err != nil {
		return invalid(field+".start", "must be a local time HH:MM")
	}
	end, err := ClockTime(r.End)
	if err != nil {
		return invalid(field+".end", "must be a local time HH:MM")
	}
	if start == end {
		return invalid(field+".end", "must differ from start")
	}
	return nil
}

// ClockTime reads "HH:MM" as the time since midnight.
func ClockTime(s string) (time.Duration, error) {
	t, err := time.Parse("15:04", s)
	if err != nil {
		return 0, err
	}
	return time.Duration(t.Hour())*time.Hour + time.Duration(t.Minute())*time.Minute, nil
}

// Users returns the users the layers name, each once, in order.
func (s ScheduleSpec) Users() []string {
	var out []string
	for _, l := range s.Layers {
		for _, m := range l.Members {
			if !slices.Contains(out, m) {
				out = append(out, m)
			}
		}
	}
	return out
}

// ValidateOverride checks an override's user id and times.
func ValidateOverride(userID string, from, to time.Time) error {
	if !ids.HasPrefix(userID, ids.User) {
		return invalid("user_id", fmt.Sprintf("%q is not an id of the form usr_…", userID))
	}
	return CheckRange("from", "to", from, to)
}

// CheckRange accepts from < to, at most MaxRange apart.
func CheckRange(fromField, toField string, from, to time.Time) error {
	switch {
	case from.IsZero():
		return invalid(fromField, "is required")
	case to.IsZero():
		return invalid(toField, "is required")
	case !to.After(from):
		return invalid(toField, "must be after "+fromField)
	case to.Sub(from) > MaxRange:
		return invalid(toField, "must be at most 90 days after "+fromField)
	}
	return nil
}
