package httpapi

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/known/timestamppb"

	incidentsv1 "github.com/upstatehq/upstate/proto/gen/upstate/incidents/v1"
	statusv1 "github.com/upstatehq/upstate/proto/gen/upstate/status/v1"
	"github.com/upstatehq/upstate/services/edge/internal/auth"
)

func TestToIncidentJSON(t *testing.T) {
	opened := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	fixed := opened.Add(90 * time.Minute)
	in := &incidentsv1.Incident{
		Id: "inc_1", OrgId: "org_1", Title: "Elevated API errors", Status: incidentsv1.IncidentStatus_INCIDENT_STATUS_RESOLVED,
		Severity: statusv1.Severity_SEVERITY_CRITICAL, ServiceIds: []string{"svc_1", "svc_2"},
		Source: incidentsv1.IncidentSource_INCIDENT_SOURCE_RECEIVER, ReceiverId: "whr_1",
		CreatedAt: timestamppb.New(opened), UpdatedAt: timestamppb.New(fixed), ResolvedAt: timestamppb.New(fixed),
		Updates: []*incidentsv1.IncidentUpdate{
			{CreatedAt: timestamppb.New(opened), Status: incidentsv1.IncidentStatus_INCIDENT_STATUS_INVESTIGATING, Message: "High error rate", Author: "whr_1"},
			{CreatedAt: timestamppb.New(fixed), Status: incidentsv1.IncidentStatus_INCIDENT_STATUS_RESOLVED, Message: "Rolled back", Author: "key_1"},
		},
		Version: 2,
	}
	want := `{"id":"inc_1","org_id":"org_1","title":"Elevated API errors","status":"resolved","severity":"critical",` +
		`"service_ids":["svc_1","svc_2"],"source":"receiver","receiver_id":"whr_1",` +
		`"created_at":"2026-11-23T10:00:00Z","updated_at":"2026-11-23T11:30:00Z","resolved_at":"2026-11-23T11:30:00Z",` +
		`"updates":[{"created_at":"2026-11-23T10:00:00Z","status":"investigating","message":"High error rate","author":"whr_1"},` +
		`{"created_at":"2026-11-23T11:30:00Z","status":"resolved","message":"Rolled back","author":"key_1"}],"version":2}`
	if got := marshal(t, toIncidentJSON(in)); got != want {
		t.Errorf("incident JSON\n got: %s\nwant: %s", got, want)
	}

	// Opened by hand, still open, no services, no timeline: nulls and
	// empty lists, never 1970 or null lists.
	in = &incidentsv1.Incident{
		Id: "inc_2", Status: incidentsv1.IncidentStatus_INCIDENT_STATUS_IDENTIFIED, Severity: statusv1.Severity_SEVERITY_MINOR,
		Source: incidentsv1.IncidentSource_INCIDENT_SOURCE_MANUAL, CreatedAt: timestamppb.New(opened), UpdatedAt: timestamppb.New(opened),
	}
	got := marshal(t, toIncidentJSON(in))
	for _, part := range []string{
		`"status":"identified"`, `"severity":"minor"`, `"service_ids":[]`, `"source":"manual"`,
		`"receiver_id":null`, `"resolved_at":null`, `"updates":[]`, `"version":0`,
	} {
		if !strings.Contains(got, part) {
			t.Errorf("incident JSON %s lacks %s", got, part)
		}
	}
}

// Every value of the proto enums has a name in the REST API, so that a new
// one cannot be shown as "".
func TestEnumNamesCoverTheProtos(t *testing.T) {
	checkEnumNames(t, incidentStatusNames)
	checkEnumNames(t, incidentSourceNames)
	checkEnumNames(t, incidentFilterNames)
	checkEnumNames(t, maintenanceStatusNames)
}

func checkEnumNames[E interface {
	protoreflect.Enum
	comparable
}](t *testing.T, names map[E]string) {
	t.Helper()
	var zero E
	named := map[protoreflect.EnumNumber]bool{}
	seen := map[string]bool{}
	for v, name := range names {
		named[v.Number()] = true
		if seen[name] || name == "" {
			t.Errorf("%s: name %q is empty or used twice", zero.Descriptor().Name(), name)
		}
		seen[name] = true
	}
	values := zero.Descriptor().Values()
	for i := range values.Len() {
		v := values.Get(i)
		if v.Number() != 0 && !named[v.Number()] {
			t.Errorf("%s has no REST name", v.Name())
		}
	}
}

func TestParseIncidentEnums(t *testing.T) {
	for in, want := range map[string]incidentsv1.IncidentStatus{
		"investigating": incidentsv1.IncidentStatus_INCIDENT_STATUS_INVESTIGATING,
		"Identified":    incidentsv1.IncidentStatus_INCIDENT_STATUS_IDENTIFIED,
		" MONITORING ":  incidentsv1.IncidentStatus_INCIDENT_STATUS_MONITORING,
		"resolved":      incidentsv1.IncidentStatus_INCIDENT_STATUS_RESOLVED,
	} {
		if got, err := parseIncidentStatus(in); err != nil || got != want {
			t.Errorf("parseIncidentStatus(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "open", "INCIDENT_STATUS_RESOLVED", "1"} {
		_, err := parseIncidentStatus(bad)
		assertHTTPError(t, err, http.StatusUnprocessableEntity, "investigating, identified, monitoring, resolved")
	}
	for in, want := range map[string]incidentsv1.IncidentFilter{
		"open": incidentsv1.IncidentFilter_INCIDENT_FILTER_OPEN, "Resolved": incidentsv1.IncidentFilter_INCIDENT_FILTER_RESOLVED,
	} {
		if got, err := parseIncidentFilter(in); err != nil || got != want {
			t.Errorf("parseIncidentFilter(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, bad := range []string{"all", "investigating", "closed"} {
		_, err := parseIncidentFilter(bad)
		assertHTTPError(t, err, http.StatusUnprocessableEntity, `status "`+bad+`" is invalid; valid values are open, resolved`)
	}
}

var testPrincipal = auth.Principal{OrgID: "org_1", KeyID: "key_1"}

func TestCreateIncidentBody(t *testing.T) {
	tests := []struct {
		name    string
		body    string
		want    *incidentsv1.CreateIncidentRequest
		status  int    // of the error, when one is wanted
		message string // part of the error message
	}{
		{
			name: "minimal: the status is left to the incidents service (investigating)",
			body: `{"title":"API errors","severity":"major"}`,
			want: &incidentsv1.CreateIncidentRequest{OrgId: "org_1", Title: "API errors", Severity: statusv1.Severity_SEVERITY_MAJOR, Author: "key_1"},
		},
		{
			name: "full",
			body: `{"title":"API errors","severity":"Critical","service_ids":["svc_1","svc_2"],"status":"identified","message":"Bad deploy"}`,
			want: &incidentsv1.CreateIncidentRequest{
				OrgId: "org_1", Title: "API errors", Severity: statusv1.Severity_SEVERITY_CRITICAL, ServiceIds: []string{"svc_1", "svc_2"},
				Status: incidentsv1.IncidentStatus_INCIDENT_STATUS_IDENTIFIED, Message: "Bad deploy", Author: "key_1",
			},
		},
		{name: "no severity", body: `{"title":"x"}`, status: 422, message: "severity is required; valid values are minor, major, critical"},
		{name: "bad severity", body: `{"title":"x","severity":"sev1"}`, status: 422, message: `severity "sev1" is invalid; valid values are minor, major, critical`},
		{name: "opened resolved", body: `{"title":"x","severity":"minor","status":"resolved"}`, status: 422, message: "valid values are investigating, identified, monitoring"},
		{name: "bad status", body: `{"title":"x","severity":"minor","status":"open"}`, status: 422, message: `status "open"`},
		{name: "service_ids of numbers", body: `{"title":"x","severity":"minor","service_ids":[1]}`, status: 422, message: "service_ids"},
		{name: "unknown field", body: `{"title":"x","severity":"minor","impact":"high"}`, status: 400, message: "impact"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var body createIncidentBody
			err := decodeBody(t, tt.body, &body)
			var req *incidentsv1.CreateIncidentRequest
			if err == nil {
				req, err = body.request(testPrincipal)
			}
			if tt.status != 0 {
				assertHTTPError(t, err, tt.status, tt.message)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !proto.Equal(req, tt.want) {
				t.Errorf("request = %v, want %v", req, tt.want)
			}
		})
	}
}

func TestUpdateIncidentBody(t *testing.T) {
	title := "Elevated API errors"
	tests := []struct {
		name    string
		body    string
		want    *incidentsv1.UpdateIncidentRequest
		status  int
		message string
	}{
		{
			name: "retitle", body: `{"title":"Elevated API errors"}`,
			want: &incidentsv1.UpdateIncidentRequest{OrgId: "org_1", IncidentId: "inc_1", Title: &title, Author: "key_1"},
		},
		{
			name: "resolve with a message", body: `{"status":"Resolved","message":"Rolled back"}`,
			want: &incidentsv1.UpdateIncidentRequest{
				OrgId: "org_1", IncidentId: "inc_1", Status: incidentsv1.IncidentStatus_INCIDENT_STATUS_RESOLVED, Message: "Rolled back", Author: "key_1",
			},
		},
		{
			name: "no services: an empty list, not unchanged", body: `{"service_ids":[]}`,
			want: &incidentsv1.UpdateIncidentRequest{OrgId: "org_1", IncidentId: "inc_1", ServiceIds: &incidentsv1.ServiceIDs{}, Author: "key_1"},
		},
		{
			name: "everything", body: `{"title":"Elevated API errors","severity":"minor","service_ids":["svc_2"],"status":"monitoring","message":"Fix deployed"}`,
			want: &incidentsv1.UpdateIncidentRequest{
				OrgId: "org_1", IncidentId: "inc_1", Title: &title, Severity: statusv1.Severity_SEVERITY_MINOR,
				ServiceIds: &incidentsv1.ServiceIDs{Ids: []string{"svc_2"}}, Status: incidentsv1.IncidentStatus_INCIDENT_STATUS_MONITORING,
				Message: "Fix deployed", Author: "key_1",
			},
		},
		{name: "nothing to change", body: `{}`, status: 422, message: "give at least one field to change: title, severity, service_ids, status, message"},
		{name: "a message without a status change", body: `{"message":"Still looking"}`, status: 422, message: "/api/v1/incidents/inc_1/updates"},
		{name: "null title", body: `{"title":null}`, status: 422, message: "title cannot be null"},
		{name: "null service_ids", body: `{"service_ids":null}`, status: 422, message: "service_ids cannot be null"},
		{name: "bad severity", body: `{"severity":"huge"}`, status: 422, message: "minor, major, critical"},
		{name: "bad status", body: `{"status":"closed"}`, status: 422, message: "investigating, identified, monitoring, resolved"},
		{name: "wrong type", body: `{"title":7}`, status: 422, message: "title must be a string"},
		{name: "unknown field", body: `{"state":"resolved"}`, status: 400, message: "state"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var body updateIncidentBody
			err := decodeBody(t, tt.body, &body)
			var req *incidentsv1.UpdateIncidentRequest
			if err == nil {
				req, err = body.request(testPrincipal, "inc_1")
			}
			if tt.status != 0 {
				assertHTTPError(t, err, tt.status, tt.message)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !proto.Equal(req, tt.want) {
				t.Errorf("request = %v, want %v", req, tt.want)
			}
		})
	}
}

func TestAddIncidentUpdateBody(t *testing.T) {
	var body addIncidentUpdateBody
	if err := decodeBody(t, `{"message":"Fix deployed","status":"MONITORING"}`, &body); err != nil {
		t.Fatal(err)
	}
	req, err := body.request(testPrincipal, "inc_1")
	want := &incidentsv1.AddIncidentUpdateRequest{
		OrgId: "org_1", IncidentId: "inc_1", Status: incidentsv1.IncidentStatus_INCIDENT_STATUS_MONITORING, Message: "Fix deployed", Author: "key_1",
	}
	if err != nil || !proto.Equal(req, want) {
		t.Errorf("request = %v, %v; want %v", req, err, want)
	}

	// Without a status the incident keeps its own (unspecified).
	body = addIncidentUpdateBody{}
	if err := decodeBody(t, `{"message":"Still looking"}`, &body); err != nil {
		t.Fatal(err)
	}
	if req, err := body.request(testPrincipal, "inc_1"); err != nil || req.GetStatus() != incidentsv1.IncidentStatus_INCIDENT_STATUS_UNSPECIFIED {
		t.Errorf("request = %v, %v", req, err)
	}

	body = addIncidentUpdateBody{}
	if err := decodeBody(t, `{"message":"x","status":"fixed"}`, &body); err != nil {
		t.Fatal(err)
	}
	_, err = body.request(testPrincipal, "inc_1")
	assertHTTPError(t, err, http.StatusUnprocessableEntity, `status "fixed" is invalid`)
}
