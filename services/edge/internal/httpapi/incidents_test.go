package httpapi

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/upstatehq/upstate/pkg/grpcx"
	"github.com/upstatehq/upstate/pkg/httpx"
	"github.com/upstatehq/upstate/pkg/logging"
	incidentsv1 "github.com/upstatehq/upstate/proto/gen/upstate/incidents/v1"
	statusv1 "github.com/upstatehq/upstate/proto/gen/upstate/status/v1"
	"github.com/upstatehq/upstate/services/edge/internal/auth"
)

// fakeIncidents is both APIs of the incidents service: it records the last
// request and answers with incident or maintenance, or err.
type fakeIncidents struct {
	got         proto.Message
	err         error
	incident    *incidentsv1.Incident
	maintenance *incidentsv1.Maintenance
}

func (f *fakeIncidents) CreateIncident(_ context.Context, req *incidentsv1.CreateIncidentRequest, _ ...grpc.CallOption) (*incidentsv1.CreateIncidentResponse, error) {
	f.got = req
	return &incidentsv1.CreateIncidentResponse{Incident: f.incident}, f.err
}

func (f *fakeIncidents) GetIncident(_ context.Context, req *incidentsv1.GetIncidentRequest, _ ...grpc.CallOption) (*incidentsv1.GetIncidentResponse, error) {
	f.got = req
	return &incidentsv1.GetIncidentResponse{Incident: f.incident}, f.err
}

func (f *fakeIncidents) ListIncidents(_ context.Context, req *incidentsv1.ListIncidentsRequest, _ ...grpc.CallOption) (*incidentsv1.ListIncidentsResponse, error) {
	f.got = req
	return &incidentsv1.ListIncidentsResponse{Incidents: []*incidentsv1.Incident{f.incident}, NextPageToken: "next"}, f.err
}

func (f *fakeIncidents) UpdateIncident(_ context.Context, req *incidentsv1.UpdateIncidentRequest, _ ...grpc.CallOption) (*incidentsv1.UpdateIncidentResponse, error) {
	f.got = req
	return &incidentsv1.UpdateIncidentResponse{Incident: f.incident}, f.err
}

func (f *fakeIncidents) AddIncidentUpdate(_ context.Context, req *incidentsv1.AddIncidentUpdateRequest, _ ...grpc.CallOption) (*incidentsv1.AddIncidentUpdateResponse, error) {
	f.got = req
	return &incidentsv1.AddIncidentUpdateResponse{Incident: f.incident}, f.err
}

func (f *fakeIncidents) CreateMaintenance(_ context.Context, req *incidentsv1.CreateMaintenanceRequest, _ ...grpc.CallOption) (*incidentsv1.CreateMaintenanceResponse, error) {
	f.got = req
	return &incidentsv1.CreateMaintenanceResponse{Maintenance: f.maintenance}, f.err
}

func (f *fakeIncidents) GetMaintenance(_ context.Context, req *incidentsv1.GetMaintenanceRequest, _ ...grpc.CallOption) (*incidentsv1.GetMaintenanceResponse, error) {
	f.got = req
	return &incidentsv1.GetMaintenanceResponse{Maintenance: f.maintenance}, f.err
}

func (f *fakeIncidents) ListMaintenances(_ context.Context, req *incidentsv1.ListMaintenancesRequest, _ ...grpc.CallOption) (*incidentsv1.ListMaintenancesResponse, error) {
	f.got = req
	return &incidentsv1.ListMaintenancesResponse{Maintenances: []*incidentsv1.Maintenance{f.maintenance}}, f.err
}

func (f *fakeIncidents) UpdateMaintenance(_ context.Context, req *incidentsv1.UpdateMaintenanceRequest, _ ...grpc.CallOption) (*incidentsv1.UpdateMaintenanceResponse, error) {
	f.got = req
	return &incidentsv1.UpdateMaintenanceResponse{Maintenance: f.maintenance}, f.err
}

func (f *fakeIncidents) CancelMaintenance(_ context.Context, req *incidentsv1.CancelMaintenanceRequest, _ ...grpc.CallOption) (*incidentsv1.CancelMaintenanceResponse, error) {
	f.got = req
	return &incidentsv1.CancelMaintenanceResponse{Maintenance: f.maintenance}, f.err
}

// incidentAPI serves the REST API over a fake incidents service.
type incidentAPI struct {
	*receiverAPI // for do
	fake         *fakeIncidents
}

func newIncidentAPI(t *testing.T, scopes ...auth.Scope) *incidentAPI {
	t.Helper()
	if len(scopes) == 0 {
		scopes = []auth.Scope{"incidents", "maintenances"}
	}
	at := timestamppb.New(time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC))
	fake := &fakeIncidents{
		incident: &incidentsv1.Incident{
			Id: "inc_1", OrgId: "org_test", Title: "API errors", Status: incidentsv1.IncidentStatus_INCIDENT_STATUS_INVESTIGATING,
			Severity: statusv1.Severity_SEVERITY_MAJOR, Source: incidentsv1.IncidentSource_INCIDENT_SOURCE_MANUAL, CreatedAt: at, UpdatedAt: at,
		},
		maintenance: &incidentsv1.Maintenance{
			Id: "mnt_1", OrgId: "org_test", Title: "Upgrade", ServiceIds: []string{"svc_1"}, StartsAt: at, EndsAt: at,
			Status: incidentsv1.MaintenanceStatus_MAINTENANCE_STATUS_CANCELLED, EndedAt: at, CreatedAt: at, UpdatedAt: at,
		},
	}
	keys := fakeKeys{scopes: scopes}
	logger := logging.Discard()
	e := httpx.NewEcho(logger, prometheus.NewRegistry(), httpx.Options{})
	b := Backends{Incidents: fake, Maintenances: fake}
	Register(e, NewHandler(b, keys, &fakeAudits{}, NewAuthenticator(keys, time.Minute, clockwork.NewRealClock(), logger), "", clockwork.NewRealClock(), logger))
	return &incidentAPI{receiverAPI: &receiverAPI{t: t, e: e}, fake: fake}
}

func TestIncidentRoutesCallTheIncidentsService(t *testing.T) {
	title := "Renamed"
	tests := []struct {
		method, path, body string
		status             int
		want               proto.Message
	}{
		{http.MethodGet, "/api/v1/incidents", "", http.StatusOK,
			&incidentsv1.ListIncidentsRequest{OrgId: "org_test", PageSize: 50}},
		{http.MethodGet, "/api/v1/incidents?status=Open&service=svc_1&limit=2&cursor=abc", "", http.StatusOK,
			&incidentsv1.ListIncidentsRequest{OrgId: "org_test", Filter: incidentsv1.IncidentFilter_INCIDENT_FILTER_OPEN, ServiceId: "svc_1", PageSize: 2, PageToken: "abc"}},
		{http.MethodGet, "/api/v1/incidents?status=resolved", "", http.StatusOK,
			&incidentsv1.ListIncidentsRequest{OrgId: "org_test", Filter: incidentsv1.IncidentFilter_INCIDENT_FILTER_RESOLVED, PageSize: 50}},
		{http.MethodPost, "/api/v1/incidents", `{"title":"API errors","severity":"major","service_ids":["svc_1"]}`, http.StatusCreated,
			&incidentsv1.CreateIncidentRequest{OrgId: "org_test", Title: "API errors", Severity: statusv1.Severity_SEVERITY_MAJOR, ServiceIds: []string{"svc_1"}, Author: "key_test"}},
		{http.MethodGet, "/api/v1/incidents/inc_1", "", http.StatusOK,
			&incidentsv1.GetIncidentRequest{OrgId: "org_test", IncidentId: "inc_1"}},
		{http.MethodPatch, "/api/v1/incidents/inc_1", `{"title":"Renamed"}`, http.StatusOK,
			&incidentsv1.UpdateIncidentRequest{OrgId: "org_test", IncidentId: "inc_1", Title: &title, Author: "key_test"}},
		{http.MethodPost, "/api/v1/incidents/inc_1/updates", `{"message":"Fixed","status":"resolved"}`, http.StatusCreated,
			&incidentsv1.AddIncidentUpdateRequest{OrgId: "org_test", IncidentId: "inc_1", Status: incidentsv1.IncidentStatus_INCIDENT_STATUS_RESOLVED, Message: "Fixed", Author: "key_test"}},
		{http.MethodGet, "/api/v1/maintenances?status=in_progress&service=svc_1", "", http.StatusOK,
			&incidentsv1.ListMaintenancesRequest{OrgId: "org_test", Status: incidentsv1.MaintenanceStatus_MAINTENANCE_STATUS_IN_PROGRESS, ServiceId: "svc_1", PageSize: 50}},
		{http.MethodPost, "/api/v1/maintenances", `{"title":"Upgrade","service_ids":["svc_1"],"starts_at":"2026-11-23T10:00:00Z","ends_at":"2026-11-23T10:00:00Z"}`, http.StatusCreated,
			&incidentsv1.CreateMaintenanceRequest{OrgId: "org_test", Title: "Upgrade", ServiceIds: []string{"svc_1"},
				StartsAt: timestamppb.New(time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)), EndsAt: timestamppb.New(time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC))}},
		{http.MethodGet, "/api/v1/maintenances/mnt_1", "", http.StatusOK,
			&incidentsv1.GetMaintenanceRequest{OrgId: "org_test", MaintenanceId: "mnt_1"}},
		{http.MethodPatch, "/api/v1/maintenances/mnt_1", `{"title":"Renamed"}`, http.StatusOK,
			&incidentsv1.UpdateMaintenanceRequest{OrgId: "org_test", MaintenanceId: "mnt_1", Title: &title}},
		{http.MethodDelete, "/api/v1/maintenances/mnt_1", "", http.StatusOK,
			&incidentsv1.CancelMaintenanceRequest{OrgId: "org_test", MaintenanceId: "mnt_1"}},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			api := newIncidentAPI(t)
			rec, _ := api.do(tt.method, tt.path, tt.body)
			if rec.Code != tt.status {
				t.Fatalf("status %d, want %d: %s", rec.Code, tt.status, rec.Body)
			}
			if !proto.Equal(api.fake.got, tt.want) {
				t.Errorf("incidents service got %v, want %v", api.fake.got, tt.want)
			}
		})
	}
}

func TestIncidentResponses(t *testing.T) {
	api := newIncidentAPI(t)
	rec, m := api.do(http.MethodPost, "/api/v1/incidents", `{"title":"API errors","severity":"major"}`)
	if rec.Code != http.StatusCreated || rec.Header().Get("Location") != "/api/v1/incidents/inc_1" || m["id"] != "inc_1" || m["receiver_id"] != nil {
		t.Errorf("create incident: %d, Location %q, %v", rec.Code, rec.Header().Get("Location"), m)
	}
	rec, m = api.do(http.MethodPost, "/api/v1/maintenances", `{"title":"Upgrade","service_ids":["svc_1"],"starts_at":"2026-11-23T10:00:00Z","ends_at":"2026-11-23T11:00:00Z"}`)
	if rec.Code != http.StatusCreated || rec.Header().Get("Location") != "/api/v1/maintenances/mnt_1" || m["id"] != "mnt_1" {
		t.Errorf("create maintenance: %d, Location %q, %v", rec.Code, rec.Header().Get("Location"), m)
	}
	// Cancelling answers with the window, not 204.
	rec, m = api.do(http.MethodDelete, "/api/v1/maintenances/mnt_1", "")
	if rec.Code != http.StatusOK || m["status"] != "cancelled" || m["ended_at"] != "2026-11-23T10:00:00Z" || m["started_at"] != nil {
		t.Errorf("cancel maintenance: %d %v", rec.Code, m)
	}
	rec, m = api.do(http.MethodGet, "/api/v1/incidents", "")
	data, _ := m["data"].([]any)
	if rec.Code != http.StatusOK || len(data) != 1 || data[0].(map[string]any)["id"] != "inc_1" || m["next_cursor"] != "next" {
		t.Errorf("list incidents: %d %v", rec.Code, m)
	}
	rec, m = api.do(http.MethodGet, "/api/v1/maintenances", "")
	if data, _ := m["data"].([]any); rec.Code != http.StatusOK || len(data) != 1 || m["next_cursor"] != "" {
		t.Errorf("list maintenances: %d %v", rec.Code, m)
	}
}

// The edge refuses a bad query without calling the incidents service.
func TestIncidentQueryValidation(t *testing.T) {
	tests := []struct {
		path, message string
	}{
		{"/api/v1/incidents?status=investigating", `status "investigating" is invalid; valid values are open, resolved`},
		{"/api/v1/incidents?status=all", "open, resolved"},
		{"/api/v1/incidents?limit=0", "limit"},
		{"/api/v1/incidents?limit=201", "limit"},
		{"/api/v1/maintenances?status=canceled", `status "canceled" is invalid; valid values are scheduled, in_progress, completed, cancelled`},
		{"/api/v1/maintenances?limit=x", "limit"},
	}
	for _, tt := range tests {
		api := newIncidentAPI(t)
		rec, m := api.do(http.MethodGet, tt.path, "")
		e, _ := m["error"].(map[string]any)
		if rec.Code != http.StatusUnprocessableEntity || e["code"] != "invalid_value" || !strings.Contains(e["message"].(string), tt.message) {
			t.Errorf("GET %s: %d %s, want 422 mentioning %q", tt.path, rec.Code, rec.Body, tt.message)
		}
		if api.fake.got != nil {
			t.Errorf("GET %s called the incidents service with %v", tt.path, api.fake.got)
		}
	}
}

func TestIncidentErrors(t *testing.T) {
	tests := []struct {
		name               string
		err                error
		method, path, body string
		status             int
		code               string
	}{
		{"unknown service", grpcx.InvalidField("service_ids", "service svc_x not found"),
			http.MethodPost, "/api/v1/incidents", `{"title":"x","severity":"minor","service_ids":["svc_x"]}`, 422, "invalid_value"},
		{"resolved incident", status.Error(codes.FailedPrecondition, "a resolved incident's status does not change"),
			http.MethodPatch, "/api/v1/incidents/inc_1", `{"status":"investigating"}`, 409, "conflict"},
		{"another org's incident", status.Error(codes.NotFound, "incident not found"),
			http.MethodGet, "/api/v1/incidents/inc_x", "", 404, "not_found"},
		{"malformed cursor", grpcx.ErrMalformedToken,
			http.MethodGet, "/api/v1/incidents?cursor=***", "", 400, "bad_request"},
		{"malformed maintenance cursor", grpcx.ErrMalformedToken,
			http.MethodGet, "/api/v1/maintenances?cursor=***", "", 400, "bad_request"},
		{"finished window", status.Error(codes.FailedPrecondition, "the maintenance window has ended"),
			http.MethodDelete, "/api/v1/maintenances/mnt_1", "", 409, "conflict"},
		{"incidents service down", status.Error(codes.Unavailable, "connection refused"),
			http.MethodGet, "/api/v1/maintenances/mnt_1", "", 503, "unavailable"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			api := newIncidentAPI(t)
			api.fake.err = tt.err
			rec, m := api.do(tt.method, tt.path, tt.body)
			if e, _ := m["error"].(map[string]any); rec.Code != tt.status || e["code"] != tt.code {
				t.Errorf("%d %s, want %d %s", rec.Code, rec.Body, tt.status, tt.code)
			}
		})
	}
}

func TestIncidentScopes(t *testing.T) {
	tests := []struct {
		scope      auth.Scope
		method     string
		path, body string
		want       int
	}{
		{"incidents:read", http.MethodGet, "/api/v1/incidents", "", http.StatusOK},
		{"incidents:read", http.MethodPost, "/api/v1/incidents/inc_1/updates", `{"message":"x"}`, http.StatusForbidden},
		{"incidents", http.MethodPatch, "/api/v1/incidents/inc_1", `{"title":"x"}`, http.StatusOK},
		{"incidents", http.MethodGet, "/api/v1/maintenances", "", http.StatusForbidden},
		{"maintenances:read", http.MethodGet, "/api/v1/maintenances/mnt_1", "", http.StatusOK},
		{"maintenances:read", http.MethodDelete, "/api/v1/maintenances/mnt_1", "", http.StatusForbidden},
		{"maintenances", http.MethodGet, "/api/v1/incidents/inc_1", "", http.StatusForbidden},
		{"services", http.MethodGet, "/api/v1/incidents", "", http.StatusForbidden},
		{"read", http.MethodGet, "/api/v1/maintenances", "", http.StatusOK},
		{"read", http.MethodPost, "/api/v1/incidents", `{"title":"x","severity":"minor"}`, http.StatusForbidden},
		{"write", http.MethodDelete, "/api/v1/maintenances/mnt_1", "", http.StatusOK},
	}
	for _, tt := range tests {
		api := newIncidentAPI(t, tt.scope)
		rec, _ := api.do(tt.method, tt.path, tt.body)
		if rec.Code != tt.want {
			t.Errorf("%s %s with %q: %d, want %d: %s", tt.method, tt.path, tt.scope, rec.Code, tt.want, rec.Body)
		}
	}
}
