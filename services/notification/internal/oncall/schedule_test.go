package oncall

import (
	"errors"
	"testing"
	"time"
)

func validSchedule() Schedule {
	return Schedule{
		TimeZone: "Europe/Berlin",
		Layers: []Layer{{
			Name: "primary", Members: []string{"usr_a", "usr_b"},
			Start:   time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC),
			Handoff: Handoff{Every: 1, Unit: Week},
			Restrictions: []Restriction{{
				Weekdays: []time.Weekday{time.Monday, time.Friday},
				Start:    TimeOfDay{9, 0}, End: TimeOfDay{17, 30},
			}},
		}},
		Overrides: []Override{{UserID: "usr_c", From: time.Date(2026, 1, 6, 0, 0, 0, 0, time.UTC), To: time.Date(2026, 1, 7, 0, 0, 0, 0, time.UTC)}},
	}
}

func TestValidate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		edit  func(*Schedule)
		field string // "" when valid
	}{
		{"valid", func(*Schedule) {}, ""},
		{"no layers", func(s *Schedule) { s.Layers = nil }, ""},
		{"zone missing", func(s *Schedule) { s.TimeZone = "" }, "time_zone"},
		{"zone unknown", func(s *Schedule) { s.TimeZone = "Mars/Olympus" }, "time_zone"},
		{"zone of the host", func(s *Schedule) { s.TimeZone = "Local" }, "time_zone"},
		{"too many layers", func(s *Schedule) { s.Layers = make([]Layer, MaxLayers+1) }, "layers"},
		{"no members", func(s *Schedule) { s.Layers[0].Members = nil }, "layers[0].members"},
		{"blank member", func(s *Schedule) { s.Layers[0].Members[1] = " " }, "layers[0].members[1]"},
		{"no start", func(s *Schedule) { s.Layers[0].Start = time.Time{} }, "layers[0].start"},
		{"bad unit", func(s *Schedule) { s.Layers[0].Handoff.Unit = "month" }, "layers[0].handoff.unit"},
		{"every zero", func(s *Schedule) { s.Layers[0].Handoff.Every = 0 }, "layers[0].handoff.every"},
		{"every too long", func(s *Schedule) { s.Layers[0].Handoff.Every = 53 }, "layers[0].handoff.every"},
		{"hours up to a year", func(s *Schedule) { s.Layers[0].Handoff = Handoff{Every: 366 * 24, Unit: Hour} }, ""},
		{"no weekdays", func(s *Schedule) { s.Layers[0].Restrictions[0].Weekdays = nil }, "layers[0].restrictions[0].weekdays"},
		{"bad weekday", func(s *Schedule) { s.Layers[0].Restrictions[0].Weekdays = []time.Weekday{7} }, "layers[0].restrictions[0].weekdays"},
		{"bad start", func(s *Schedule) { s.Layers[0].Restrictions[0].Start = TimeOfDay{24, 0} }, "layers[0].restrictions[0].start"},
		{"bad end", func(s *Schedule) { s.Layers[0].Restrictions[0].End = TimeOfDay{9, 60} }, "layers[0].restrictions[0].end"},
		{"override without user", func(s *Schedule) { s.Overrides[0].UserID = "" }, "overrides[0].user_id"},
		{"override backwards", func(s *Schedule) { s.Overrides[0].To = s.Overrides[0].From }, "overrides[0].to"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := validSchedule()
			tt.edit(&s)
			err := s.Validate()
			if tt.field == "" {
				if err != nil {
					t.Fatalf("Validate() = %v, want nil", err)
				}
				return
			}
			var ve *ValidationError
			if !errors.As(err, &ve) || ve.Field != tt.field || !errors.Is(err, ErrInvalid) {
				t.Fatalf("Validate() = %v, want a ValidationError of field %s", err, tt.field)
			}
		})
	}
}

func TestParseTimeOfDay(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{"09:00": "09:00", "23:59": "23:59", "00:00": "00:00"} {
		got, err := ParseTimeOfDay(in)
		if err != nil || got.String() != want {
			t.Errorf("ParseTimeOfDay(%q) = %v, %v; want %s", in, got, err, want)
		}
	}
	for _, in := range []string{"24:00", "9:00", "09:60", "0900", "", "09:00:00"} {
		if _, err := ParseTimeOfDay(in); err == nil {
			t.Errorf("ParseTimeOfDay(%q) succeeded, want an error", in)
		}
	}
}
