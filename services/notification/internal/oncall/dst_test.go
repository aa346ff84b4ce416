package oncall

import (
	"testing"
	"time"
)

// In 2026 Berlin springs forward on 29 March (02:00 CET → 03:00 CEST) and
// falls back on 25 October (03:00 CEST → 02:00 CET); New York on 8 March
// (02:00 EST → 03:00 EDT) and 1 November (02:00 EDT → 01:00 EST).
func TestDST(t *testing.T) {
	t.Parallel()
	in := func(zone string, layers ...Layer) Schedule { return Schedule{TimeZone: zone, Layers: layers} }
	runShiftCases(t, []shiftCase{
		{
			name:     "Berlin spring: a daily 09:00 hand-off stays at 09:00, the day has 23 hours",
			schedule: in("Europe/Berlin", daily(wallAt(2026, 3, 27, 9, 0), "a", "b")),
			from:     "2026-03-27T08:00", to: "2026-03-31T07:00",
			want: []string{"a L0 03-27T08:00→03-28T08:00", "b L0 03-28T08:00→03-29T07:00", "a L0 03-29T07:00→03-30T07:00", "b L0 03-30T07:00→03-31T07:00"},
		},
		{
			name:     "Berlin spring: a skipped 02:30 hand-off is 03:30 CEST",
			schedule: in("Europe/Berlin", daily(wallAt(2026, 3, 27, 2, 30), "a", "b")),
			from:     "2026-03-27T01:30", to: "2026-03-30T00:30",
			want: []string{"a L0 03-27T01:30→03-28T01:30", "b L0 03-28T01:30→03-29T01:30", "a L0 03-29T01:30→03-30T00:30"},
		},
		{
			name:     "Berlin spring: hours are elapsed, so the wall time moves",
			schedule: in("Europe/Berlin", Layer{Members: []string{"a", "b"}, Start: wallAt(2026, 3, 28, 21, 0), Handoff: Handoff{12, Hour}}),
			from:     "2026-03-28T20:00", to: "2026-03-29T20:00",
			// 21:00 CET, then 10:00 CEST.
			want: []string{"a L0 03-28T20:00→03-29T08:00", "b L0 03-29T08:00→03-29T20:00"},
		},
		{
			name:     "Berlin spring: a weekly Monday 09:00 hand-off, a week of 167 hours",
			schedule: in("Europe/Berlin", Layer{Members: []string{"a", "b"}, Start: wallAt(2026, 3, 23, 9, 0), Handoff: Handoff{1, Week}}),
			from:     "2026-03-23T08:00", to: "2026-04-06T07:00",
			want: []string{"a L0 03-23T08:00→03-30T07:00", "b L0 03-30T07:00→04-06T07:00"},
		},
		{
			name: "Berlin spring: a night restriction loses the skipped hour",
			schedule: in("Europe/Berlin", Layer{
				Members: []string{"a"}, Start: wallAt(2026, 3, 1, 0, 0), Handoff: Handoff{1, Week},
				Restrictions: []Restriction{{Weekdays: []time.Weekday{time.Sunday}, Start: TimeOfDay{0, 0}, End: TimeOfDay{6, 0}}},
			}),
			from: "2026-03-28T00:00", to: "2026-03-30T00:00",
			want: []string{"a L0 03-28T23:00→03-29T04:00"},
		},
		{
			name:     "Berlin autumn: a daily 09:00 hand-off stays at 09:00, the day has 25 hours",
			schedule: in("Europe/Berlin", daily(wallAt(2026, 10, 23, 9, 0), "a", "b")),
			from:     "2026-10-24T07:00", to: "2026-10-26T08:00",
			want: []string{"b L0 10-24T07:00→10-25T08:00", "a L0 10-25T08:00→10-26T08:00"},
		},
		{
			name:     "Berlin autumn: a repeated 02:30 hand-off is the first one (CEST)",
			schedule: in("Europe/Berlin", daily(wallAt(2026, 10, 24, 2, 30), "a", "b")),
			from:     "2026-10-24T00:30", to: "2026-10-26T01:30",
			want: []string{"a L0 10-24T00:30→10-25T00:30", "b L0 10-25T00:30→10-26T01:30"},
			onCall: map[string]string{
				"2026-10-25T00:29": "a", "2026-10-25T00:30": "b", // 02:29 and 02:30 CEST
				"2026-10-25T01:30": "b", // 02:30 CET, the second time
			},
		},
		{
			name: "Berlin autumn: a night restriction gains the repeated hour",
			schedule: in("Europe/Berlin", Layer{
				Members: []string{"a"}, Start: wallAt(2026, 10, 1, 0, 0), Handoff: Handoff{1, Week},
				Restrictions: []Restriction{{Weekdays: []time.Weekday{time.Sunday}, Start: TimeOfDay{0, 0}, End: TimeOfDay{6, 0}}},
			}),
			from: "2026-10-24T00:00", to: "2026-10-26T00:00",
			want: []string{"a L0 10-24T22:00→10-25T05:00"},
		},
		{
			name:     "New York spring: a skipped 02:30 hand-off is 03:30 EDT",
			schedule: in("America/New_York", daily(wallAt(2026, 3, 7, 2, 30), "a", "b")),
			from:     "2026-03-07T07:30", to: "2026-03-09T06:30",
			want: []string{"a L0 03-07T07:30→03-08T07:30", "b L0 03-08T07:30→03-09T06:30"},
		},
		{
			name:     "New York autumn: a repeated 01:30 hand-off is the first one (EDT)",
			schedule: in("America/New_York", daily(wallAt(2026, 10, 31, 1, 30), "a", "b")),
			from:     "2026-10-31T05:30", to: "2026-11-02T06:30",
			want: []string{"a L0 10-31T05:30→11-01T05:30", "b L0 11-01T05:30→11-02T06:30"},
		},
		{
			name:     "New York autumn: a layer starting at a repeated time starts at its first occurrence",
			schedule: in("America/New_York", daily(wallAt(2026, 11, 1, 1, 30), "a")),
			from:     "2026-11-01T00:00", to: "2026-11-01T12:00",
			want: []string{"a L0 11-01T05:30→11-01T12:00"},
		},
	})
}

// TestWall pins the resolution of skipped and repeated wall times.
func TestWall(t *testing.T) {
	t.Parallel()
	berlin, _ := time.LoadLocation("Europe/Berlin")
	lordHowe, _ := time.LoadLocation("Australia/Lord_Howe") // a 30-minute shift
	tests := []struct {
		loc  *time.Location
		d    date
		c    clock
		want string
	}{
		{berlin, date{2026, 3, 29}, clock{1, 59, 59}, "2026-03-29T00:59:59Z"},
		{berlin, date{2026, 3, 29}, clock{2, 0, 0}, "2026-03-29T01:00:00Z"},
		{berlin, date{2026, 3, 29}, clock{2, 30, 0}, "2026-03-29T01:30:00Z"},
		{berlin, date{2026, 3, 29}, clock{3, 0, 0}, "2026-03-29T01:00:00Z"},
		{berlin, date{2026, 10, 25}, clock{2, 0, 0}, "2026-10-25T00:00:00Z"},
		{berlin, date{2026, 10, 25}, clock{2, 59, 0}, "2026-10-25T00:59:00Z"},
		{berlin, date{2026, 10, 25}, clock{3, 0, 0}, "2026-10-25T02:00:00Z"},
		// Lord Howe: 02:00 +10:30 → 02:30 +11 on 4 October 2026.
		{lordHowe, date{2026, 10, 4}, clock{2, 15, 0}, "2026-10-03T15:45:00Z"},
		// and 02:00 +11 → 01:30 +10:30 on 5 April 2026.
		{lordHowe, date{2026, 4, 5}, clock{1, 45, 0}, "2026-04-04T14:45:00Z"},
	}
	for _, tt := range tests {
		if got := wall(tt.d, tt.c, tt.loc).UTC().Format(time.RFC3339); got != tt.want {
			t.Errorf("wall(%v %v, %s) = %s, want %s", tt.d, tt.c, tt.loc, got, tt.want)
		}
	}
}
