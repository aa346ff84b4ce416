package domain

import "time"

// Incident is an incident as the read model keeps it from INCIDENTS.
type Incident struct {
	ID         string
	OrgID      string
	Title      string
	Status     string // investigating, identified, monitoring, resolved
	Severity   string // minor, major, critical
	ServiceIDs []string
	CreatedAt  time.Time
	UpdatedAt  time.Time
	ResolvedAt *time.Time
	Updates    []IncidentUpdate
	Version    int64
}

// IncidentUpdate is one entry of an incident's timeline.
type IncidentUpdate struct {
	At      time.Time `json:"at"`
	Status  string    `json:"status"`
	Message string    `json:"message"`
}

// Resolved reports whether the incident is over.
func (i Incident) Resolved() bool { return i.Status == "resolved" }

// MonitoringAt is when the incident was first monitored, if it was.
func (i Incident) MonitoringAt() *time.Time {
	for _, u := range i.Updates {
		if u.Status == "monitoring" {
			t := u.At
			return &t
		}
	}
	return nil
}

// Window is a maintenance window as the read model keeps it.
type Window struct {
	ID         string
	OrgID      string
	Title      string
	Message    string
	ServiceIDs []string
	StartsAt   time.Time
	EndsAt     time.Time
	Status     string // scheduled, in_progress, completed, cancelled
	StartedAt  *time.Time
	EndedAt    *time.Time
	CreatedAt  time.Time
	UpdatedAt  time.Time
	Version    int64
}

// Shown reports whether a page lists the window: cancelled ones are not.
func (m Window) Shown() bool { return m.Status != "cancelled" }

// Active reports whether the window is in progress.
func (m Window) Active() bool { return m.Status == "in_progress" }

// Upcoming reports whether the window has not started.
func (m Window) Upcoming() bool { return m.Status == "scheduled" }

// Updates are the window's timeline as Statuspage shows it: scheduled,
// then in progress and completed as they happened.
func (m Window) Updates() []IncidentUpdate {
	ups := []IncidentUpdate{{At: m.CreatedAt, Status: "scheduled", Message: m.Message}}
	if m.StartedAt != nil {
		ups = append(ups, IncidentUpdate{At: *m.StartedAt, Status: "in_progress", Message: "Scheduled maintenance is in progress."})
	}
	if m.EndedAt != nil && m.Status == "completed" {
		ups = append(ups, IncidentUpdate{At: *m.EndedAt, Status: "completed", Message: "The scheduled maintenance has been completed."})
	}
	return ups
}
