package escalation

import (
	"errors"
	"testing"
	"time"
)

func threeSteps(repeat int) Policy {
	return Policy{
		Steps: []Step{
			{After: 0, Targets: []Target{{ScheduleID: "sch_1"}}},
			{After: 5 * time.Minute, Targets: []Target{{UserID: "usr_2"}, {ScheduleID: "sch_1"}}},
			{After: 10 * time.Minute, Targets: []Target{{ChannelID: "chn_3"}}},
		},
		Repeat: repeat,
	}
}

func TestValidate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		edit  func(*Policy)
		field string // "" when valid
	}{
		{"valid", func(*Policy) {}, ""},
		{"repeat most", func(p *Policy) { p.Repeat = MaxRepeat }, ""},
		{"no steps", func(p *Policy) { p.Steps = nil }, "steps"},
		{"too many steps", func(p *Policy) { p.Steps = make([]Step, MaxSteps+1) }, "steps"},
		{"negative after", func(p *Policy) { p.Steps[0].After = -time.Second }, "steps[0].after"},
		{"after over a day", func(p *Policy) { p.Steps[2].After = 25 * time.Hour }, "steps[2].after"},
		{"after not increasing", func(p *Policy) { p.Steps[2].After = 5 * time.Minute }, "steps[2].after"},
		{"no targets", func(p *Policy) { p.Steps[1].Targets = nil }, "steps[1].targets"},
		{"empty target", func(p *Policy) { p.Steps[1].Targets[1] = Target{} }, "steps[1].targets[1]"},
		{"two ids in a target", func(p *Policy) { p.Steps[0].Targets[0].UserID = "usr_1" }, "steps[0].targets[0]"},
		{"blank id", func(p *Policy) { p.Steps[0].Targets[0] = Target{ChannelID: "  "} }, "steps[0].targets[0]"},
		{"negative repeat", func(p *Policy) { p.Repeat = -1 }, "repeat"},
		{"repeat too often", func(p *Policy) { p.Repeat = MaxRepeat + 1 }, "repeat"},
		{"repeat of one immediate step", func(p *Policy) { p.Steps = p.Steps[:1] }, "repeat"},
		{"one immediate step once", func(p *Policy) { p.Steps, p.Repeat = p.Steps[:1], 0 }, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p := threeSteps(2)
			tt.edit(&p)
			err := p.Validate()
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

func TestPeriod(t *testing.T) {
	t.Parallel()
	steps := func(afters ...time.Duration) Policy {
		var p Policy
		for _, a := range afters {
			p.Steps = append(p.Steps, Step{After: a})
		}
		return p
	}
	tests := []struct {
		name   string
		policy Policy
		want   time.Duration
	}{
		{"evenly spaced steps keep their spacing", steps(0, 5*time.Minute, 10*time.Minute), 15 * time.Minute},
		{"the last gap, not the first", steps(0, time.Minute, 30*time.Minute), 59 * time.Minute},
		{"a delayed first step", steps(2*time.Minute, 5*time.Minute), 8 * time.Minute},
		{"one step repeats every after", steps(10 * time.Minute), 10 * time.Minute},
		{"the issue's example", steps(0, time.Minute), 2 * time.Minute},
	}
	for _, tt := range tests {
		if got := tt.policy.Period(); got != tt.want {
			t.Errorf("%s: Period() = %s, want %s", tt.name, got, tt.want)
		}
	}
}
