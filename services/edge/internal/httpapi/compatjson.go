package httpapi

import (
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/upstatehq/upstate/pkg/httpx"
	incidentsv1 "github.com/upstatehq/upstate/proto/gen/upstate/incidents/v1"
	statusv1 "github.com/upstatehq/upstate/proto/gen/upstate/status/v1"
	statuspagev1 "github.com/upstatehq/upstate/proto/gen/upstate/statuspage/v1"
)

// The Statuspage-compatible management API answers Statuspage's shapes,
// field for field those the status page service publishes in its public
// v2 documents (services/statuspage/internal/compat), so that a client
// reads both alike; the integration tests hold the two together.

// spComponent is Statuspage's component.
type spComponent struct {
	ID                 string  `json:"id"`
	Name               string  `json:"name"`
	Status             string  `json:"status"`
	CreatedAt          string  `json:"created_at"`
	UpdatedAt          string  `json:"updated_at"`
	Position           int     `json:"position"`
	Description        *string `json:"description"`
	Showcase           bool    `json:"showcase"`
	StartDate          *string `json:"start_date"`
	GroupID            *string `json:"group_id"`
	PageID             string  `json:"page_id"`
	Group              bool    `json:"group"`
	OnlyShowIfDegraded bool    `json:"only_show_if_degraded"`
}

// spIncidentUpdate is Statuspage's incident update.
type spIncidentUpdate struct {
	ID                   string   `json:"id"`
	Status               string   `json:"status"`
	Body                 string   `json:"body"`
	IncidentID           string   `json:"incident_id"`
	CreatedAt            string   `json:"created_at"`
	UpdatedAt            string   `json:"updated_at"`
	DisplayAt            string   `json:"display_at"`
	AffectedComponents   []string `json:"affected_components"`
	DeliverNotifications bool     `json:"deliver_notifications"`
	CustomTweet          *string  `json:"custom_tweet"`
	TweetID              *string  `json:"tweet_id"`
}

// spIncident is Statuspage's incident.
type spIncident struct {
	ID              string             `json:"id"`
	Name            string             `json:"name"`
	Status          string             `json:"status"`
	CreatedAt       string             `json:"created_at"`
	UpdatedAt       string             `json:"updated_at"`
	MonitoringAt    *string            `json:"monitoring_at"`
	ResolvedAt      *string            `json:"resolved_at"`
	Impact          string             `json:"impact"`
	Shortlink       string             `json:"shortlink"`
	StartedAt       string             `json:"started_at"`
	PageID          string             `json:"page_id"`
	IncidentUpdates []spIncidentUpdate `json:"incident_updates"`
	Components      []spComponent      `json:"components"`
}

// spStatusNames are Statuspage's component statuses of upstate's.
var spStatusNames = map[statusv1.Status]string{
	statusv1.Status_STATUS_OPERATIONAL: "operational",
	statusv1.Status_STATUS_DEGRADED:    "degraded_performance",
	statusv1.Status_STATUS_DOWN:        "major_outage",
	statusv1.Status_STATUS_MAINTENANCE: "under_maintenance",
}

// spStatusValid lists the statuses a Statuspage client may send.
const spStatusValid = "operational, degraded_performance, partial_outage, major_outage, under_maintenance"

// parseSPStatus maps a Statuspage component status back to upstate's:
// partial_outage, which upstate does not have, is degraded.
func parseSPStatus(field, s string) (statusv1.Status, error) {
	if strings.EqualFold(strings.TrimSpace(s), "partial_outage") {
		return statusv1.Status_STATUS_DEGRADED, nil
	}
	return parseEnum(spStatusNames, field, s, spStatusValid)
}

// spImpactOf is the impact Statuspage derives from the statuses an
// incident sets: the worst of minor (degraded), major (partial outage)
// and critical (major outage); minor when none says more, as upstate's
// incidents always have a severity.
func spImpactOf(statuses []string) statusv1.Severity {
	sev := statusv1.Severity_SEVERITY_MINOR
	for _, s := range statuses {
		switch strings.ToLower(strings.TrimSpace(s)) {
		case "partial_outage":
			sev = max(sev, statusv1.Severity_SEVERITY_MAJOR)
		case "major_outage":
			sev = statusv1.Severity_SEVERITY_CRITICAL
		}
	}
	return sev
}

// parseSPImpact reads impact_override: none is minor, the lowest upstate
// has.
func parseSPImpact(s string) (statusv1.Severity, error) {
	if strings.EqualFold(strings.TrimSpace(s), "none") {
		return statusv1.Severity_SEVERITY_MINOR, nil
	}
	return parseEnum(severityNames, "incident[impact_override]", s, "none, minor, major, critical")
}

// parseSPIncidentStatus reads an incident's status; Statuspage's
// scheduled-maintenance statuses belong to upstate's maintenance windows.
func parseSPIncidentStatus(s string) (incidentsv1.IncidentStatus, error) {
	st, err := parseEnum(incidentStatusNames, "incident[status]", s, "investigating, identified, monitoring, resolved")
	if err != nil && strings.Contains("scheduled in_progress verifying completed", strings.ToLower(strings.TrimSpace(s))) {
		return st, httpx.Errorf(http.StatusUnprocessableEntity, httpx.CodeInvalidValue,
			"incident[status] %q is a scheduled maintenance's; schedule maintenance with POST /api/v1/maintenances", s)
	}
	return st, err
}

// spTime formats t as Statuspage does: milliseconds, in the page's zone.
func spTime(t time.Time, loc *time.Location) string {
	return t.In(loc).Format("2006-01-02T15:04:05.000Z07:00")
}

// spView is a page as the compatible API renders it.
type spView struct {
	page *statuspagev1.Page
	loc  *time.Location
	url  string
	// live are services as the status service has them now, by id,
	// fresher than the page's copy of their status.
	live map[string]*statusv1.Service
}

func newSPView(p *statuspagev1.Page, base string) spView {
	loc, err := time.LoadLocation(p.GetTimeZone())
	if err != nil {
		loc = time.UTC
	}
	url := p.GetUrl()
	if url == "" {
		url = base + "/status/" + p.GetSlug()
	}
	return spView{page: p, loc: loc, url: url, live: map[string]*statusv1.Service{}}
}

// component renders a component of the page, with its service's live
// status when v has it.
func (v spView) component(c *statuspagev1.Component) spComponent {
	created := v.page.GetCreatedAt().AsTime()
	updated := v.page.GetUpdatedAt().AsTime()
	status := c.GetStatus()
	if svc, ok := v.live[c.GetServiceId()]; ok {
		status = svc.GetStatus()
		if since := svc.GetStatusChangedAt().AsTime(); since.After(updated) {
			updated = since
		}
	}
	var desc *string
	if d := c.GetDescription(); d != "" {
		desc = &d
	}
	return spComponent{
		ID: c.GetId(), Name: c.GetName(), Status: spStatusNames[status],
		CreatedAt: spTime(created, v.loc), UpdatedAt: spTime(updated, v.loc), Position: int(c.GetPosition()),
		Description: desc, Showcase: true, PageID: v.page.GetId(), OnlyShowIfDegraded: c.GetOnlyShowIfDegraded(),
	}
}

// componentByID finds a component of the page.
func (v spView) componentByID(id string) (*statuspagev1.Component, bool) {
	for _, c := range v.page.GetComponents() {
		if c.GetId() == id {
			return c, true
		}
	}
	return nil, false
}

// incident renders an incident on the page: its components are the
// page's components following the incident's services; updates newest
// first.
func (v spView) incident(in *incidentsv1.Incident) spIncident {
	out := spIncident{
		ID: in.GetId(), Name: in.GetTitle(), Status: incidentStatusNames[in.GetStatus()],
		CreatedAt: spTime(in.GetCreatedAt().AsTime(), v.loc), UpdatedAt: spTime(in.GetUpdatedAt().AsTime(), v.loc),
		Impact: severityName(in.GetSeverity()), Shortlink: v.url + "/history#" + in.GetId(),
		StartedAt: spTime(in.GetCreatedAt().AsTime(), v.loc), PageID: v.page.GetId(),
		IncidentUpdates: []spIncidentUpdate{}, Components: []spComponent{},
	}
	if in.GetResolvedAt() != nil {
		t := spTime(in.GetResolvedAt().AsTime(), v.loc)
		out.ResolvedAt = &t
	}
	ups := in.GetUpdates()
	for i := len(ups) - 1; i >= 0; i-- {
		u := ups[i]
		at := spTime(u.GetCreatedAt().AsTime(), v.loc)
		status := incidentStatusNames[u.GetStatus()]
		if status == "monitoring" {
			out.MonitoringAt = &at
		}
		out.IncidentUpdates = append(out.IncidentUpdates, spIncidentUpdate{
			ID: spUpdateID(in.GetId(), i), Status: status, Body: u.GetMessage(), IncidentID: in.GetId(),
			CreatedAt: at, UpdatedAt: at, DisplayAt: at, DeliverNotifications: true,
		})
	}
	for _, svc := range in.GetServiceIds() {
		for _, c := range v.page.GetComponents() {
			if c.GetServiceId() == svc {
				out.Components = append(out.Components, v.component(c))
			}
		}
	}
	return out
}

// spUpdateID is the stable id of an incident's n-th update, the one the
// status page service's public documents give it.
func spUpdateID(incidentID string, n int) string {
	sum := sha256.Sum256([]byte(incidentID + "\x00" + strconv.Itoa(n)))
	return "upd_" + hex.EncodeToString(sum[:13])
}
