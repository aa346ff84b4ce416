package domain

import (
	"sort"
	"strings"
	"time"
)

// Window is a rolling period ending now, named as users write it ("30d").
type Window string

// Duration is the window's length; 0 for an unknown window.
func (w Window) Duration() time.Duration {
	return windowLengths[w]
}

var windowLengths = map[Window]time.Duration{
	"24h": 24 * time.Hour,
	"7d":  7 * 24 * time.Hour,
	"28d": 28 * 24 * time.Hour,
	"30d": 30 * 24 * time.Hour,
	"90d": 90 * 24 * time.Hour,
}

// Windows that uptime and SLOs may be asked over.
var (
	UptimeWindows = []Window{"24h", "7d", "30d", "90d"}
	SLOWindows    = []Window{"7d", "28d", "30d", "90d"}
)

// MaxRange is the longest range uptime may be asked over.
const MaxRange = 400 * 24 * time.Hour

func parseWindow(field, s string, allowed []Window) (Window, error) {
	for _, w := range allowed {
		if string(w) == s {
			return w, nil
		}
	}
	names := make([]string, len(allowed))
	for i, w := range allowed {
		names[i] = string(w)
	}
	sort.Strings(names)
	return "", invalid(field, "must be one of %s", strings.Join(names, ", "))
}

// UptimeRange returns the span uptime is asked over: the window ending
// now, or [from, to). Exactly one of the two must be given; a range must
// start before it ends and be at most MaxRange long.
func UptimeRange(window string, from, to *time.Time, now time.Time) (Span, error) {
	switch {
	case window != "" && (from != nil || to != nil):
		return Span{}, invalid("window", "give either window or from and to, not both")
	case window != "":
		w, err := parseWindow("window", window, UptimeWindows)
		if err != nil {
			return Span{}, err
		}
		return Span{From: now.Add(-w.Duration()), To: now}, nil
	case from == nil && to == nil:
		return Span{}, invalid("window", "give a window (24h, 7d, 30d, 90d) or from and to")
	case from == nil:
		return Span{}, invalid("from", "is required with to")
	case to == nil:
		return Span{}, invalid("to", "is required with from")
	case !from.Before(*to):
		return Span{}, invalid("to", "must be after from")
	case to.Sub(*from) > MaxRange:
		return Span{}, invalid("from", "the range must be at most %d days long", int(MaxRange/(24*time.Hour)))
	}
	return Span{From: from.UTC(), To: to.UTC()}, nil
}
