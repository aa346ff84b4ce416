package domain

import (
	"slices"
	"time"
)

// Group is a notification group: the alerts of one rule sharing the
// values of its group_by labels, notified together with Alertmanager's
// timing (Touch, Flush).
type Group struct {
	ID, OrgID, RuleID, Key string
	Labels                 map[string]string
	CreatedAt              time.Time
	// NextFlushAt is when Flush is due; zero: not scheduled.
	NextFlushAt time.Time
	// LastNotifiedAt is when the group last notified; zero: never.
	LastNotifiedAt time.Time
	// Notified are the alerts the last notification gave as firing (and
	// still to be told about when they resolve), sorted.
	Notified []string
	// Seq counts the group's notifications.
	Seq int64
}

// Timing is a rule's group_wait, group_interval and repeat_interval.
type Timing struct {
	Wait, Interval, Repeat time.Duration
}

// TimingOf returns the rule's grouping timing.
func TimingOf(s RuleSpec) Timing {
	return Timing{Wait: s.GroupWait, Interval: s.GroupInterval, Repeat: s.RepeatInterval}
}

// MinRecheck bounds how often a group with open alerts is looked at when
// its group_interval is shorter, so that one with group_interval 0 does not
// spin: silences ending and inhibitions lifting are noticed within it.
const MinRecheck = time.Second

// NewGroup returns the group an alert of a new key opens at now: its
// first notification waits group_wait for more alerts to join.
func NewGroup(id, orgID, ruleID, key string, labels map[string]string, t Timing, now time.Time) Group {
	return Group{ID: id, OrgID: orgID, RuleID: ruleID, Key: key, Labels: labels, CreatedAt: now, NextFlushAt: now.Add(t.Wait)}
}

// Touch schedules the group after one of its alerts changed at now: a
// group that never notified keeps its group_wait, one that did notifies
// of the change group_interval after its last notification, or now if
// that is past.
func (g Group) Touch(t Timing, now time.Time) Group {
	at := now.Add(t.Wait)
	if !g.LastNotifiedAt.IsZero() {
		at = later(now, g.LastNotifiedAt.Add(t.Interval))
	} else if !g.CreatedAt.IsZero() {
		at = later(now, g.CreatedAt.Add(t.Wait))
	}
	if g.NextFlushAt.IsZero() || at.Before(g.NextFlushAt) {
		g.NextFlushAt = at
	}
	return g
}

// Member is an alert of a group as a flush sees it.
type Member struct {
	Alert Alert
	// Muted is set for an alert that is silenced, inhibited, acknowledged
	// or flapping: it is left out of notifications.
	Muted bool
}

// Notification is what a flush tells.
type Notification struct {
	Firing   []Alert
	Resolved []Alert
	Repeat   bool
}

// Flush decides, at now, what the group notifies of (nil: nothing) and
// returns the group afterwards; drop is set when it has nothing open and
// nothing left to tell, so that the next alert opens a new group. As in
// Alertmanager: a change of the firing alerts it would notify of, or the
// resolution of one it notified of, is notified; the same alerts again
// once repeat_interval has passed (0: never). Muted alerts are left out
// silently: a group whose alerts are all muted notifies nothing, and its
// repeats stop.
func (g Group) Flush(members []Member, t Timing, now time.Time) (after Group, n *Notification, drop bool) {
	var firing, resolved []Alert
	var active []string
	open := false
	for _, m := range members {
		a := m.Alert
		switch {
		case a.State == Firing && !m.Muted:
			firing, active = append(firing, a), append(active, a.ID)
		case a.State == Resolved && slices.Contains(g.Notified, a.ID):
			resolved = append(resolved, a)
		}
		if a.Open() {
			open = true
		}
	}
	slices.Sort(active)
	changed := !slices.Equal(active, g.Notified) || len(resolved) > 0
	switch {
	case changed && (len(firing) > 0 || len(resolved) > 0):
		n = &Notification{Firing: firing, Resolved: resolved}
	case !changed && len(firing) > 0 && t.Repeat > 0 && !g.LastNotifiedAt.IsZero() && !now.Before(g.LastNotifiedAt.Add(t.Repeat)):
		n = &Notification{Firing: firing, Repeat: true}
	}
	if n != nil {
		g.Seq++
		g.LastNotifiedAt = now
	}
	g.Notified = active
	if !open && len(active) == 0 {
		g.NextFlushAt = time.Time{}
		return g, n, true
	}
	g.NextFlushAt = now.Add(max(t.Interval, MinRecheck))
	if len(active) > 0 && t.Repeat > 0 {
		if r := g.LastNotifiedAt.Add(t.Repeat); r.Before(g.NextFlushAt) {
			g.NextFlushAt = later(now, r)
		}
	}
	return g, n, false
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}
