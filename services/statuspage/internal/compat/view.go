// Package compat builds the documents of Atlassian Statuspage's public v2
// API (summary.json, status.json, components.json, incidents.json,
// scheduled-maintenances.json and their filtered forms) and its webhook
// payloads from a page's view, with the same field names, nesting and
// enums, so that any client of a Statuspage page reads an upstate page
// unchanged. It does no I/O.
package compat

import (
	"time"

	"github.com/upstatehq/upstate/services/statuspage/internal/domain"
)

// View is everything a page shows, read from the read model at once.
type View struct {
	Page domain.Page
	// URL is the page's public address.
	URL string
	// Incidents are those affecting the page's services, newest first.
	Incidents []domain.Incident
	// Windows are the maintenance windows of its services, newest first.
	Windows []domain.Window
	// Posts are its services' status changes, newest first.
	Posts []domain.Post
	// Since is when each component's service last changed status, by
	// service id.
	Since map[string]time.Time
	// Days are the components' daily figures, oldest first, by service id.
	Days map[string][]domain.Day
	// Uptime is the components' uptime by service id and window (24h, 7d,
	// 30d, 90d); absent without counted time.
	Uptime map[string]map[string]float64
}

// Impacts are the severities of the unresolved incidents.
func (v View) Impacts() []string {
	var out []string
	for _, inc := range v.Incidents {
		if !inc.Resolved() {
			out = append(out, inc.Severity)
		}
	}
	return out
}

// Overall is the page's status.
func (v View) Overall() domain.Overall { return v.Page.Overall(v.Impacts()) }
