package escalation

import (
	"fmt"
	"strings"
	"time"
)

// Policy is an escalation policy: steps in order, repeated Repeat more
// times after the last.
type Policy struct {
	Steps  []Step
	Repeat int
}

// Step notifies its targets After the alert fired (after its round
// started, in a repeat).
type Step struct {
	After   time.Duration
	Targets []Target
}

// Target is one of: the users on call in a schedule, a user, a channel.
// Exactly one id is set.
type Target struct {
	ScheduleID string
	UserID     string
	ChannelID  string
}

// Limits of a policy. MaxRepeat is PagerDuty's.
const (
	MaxSteps   = 20
	MaxTargets = 20
	MaxRepeat  = 9
	MaxAfter   = 24 * time.Hour
	MaxIDLen   = 100
)

// Validate checks the policy; a *ValidationError names the first bad
// field.
func (p Policy) Validate() error {
	if len(p.Steps) == 0 || len(p.Steps) > MaxSteps {
		return invalid("steps", fmt.Sprintf("must hold 1–%d steps", MaxSteps))
	}
	for i, s := range p.Steps {
		f := fmt.Sprintf("steps[%d]", i)
		if s.After < 0 || s.After > MaxAfter {
			return invalid(f+".after", "must be between 0s and 24h")
		}
		if i > 0 && s.After <= p.Steps[i-1].After {
			return invalid(f+".after", "must be later than the step before")
		}
		if len(s.Targets) == 0 || len(s.Targets) > MaxTargets {
			return invalid(f+".targets", fmt.Sprintf("must hold 1–%d targets", MaxTargets))
		}
		for j, t := range s.Targets {
			if err := t.validate(fmt.Sprintf("%s.targets[%d]", f, j)); err != nil {
				return err
			}
		}
	}
	if p.Repeat < 0 || p.Repeat > MaxRepeat {
		return invalid("repeat", fmt.Sprintf("must be between 0 and %d", MaxRepeat))
	}
	if p.Repeat > 0 && p.Period() == 0 {
		return invalid("repeat", "needs the only step's after above 0s, or it would repeat at once")
	}
	return nil
}

func (t Target) validate(f string) error {
	set := 0
	for _, id := range []string{t.ScheduleID, t.UserID, t.ChannelID} {
		if id != "" {
			set++
			if strings.TrimSpace(id) == "" || len(id) > MaxIDLen {
				return invalid(f, fmt.Sprintf("ids are 1–%d characters", MaxIDLen))
			}
		}
	}
	if set != 1 {
		return invalid(f, "give exactly one of schedule_id, user_id or channel_id")
	}
	return nil
}

// Period is how long a round lasts: the last step's After plus the gap
// before it (the only step's After, in a one-step policy). See the
// package documentation for why.
func (p Policy) Period() time.Duration {
	n := len(p.Steps)
	switch n {
	case 0:
		return 0
	case 1:
		return p.Steps[0].After
	}
	last := p.Steps[n-1].After
	return last + last - p.Steps[n-2].After
}

// Offset is when step of round is due, counted from the alert firing.
func (p Policy) Offset(round, step int) time.Duration {
	return time.Duration(round)*p.Period() + p.Steps[step].After
}
