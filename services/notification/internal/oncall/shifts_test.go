package oncall

import (
	"fmt"
	"slices"
	"testing"
	"time"
)

// utc reads "2006-01-02T15:04" as UTC.
func utc(tb testing.TB, s string) time.Time {
	tb.Helper()
	t, err := time.Parse("2006-01-02T15:04", s)
	if err != nil {
		tb.Fatal(err)
	}
	return t
}

// wallAt is a layer start: a wall time, whatever the zone (UTC here).
func wallAt(y int, m time.Month, d, h, min int) time.Time {
	return time.Date(y, m, d, h, min, 0, 0, time.UTC)
}

// render writes a shift as "user Ln|O start→end", times in UTC.
func render(sh Shift) string {
	src := fmt.Sprintf("L%d", sh.Layer)
	if sh.Override {
		src = "O"
	}
	return fmt.Sprintf("%s %s %s→%s", sh.UserID, src, sh.Start.UTC().Format("01-02T15:04"), sh.End.UTC().Format("01-02T15:04"))
}

func daily(start time.Time, members ...string) Layer {
	return Layer{Members: members, Start: start, Handoff: Handoff{Every: 1, Unit: Day}}
}

var weekdays = []time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday}

func workingHours(members ...string) Layer {
	return Layer{
		Members: members, Start: wallAt(2026, 1, 5, 0, 0), Handoff: Handoff{Every: 1, Unit: Week},
		Restrictions: []Restriction{{Weekdays: weekdays, Start: TimeOfDay{9, 0}, End: TimeOfDay{17, 0}}},
	}
}

type shiftCase struct {
	name     string
	schedule Schedule
	from, to string // UTC
	want     []string
	// onCall are instants (UTC) and who is on call then ("" nobody).
	onCall map[string]string
}

func runShiftCases(t *testing.T, tests []shiftCase) {
	t.Helper()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if err := tt.schedule.Validate(); err != nil {
				t.Fatalf("schedule invalid: %v", err)
			}
			shifts := tt.schedule.Shifts(utc(t, tt.from), utc(t, tt.to))
			var got []string
			for _, sh := range shifts {
				got = append(got, render(sh))
			}
			if !slices.Equal(got, tt.want) {
				t.Fatalf("Shifts:\n got %q\nwant %q", got, tt.want)
			}
			checkTimeline(t, tt.schedule, utc(t, tt.from), utc(t, tt.to), shifts)
			for at, want := range tt.onCall {
				got := tt.schedule.OnCall(utc(t, at))
				if want == "" && got != nil || want != "" && !slices.Equal(got, []string{want}) {
					t.Errorf("OnCall(%s) = %q, want %q", at, got, want)
				}
			}
		})
	}
}

func TestRotations(t *testing.T) {
	t.Parallel()
	runShiftCases(t, []shiftCase{
		{
			name: "every 8 hours",
			schedule: Schedule{TimeZone: "UTC", Layers: []Layer{{
				Members: []string{"a", "b", "c"}, Start: wallAt(2026, 1, 5, 0, 0), Handoff: Handoff{8, Hour},
			}}},
			from: "2026-01-05T00:00", to: "2026-01-06T04:00",
			want:   []string{"a L0 01-05T00:00→01-05T08:00", "b L0 01-05T08:00→01-05T16:00", "c L0 01-05T16:00→01-06T00:00", "a L0 01-06T00:00→01-06T04:00"},
			onCall: map[string]string{"2026-01-05T07:59": "a", "2026-01-05T08:00": "b", "2026-01-04T23:59": ""},
		},
		{
			name:     "daily at 09:00 Berlin, nobody before the start",
			schedule: Schedule{TimeZone: "Europe/Berlin", Layers: []Layer{daily(wallAt(2026, 1, 5, 9, 0), "a", "b")}},
			from:     "2026-01-05T00:00", to: "2026-01-07T12:00",
			want:   []string{"a L0 01-05T08:00→01-06T08:00", "b L0 01-06T08:00→01-07T08:00", "a L0 01-07T08:00→01-07T12:00"},
			onCall: map[string]string{"2026-01-05T07:59": "", "2026-01-05T08:00": "a", "2026-03-02T12:00": "a", "2026-03-01T12:00": "b"},
		},
		{
			name: "every 2 weeks",
			schedule: Schedule{TimeZone: "UTC", Layers: []Layer{{
				Members: []string{"a", "b"}, Start: wallAt(2026, 1, 5, 9, 0), Handoff: Handoff{2, Week},
			}}},
			from: "2026-01-01T00:00", to: "2026-02-16T09:00",
			want: []string{"a L0 01-05T09:00→01-19T09:00", "b L0 01-19T09:00→02-02T09:00", "a L0 02-02T09:00→02-16T09:00"},
		},
		{
			name:     "a single member is one shift",
			schedule: Schedule{TimeZone: "UTC", Layers: []Layer{daily(wallAt(2026, 1, 5, 9, 0), "a")}},
			from:     "2026-01-01T00:00", to: "2026-01-10T00:00",
			want: []string{"a L0 01-05T09:00→01-10T00:00"},
		},
		{
			name:     "a member twice in a row is one shift",
			schedule: Schedule{TimeZone: "UTC", Layers: []Layer{daily(wallAt(2026, 1, 5, 0, 0), "a", "a", "b")}},
			from:     "2026-01-05T00:00", to: "2026-01-09T00:00",
			want: []string{"a L0 01-05T00:00→01-07T00:00", "b L0 01-07T00:00→01-08T00:00", "a L0 01-08T00:00→01-09T00:00"},
		},
		{
			name:     "an empty window",
			schedule: Schedule{TimeZone: "UTC", Layers: []Layer{daily(wallAt(2026, 1, 5, 0, 0), "a")}},
			from:     "2026-01-06T00:00", to: "2026-01-06T00:00",
		},
	})
}

func TestRestrictions(t *testing.T) {
	t.Parallel()
	runShiftCases(t, []shiftCase{
		{
			name: "working hours; the rotation turns outside them",
			schedule: Schedule{TimeZone: "UTC", Layers: []Layer{{
				Members: []string{"a", "b"}, Start: wallAt(2026, 1, 5, 9, 0), Handoff: Handoff{1, Day},
				Restrictions: []Restriction{{Weekdays: weekdays, Start: TimeOfDay{9, 0}, End: TimeOfDay{17, 0}}},
			}}},
			// Friday to Monday: Friday is turn 4 (a), Monday turn 7 (b).
			from: "2026-01-09T00:00", to: "2026-01-12T18:00",
			want:   []string{"a L0 01-09T09:00→01-09T17:00", "b L0 01-12T09:00→01-12T17:00"},
			onCall: map[string]string{"2026-01-09T08:59": "", "2026-01-09T16:59": "a", "2026-01-09T17:00": "", "2026-01-10T12:00": ""},
		},
		{
			name: "a night crosses midnight, also into the window",
			schedule: Schedule{TimeZone: "UTC", Layers: []Layer{{
				Members: []string{"a"}, Start: wallAt(2026, 1, 1, 0, 0), Handoff: Handoff{1, Week},
				Restrictions: []Restriction{{Weekdays: []time.Weekday{time.Friday}, Start: TimeOfDay{22, 0}, End: TimeOfDay{6, 0}}},
			}}},
			from: "2026-01-10T00:00", to: "2026-01-17T23:00",
			want: []string{"a L0 01-10T00:00→01-10T06:00", "a L0 01-16T22:00→01-17T06:00"},
		},
		{
			name: "adjacent windows merge; 00:00–00:00 is a whole day",
			schedule: Schedule{TimeZone: "UTC", Layers: []Layer{{
				Members: []string{"a"}, Start: wallAt(2026, 1, 1, 0, 0), Handoff: Handoff{1, Week},
				Restrictions: []Restriction{
					{Weekdays: []time.Weekday{time.Monday}, Start: TimeOfDay{12, 0}, End: TimeOfDay{17, 0}},
					{Weekdays: []time.Weekday{time.Monday}, Start: TimeOfDay{9, 0}, End: TimeOfDay{12, 0}},
					{Weekdays: []time.Weekday{time.Saturday}, Start: TimeOfDay{0, 0}, End: TimeOfDay{0, 0}},
				},
			}}},
			from: "2026-01-10T00:00", to: "2026-01-13T00:00",
			want: []string{"a L0 01-10T00:00→01-11T00:00", "a L0 01-12T09:00→01-12T17:00"},
		},
		{
			name: "working hours in New York",
			schedule: Schedule{TimeZone: "America/New_York", Layers: []Layer{{
				Members: []string{"a"}, Start: wallAt(2026, 1, 5, 9, 0), Handoff: Handoff{1, Week},
				Restrictions: []Restriction{{Weekdays: weekdays, Start: TimeOfDay{9, 0}, End: TimeOfDay{17, 0}}},
			}}},
			from: "2026-01-05T00:00", to: "2026-01-06T12:00",
			want: []string{"a L0 01-05T14:00→01-05T22:00"},
		},
	})
}

func TestLayersAndOverrides(t *testing.T) {
	t.Parallel()
	twoLayers := func(overrides ...Override) Schedule {
		return Schedule{
			TimeZone:  "UTC",
			Layers:    []Layer{daily(wallAt(2026, 1, 5, 0, 0), "a", "b"), workingHours("c")},
			Overrides: overrides,
		}
	}
	over := func(user, from, to string) Override {
		return Override{UserID: user, From: utc(t, from), To: utc(t, to)}
	}
	runShiftCases(t, []shiftCase{
		{
			name:     "a later layer takes precedence where it has someone",
			schedule: twoLayers(),
			from:     "2026-01-05T00:00", to: "2026-01-06T12:00",
			want: []string{"a L0 01-05T00:00→01-05T09:00", "c L1 01-05T09:00→01-05T17:00", "a L0 01-05T17:00→01-06T00:00",
				"b L0 01-06T00:00→01-06T09:00", "c L1 01-06T09:00→01-06T12:00"},
		},
		{
			name: "a later layer starting later",
			schedule: Schedule{TimeZone: "UTC", Layers: []Layer{
				daily(wallAt(2026, 1, 5, 0, 0), "a"), daily(wallAt(2026, 1, 6, 6, 0), "b"),
			}},
			from: "2026-01-05T00:00", to: "2026-01-07T00:00",
			want: []string{"a L0 01-05T00:00→01-06T06:00", "b L1 01-06T06:00→01-07T00:00"},
		},
		{
			name:     "an override over every layer",
			schedule: twoLayers(over("d", "2026-01-05T12:00", "2026-01-05T20:00")),
			from:     "2026-01-05T00:00", to: "2026-01-06T00:00",
			want:   []string{"a L0 01-05T00:00→01-05T09:00", "c L1 01-05T09:00→01-05T12:00", "d O 01-05T12:00→01-05T20:00", "a L0 01-05T20:00→01-06T00:00"},
			onCall: map[string]string{"2026-01-05T12:00": "d", "2026-01-05T20:00": "a"},
		},
		{
			name: "a later override over an earlier one",
			schedule: twoLayers(
				over("d", "2026-01-05T12:00", "2026-01-05T14:00"),
				over("e", "2026-01-05T13:00", "2026-01-05T15:00"),
			),
			from: "2026-01-05T10:00", to: "2026-01-05T16:00",
			want: []string{"c L1 01-05T10:00→01-05T12:00", "d O 01-05T12:00→01-05T13:00", "e O 01-05T13:00→01-05T15:00", "c L1 01-05T15:00→01-05T16:00"},
		},
		{
			name: "overrides are clipped, adjacent ones of a user merge, a layer's shift stays apart",
			schedule: twoLayers(
				over("a", "2026-01-05T17:00", "2026-01-05T19:00"),
				over("a", "2026-01-05T19:00", "2026-01-06T03:00"),
				over("z", "2025-12-01T00:00", "2025-12-02T00:00"),
			),
			from: "2026-01-05T16:00", to: "2026-01-05T21:00",
			want: []string{"c L1 01-05T16:00→01-05T17:00", "a O 01-05T17:00→01-05T21:00"},
		},
		{
			name:     "an override where nobody is on call",
			schedule: Schedule{TimeZone: "UTC", Overrides: []Override{over("d", "2026-01-05T12:00", "2026-01-05T14:00")}},
			from:     "2026-01-05T00:00", to: "2026-01-06T00:00",
			want:   []string{"d O 01-05T12:00→01-05T14:00"},
			onCall: map[string]string{"2026-01-05T11:00": "", "2026-01-05T13:00": "d"},
		},
	})
}

// checkTimeline checks what every timeline holds: shifts in order within
// the window, without overlaps, merged, and OnCall agreeing with them at
// their edges and middles and in the gaps.
func checkTimeline(tb testing.TB, s Schedule, from, to time.Time, shifts []Shift) {
	tb.Helper()
	onCall := func(at time.Time, want string) {
		tb.Helper()
		got := s.OnCall(at)
		if want == "" && got != nil || want != "" && !slices.Equal(got, []string{want}) {
			tb.Fatalf("OnCall(%s) = %q, the timeline says %q", at.UTC().Format(time.RFC3339Nano), got, want)
		}
	}
	prev := from
	for i, sh := range shifts {
		if !sh.Start.Before(sh.End) || sh.Start.Before(prev) || sh.End.After(to) {
			tb.Fatalf("shift %d %s is empty, overlaps the one before or leaves [%s, %s)", i, render(sh), from, to)
		}
		if sh.Override != (sh.Layer == -1) || sh.Layer >= len(s.Layers) {
			tb.Fatalf("shift %d %s has a bad source", i, render(sh))
		}
		if i > 0 {
			p := shifts[i-1]
			if p.End.Equal(sh.Start) && p.UserID == sh.UserID && p.Layer == sh.Layer && p.Override == sh.Override {
				tb.Fatalf("shifts %d and %d should be one: %s, %s", i-1, i, render(p), render(sh))
			}
		}
		if prev.Before(sh.Start) { // a gap
			onCall(prev, "")
			onCall(mid(prev, sh.Start), "")
		}
		onCall(sh.Start, sh.UserID)
		onCall(mid(sh.Start, sh.End), sh.UserID)
		onCall(sh.End.Add(-1), sh.UserID)
		prev = sh.End
	}
	if prev.Before(to) {
		onCall(prev, "")
		onCall(mid(prev, to), "")
	}
}

func mid(a, b time.Time) time.Time { return a.Add(b.Sub(a) / 2) }

// TestFarFuture: who is on call centuries ahead comes from date
// arithmetic, not from durations, which saturate after 292 years.
func TestFarFuture(t *testing.T) {
	t.Parallel()
	start := wallAt(2026, 1, 5, 9, 0)
	for _, unit := range []Unit{Hour, Day, Week} {
		s := Schedule{TimeZone: "UTC", Layers: []Layer{{Members: []string{"a", "b", "c"}, Start: start, Handoff: Handoff{1, unit}}}}
		at := time.Date(2400, 7, 1, 12, 30, 0, 0, time.UTC)
		perTurn := map[Unit]int64{Hour: 3600, Day: 86400, Week: 7 * 86400}[unit]
		want := s.Layers[0].Members[(at.Unix()-start.Unix())/perTurn%3]
		if got := s.OnCall(at); !slices.Equal(got, []string{want}) {
			t.Errorf("%s: OnCall(%s) = %q, want %q", unit, at, got, want)
		}
	}
}
