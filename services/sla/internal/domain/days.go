package domain

import (
	"time"
)

// Day is one calendar day in a time zone: its date and the span from its
// midnight to the next, which is 23 or 25 hours long on the days the
// clocks change.
type Day struct {
	Date string
	Span Span
}

// Days returns the n calendar days in loc ending with today (the day now
// is in), oldest first.
func Days(loc *time.Location, n int, now time.Time) []Day {
	local := now.In(loc)
	y, m, d := local.Date()
	out := make([]Day, n)
	for i := range n {
		off := i - (n - 1)
		from := time.Date(y, m, d+off, 0, 0, 0, 0, loc)
		to := time.Date(y, m, d+off+1, 0, 0, 0, 0, loc)
		out[i] = Day{Date: from.Format(time.DateOnly), Span: Span{From: from.UTC(), To: to.UTC()}}
	}
	return out
}

// Daily history requests: how many days, and the default.
const (
	DefaultDays = 90
	MaxDays     = 365
)

// DailyRequest validates the number of days (0: DefaultDays) and the time
// zone name ("": UTC) of a daily history.
func DailyRequest(days int, zone string) (int, *time.Location, error) {
	if days == 0 {
		days = DefaultDays
	}
	if days < 1 || days > MaxDays {
		return 0, nil, invalid("days", "must be between 1 and %d", MaxDays)
	}
	if zone == "" {
		return days, time.UTC, nil
	}
	// LoadLocation also takes "Local" and file paths; only IANA names are time zones here.
	if zone == "Local" || zone[0] == '/' || zone[0] == '.' {
		return 0, nil, invalid("tz", "%q is not an IANA time zone such as Europe/Berlin", zone)
	}
	loc, err := time.LoadLocation(zone)
	if err != nil {
		return 0, nil, invalid("tz", "%q is not an IANA time zone such as Europe/Berlin", zone)
	}
	return days, loc, nil
}
