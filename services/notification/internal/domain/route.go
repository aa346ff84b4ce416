package domain

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/upstatehq/upstate/pkg/ids"
)

// EventKinds are the incident events a route may send on.
var EventKinds = []string{
	"incident.opened", "incident.updated", "incident.resolved",
	"maintenance.scheduled", "maintenance.updated", "maintenance.cancelled", "maintenance.started", "maintenance.ended",
}

// Selector picks services as an alert rule's does: exactly one of
// ServiceIDs, Tags or All.
type Selector struct {
	ServiceIDs []string          `json:"service_ids,omitempty"`
	Tags       map[string]string `json:"tags,omitempty"`
	All        bool              `json:"all,omitempty"`
}

// RouteSpec is what an organisation sets of a route.
type RouteSpec struct {
	Name       string
	Events     []string
	Services   Selector
	ChannelIDs []string
}

// Route sends an organisation's incident events to channels.
type Route struct {
	ID, OrgID            string
	Spec                 RouteSpec
	CreatedAt, UpdatedAt time.Time
}

const (
	maxSelected = 100
	maxTags     = 20
)

// Normalize trims the route's name.
func (s RouteSpec) Normalize() RouteSpec {
	s.Name = strings.TrimSpace(s.Name)
	return s
}

// Validate checks every field; whether the services exist is the status
// service's.
func (s RouteSpec) Validate() error {
	if err := checkName("name", s.Name); err != nil {
		return err
	}
	if len(s.Events) == 0 {
		return invalid("events", "give at least one of "+strings.Join(EventKinds, ", "))
	}
	for i, e := range s.Events {
		if !slices.Contains(EventKinds, e) {
			return invalid(fmt.Sprintf("events[%d]", i), fmt.Sprintf("%q is not an event; valid values are %s", e, strings.Join(EventKinds, ", ")))
		}
		if slices.Index(s.Events, e) != i {
			return invalid(fmt.Sprintf("events[%d]", i), e+" is given twice")
		}
	}
	if err := s.Services.validate("services"); err != nil {
		return err
	}
	if len(s.ChannelIDs) == 0 {
		return invalid("channel_ids", "give at least one channel id")
	}
	return checkIDs("channel_ids", ids.Channel, s.ChannelIDs, maxChannels)
}

func (sel Selector) validate(field string) error {
	given := 0
	if len(sel.ServiceIDs) > 0 {
		given++
	}
	if len(sel.Tags) > 0 {
		given++
	}
	if sel.All {
		given++
	}
	if given != 1 {
		return invalid(field, "give exactly one of service_ids, tags, all")
	}
	if len(sel.Tags) > maxTags {
		return invalid(field+".tags", fmt.Sprintf("at most %d", maxTags))
	}
	for k := range sel.Tags {
		if strings.TrimSpace(k) == "" {
			return invalid(field+".tags", "keys must not be empty")
		}
	}
	return checkIDs(field+".service_ids", ids.Service, sel.ServiceIDs, maxSelected)
}
