package domain

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/upstatehq/upstate/pkg/ids"
	"github.com/upstatehq/upstate/services/notification/internal/oncall"
)

// LocalLayout is how a layer's start is written: a date-time without an
// offset, read in the schedule's zone.
const LocalLayout = "2006-01-02T15:04:05"

// Weekdays are the names restrictions use, Sunday first as time.Weekday.
var Weekdays = []string{"sun", "mon", "tue", "wed", "thu", "fri", "sat"}

// Handoff is how often a layer's rotation passes to the next member.
type Handoff struct {
	Every int `json:"every"`
	// Unit is "hour", "day" or "week" (oncall.Unit).
	Unit string `json:"unit"`
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

// MaxRange is the longest override, and range of shifts asked at once.
const MaxRange = 90 * 24 * time.Hour

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
		rs := make([]Restriction, len(l.Restrictions))
		for j, r := range l.Restrictions {
			if r.Days == nil {
				r.Days = []string{}
			}
			rs[j] = r
		}
		l.Restrictions = rs
		layers[i] = l
	}
	s.Layers = layers
	return s
}

// Validate checks the name, the form of the members' ids and the layers
// as the on-call arithmetic reads them; whether the members exist is the
// store's.
func (s ScheduleSpec) Validate() error {
	if err := checkName("name", s.Name); err != nil {
		return err
	}
	if len(s.Layers) == 0 {
		return invalid("layers", "give at least one layer")
	}
	for i, l := range s.Layers {
		if err := checkIDs(fmt.Sprintf("layers[%d].members", i), ids.User, l.Members, oncall.MaxMembers); err != nil {
			return err
		}
	}
	sched, err := s.Rotation(nil)
	if err != nil {
		return err
	}
	if err := sched.Validate(); err != nil {
		var verr *oncall.ValidationError
		if errors.As(err, &verr) {
			return invalid(verr.Field, verr.Message)
		}
		return err
	}
	return nil
}

// Rotation is the schedule with overrides as the on-call arithmetic
// reads it. A restriction without days holds every day.
func (s ScheduleSpec) Rotation(overrides []Override) (oncall.Schedule, error) {
	out := oncall.Schedule{TimeZone: s.TimeZone, Layers: make([]oncall.Layer, len(s.Layers))}
	for i, l := range s.Layers {
		field := fmt.Sprintf("layers[%d]", i)
		start, err := time.Parse(LocalLayout, l.Start)
		if err != nil {
			return out, invalid(field+".start", "must be a local date-time such as 2026-12-07T09:00:00 (no offset: the schedule's zone)")
		}
		ol := oncall.Layer{Name: l.Name, Members: l.Members, Start: start, Handoff: oncall.Handoff{Every: l.Handoff.Every, Unit: oncall.Unit(l.Handoff.Unit)}}
		for j, r := range l.Restrictions {
			rf := fmt.Sprintf("%s.restrictions[%d]", field, j)
			or := oncall.Restriction{}
			for _, d := range r.Days {
				wd := slices.Index(Weekdays, strings.ToLower(d))
				if wd < 0 {
					return out, invalid(rf+".days", fmt.Sprintf("%q is not a day; valid values are %s", d, strings.Join(Weekdays, ", ")))
				}
				or.Weekdays = append(or.Weekdays, time.Weekday(wd))
			}
			if len(r.Days) == 0 {
				for d := time.Sunday; d <= time.Saturday; d++ {
					or.Weekdays = append(or.Weekdays, d)
				}
			}
			if or.Start, err = oncall.ParseTimeOfDay(r.Start); err != nil {
				return out, invalid(rf+".start", "must be a local time HH:MM")
			}
			if or.End, err = oncall.ParseTimeOfDay(r.End); err != nil {
				return out, invalid(rf+".end", "must be a local time HH:MM")
			}
			ol.Restrictions = append(ol.Restrictions, or)
		}
		out.Layers[i] = ol
	}
	for _, o := range overrides {
		out.Overrides = append(out.Overrides, oncall.Override{UserID: o.UserID, From: o.From, To: o.To})
	}
	return out, nil
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
