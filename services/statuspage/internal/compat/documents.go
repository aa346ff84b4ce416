package compat

import (
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"time"

	"github.com/upstatehq/upstate/services/statuspage/internal/domain"
)

// PageJSON is Statuspage's page object.
type PageJSON struct {
	ID        string `json:"id"`
	Name      string `json:"name"`
	URL       string `json:"url"`
	TimeZone  string `json:"time_zone"`
	UpdatedAt string `json:"updated_at"`
}

// StatusJSON is Statuspage's overall status.
type StatusJSON struct {
	Indicator   string `json:"indicator"`
	Description string `json:"description"`
}

// ComponentJSON is Statuspage's component: a service, or a group with
// the ids of its members in Components.
type ComponentJSON struct {
	ID                 string   `json:"id"`
	Name               string   `json:"name"`
	Status             string   `json:"status"`
	CreatedAt          string   `json:"created_at"`
	UpdatedAt          string   `json:"updated_at"`
	Position           int      `json:"position"`
	Description        *string  `json:"description"`
	Showcase           bool     `json:"showcase"`
	StartDate          *string  `json:"start_date"`
	GroupID            *string  `json:"group_id"`
	PageID             string   `json:"page_id"`
	Group              bool     `json:"group"`
	OnlyShowIfDegraded bool     `json:"only_show_if_degraded"`
	Components         []string `json:"components,omitempty"`
}

// AffectedComponentJSON is a component an incident update names.
type AffectedComponentJSON struct {
	Code      string `json:"code"`
	Name      string `json:"name"`
	OldStatus string `json:"old_status"`
	NewStatus string `json:"new_status"`
}

// IncidentUpdateJSON is Statuspage's incident update.
type IncidentUpdateJSON struct {
	ID                   string                  `json:"id"`
	Status               string                  `json:"status"`
	Body                 string                  `json:"body"`
	IncidentID           string                  `json:"incident_id"`
	CreatedAt            string                  `json:"created_at"`
	UpdatedAt            string                  `json:"updated_at"`
	DisplayAt            string                  `json:"display_at"`
	AffectedComponents   []AffectedComponentJSON `json:"affected_components"`
	DeliverNotifications bool                    `json:"deliver_notifications"`
	CustomTweet          *string                 `json:"custom_tweet"`
	TweetID              *string                 `json:"tweet_id"`
}

// IncidentJSON is Statuspage's incident, and with ScheduledFor and
// ScheduledUntil its scheduled maintenance.
type IncidentJSON struct {
	ID              string               `json:"id"`
	Name            string               `json:"name"`
	Status          string               `json:"status"`
	CreatedAt       string               `json:"created_at"`
	UpdatedAt       string               `json:"updated_at"`
	MonitoringAt    *string              `json:"monitoring_at"`
	ResolvedAt      *string              `json:"resolved_at"`
	Impact          string               `json:"impact"`
	Shortlink       string               `json:"shortlink"`
	StartedAt       string               `json:"started_at"`
	PageID          string               `json:"page_id"`
	IncidentUpdates []IncidentUpdateJSON `json:"incident_updates"`
	Components      []ComponentJSON      `json:"components"`
	ScheduledFor    *string              `json:"scheduled_for,omitempty"`
	ScheduledUntil  *string              `json:"scheduled_until,omitempty"`
}

// Summary is summary.json.
type Summary struct {
	Page                  PageJSON        `json:"page"`
	Components            []ComponentJSON `json:"components"`
	Incidents             []IncidentJSON  `json:"incidents"`
	ScheduledMaintenances []IncidentJSON  `json:"scheduled_maintenances"`
	Status                StatusJSON      `json:"status"`
}

// StatusDoc is status.json.
type StatusDoc struct {
	Page   PageJSON   `json:"page"`
	Status StatusJSON `json:"status"`
}

// ComponentsDoc is components.json.
type ComponentsDoc struct {
	Page       PageJSON        `json:"page"`
	Components []ComponentJSON `json:"components"`
}

// IncidentsDoc is incidents.json and incidents/unresolved.json.
type IncidentsDoc struct {
	Page      PageJSON       `json:"page"`
	Incidents []IncidentJSON `json:"incidents"`
}

// MaintenancesDoc is scheduled-maintenances.json and its upcoming and
// active forms.
type MaintenancesDoc struct {
	Page                  PageJSON       `json:"page"`
	ScheduledMaintenances []IncidentJSON `json:"scheduled_maintenances"`
}

// MaxIncidents is how many incidents incidents.json lists, as Statuspage's.
const MaxIncidents = 50

// Time formats t as Statuspage does: milliseconds, in the page's zone.
func Time(t time.Time, loc *time.Location) string {
	return t.In(loc).Format("2006-01-02T15:04:05.000Z07:00")
}

func timePtr(t *time.Time, loc *time.Location) *string {
	if t == nil {
		return nil
	}
	s := Time(*t, loc)
	return &s
}

// PageJSON is the page object.
func (v View) PageJSON() PageJSON {
	tz := v.Page.TimeZone
	if tz == "" {
		tz = "Etc/UTC"
	}
	return PageJSON{ID: v.Page.ID, Name: v.Page.Name, URL: v.URL, TimeZone: tz, UpdatedAt: Time(v.Page.UpdatedAt, v.Page.Location())}
}

// StatusJSON is the overall status.
func (v View) StatusJSON() StatusJSON {
	o := v.Overall()
	return StatusJSON{Indicator: string(o.Indicator), Description: o.Description}
}

// ComponentsJSON are the shown components, each group followed by its
// members, in position order.
func (v View) ComponentsJSON() []ComponentJSON {
	loc := v.Page.Location()
	out := []ComponentJSON{}
	pos := 0
	for _, g := range v.Page.Layout() {
		var groupID *string
		if g.Name != "" {
			pos++
			id := g.ID
			groupID = &id
			grp := ComponentJSON{
				ID: g.ID, Name: g.Name, Status: g.Status.ComponentStatus(),
				CreatedAt: Time(v.Page.CreatedAt, loc), UpdatedAt: Time(v.Page.UpdatedAt, loc),
				Position: pos, PageID: v.Page.ID, Group: true, Components: []string{},
			}
			for _, c := range g.Components {
				grp.Components = append(grp.Components, c.ID)
			}
			out = append(out, grp)
		}
		for _, c := range g.Components {
			pos++
			out = append(out, v.component(c, groupID, pos))
		}
	}
	return out
}

func (v View) component(c domain.Component, groupID *string, pos int) ComponentJSON {
	loc := v.Page.Location()
	updated := v.Page.CreatedAt
	if t, ok := v.Since[c.ServiceID]; ok && t.After(updated) {
		updated = t
	}
	var desc *string
	if c.Description != "" {
		d := c.Description
		desc = &d
	}
	return ComponentJSON{
		ID: c.ID, Name: c.Name, Status: c.Status.ComponentStatus(),
		CreatedAt: Time(v.Page.CreatedAt, loc), UpdatedAt: Time(updated, loc),
		Position: pos, Description: desc, Showcase: true, GroupID: groupID, PageID: v.Page.ID,
		OnlyShowIfDegraded: c.OnlyShowIfDegraded,
	}
}

// componentsOf are the page's components following the services.
func (v View) componentsOf(serviceIDs []string) []ComponentJSON {
	out := []ComponentJSON{}
	for _, id := range serviceIDs {
		if c, ok := v.Page.ComponentOf(id); ok {
			out = append(out, v.component(c, nil, c.Position))
		}
	}
	return out
}

// updateID is a stable id of an incident's n-th update.
func updateID(incidentID string, n int) string {
	sum := sha256.Sum256([]byte(incidentID + "\x00" + strconv.Itoa(n)))
	return "upd_" + hex.EncodeToString(sum[:13])
}

// Incident is an incident as Statuspage shows it, newest update first.
func (v View) Incident(inc domain.Incident) IncidentJSON {
	loc := v.Page.Location()
	out := IncidentJSON{
		ID: inc.ID, Name: inc.Title, Status: inc.Status,
		CreatedAt: Time(inc.CreatedAt, loc), UpdatedAt: Time(inc.UpdatedAt, loc),
		MonitoringAt: timePtr(inc.MonitoringAt(), loc), ResolvedAt: timePtr(inc.ResolvedAt, loc),
		Impact: inc.Severity, Shortlink: v.URL + "/history#" + inc.ID, StartedAt: Time(inc.CreatedAt, loc),
		PageID: v.Page.ID, Components: v.componentsOf(inc.ServiceIDs),
	}
	out.IncidentUpdates = v.updates(inc.ID, inc.Updates)
	return out
}

// Maintenance is a window as Statuspage shows a scheduled maintenance.
func (v View) Maintenance(w domain.Window) IncidentJSON {
	loc := v.Page.Location()
	status := w.Status
	var resolved *time.Time
	if w.Status == "completed" {
		resolved = w.EndedAt
	}
	started := w.StartsAt
	if w.StartedAt != nil {
		started = *w.StartedAt
	}
	return IncidentJSON{
		ID: w.ID, Name: w.Title, Status: status,
		CreatedAt: Time(w.CreatedAt, loc), UpdatedAt: Time(w.UpdatedAt, loc),
		ResolvedAt: timePtr(resolved, loc), Impact: "maintenance",
		Shortlink: v.URL + "/history#" + w.ID, StartedAt: Time(started, loc), PageID: v.Page.ID,
		IncidentUpdates: v.updates(w.ID, w.Updates()), Components: v.componentsOf(w.ServiceIDs),
		ScheduledFor: timePtr(&w.StartsAt, loc), ScheduledUntil: timePtr(&w.EndsAt, loc),
	}
}

func (v View) updates(id string, ups []domain.IncidentUpdate) []IncidentUpdateJSON {
	loc := v.Page.Location()
	out := make([]IncidentUpdateJSON, 0, len(ups))
	for i := len(ups) - 1; i >= 0; i-- {
		u := ups[i]
		at := Time(u.At, loc)
		out = append(out, IncidentUpdateJSON{
			ID: updateID(id, i), Status: u.Status, Body: u.Message, IncidentID: id,
			CreatedAt: at, UpdatedAt: at, DisplayAt: at, AffectedComponents: nil, DeliverNotifications: true,
		})
	}
	return out
}

// IncidentsJSON are the page's incidents, newest first, up to
// MaxIncidents, or only those unresolved.
func (v View) IncidentsJSON(unresolved bool) []IncidentJSON {
	out := []IncidentJSON{}
	for _, inc := range v.Incidents {
		if len(out) == MaxIncidents {
			break
		}
		if unresolved && inc.Resolved() {
			continue
		}
		out = append(out, v.Incident(inc))
	}
	return out
}

// Which maintenance windows a document lists.
const (
	AllWindows = iota
	UpcomingWindows
	ActiveWindows
	// OpenWindows are upcoming or active, as summary.json lists them.
	OpenWindows
)

// MaintenancesJSON are the page's shown windows, newest first.
func (v View) MaintenancesJSON(which int) []IncidentJSON {
	out := []IncidentJSON{}
	for _, w := range v.Windows {
		ok := w.Shown()
		switch which {
		case UpcomingWindows:
			ok = w.Upcoming()
		case ActiveWindows:
			ok = w.Active()
		case OpenWindows:
			ok = w.Upcoming() || w.Active()
		}
		if ok && len(out) < MaxIncidents {
			out = append(out, v.Maintenance(w))
		}
	}
	return out
}

// Summary is summary.json.
func (v View) Summary() Summary {
	return Summary{
		Page: v.PageJSON(), Components: v.ComponentsJSON(), Incidents: v.IncidentsJSON(true),
		ScheduledMaintenances: v.MaintenancesJSON(OpenWindows), Status: v.StatusJSON(),
	}
}

// Document returns the v2 document at name (summary, status, components,
// incidents, incidents/unresolved, scheduled-maintenances,
// scheduled-maintenances/upcoming, scheduled-maintenances/active).
func (v View) Document(name string) (any, bool) {
	switch name {
	case "summary":
		return v.Summary(), true
	case "status":
		return StatusDoc{Page: v.PageJSON(), Status: v.StatusJSON()}, true
	case "components":
		return ComponentsDoc{Page: v.PageJSON(), Components: v.ComponentsJSON()}, true
	case "incidents":
		return IncidentsDoc{Page: v.PageJSON(), Incidents: v.IncidentsJSON(false)}, true
	case "incidents/unresolved":
		return IncidentsDoc{Page: v.PageJSON(), Incidents: v.IncidentsJSON(true)}, true
	case "scheduled-maintenances":
		return MaintenancesDoc{Page: v.PageJSON(), ScheduledMaintenances: v.MaintenancesJSON(AllWindows)}, true
	case "scheduled-maintenances/upcoming":
		return MaintenancesDoc{Page: v.PageJSON(), ScheduledMaintenances: v.MaintenancesJSON(UpcomingWindows)}, true
	case "scheduled-maintenances/active":
		return MaintenancesDoc{Page: v.PageJSON(), ScheduledMaintenances: v.MaintenancesJSON(ActiveWindows)}, true
	}
	return nil, false
}
