package domain

import (
	"fmt"
	"time"
)

// ServiceStatus is a service's status as the status service reports it.
type ServiceStatus string

// The service statuses automatic incidents react to.
const (
	StatusOperational ServiceStatus = "operational"
	StatusDegraded    ServiceStatus = "degraded"
	StatusDown        ServiceStatus = "down"
	StatusMaintenance ServiceStatus = "maintenance"
)

// StatusChange is what the incidents service needs of a StatusChanged event.
type StatusChange struct {
	OrgID       string
	ServiceID   string
	ServiceName string
	Previous    ServiceStatus
	Status      ServiceStatus
	Description string
	Version     int64
	ChangedAt   time.Time
	// ReceiverID is the webhook receiver that caused the change; empty for
	// changes made through the API or by maintenance windows.
	ReceiverID string
	// AutoIncident and Severity are that receiver's setting at the time.
	AutoIncident bool
	Severity     Severity
}

// AutoAction is what a status change does to the automatic incident of
// its receiver and service.
type AutoAction int

// The automatic-incident actions.
const (
	// AutoNone: nothing to do.
	AutoNone AutoAction = iota
	// AutoOpen: open an incident for the receiver and service.
	AutoOpen
	// AutoNote: add a timeline entry to the open incident.
	AutoNote
	// AutoResolve: resolve the open incident.
	AutoResolve
)

// PlanAuto decides what change c does, given the receiver's open automatic
// incident for the service (open is nil when there is none). Only changes a
// receiver caused count; only an enabled receiver opens incidents, but an
// incident it opened is noted and resolved even if the receiver's setting
// was switched off meanwhile, so that it is not left open for ever.
// Maintenance opens nothing.
func PlanAuto(c StatusChange, open *Incident) AutoAction {
	if c.ReceiverID == "" {
		return AutoNone
	}
	switch {
	case open != nil && c.Status == StatusOperational:
		return AutoResolve
	case open != nil:
		return AutoNote
	case c.AutoIncident && (c.Status == StatusDown || c.Status == StatusDegraded):
		return AutoOpen
	}
	return AutoNone
}

// OpenAuto returns the incident the receiver of c opens for its service.
func OpenAuto(id string, c StatusChange) Incident {
	sev := c.Severity
	if sev == "" {
		sev = Major
	}
	msg := c.Description
	if msg == "" {
		msg = fmt.Sprintf("%s reported %s.", c.ServiceName, c.Status)
	}
	return Incident{
		ID: id, OrgID: c.OrgID, Title: fmt.Sprintf("%s is %s", c.ServiceName, c.Status),
		Status: Investigating, Severity: sev, ServiceIDs: []string{c.ServiceID},
		Source: SourceReceiver, ReceiverID: c.ReceiverID,
		CreatedAt: c.ChangedAt, UpdatedAt: c.ChangedAt, Version: 1,
		Updates: []Update{{At: c.ChangedAt, Status: Investigating, Message: msg, Author: c.ReceiverID}},
	}
}

// NoteAuto returns the open incident with a timeline entry for change c:
// resolved when the service is operational again, otherwise noting the
// new status (degraded → down, say) and keeping the incident's status.
func NoteAuto(i Incident, c StatusChange) Incident {
	status := i.Status
	msg := fmt.Sprintf("%s changed from %s to %s.", c.ServiceName, c.Previous, c.Status)
	if c.Status == StatusOperational {
		status = Resolved
		msg = fmt.Sprintf("%s is operational again.", c.ServiceName)
	}
	if c.Description != "" {
		msg += " " + c.Description
	}
	after := addUpdate(i, Update{At: c.ChangedAt, Status: status, Message: msg, Author: c.ReceiverID})
	after.UpdatedAt = c.ChangedAt
	after.Version++
	return after
}

// ServiceDeletion is what the incidents service needs of a ServiceDeleted
// event.
type ServiceDeletion struct {
	OrgID, ServiceID, ServiceName string
	DeletedAt                     time.Time
}

// ResolveDeleted returns the open automatic incident i of a service that
// has been deleted, resolved: no receiver will report it operational
// again, so it would otherwise stay open for ever.
func ResolveDeleted(i Incident, d ServiceDeletion) Incident {
	after := addUpdate(i, Update{At: d.DeletedAt, Status: Resolved,
		Message: fmt.Sprintf("%s was deleted.", d.ServiceName), Author: "upstate"})
	after.UpdatedAt = d.DeletedAt
	after.Version++
	return after
}
