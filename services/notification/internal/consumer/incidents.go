package consumer

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/jonboulle/clockwork"
	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/upstatehq/upstate/pkg/bus"
	"github.com/upstatehq/upstate/pkg/pgdb"
	incidentsv1 "github.com/upstatehq/upstate/proto/gen/upstate/incidents/v1"
	notificationv1 "github.com/upstatehq/upstate/proto/gen/upstate/notification/v1"
	statusv1 "github.com/upstatehq/upstate/proto/gen/upstate/status/v1"
	"github.com/upstatehq/upstate/services/notification/internal/escalation"
	"github.com/upstatehq/upstate/services/notification/internal/store"
)

// incidentEvent is an INCIDENTS event as routes read it.
type incidentEvent struct {
	kind             string // a route's event kind ("incident.opened")
	orgID, id, title string
	text             string
	version          int64
	serviceIDs       []string
	incident         bool
	resolved         bool
}

// Enqueuer puts a notification on the delivery queue (the notification
// package's Enqueue).
type Enqueuer func(context.Context, *notificationv1.Notification) error

// StartIncidents consumes INCIDENTS: each incident or maintenance event
// goes to the channels of the routes naming its kind and selecting one
// of its services, one notification per channel keyed by the event
// (its id, kind and version), so a redelivery sends nothing twice.
func StartIncidents(ctx context.Context, js jetstream.JetStream, st *store.Store, registry statusv1.ServiceRegistryServiceClient,
	enqueue Enqueuer, clock clockwork.Clock, logger *slog.Logger) (*Consumer, error) {
	return start(ctx, js, bus.StreamIncidents, IncidentsDurable, bus.SubjectsIncidents, func(ctx context.Context, msgs []jetstream.Msg) error {
		for _, msg := range msgs {
			ev, ok, err := decodeIncident(msg)
			if err != nil {
				return bus.Permanent(err)
			}
			if !ok {
				continue
			}
			if err := route(ctx, st, registry, enqueue, ev, pgdb.Now(clock)); err != nil {
				return err
			}
		}
		return nil
	}, logger)
}

// route sends ev to the channels its organisation's routes pick.
func route(ctx context.Context, st *store.Store, registry statusv1.ServiceRegistryServiceClient, enqueue Enqueuer, ev incidentEvent, now time.Time) error {
	var routes []escalation.Route
	tags := false
	for before := ""; ; {
		page, err := st.ListRoutes(ctx, ev.orgID, before, 200)
		if err != nil {
			return err
		}
		for _, r := range page {
			routes = append(routes, escalation.Route{Events: r.Spec.Events, Services: r.Spec.Services, ChannelIDs: r.Spec.ChannelIDs})
			tags = tags || len(r.Spec.Services.Tags) > 0
		}
		if len(page) < 200 {
			break
		}
		before = page[len(page)-1].ID
	}
	if len(routes) == 0 {
		return nil
	}
	services := make([]escalation.Service, 0, len(ev.serviceIDs))
	for _, id := range ev.serviceIDs {
		s := escalation.Service{ID: id}
		if tags {
			// Only tag selectors need a service's tags: ask the status
			// service then, and skip a service deleted since.
			res, err := registry.GetService(ctx, &statusv1.GetServiceRequest{OrgId: ev.orgID, ServiceId: id})
			if status.Code(err) == codes.NotFound {
				continue
			}
			if err != nil {
				return fmt.Errorf("tags of service %s: %w", id, err)
			}
			s.Tags = res.GetService().GetTags()
		}
		services = append(services, s)
	}
	for _, ch := range escalation.Channels(routes, ev.kind, services) {
		n := &notificationv1.Notification{
			OrgId: ev.orgID, IdempotencyKey: fmt.Sprintf("%s/%s/%d/%s", ev.id, ev.kind, ev.version, ch),
			Destination: &notificationv1.Notification_ChannelId{ChannelId: ch},
			Content:     content(ev),
			CreatedAt:   timestamppb.New(now), Source: "routes",
		}
		if err := enqueue(ctx, n); err != nil {
			return fmt.Errorf("route %s %s to %s: %w", ev.kind, ev.id, ch, err)
		}
	}
	return nil
}

func content(ev incidentEvent) *notificationv1.Content {
	c := &notificationv1.Content{Kind: notificationv1.Kind_KIND_INFO, Title: ev.title, Text: ev.text,
		Fields: []*notificationv1.Field{{Name: "Event", Value: ev.kind}}}
	if ev.incident {
		c.IncidentId = ev.id
		c.Severity = notificationv1.Severity_SEVERITY_WARNING
		switch {
		case ev.resolved:
			c.Kind = notificationv1.Kind_KIND_RESOLVE
		case ev.kind == "incident.opened":
			c.Kind = notificationv1.Kind_KIND_TRIGGER
		}
	}
	return c
}

var incidentKinds = map[string]string{
	typeOf((*incidentsv1.IncidentOpened)(nil)):       "incident.opened",
	typeOf((*incidentsv1.IncidentUpdated)(nil)):      "incident.updated",
	typeOf((*incidentsv1.IncidentResolved)(nil)):     "incident.resolved",
	typeOf((*incidentsv1.MaintenanceScheduled)(nil)): "maintenance.scheduled",
	typeOf((*incidentsv1.MaintenanceUpdated)(nil)):   "maintenance.updated",
	typeOf((*incidentsv1.MaintenanceCancelled)(nil)): "maintenance.cancelled",
	typeOf((*incidentsv1.MaintenanceStarted)(nil)):   "maintenance.started",
	typeOf((*incidentsv1.MaintenanceEnded)(nil)):     "maintenance.ended",
}

// decodeIncident reads an INCIDENTS event; ok is false for types routes
// do not know.
func decodeIncident(msg jetstream.Msg) (ev incidentEvent, ok bool, err error) {
	typ := msg.Headers().Get(bus.HeaderCEType)
	kind, known := incidentKinds[typ]
	if !known {
		return ev, false, nil
	}
	ev.kind = kind
	var inc *incidentsv1.Incident
	var mw *incidentsv1.Maintenance
	switch kind {
	case "incident.opened":
		var m incidentsv1.IncidentOpened
		err, inc = proto.Unmarshal(msg.Data(), &m), m.GetIncident()
	case "incident.updated":
		var m incidentsv1.IncidentUpdated
		err, inc = proto.Unmarshal(msg.Data(), &m), m.GetIncident()
	case "incident.resolved":
		var m incidentsv1.IncidentResolved
		err, inc = proto.Unmarshal(msg.Data(), &m), m.GetIncident()
	default:
		// Every maintenance event carries the window as its field 1.
		var m incidentsv1.MaintenanceUpdated
		err, mw = proto.Unmarshal(msg.Data(), &m), m.GetMaintenance()
	}
	if err != nil {
		return ev, false, fmt.Errorf("decode %s: %w", typ, err)
	}
	if inc != nil {
		ev.incident, ev.resolved = true, kind == "incident.resolved"
		ev.orgID, ev.id, ev.version, ev.serviceIDs = inc.GetOrgId(), inc.GetId(), inc.GetVersion(), inc.GetServiceIds()
		ev.title = incidentTitles[kind] + inc.GetTitle()
		if u := inc.GetUpdates(); len(u) > 0 {
			ev.text = u[len(u)-1].GetMessage()
		}
	} else if mw != nil {
		ev.orgID, ev.id, ev.version, ev.serviceIDs = mw.GetOrgId(), mw.GetId(), mw.GetVersion(), mw.GetServiceIds()
		ev.title, ev.text = "Maintenance "+strings.TrimPrefix(kind, "maintenance.")+": "+mw.GetTitle(), mw.GetMessage()
	}
	if ev.orgID == "" || ev.id == "" || ev.version <= 0 {
		return ev, false, fmt.Errorf("%s on %s lacks org, id or version", typ, msg.Subject())
	}
	return ev, true, nil
}

var incidentTitles = map[string]string{"incident.opened": "Incident: ", "incident.updated": "Incident update: ", "incident.resolved": "Resolved: "}
