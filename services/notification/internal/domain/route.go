package domain

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/upstatehq/upstate/pkg/ids"
	"github.com/upstatehq/upstate/pkg/selector"
)

// EventKinds are the incident events a route may send on.
var EventKinds = []string{
	"incident.opened", "incident.updated", "incident.resolved",
	"maintenance.scheduled", "maintenance.updated", "maintenance.cancelled", "maintenance.started", "maintenance.ended",
}

// Selector picks services as an alert rule's does: exactly one of
// ServiceIDs, Tags or All (the shared service selector).
type Selector = selector.Selector

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

// Normalize trims the route's name.
func (s RouteSpec) Normalize() RouteSpec {
	s.Name = strings.TrimSpace(s.Name)
	s.Services = s.Services.Normalize()
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
	if err := s.Services.Validate("services"); err != nil {
		var serr *selector.Error
		errors.As(err, &serr)
		return invalid(serr.Field, serr.Message)
	}
	if err := checkIDs("services.service_ids", ids.Service, s.Services.ServiceIDs, selector.MaxServiceIDs); err != nil {
		return err
	}
	if len(s.ChannelIDs) == 0 {
		return invalid("channel_ids", "give at least one channel id")
	}
	return checkIDs("channel_ids", ids.Channel, s.ChannelIDs, maxChannels)
}
