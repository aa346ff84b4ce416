package domain_test

import (
	"testing"
	"time"

	"github.com/upstatehq/upstate/services/sla/internal/domain"
)

func mustZone(t testing.TB, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

// Days are calendar days in the zone: 23 hours when the clocks go
// forward, 25 when they go back, and starting at local midnight.
func TestDays(t *testing.T) {
	t.Parallel()
	berlin := mustZone(t, "Europe/Berlin")
	kolkata := mustZone(t, "Asia/Kolkata")
	tests := []struct {
		name  string
		loc   *time.Location
		now   time.Time
		n     int
		dates []string
		hours []float64
		first time.Time
	}{
		{
			name: "UTC", loc: time.UTC, now: time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC), n: 3,
			dates: []string{"2026-12-01", "2026-12-02", "2026-12-03"}, hours: []float64{24, 24, 24},
			first: time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC),
		},
		{
			name: "spring forward in Berlin", loc: berlin, now: time.Date(2026, 3, 30, 12, 0, 0, 0, time.UTC), n: 3,
			dates: []string{"2026-03-28", "2026-03-29", "2026-03-30"}, hours: []float64{24, 23, 24},
			first: time.Date(2026, 3, 27, 23, 0, 0, 0, time.UTC),
		},
		{
			name: "fall back in Berlin", loc: berlin, now: time.Date(2026, 10, 25, 23, 30, 0, 0, time.UTC), n: 2,
			// 23:30 UTC on the 25th is already the 26th in Berlin.
			dates: []string{"2026-10-25", "2026-10-26"}, hours: []float64{25, 24},
			first: time.Date(2026, 10, 24, 22, 0, 0, 0, time.UTC),
		},
		{
			name: "a zone half an hour off the hour", loc: kolkata, now: time.Date(2026, 12, 1, 20, 0, 0, 0, time.UTC), n: 1,
			dates: []string{"2026-12-02"}, hours: []float64{24},
			first: time.Date(2026, 12, 1, 18, 30, 0, 0, time.UTC),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			days := domain.Days(tt.loc, tt.n, tt.now)
			if len(days) != tt.n {
				t.Fatalf("%d days, want %d", len(days), tt.n)
			}
			if !days[0].Span.From.Equal(tt.first) {
				t.Errorf("first day starts %s, want %s", days[0].Span.From, tt.first)
			}
			for i, d := range days {
				if d.Date != tt.dates[i] || d.Span.To.Sub(d.Span.From).Hours() != tt.hours[i] {
					t.Errorf("day %d = %s of %vh, want %s of %vh", i, d.Date, d.Span.To.Sub(d.Span.From).Hours(), tt.dates[i], tt.hours[i])
				}
				if i > 0 && !days[i-1].Span.To.Equal(d.Span.From) {
					t.Errorf("day %d does not start where day %d ends", i, i-1)
				}
			}
		})
	}
}

// An outage across the night the clocks go back in Berlin lands in the
// local days it belongs to, and the 25-hour day counts 25 hours; the
// figures from buckets agree with measuring the intervals.
func TestDailyFiguresAcrossDST(t *testing.T) {
	t.Parallel()
	berlin := mustZone(t, "Europe/Berlin")
	// Sunday 2026-10-25: 00:00 CEST is 22:00 UTC on the 24th; the day
	// ends at 00:00 CET, 23:00 UTC on the 25th.
	ts := []domain.Transition{
		{Version: 1, Status: domain.Operational, At: time.Date(2026, 10, 20, 0, 0, 0, 0, time.UTC)},
		{Version: 2, Status: domain.Down, At: time.Date(2026, 10, 24, 21, 30, 0, 0, time.UTC)},        // 23:30 CEST on the 24th
		{Version: 3, Status: domain.Operational, At: time.Date(2026, 10, 24, 22, 45, 0, 0, time.UTC)}, // 00:45 CEST on the 25th
		{Version: 4, Status: domain.Maintenance, At: time.Date(2026, 10, 25, 22, 30, 0, 0, time.UTC)}, // 23:30 CET
		{Version: 5, Status: domain.Operational, At: time.Date(2026, 10, 25, 23, 30, 0, 0, time.UTC)}, // 00:30 CET on the 26th
	}
	now := time.Date(2026, 10, 26, 12, 0, 0, 0, time.UTC)
	tl := newTimeline()
	for i := len(ts) - 1; i >= 0; i-- {
		tl.apply(ts[i])
	}
	days := domain.Days(berlin, 3, now)
	want := []domain.Figures{
		{Operational: 23*time.Hour + 30*time.Minute, Down: 30 * time.Minute, Outages: 1},
		{Operational: 23*time.Hour + 45*time.Minute, Down: 45 * time.Minute, Maintenance: 30 * time.Minute},
		{Operational: 12*time.Hour + 30*time.Minute, Maintenance: 30 * time.Minute},
	}
	for i, d := range days {
		got := tl.figures(d.Span, now)
		got.Outages = want[i].Outages // outages are counted per range, not asked per day
		if got != want[i] {
			t.Errorf("%s: %+v, want %+v", d.Date, got, want[i])
		}
		if direct := domain.Measure(domain.Build(ts), d.Span, now); direct.Down != got.Down || direct.Operational != got.Operational {
			t.Errorf("%s: from buckets %+v, measured %+v", d.Date, got, direct)
		}
	}
}

func TestDailyRequest(t *testing.T) {
	t.Parallel()
	tests := []struct {
		days  int
		zone  string
		field string
	}{
		{0, "", ""}, {365, "Europe/Berlin", ""}, {366, "", "days"}, {-1, "", "days"},
		{1, "Mars/Olympus", "tz"}, {1, "Local", "tz"}, {1, "/etc/localtime", "tz"},
	}
	for _, tt := range tests {
		n, loc, err := domain.DailyRequest(tt.days, tt.zone)
		var verr *domain.ValidationError
		switch {
		case tt.field == "" && err != nil:
			t.Errorf("%d %q: %v", tt.days, tt.zone, err)
		case tt.field == "" && (loc == nil || n < 1):
			t.Errorf("%d %q: %d days in %v", tt.days, tt.zone, n, loc)
		case tt.field != "" && !(asValidation(err, &verr) && verr.Field == tt.field):
			t.Errorf("%d %q: %v, want an error on %s", tt.days, tt.zone, err, tt.field)
		}
	}
}
