package compat

import (
	"time"

	"github.com/upstatehq/upstate/services/statuspage/internal/domain"
)

func at(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

func ptr[T any](v T) *T { return &v }

// fixture is a page with a group, a component alone, one hidden while
// operational, an incident open and one resolved, and maintenance windows
// in every state.
func fixture() View {
	return View{
		URL: "https://status.example.com/status/pushmail",
		Page: domain.Page{
			ID: "pag_01jdq3m8z6k4t7v9x2b5c8e0fg", OrgID: "org_1", Name: "Pushmail", Slug: "pushmail", TimeZone: "Europe/Berlin",
			CreatedAt: at("2026-11-01T08:00:00Z"), UpdatedAt: at("2026-12-03T10:15:00Z"),
			Components: []domain.Component{
				{ID: "cmp_api", ServiceID: "svc_api", Name: "API", Position: 1, Status: domain.Operational, Description: "The REST API"},
				{ID: "cmp_delivery", ServiceID: "svc_delivery", Name: "Email Delivery", Group: "Email", Position: 2, Status: domain.Degraded},
				{ID: "cmp_smtp", ServiceID: "svc_smtp", Name: "SMTP relay", Group: "Email", Position: 3, Status: domain.Maintenance},
				{ID: "cmp_hidden", ServiceID: "svc_hidden", Name: "Archive", Position: 4, OnlyShowIfDegraded: true, Status: domain.Operational},
			},
		},
		Since: map[string]time.Time{"svc_delivery": at("2026-12-03T10:15:00Z")},
		Incidents: []domain.Incident{
			{
				ID: "inc_open", OrgID: "org_1", Title: "Email delivery delays", Status: "monitoring", Severity: "minor",
				ServiceIDs: []string{"svc_delivery"}, CreatedAt: at("2026-12-03T10:15:00Z"), UpdatedAt: at("2026-12-03T10:40:00Z"), Version: 3,
				Updates: []domain.IncidentUpdate{
					{At: at("2026-12-03T10:15:00Z"), Status: "investigating", Message: "Email delivery delays in US-East region"},
					{At: at("2026-12-03T10:40:00Z"), Status: "monitoring", Message: "A fix is out"},
				},
			},
			{
				ID: "inc_done", OrgID: "org_1", Title: "API errors", Status: "resolved", Severity: "major",
				ServiceIDs: []string{"svc_api"}, CreatedAt: at("2026-12-01T09:00:00Z"), UpdatedAt: at("2026-12-01T09:30:00Z"),
				ResolvedAt: ptr(at("2026-12-01T09:30:00Z")), Version: 2,
				Updates: []domain.IncidentUpdate{
					{At: at("2026-12-01T09:00:00Z"), Status: "investigating", Message: "Errors on the API"},
					{At: at("2026-12-01T09:30:00Z"), Status: "resolved", Message: "Fixed"},
				},
			},
		},
		Windows: []domain.Window{
			{ID: "mnt_next", OrgID: "org_1", Title: "Database upgrade", Message: "A few seconds of errors", ServiceIDs: []string{"svc_api"},
				StartsAt: at("2026-12-05T22:00:00Z"), EndsAt: at("2026-12-05T23:00:00Z"), Status: "scheduled",
				CreatedAt: at("2026-12-02T12:00:00Z"), UpdatedAt: at("2026-12-02T12:00:00Z"), Version: 1},
			{ID: "mnt_now", OrgID: "org_1", Title: "SMTP relay move", ServiceIDs: []string{"svc_smtp"},
				StartsAt: at("2026-12-03T10:00:00Z"), EndsAt: at("2026-12-03T12:00:00Z"), Status: "in_progress", StartedAt: ptr(at("2026-12-03T10:00:00Z")),
				CreatedAt: at("2026-12-01T12:00:00Z"), UpdatedAt: at("2026-12-03T10:00:00Z"), Version: 2},
			{ID: "mnt_done", OrgID: "org_1", Title: "Certificate renewal", ServiceIDs: []string{"svc_api"},
				StartsAt: at("2026-11-20T10:00:00Z"), EndsAt: at("2026-11-20T10:30:00Z"), Status: "completed",
				StartedAt: ptr(at("2026-11-20T10:00:00Z")), EndedAt: ptr(at("2026-11-20T10:30:00Z")),
				CreatedAt: at("2026-11-19T12:00:00Z"), UpdatedAt: at("2026-11-20T10:30:00Z"), Version: 3},
			{ID: "mnt_cancelled", OrgID: "org_1", Title: "Cancelled work", ServiceIDs: []string{"svc_api"},
				StartsAt: at("2026-11-25T10:00:00Z"), EndsAt: at("2026-11-25T10:30:00Z"), Status: "cancelled", EndedAt: ptr(at("2026-11-24T10:30:00Z")),
				CreatedAt: at("2026-11-19T12:00:00Z"), UpdatedAt: at("2026-11-24T10:30:00Z"), Version: 2},
		},
	}
}
