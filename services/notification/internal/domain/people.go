package domain

import (
	"fmt"
	"net/mail"
	"regexp"
	"strings"
	"time"

	"github.com/upstatehq/upstate/pkg/ids"
)

// UserSpec is what an organisation sets of a user.
type UserSpec struct {
	Name          string
	Email         string
	TimeZone      string
	SlackMemberID string
	Phone         string
	// ChannelIDs are the user's personal channels ("chn_…"), in the order
	// they are tried; the delivery side owns them.
	ChannelIDs []string
}

// User is a person who can be on call.
type User struct {
	ID, OrgID            string
	Spec                 UserSpec
	CreatedAt, UpdatedAt time.Time
}

// TeamSpec is what an organisation sets of a team.
type TeamSpec struct {
	Name      string
	MemberIDs []string
}

// Team is a named group of users.
type Team struct {
	ID, OrgID            string
	Spec                 TeamSpec
	CreatedAt, UpdatedAt time.Time
}

// Limits of the people records.
const (
	maxName     = 200
	maxChannels = 20
	maxMembers  = 200
)

var (
	slackMemberID = regexp.MustCompile(`^[UW][A-Z0-9]{2,20}$`)
	e164          = regexp.MustCompile(`^\+[1-9][0-9]{6,14}$`)
)

// Normalize trims the spec's text and fills in the default zone.
func (s UserSpec) Normalize() UserSpec {
	s.Name = strings.TrimSpace(s.Name)
	s.Email = strings.TrimSpace(s.Email)
	s.TimeZone = strings.TrimSpace(s.TimeZone)
	if s.TimeZone == "" {
		s.TimeZone = "UTC"
	}
	s.SlackMemberID = strings.TrimSpace(s.SlackMemberID)
	s.Phone = strings.TrimSpace(s.Phone)
	return s
}

// Validate checks every field.
func (s UserSpec) Validate() error {
	if err := checkName("name", s.Name); err != nil {
		return err
	}
	if a, err := mail.ParseAddress(s.Email); err != nil || a.Address != s.Email || a.Name != "" {
		return invalid("email", "must be an address such as ada@example.com")
	}
	if err := CheckTimeZone("time_zone", s.TimeZone); err != nil {
		return err
	}
	if s.SlackMemberID != "" && !slackMemberID.MatchString(s.SlackMemberID) {
		return invalid("slack_member_id", "must be a Slack member id such as U024BE7LH")
	}
	if s.Phone != "" && !e164.MatchString(s.Phone) {
		return invalid("phone", "must be an E.164 number such as +33612345678")
	}
	return checkIDs("channel_ids", ids.Channel, s.ChannelIDs, maxChannels)
}

// Normalize trims the team's name.
func (s TeamSpec) Normalize() TeamSpec {
	s.Name = strings.TrimSpace(s.Name)
	return s
}

// Validate checks every field; whether the members exist is the store's.
func (s TeamSpec) Validate() error {
	if err := checkName("name", s.Name); err != nil {
		return err
	}
	return checkIDs("member_ids", ids.User, s.MemberIDs, maxMembers)
}

func checkName(field, name string) error {
	if name == "" || len([]rune(name)) > maxName {
		return invalid(field, fmt.Sprintf("is required, 1–%d characters", maxName))
	}
	return nil
}

// CheckTimeZone accepts an IANA zone name ("Europe/Paris", "UTC").
func CheckTimeZone(field, zone string) error {
	// "Local" and "" are Go's, not IANA names.
	if zone == "" || zone == "Local" {
		return invalid(field, "must be an IANA time zone such as Europe/Paris")
	}
	if _, err := time.LoadLocation(zone); err != nil {
		return invalid(field, fmt.Sprintf("%q is not an IANA time zone such as Europe/Paris", zone))
	}
	return nil
}

// checkIDs accepts at most max well-formed ids of kind, without repeats.
func checkIDs(field, kind string, list []string, max int) error {
	if len(list) > max {
		return invalid(field, fmt.Sprintf("at most %d", max))
	}
	seen := make(map[string]bool, len(list))
	for i, id := range list {
		f := fmt.Sprintf("%s[%d]", field, i)
		if !ids.HasPrefix(id, kind) {
			return invalid(f, fmt.Sprintf("%q is not an id of the form %s_…", id, kind))
		}
		if seen[id] {
			return invalid(f, id+" is given twice")
		}
		seen[id] = true
	}
	return nil
}
