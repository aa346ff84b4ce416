// Package events builds the events the incidents service writes to its
// outbox for the relay to publish on the INCIDENTS stream.
package events

import (
	"fmt"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/upstatehq/upstate/pkg/bus"
	incidentsv1 "github.com/upstatehq/upstate/proto/gen/upstate/incidents/v1"
	"github.com/upstatehq/upstate/services/incidents/internal/domain"
	"github.com/upstatehq/upstate/services/incidents/internal/pbconv"
)

// CloudEvents attributes of the events published here.
const (
	TypeIncidentOpened       = "upstate.incidents.v1.IncidentOpened"
	TypeIncidentUpdated      = "upstate.incidents.v1.IncidentUpdated"
	TypeIncidentResolved     = "upstate.incidents.v1.IncidentResolved"
	TypeMaintenanceScheduled = "upstate.incidents.v1.MaintenanceScheduled"
	TypeMaintenanceUpdated   = "upstate.incidents.v1.MaintenanceUpdated"
	TypeMaintenanceCancelled = "upstate.incidents.v1.MaintenanceCancelled"
	TypeMaintenanceStarted   = "upstate.incidents.v1.MaintenanceStarted"
	TypeMaintenanceEnded     = "upstate.incidents.v1.MaintenanceEnded"
	Source                   = "upstate/incidents"
)

// IncidentChanged builds the event announcing after, the incident as a
// change left it: opened (version 1), resolved (by this change) or
// updated, with the timeline entry the change added if any.
func IncidentChanged(before *domain.Incident, after domain.Incident) (bus.Event, error) {
	msg := pbconv.Incident(after)
	var typ string
	var ev proto.Message
	switch {
	case before == nil:
		typ, ev = TypeIncidentOpened, &incidentsv1.IncidentOpened{Incident: msg}
	case before.Open() && !after.Open():
		typ, ev = TypeIncidentResolved, &incidentsv1.IncidentResolved{Incident: msg}
	default:
		upd := &incidentsv1.IncidentUpdated{Incident: msg}
		if len(after.Updates) > len(before.Updates) {
			upd.Update = msg.Updates[len(msg.Updates)-1]
		}
		typ, ev = TypeIncidentUpdated, upd
	}
	return event(after.OrgID, after.ID, after.Version, typ, after.UpdatedAt, ev)
}

// MaintenanceScheduled builds the event announcing m, as scheduled.
func MaintenanceScheduled(m domain.Maintenance) (bus.Event, error) {
	return event(m.OrgID, m.ID, m.Version, TypeMaintenanceScheduled, m.CreatedAt,
		&incidentsv1.MaintenanceScheduled{Maintenance: pbconv.Maintenance(m)})
}

// MaintenanceUpdated builds the event announcing m, as a change of its
// title, message, services or times left it.
func MaintenanceUpdated(m domain.Maintenance) (bus.Event, error) {
	return event(m.OrgID, m.ID, m.Version, TypeMaintenanceUpdated, m.UpdatedAt,
		&incidentsv1.MaintenanceUpdated{Maintenance: pbconv.Maintenance(m)})
}

// MaintenanceCancelled builds the event announcing that m was cancelled
// before it started.
func MaintenanceCancelled(m domain.Maintenance) (bus.Event, error) {
	return event(m.OrgID, m.ID, m.Version, TypeMaintenanceCancelled, m.EndedAt,
		&incidentsv1.MaintenanceCancelled{Maintenance: pbconv.Maintenance(m)})
}

// MaintenanceStarted builds the event announcing that m started.
func MaintenanceStarted(m domain.Maintenance) (bus.Event, error) {
	return event(m.OrgID, m.ID, m.Version, TypeMaintenanceStarted, m.StartedAt,
		&incidentsv1.MaintenanceStarted{Maintenance: pbconv.Maintenance(m)})
}

// MaintenanceEnded builds the event announcing that m ended.
func MaintenanceEnded(m domain.Maintenance) (bus.Event, error) {
	return event(m.OrgID, m.ID, m.Version, TypeMaintenanceEnded, m.EndedAt,
		&incidentsv1.MaintenanceEnded{Maintenance: pbconv.Maintenance(m)})
}

// event wraps a message. Its id, used as Nats-Msg-Id, is "<id>:<version>",
// so a republished copy is dropped by JetStream and recognised by
// consumers.
func event(orgID, id string, version int64, typ string, at time.Time, m proto.Message) (bus.Event, error) {
	data, err := proto.Marshal(m)
	if err != nil {
		return bus.Event{}, fmt.Errorf("encode %s: %w", typ, err)
	}
	return bus.Event{
		Subject: bus.IncidentsSubject(orgID, id), ID: fmt.Sprintf("%s:%d", id, version),
		Type: typ, Source: Source, Time: at, Data: data,
	}, nil
}
