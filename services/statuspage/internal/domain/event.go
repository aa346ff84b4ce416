package domain

import "time"

// ServiceEvent is what an event of STATUS tells the read model about a
// service.
type ServiceEvent struct {
	OrgID     string
	ServiceID string
	Version   int64
	// Named events (creation, edit) carry the name and description.
	Named       bool
	Name        string
	Description string
	// Events with a status (creation, status change) carry it and when
	// it was set.
	HasStatus         bool
	Status            Status
	StatusDescription string
	At                time.Time
	// Post is the post a status change adds.
	Post    *Post
	Deleted bool
}

// IncidentEvent is an incident opened, updated or resolved.
type IncidentEvent struct {
	Incident Incident
}

// WindowEvent is a maintenance window's change; Notify is set for those
// subscribers hear of (scheduled, started, ended).
type WindowEvent struct {
	Window Window
	Notify bool
}
