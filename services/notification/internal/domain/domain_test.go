package domain

import (
	"errors"
	"testing"
	"time"

	"github.com/upstatehq/upstate/services/notification/internal/escalation"
)

const (
	usrA = "usr_01jz00000000000000000000a1"
	usrB = "usr_01jz00000000000000000000b1"
	schA = "sch_01jz00000000000000000000a1"
	chnA = "chn_01jz00000000000000000000a1"
	svcA = "svc_01jz00000000000000000000a1"
)

// field returns the field a validation error names, "" for nil, and fails
// on any other error.
func field(t *testing.T, err error) string {
	t.Helper()
	if err == nil {
		return ""
	}
	var verr *ValidationError
	if !errors.As(err, &verr) {
		t.Fatalf("err = %v, want a ValidationError", err)
	}
	return verr.Field
}

func TestUserSpecValidate(t *testing.T) {
	ok := UserSpec{Name: "Ada", Email: "ada@example.com", TimeZone: "Europe/Paris", SlackMemberID: "U024BE7LH", Phone: "+33612345678", ChannelIDs: []string{chnA}}
	for _, tc := range []struct {
		name   string
		mutate func(*UserSpec)
		want   string
	}{
		{"valid", func(*UserSpec) {}, ""},
		{"no zone is UTC", func(s *UserSpec) { s.TimeZone = "" }, ""},
		{"no name", func(s *UserSpec) { s.Name = " " }, "name"},
		{"not an email", func(s *UserSpec) { s.Email = "ada" }, "email"},
		{"a display name is not an email", func(s *UserSpec) { s.Email = "Ada <ada@example.com>" }, "email"},
		{"unknown zone", func(s *UserSpec) { s.TimeZone = "Europe/Atlantis" }, "time_zone"},
		{"Go's Local is no IANA zone", func(s *UserSpec) { s.TimeZone = "Local" }, "time_zone"},
		{"slack id", func(s *UserSpec) { s.SlackMemberID = "ada" }, "slack_member_id"},
		{"phone not E.164", func(s *UserSpec) { s.Phone = "0612345678" }, "phone"},
		{"channel of another kind", func(s *UserSpec) { s.ChannelIDs = []string{usrA} }, "channel_ids[0]"},
		{"channel twice", func(s *UserSpec) { s.ChannelIDs = []string{chnA, chnA} }, "channel_ids[1]"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := ok
			tc.mutate(&s)
			if got := field(t, s.Normalize().Validate()); got != tc.want {
				t.Errorf("invalid field = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestScheduleSpecValidate(t *testing.T) {
	layer := func() Layer {
		return Layer{Name: "weekly", Members: []string{usrA, usrB}, Start: "2026-12-07T09:00:00", Handoff: Handoff{Every: 1, Unit: "week"},
			Restrictions: []Restriction{{Days: []string{"mon", "fri"}, Start: "09:00", End: "17:00"}}}
	}
	for _, tc := range []struct {
		name   string
		mutate func(*ScheduleSpec)
		want   string
	}{
		{"valid", func(*ScheduleSpec) {}, ""},
		{"no layer", func(s *ScheduleSpec) { s.Layers = nil }, "layers"},
		{"zone", func(s *ScheduleSpec) { s.TimeZone = "CEST" }, "time_zone"},
		{"member not a user id", func(s *ScheduleSpec) { s.Layers[0].Members = []string{schA} }, "layers[0].members[0]"},
		{"no member", func(s *ScheduleSpec) { s.Layers[0].Members = nil }, "layers[0].members"},
		{"start with an offset", func(s *ScheduleSpec) { s.Layers[0].Start = "2026-12-07T09:00:00Z" }, "layers[0].start"},
		{"unit", func(s *ScheduleSpec) { s.Layers[0].Handoff.Unit = "month" }, "layers[0].handoff.unit"},
		{"every", func(s *ScheduleSpec) { s.Layers[0].Handoff.Every = 0 }, "layers[0].handoff.every"},
		{"day", func(s *ScheduleSpec) { s.Layers[0].Restrictions[0].Days = []string{"monday"} }, "layers[0].restrictions[0].days"},
		{"time", func(s *ScheduleSpec) { s.Layers[0].Restrictions[0].End = "25:00" }, "layers[0].restrictions[0].end"},
		{"no days is every day", func(s *ScheduleSpec) { s.Layers[0].Restrictions[0].Days = nil }, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := ScheduleSpec{Name: "Primary", TimeZone: "Europe/Berlin", Layers: []Layer{layer()}}
			tc.mutate(&s)
			if got := field(t, s.Normalize().Validate()); got != tc.want {
				t.Errorf("invalid field = %q, want %q", got, tc.want)
			}
		})
	}
}

// A restriction without days holds every day; the rotation reads the
// start as a wall time in the schedule's zone.
func TestRotation(t *testing.T) {
	s := ScheduleSpec{Name: "Primary", TimeZone: "Europe/Berlin", Layers: []Layer{{Members: []string{usrA}, Start: "2026-12-07T09:00:00",
		Handoff: Handoff{Every: 1, Unit: "day"}, Restrictions: []Restriction{{Start: "09:00", End: "17:00"}}}}}
	rot, err := s.Normalize().Rotation([]Override{{UserID: usrB, From: time.Date(2026, 12, 12, 0, 0, 0, 0, time.UTC), To: time.Date(2026, 12, 13, 0, 0, 0, 0, time.UTC)}})
	if err != nil {
		t.Fatal(err)
	}
	if got := len(rot.Layers[0].Restrictions[0].Weekdays); got != 7 {
		t.Errorf("weekdays = %d, want 7", got)
	}
	for _, tc := range []struct {
		at   time.Time
		want string
	}{
		{time.Date(2026, 12, 8, 8, 30, 0, 0, time.UTC), usrA},  // Tuesday 09:30 CET
		{time.Date(2026, 12, 8, 16, 30, 0, 0, time.UTC), ""},   // 17:30 CET: outside the restriction
		{time.Date(2026, 12, 12, 20, 0, 0, 0, time.UTC), usrB}, // Saturday: the override
	} {
		got := ""
		if on := rot.OnCall(tc.at); len(on) > 0 {
			got = on[0]
		}
		if got != tc.want {
			t.Errorf("on call at %s = %q, want %q", tc.at, got, tc.want)
		}
	}
}

func TestPolicySpecValidate(t *testing.T) {
	valid := func() PolicySpec {
		return PolicySpec{Name: "Default", Policy: escalation.Policy{Steps: []escalation.Step{
			{After: 0, Targets: []escalation.Target{{ScheduleID: schA}}},
			{After: 5 * time.Minute, Targets: []escalation.Target{{UserID: usrA}, {ChannelID: chnA}}},
		}}}
	}
	for _, tc := range []struct {
		name   string
		mutate func(*PolicySpec)
		want   string
	}{
		{"valid", func(*PolicySpec) {}, ""},
		{"no name", func(p *PolicySpec) { p.Name = "" }, "name"},
		{"no step", func(p *PolicySpec) { p.Steps = nil }, "steps"},
		{"out of order", func(p *PolicySpec) { p.Steps[1].After = 0 }, "steps[1].after"},
		{"two kinds", func(p *PolicySpec) { p.Steps[0].Targets[0].UserID = usrA }, "steps[0].targets[0]"},
		{"no kind", func(p *PolicySpec) { p.Steps[0].Targets[0] = escalation.Target{} }, "steps[0].targets[0]"},
		{"a user id as a schedule", func(p *PolicySpec) { p.Steps[0].Targets[0].ScheduleID = usrA }, "steps[0].targets[0].schedule_id"},
		{"a malformed channel", func(p *PolicySpec) { p.Steps[1].Targets[1].ChannelID = "slack" }, "steps[1].targets[1].channel_id"},
		{"repeat", func(p *PolicySpec) { p.Repeat = 10 }, "repeat"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := valid()
			tc.mutate(&p)
			if got := field(t, p.Normalize().Validate()); got != tc.want {
				t.Errorf("invalid field = %q, want %q", got, tc.want)
			}
		})
	}
	users, schedules := valid().References()
	if len(users) != 1 || users[0] != usrA || len(schedules) != 1 || schedules[0] != schA {
		t.Errorf("references = %v %v", users, schedules)
	}
}

func TestRouteSpecValidate(t *testing.T) {
	for _, tc := range []struct {
		name   string
		mutate func(*RouteSpec)
		want   string
	}{
		{"valid", func(*RouteSpec) {}, ""},
		{"no event", func(r *RouteSpec) { r.Events = nil }, "events"},
		{"unknown event", func(r *RouteSpec) { r.Events = []string{"alert.fired"} }, "events[0]"},
		{"event twice", func(r *RouteSpec) { r.Events = []string{"incident.opened", "incident.opened"} }, "events[1]"},
		{"two selections", func(r *RouteSpec) { r.Services.All = true }, "services"},
		{"no selection", func(r *RouteSpec) { r.Services = Selector{} }, "services"},
		{"tags", func(r *RouteSpec) { r.Services = Selector{Tags: map[string]string{"team": "payments"}} }, ""},
		{"a user as a service", func(r *RouteSpec) { r.Services.ServiceIDs = []string{usrA} }, "services.service_ids[0]"},
		{"no channel", func(r *RouteSpec) { r.ChannelIDs = nil }, "channel_ids"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := RouteSpec{Name: "Payments", Events: []string{"incident.opened"}, Services: Selector{ServiceIDs: []string{svcA}}, ChannelIDs: []string{chnA}}
			tc.mutate(&r)
			if got := field(t, r.Normalize().Validate()); got != tc.want {
				t.Errorf("invalid field = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestCheckRange(t *testing.T) {
	from := time.Date(2026, 12, 7, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		to   time.Time
		want string
	}{
		{from.Add(time.Hour), ""},
		{from, "to"},
		{from.Add(91 * 24 * time.Hour), "to"},
	} {
		if got := field(t, CheckRange("from", "to", from, tc.to)); got != tc.want {
			t.Errorf("CheckRange(%s) = %q, want %q", tc.to, got, tc.want)
		}
	}
	if got := field(t, CheckRange("from", "to", time.Time{}, from)); got != "from" {
		t.Errorf("no from: %q", got)
	}
}
