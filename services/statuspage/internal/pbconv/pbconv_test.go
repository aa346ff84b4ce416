package pbconv

import (
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	incidentsv1 "github.com/upstatehq/upstate/proto/gen/upstate/incidents/v1"
	statusv1 "github.com/upstatehq/upstate/proto/gen/upstate/status/v1"
	"github.com/upstatehq/upstate/services/statuspage/internal/domain"
)

func TestIncidentSeverityAndStatus(t *testing.T) {
	t.Parallel()
	at := timestamppb.New(time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC))
	for _, tt := range []struct {
		sev    statusv1.Severity
		status incidentsv1.IncidentStatus
		impact string
		want   string
	}{
		{statusv1.Severity_SEVERITY_MINOR, incidentsv1.IncidentStatus_INCIDENT_STATUS_IDENTIFIED, "minor", "identified"},
		{statusv1.Severity_SEVERITY_CRITICAL, incidentsv1.IncidentStatus_INCIDENT_STATUS_RESOLVED, "critical", "resolved"},
		{statusv1.Severity_SEVERITY_UNSPECIFIED, incidentsv1.IncidentStatus_INCIDENT_STATUS_UNSPECIFIED, "major", "investigating"},
	} {
		inc, ok := Incident(&incidentsv1.Incident{Id: "inc_1", OrgId: "org_1", Severity: tt.sev, Status: tt.status, CreatedAt: at})
		if !ok || inc.Severity != tt.impact || inc.Status != tt.want || !inc.UpdatedAt.Equal(inc.CreatedAt) {
			t.Errorf("Incident(%v, %v) = %+v, %v; want %s, %s", tt.sev, tt.status, inc, ok, tt.impact, tt.want)
		}
	}
	if _, ok := Incident(&incidentsv1.Incident{Id: "inc_1"}); ok {
		t.Error("an incident without organisation or time was accepted")
	}
}

func TestPageURL(t *testing.T) {
	t.Parallel()
	p := domain.Page{Slug: "pushmail"}
	if got := Page(p, "https://status.example.com/").GetUrl(); got != "https://status.example.com/status/pushmail" {
		t.Errorf("url %q", got)
	}
	if got := Page(p, "").GetUrl(); got != "" {
		t.Errorf("url %q without a public URL", got)
	}
	p.CustomDomain = "status.pushmail.example"
	if got := Page(p, "https://status.example.com").GetUrl(); got != "https://status.pushmail.example" {
		t.Errorf("url %q with a custom domain", got)
	}
}
