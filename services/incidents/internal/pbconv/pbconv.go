// Package pbconv converts between the incidents service's domain types and
// their protobuf messages, in both directions, in one place.
package pbconv

import (
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/upstatehq/upstate/pkg/enum"
	incidentsv1 "github.com/upstatehq/upstate/proto/gen/upstate/incidents/v1"
	statusv1 "github.com/upstatehq/upstate/proto/gen/upstate/status/v1"
	"github.com/upstatehq/upstate/services/incidents/internal/domain"
)

var incidentStatuses = map[domain.IncidentStatus]incidentsv1.IncidentStatus{
	domain.Investigating: incidentsv1.IncidentStatus_INCIDENT_STATUS_INVESTIGATING,
	domain.Identified:    incidentsv1.IncidentStatus_INCIDENT_STATUS_IDENTIFIED,
	domain.Monitoring:    incidentsv1.IncidentStatus_INCIDENT_STATUS_MONITORING,
	domain.Resolved:      incidentsv1.IncidentStatus_INCIDENT_STATUS_RESOLVED,
}

var severities = map[domain.Severity]statusv1.Severity{
	domain.Minor:    statusv1.Severity_SEVERITY_MINOR,
	domain.Major:    statusv1.Severity_SEVERITY_MAJOR,
	domain.Critical: statusv1.Severity_SEVERITY_CRITICAL,
}

var sources = map[domain.Source]incidentsv1.IncidentSource{
	domain.SourceManual:   incidentsv1.IncidentSource_INCIDENT_SOURCE_MANUAL,
	domain.SourceReceiver: incidentsv1.IncidentSource_INCIDENT_SOURCE_RECEIVER,
}

var maintenanceStatuses = map[domain.MaintenanceStatus]incidentsv1.MaintenanceStatus{
	domain.Scheduled:  incidentsv1.MaintenanceStatus_MAINTENANCE_STATUS_SCHEDULED,
	domain.InProgress: incidentsv1.MaintenanceStatus_MAINTENANCE_STATUS_IN_PROGRESS,
	domain.Completed:  incidentsv1.MaintenanceStatus_MAINTENANCE_STATUS_COMPLETED,
	domain.Cancelled:  incidentsv1.MaintenanceStatus_MAINTENANCE_STATUS_CANCELLED,
}

var serviceStatuses = map[domain.ServiceStatus]statusv1.Status{
	domain.StatusOperational: statusv1.Status_STATUS_OPERATIONAL,
	domain.StatusDegraded:    statusv1.Status_STATUS_DEGRADED,
	domain.StatusDown:        statusv1.Status_STATUS_DOWN,
	domain.StatusMaintenance: statusv1.Status_STATUS_MAINTENANCE,
}

// DomainIncidentStatus returns the status of v; "" for unspecified.
func DomainIncidentStatus(v incidentsv1.IncidentStatus) (domain.IncidentStatus, bool) {
	if v == incidentsv1.IncidentStatus_INCIDENT_STATUS_UNSPECIFIED {
		return "", true
	}
	return enum.Reverse(incidentStatuses, v)
}

// DomainSeverity returns the severity of v; "" for unspecified.
func DomainSeverity(v statusv1.Severity) (domain.Severity, bool) {
	if v == statusv1.Severity_SEVERITY_UNSPECIFIED {
		return "", true
	}
	return enum.Reverse(severities, v)
}

// DomainMaintenanceStatus returns the status of v; "" for unspecified.
func DomainMaintenanceStatus(v incidentsv1.MaintenanceStatus) (domain.MaintenanceStatus, bool) {
	if v == incidentsv1.MaintenanceStatus_MAINTENANCE_STATUS_UNSPECIFIED {
		return "", true
	}
	return enum.Reverse(maintenanceStatuses, v)
}

// DomainServiceStatus returns the service status of v.
func DomainServiceStatus(v statusv1.Status) (domain.ServiceStatus, bool) {
	return enum.Reverse(serviceStatuses, v)
}

// ServiceStatus returns the protobuf value of a service status.
func ServiceStatus(s domain.ServiceStatus) statusv1.Status { return serviceStatuses[s] }

// StatusChange extracts what the incidents service needs of an event.
func StatusChange(e *statusv1.StatusChanged) domain.StatusChange {
	prev, _ := DomainServiceStatus(e.GetPrevious())
	cur, _ := DomainServiceStatus(e.GetStatus())
	sev, _ := DomainSeverity(e.GetAutoIncident().GetSeverity())
	return domain.StatusChange{
		OrgID: e.GetOrgId(), ServiceID: e.GetServiceId(), ServiceName: e.GetServiceName(),
		Previous: prev, Status: cur, Description: e.GetDescription(), Version: e.GetVersion(),
		ChangedAt: e.GetChangedAt().AsTime(), ReceiverID: e.GetReceiverId(),
		AutoIncident: e.GetAutoIncident().GetEnabled(), Severity: sev,
	}
}

// ServiceDeletion extracts what the incidents service needs of an event.
func ServiceDeletion(e *statusv1.ServiceDeleted) domain.ServiceDeletion {
	return domain.ServiceDeletion{OrgID: e.GetOrgId(), ServiceID: e.GetServiceId(),
		ServiceName: e.GetServiceName(), DeletedAt: e.GetDeletedAt().AsTime()}
}

// ServiceState extracts what maintenance windows need of a service.
func ServiceState(s *statusv1.Service) domain.ServiceState {
	st, _ := DomainServiceStatus(s.GetStatus())
	return domain.ServiceState{
		ID: s.GetId(), Status: st, Description: s.GetStatusDescription(), StatusVersion: s.GetStatusVersion(),
	}
}

// LastChange extracts what maintenance windows need of a status history
// entry: which window, if any, made it.
func LastChange(c *statusv1.StatusChange) domain.LastChange {
	st, _ := DomainServiceStatus(c.GetStatus())
	lc := domain.LastChange{Version: c.GetVersion(), Status: st}
	if c.GetSource() == statusv1.Source_SOURCE_MAINTENANCE {
		lc.MaintenanceID = c.GetActor()
	}
	return lc
}

// Incident returns the protobuf message of an incident.
func Incident(i domain.Incident) *incidentsv1.Incident {
	out := &incidentsv1.Incident{
		Id: i.ID, OrgId: i.OrgID, Title: i.Title, Status: incidentStatuses[i.Status],
		Severity: severities[i.Severity], ServiceIds: i.ServiceIDs, Source: sources[i.Source],
		ReceiverId: i.ReceiverID, CreatedAt: timestamppb.New(i.CreatedAt), UpdatedAt: timestamppb.New(i.UpdatedAt),
		ResolvedAt: optionalTime(i.ResolvedAt), Version: i.Version,
	}
	for _, u := range i.Updates {
		out.Updates = append(out.Updates, Update(u))
	}
	return out
}

// Update returns the protobuf message of a timeline entry.
func Update(u domain.Update) *incidentsv1.IncidentUpdate {
	return &incidentsv1.IncidentUpdate{
		CreatedAt: timestamppb.New(u.At), Status: incidentStatuses[u.Status], Message: u.Message, Author: u.Author,
	}
}

// Maintenance returns the protobuf message of a maintenance window.
func Maintenance(m domain.Maintenance) *incidentsv1.Maintenance {
	return &incidentsv1.Maintenance{
		Id: m.ID, OrgId: m.OrgID, Title: m.Title, Message: m.Message, ServiceIds: m.ServiceIDs,
		StartsAt: timestamppb.New(m.StartsAt), EndsAt: timestamppb.New(m.EndsAt),
		Status: maintenanceStatuses[m.Status], StartedAt: optionalTime(m.StartedAt), EndedAt: optionalTime(m.EndedAt),
		CreatedAt: timestamppb.New(m.CreatedAt), UpdatedAt: timestamppb.New(m.UpdatedAt), Version: m.Version,
	}
}

func optionalTime(t time.Time) *timestamppb.Timestamp {
	if t.IsZero() {
		return nil
	}
	return timestamppb.New(t)
}
