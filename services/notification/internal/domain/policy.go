package domain

import (
	"fmt"
	"strings"
	"time"

	"github.com/upstatehq/upstate/pkg/ids"
)

// Target is one recipient of an escalation step: exactly one field is
// set. The JSON names are those of the stored steps, whose containment
// queries find who a policy names.
type Target struct {
	ScheduleID string `json:"schedule_id,omitempty"`
	UserID     string `json:"user_id,omitempty"`
	ChannelID  string `json:"channel_id,omitempty"`
}

// Step notifies its targets once After has passed since the alert fired.
type Step struct {
	After   time.Duration
	Targets []Target
}

// PolicySpec is what an organisation sets of an escalation policy.
type PolicySpec struct {
	Name   string
	Steps  []Step
	Repeat int
}

// Policy is an escalation policy.
type Policy struct {
	ID, OrgID            string
	Spec                 PolicySpec
	CreatedAt, UpdatedAt time.Time
	Version              int64
}

// Limits of policies.
const (
	maxSteps   = 20
	maxTargets = 20
	maxRepeat  = 9
	maxAfter   = 24 * time.Hour
)

// Normalize trims the policy's name.
func (s PolicySpec) Normalize() PolicySpec {
	s.Name = strings.TrimSpace(s.Name)
	return s
}

// Validate checks every field; whether the users and schedules exist is
// the store's.
func (s PolicySpec) Validate() error {
	if err := checkName("name", s.Name); err != nil {
		return err
	}
	if len(s.Steps) == 0 || len(s.Steps) > maxSteps {
		return invalid("steps", fmt.Sprintf("give 1–%d steps", maxSteps))
	}
	for i, st := range s.Steps {
		field := fmt.Sprintf("steps[%d]", i)
		if st.After < 0 || st.After > maxAfter {
			return invalid(field+".after", "must be a duration between 0s and 24h, such as 5m")
		}
		if i > 0 && st.After < s.Steps[i-1].After {
			return invalid(field+".after", "steps must be in order of after: this one comes before the previous")
		}
		if len(st.Targets) == 0 || len(st.Targets) > maxTargets {
			return invalid(field+".targets", fmt.Sprintf("give 1–%d targets", maxTargets))
		}
		for j, t := range st.Targets {
			if err := t.validate(fmt.Sprintf("%s.targets[%d]", field, j)); err != nil {
				return err
			}
		}
	}
	if s.Repeat < 0 || s.Repeat > maxRepeat {
		return invalid("repeat", fmt.Sprintf("must be between 0 and %d", maxRepeat))
	}
	return nil
}

func (t Target) validate(field string) error {
	set := 0
	for _, id := range []string{t.ScheduleID, t.UserID, t.ChannelID} {
		if id != "" {
			set++
		}
	}
	if set != 1 {
		return invalid(field, "give exactly one of schedule_id, user_id, channel_id")
	}
	for _, c := range []struct{ field, kind, id string }{
		{"schedule_id", ids.Schedule, t.ScheduleID}, {"user_id", ids.User, t.UserID}, {"channel_id", ids.Channel, t.ChannelID},
	} {
		if c.id != "" && !ids.HasPrefix(c.id, c.kind) {
			return invalid(field+"."+c.field, fmt.Sprintf("%q is not an id of the form %s_…", c.id, c.kind))
		}
	}
	return nil
}

// References returns the users and the schedules the policy's steps
// name, each once.
func (s PolicySpec) References() (users, schedules []string) {
	seen := map[string]bool{}
	for _, st := range s.Steps {
		for _, t := range st.Targets {
			switch {
			case t.UserID != "" && !seen[t.UserID]:
				users = append(users, t.UserID)
				seen[t.UserID] = true
			case t.ScheduleID != "" && !seen[t.ScheduleID]:
				schedules = append(schedules, t.ScheduleID)
				seen[t.ScheduleID] = true
			}
		}
	}
	return users, schedules
}
