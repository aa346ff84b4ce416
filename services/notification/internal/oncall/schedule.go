package oncall

import (
	"fmt"
	"strings"
	"time"
	// A schedule must load on a host without a zone database (a scratch
	// container).
	_ "time/tzdata"
)

// Schedule is an on-call schedule: layers of rotations and overrides, in
// an IANA time zone.
type Schedule struct {
	// TimeZone is an IANA zone name ("Europe/Berlin"); wall times of the
	// layers are read in it.
	TimeZone  string
	Layers    []Layer
	Overrides []Override
}

// Layer is a rotation: Members take turns, in order, starting at Start.
type Layer struct {
	Name string
	// Members are user ids, in the order they take turns; a user may
	// appear more than once.
	Members []string
	// Start is the first hand-off. Only its wall clock counts (year to
	// second): it is read in the schedule's zone, whatever its Location.
	Start   time.Time
	Handoff Handoff
	// Restrictions, when given, are the only times the layer is on call.
	Restrictions []Restriction
}

// Handoff is how often a layer hands off to its next member.
type Handoff struct {
	Every int
	Unit  Unit
}

// Unit is the unit of a hand-off interval.
type Unit string

// The units. A day is a calendar day in the schedule's zone (23 to 25
// hours), a week seven of them; an hour is 60 elapsed minutes.
const (
	Hour Unit = "hour"
	Day  Unit = "day"
	Week Unit = "week"
)

// Restriction is a recurring window (working hours): on each of Weekdays,
// from Start to End in the schedule's zone. An End not after Start ends
// on the next day (22:00–06:00 is a night; 00:00–00:00 a whole day).
type Restriction struct {
	Weekdays []time.Weekday
	Start    TimeOfDay
	End      TimeOfDay
}

// TimeOfDay is a wall-clock time of day, to the minute.
type TimeOfDay struct {
	Hour, Minute int
}

// ParseTimeOfDay reads "HH:MM" (00:00–23:59).
func ParseTimeOfDay(s string) (TimeOfDay, error) {
	t, err := time.Parse("15:04", s)
	if err != nil || len(s) != 5 {
		return TimeOfDay{}, fmt.Errorf("time of day %q: want HH:MM between 00:00 and 23:59", s)
	}
	return TimeOfDay{Hour: t.Hour(), Minute: t.Minute()}, nil
}

// String formats the time as HH:MM.
func (t TimeOfDay) String() string { return fmt.Sprintf("%02d:%02d", t.Hour, t.Minute) }

func (t TimeOfDay) valid() bool { return t.Hour >= 0 && t.Hour < 24 && t.Minute >= 0 && t.Minute < 60 }

func (t TimeOfDay) minutes() int { return t.Hour*60 + t.Minute }

// Override puts UserID on call over [From, To), above every layer.
type Override struct {
	UserID   string
	From, To time.Time
}

// Limits of a schedule.
const (
	MaxLayers       = 20
	MaxMembers      = 100
	MaxRestrictions = 32
	MaxIDLen        = 100
	MaxNameLen      = 200
)

// maxEvery bounds a hand-off interval to about a year.
var maxEvery = map[Unit]int{Hour: 366 * 24, Day: 366, Week: 52}

// Validate checks the schedule; a *ValidationError names the first bad
// field.
func (s Schedule) Validate() error {
	if s.TimeZone == "" {
		return invalid("time_zone", "is required, an IANA zone such as Europe/Berlin")
	}
	// "Local" would make the schedule depend on the host's zone.
	if _, err := time.LoadLocation(s.TimeZone); err != nil || s.TimeZone == "Local" {
		return invalid("time_zone", fmt.Sprintf("%q is not an IANA time zone", s.TimeZone))
	}
	if len(s.Layers) > MaxLayers {
		return invalid("layers", fmt.Sprintf("must hold at most %d layers", MaxLayers))
	}
	for i, l := range s.Layers {
		if err := l.validate(fmt.Sprintf("layers[%d]", i)); err != nil {
			return err
		}
	}
	for i, o := range s.Overrides {
		f := fmt.Sprintf("overrides[%d]", i)
		if err := validateID(f+".user_id", o.UserID); err != nil {
			return err
		}
		if o.From.IsZero() || !o.To.After(o.From) {
			return invalid(f+".to", "must be after from")
		}
	}
	return nil
}

func (l Layer) validate(f string) error {
	if len(l.Name) > MaxNameLen {
		return invalid(f+".name", fmt.Sprintf("must be at most %d characters", MaxNameLen))
	}
	if len(l.Members) == 0 || len(l.Members) > MaxMembers {
		return invalid(f+".members", fmt.Sprintf("must hold 1–%d users", MaxMembers))
	}
	for j, m := range l.Members {
		if err := validateID(fmt.Sprintf("%s.members[%d]", f, j), m); err != nil {
			return err
		}
	}
	if l.Start.IsZero() {
		return invalid(f+".start", "is required")
	}
	max, ok := maxEvery[l.Handoff.Unit]
	if !ok {
		return invalid(f+".handoff.unit", "valid values are hour, day, week")
	}
	if l.Handoff.Every < 1 || l.Handoff.Every > max {
		return invalid(f+".handoff.every", fmt.Sprintf("must be between 1 and %d %ss", max, l.Handoff.Unit))
	}
	if len(l.Restrictions) > MaxRestrictions {
		return invalid(f+".restrictions", fmt.Sprintf("must hold at most %d restrictions", MaxRestrictions))
	}
	for j, r := range l.Restrictions {
		rf := fmt.Sprintf("%s.restrictions[%d]", f, j)
		if len(r.Weekdays) == 0 {
			return invalid(rf+".weekdays", "needs at least one weekday")
		}
		for _, d := range r.Weekdays {
			if d < time.Sunday || d > time.Saturday {
				return invalid(rf+".weekdays", fmt.Sprintf("%d is not a weekday (0 Sunday – 6 Saturday)", d))
			}
		}
		if !r.Start.valid() {
			return invalid(rf+".start", "must be a time of day between 00:00 and 23:59")
		}
		if !r.End.valid() {
			return invalid(rf+".end", "must be a time of day between 00:00 and 23:59")
		}
	}
	return nil
}

func validateID(field, id string) error {
	if strings.TrimSpace(id) == "" || len(id) > MaxIDLen {
		return invalid(field, fmt.Sprintf("must be a user id of 1–%d characters", MaxIDLen))
	}
	return nil
}

// location is the schedule's zone; UTC when it does not load, which
// Validate refuses.
func (s Schedule) location() *time.Location {
	loc, err := time.LoadLocation(s.TimeZone)
	if err != nil || s.TimeZone == "Local" {
		return time.UTC
	}
	return loc
}
