// Package events builds the events the status service writes to its
// outbox for the relay to publish.
package events

import (
	"fmt"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/upstatehq/upstate/pkg/bus"
	statusv1 "github.com/upstatehq/upstate/proto/gen/upstate/status/v1"
	"github.com/upstatehq/upstate/services/status/internal/domain"
	"github.com/upstatehq/upstate/services/status/internal/pbconv"
)

// CloudEvents attributes of the events published here.
const (
	TypeServiceCreated = "upstate.status.v1.ServiceCreated"
	TypeServiceUpdated = "upstate.status.v1.ServiceUpdated"
	TypeServiceDeleted = "upstate.status.v1.ServiceDeleted"
	TypeStatusChanged  = "upstate.status.v1.StatusChanged"
	Source             = "upstate/status"
)

// StatusChanged builds the StatusChanged event of change c of service s.
func StatusChanged(s domain.Service, c domain.Change) (bus.Event, error) {
	return event(s, c.Version, TypeStatusChanged, c.ChangedAt, pbconv.StatusChanged(s, c))
}

// ServiceCreated builds the event announcing s, as created.
func ServiceCreated(s domain.Service) (bus.Event, error) {
	return event(s, s.Version, TypeServiceCreated, s.CreatedAt, &statusv1.ServiceCreated{Service: pbconv.Service(s)})
}

// ServiceUpdated builds the event announcing s, as an edit left it.
func ServiceUpdated(s domain.Service) (bus.Event, error) {
	return event(s, s.Version, TypeServiceUpdated, s.UpdatedAt, &statusv1.ServiceUpdated{Service: pbconv.Service(s)})
}

// ServiceDeleted builds the event announcing the deletion of s, as
// domain.Delete left it.
func ServiceDeleted(s domain.Service) (bus.Event, error) {
	return event(s, s.Version, TypeServiceDeleted, s.UpdatedAt, pbconv.ServiceDeleted(s))
}

// event wraps an event of service s at version. Its id, used as
// Nats-Msg-Id, is "<service_id>:<version>", so a republished copy is
// dropped by JetStream and recognised by consumers; every event of a
// service takes its own version, so no two share an id.
func event(s domain.Service, version int64, typ string, at time.Time, m proto.Message) (bus.Event, error) {
	data, err := proto.Marshal(m)
	if err != nil {
		return bus.Event{}, fmt.Errorf("encode %s: %w", typ, err)
	}
	return bus.Event{
		Subject: bus.StatusSubject(s.OrgID, s.ID),
		ID:      fmt.Sprintf("%s:%d", s.ID, version),
		Type:    typ,
		Source:  Source,
		Time:    at,
		Data:    data,
	}, nil
}
