package domain

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/upstatehq/upstate/pkg/ids"
	"github.com/upstatehq/upstate/services/notification/internal/escalation"
)

// PolicySpec is what an organisation sets of an escalation policy: a
// name and the steps the escalation engine runs (Steps, Repeat).
type PolicySpec struct {
	Name string
	escalation.Policy
}

// Policy is an escalation policy.
type Policy struct {
	ID, OrgID            string
	Spec                 PolicySpec
	CreatedAt, UpdatedAt time.Time
	Version              int64
}

// Normalize trims the policy's name.
func (s PolicySpec) Normalize() PolicySpec {
	s.Name = strings.TrimSpace(s.Name)
	return s
}

// Validate checks the name, the steps as the escalation engine runs them
// and the form of the targets' ids; whether the users and schedules exist
// is the store's.
func (s PolicySpec) Validate() error {
	if err := checkName("name", s.Name); err != nil {
		return err
	}
	if err := s.Policy.Validate(); err != nil {
		var verr *escalation.ValidationError
		if errors.As(err, &verr) {
			return invalid(verr.Field, verr.Message)
		}
		return err
	}
	for i, st := range s.Steps {
		for j, t := range st.Targets {
			field := fmt.Sprintf("steps[%d].targets[%d]", i, j)
			for _, c := range []struct{ field, kind, id string }{
				{"schedule_id", ids.Schedule, t.ScheduleID}, {"user_id", ids.User, t.UserID}, {"channel_id", ids.Channel, t.ChannelID},
			} {
				if c.id != "" && !ids.HasPrefix(c.id, c.kind) {
					return invalid(field+"."+c.field, fmt.Sprintf("%q is not an id of the form %s_…", c.id, c.kind))
				}
			}
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
