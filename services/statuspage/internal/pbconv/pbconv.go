// Package pbconv converts between the status page service's domain types
// and the protobuf messages of its API and of the STATUS and INCIDENTS
// events it consumes.
package pbconv

import (
	"strings"

	"google.golang.org/protobuf/types/known/timestamppb"

	incidentsv1 "github.com/upstatehq/upstate/proto/gen/upstate/incidents/v1"
	statusv1 "github.com/upstatehq/upstate/proto/gen/upstate/status/v1"
	statuspagev1 "github.com/upstatehq/upstate/proto/gen/upstate/statuspage/v1"
	"github.com/upstatehq/upstate/services/statuspage/internal/domain"
)

var statuses = map[statusv1.Status]domain.Status{
	statusv1.Status_STATUS_OPERATIONAL: domain.Operational,
	statusv1.Status_STATUS_DEGRADED:    domain.Degraded,
	statusv1.Status_STATUS_DOWN:        domain.Down,
	statusv1.Status_STATUS_MAINTENANCE: domain.Maintenance,
}

// Status converts a status; ok is false for an unknown one.
func Status(s statusv1.Status) (domain.Status, bool) {
	d, ok := statuses[s]
	return d, ok
}

// StatusOf converts a domain status back.
func StatusOf(s domain.Status) statusv1.Status {
	for k, v := range statuses {
		if v == s {
			return k
		}
	}
	return statusv1.Status_STATUS_UNSPECIFIED
}

// ServiceCreated is a service's first state.
func ServiceCreated(svc *statusv1.Service) (domain.ServiceEvent, bool) {
	s, ok := Status(svc.GetStatus())
	if !ok {
		return domain.ServiceEvent{}, false
	}
	return domain.ServiceEvent{
		OrgID: svc.GetOrgId(), ServiceID: svc.GetId(), Version: svc.GetVersion(),
		Named: true, Name: svc.GetName(), Description: svc.GetDescription(),
		HasStatus: true, Status: s, StatusDescription: svc.GetStatusDescription(), At: svc.GetStatusChangedAt().AsTime(),
	}, true
}

// ServiceUpdated carries the service's new name and description.
func ServiceUpdated(svc *statusv1.Service) domain.ServiceEvent {
	return domain.ServiceEvent{
		OrgID: svc.GetOrgId(), ServiceID: svc.GetId(), Version: svc.GetVersion(),
		Named: true, Name: svc.GetName(), Description: svc.GetDescription(),
	}
}

// ServiceDeleted takes the service off every page.
func ServiceDeleted(ev *statusv1.ServiceDeleted) domain.ServiceEvent {
	return domain.ServiceEvent{OrgID: ev.GetOrgId(), ServiceID: ev.GetServiceId(), Version: ev.GetVersion(), Deleted: true}
}

// StatusChanged is a status change and the post it adds.
func StatusChanged(ev *statusv1.StatusChanged) (domain.ServiceEvent, bool) {
	s, ok := Status(ev.GetStatus())
	prev, okPrev := Status(ev.GetPrevious())
	if !ok || !okPrev || ev.GetChangedAt() == nil {
		return domain.ServiceEvent{}, false
	}
	at := ev.GetChangedAt().AsTime()
	return domain.ServiceEvent{
		OrgID: ev.GetOrgId(), ServiceID: ev.GetServiceId(), Version: ev.GetVersion(),
		HasStatus: true, Status: s, StatusDescription: ev.GetDescription(), At: at,
		Post: &domain.Post{
			ServiceID: ev.GetServiceId(), Version: ev.GetVersion(), At: at, ServiceName: ev.GetServiceName(),
			Previous: prev, Status: s, Description: ev.GetDescription(),
		},
	}, true
}

var incidentStatuses = map[incidentsv1.IncidentStatus]string{
	incidentsv1.IncidentStatus_INCIDENT_STATUS_INVESTIGATING: "investigating",
	incidentsv1.IncidentStatus_INCIDENT_STATUS_IDENTIFIED:    "identified",
	incidentsv1.IncidentStatus_INCIDENT_STATUS_MONITORING:    "monitoring",
	incidentsv1.IncidentStatus_INCIDENT_STATUS_RESOLVED:      "resolved",
}

func incidentStatus(s incidentsv1.IncidentStatus) string {
	if v, ok := incidentStatuses[s]; ok {
		return v
	}
	return "investigating"
}

// severity is upstate's severity word (minor, major, critical), which is
// Statuspage's impact; unspecified means major, as it does for receivers.
func severity(s statusv1.Severity) string {
	name := strings.ToLower(strings.TrimPrefix(s.String(), "SEVERITY_"))
	switch name {
	case "minor", "major", "critical":
		return name
	}
	return "major"
}

// Incident converts an incident of INCIDENTS; ok is false without its
// identity or times.
func Incident(pb *incidentsv1.Incident) (domain.Incident, bool) {
	if pb.GetId() == "" || pb.GetOrgId() == "" || pb.GetCreatedAt() == nil {
		return domain.Incident{}, false
	}
	inc := domain.Incident{
		ID: pb.GetId(), OrgID: pb.GetOrgId(), Title: pb.GetTitle(), Status: incidentStatus(pb.GetStatus()),
		Severity: severity(pb.GetSeverity()), ServiceIDs: pb.GetServiceIds(),
		CreatedAt: pb.GetCreatedAt().AsTime(), UpdatedAt: pb.GetUpdatedAt().AsTime(), Version: pb.GetVersion(),
	}
	if pb.GetUpdatedAt() == nil {
		inc.UpdatedAt = inc.CreatedAt
	}
	if pb.GetResolvedAt() != nil {
		t := pb.GetResolvedAt().AsTime()
		inc.ResolvedAt = &t
	}
	for _, u := range pb.GetUpdates() {
		inc.Updates = append(inc.Updates, domain.IncidentUpdate{At: u.GetCreatedAt().AsTime(), Status: incidentStatus(u.GetStatus()), Message: u.GetMessage()})
	}
	return inc, true
}

var windowStatuses = map[incidentsv1.MaintenanceStatus]string{
	incidentsv1.MaintenanceStatus_MAINTENANCE_STATUS_SCHEDULED:   "scheduled",
	incidentsv1.MaintenanceStatus_MAINTENANCE_STATUS_IN_PROGRESS: "in_progress",
	incidentsv1.MaintenanceStatus_MAINTENANCE_STATUS_COMPLETED:   "completed",
	incidentsv1.MaintenanceStatus_MAINTENANCE_STATUS_CANCELLED:   "cancelled",
}

// Window converts a maintenance window of INCIDENTS; ok is false without
// its identity, status or times.
func Window(pb *incidentsv1.Maintenance) (domain.Window, bool) {
	status, ok := windowStatuses[pb.GetStatus()]
	if !ok || pb.GetId() == "" || pb.GetOrgId() == "" || pb.GetStartsAt() == nil || pb.GetEndsAt() == nil || pb.GetCreatedAt() == nil {
		return domain.Window{}, false
	}
	w := domain.Window{
		ID: pb.GetId(), OrgID: pb.GetOrgId(), Title: pb.GetTitle(), Message: pb.GetMessage(), ServiceIDs: pb.GetServiceIds(),
		StartsAt: pb.GetStartsAt().AsTime(), EndsAt: pb.GetEndsAt().AsTime(), Status: status,
		CreatedAt: pb.GetCreatedAt().AsTime(), UpdatedAt: pb.GetUpdatedAt().AsTime(), Version: pb.GetVersion(),
	}
	if pb.GetUpdatedAt() == nil {
		w.UpdatedAt = w.CreatedAt
	}
	if pb.GetStartedAt() != nil {
		t := pb.GetStartedAt().AsTime()
		w.StartedAt = &t
	}
	if pb.GetEndedAt() != nil {
		t := pb.GetEndedAt().AsTime()
		w.EndedAt = &t
	}
	return w, true
}

// Page converts a page for the API; publicURL is the base of the pages'
// addresses ("": unknown).
func Page(p domain.Page, publicURL string) *statuspagev1.Page {
	out := &statuspagev1.Page{
		Id: p.ID, OrgId: p.OrgID, Name: p.Name, Slug: p.Slug, TimeZone: p.TimeZone, CustomDomain: p.CustomDomain,
		CreatedAt: timestamppb.New(p.CreatedAt), UpdatedAt: timestamppb.New(p.UpdatedAt),
	}
	switch {
	case p.CustomDomain != "":
		out.Url = "https://" + p.CustomDomain
	case publicURL != "":
		out.Url = strings.TrimSuffix(publicURL, "/") + "/status/" + p.Slug
	}
	for _, c := range p.Components {
		out.Components = append(out.Components, &statuspagev1.Component{
			Id: c.ID, ServiceId: c.ServiceID, Name: c.Name, Description: c.Description, Group: c.Group,
			Position: int32(c.Position), OnlyShowIfDegraded: c.OnlyShowIfDegraded, Status: StatusOf(c.Status),
		})
	}
	return out
}

// Components converts the components of a request.
func Components(in []*statuspagev1.ComponentInput) []domain.Component {
	out := make([]domain.Component, 0, len(in))
	for _, c := range in {
		out = append(out, domain.Component{
			ServiceID: c.GetServiceId(), Name: c.GetName(), Description: c.GetDescription(), Group: c.GetGroup(),
			Position: int(c.GetPosition()), OnlyShowIfDegraded: c.GetOnlyShowIfDegraded(),
		})
	}
	return out
}

// Subscriber converts a subscriber for the API.
func Subscriber(s domain.Subscriber) *statuspagev1.Subscriber {
	kind := statuspagev1.SubscriberKind_SUBSCRIBER_KIND_WEBHOOK
	if s.Kind == domain.KindEmail {
		kind = statuspagev1.SubscriberKind_SUBSCRIBER_KIND_EMAIL
	}
	return &statuspagev1.Subscriber{
		Id: s.ID, PageId: s.PageID, Kind: kind, Email: s.Email, Url: s.URL, ComponentIds: s.ComponentIDs,
		Confirmed: s.ConfirmedAt != nil, CreatedAt: timestamppb.New(s.CreatedAt),
	}
}
