package domain

import (
	"slices"
	"time"
)

// Condition is whether a rule's condition holds on a service and since
// when.
type Condition struct {
	Holds bool
	Since time.Time
	// Complete is false when the run of statuses the condition holds in
	// may have started before Since: the versions before it are not all
	// known (not delivered yet, or from before the service was first
	// seen). Since is then the latest it can have started.
	Complete bool
}

// Run finds whether the newest known status of a service is one of
// statuses and, walking its timeline back, since when it has been one of
// them without a break. timeline holds the service's known versions,
// newest first (Timeline.Newest). The walk follows versions one by one:
// each status change names the status before it, and the version before
// must be that status's change (or a run of edits down to it). Where a
// version is missing the walk stops, and the condition is not Complete,
// so that events delivered late or out of order give the same answer
// once they are all in as delivering them in order would.
func Run(timeline []Change, statuses []Status) Condition {
	i := slices.IndexFunc(timeline, Change.bearsStatus)
	if i < 0 || !slices.Contains(statuses, timeline[i].Status) {
		return Condition{}
	}
	cur := timeline[i]
	c := Condition{Holds: true, Since: cur.At}
	for {
		switch cur.Kind {
		case Created:
			c.Complete = true
			return c
		case Observed:
			return c
		}
		if !slices.Contains(statuses, cur.Previous) {
			c.Complete = true
			return c
		}
		expect, j := cur.Version-1, i+1
		for j < len(timeline) && timeline[j].Kind == Edited && timeline[j].Version == expect {
			expect, j = expect-1, j+1
		}
		if j >= len(timeline) || timeline[j].Version != expect || timeline[j].Status != cur.Previous {
			return c
		}
		i, cur = j, timeline[j]
		c.Since = cur.At
	}
}

// Flapping reports whether the service changed status more than
// threshold times within window before now, and if so until when it
// does: the time the oldest change that makes it flap leaves the window.
func Flapping(timeline []Change, now time.Time, threshold int, window time.Duration) (bool, time.Time) {
	var in []time.Time
	for _, c := range timeline {
		if c.Kind == Changed && c.At.After(now.Add(-window)) && !c.At.After(now) {
			in = append(in, c.At)
		}
	}
	if len(in) <= threshold {
		return false, time.Time{}
	}
	slices.SortFunc(in, time.Time.Compare)
	return true, in[len(in)-threshold-1].Add(window)
}

// Timeline is a service's known versions.
type Timeline []Change

// Add adds c unless its version is known (a duplicate), or replaces the
// entry of its version when c tells more (Change.Replaces); it reports
// whether the timeline changed.
func (t *Timeline) Add(c Change) bool {
	for i, old := range *t {
		if old.Version == c.Version {
			if c.Replaces(old) {
				(*t)[i] = c
				return true
			}
			return false
		}
	}
	*t = append(*t, c)
	return true
}

// Newest returns the versions newest first.
func (t Timeline) Newest() []Change {
	out := slices.Clone(t)
	slices.SortFunc(out, func(a, b Change) int { return int(b.Version - a.Version) })
	return out
}
