package httpapi

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/upstatehq/upstate/pkg/httpx"
	"github.com/upstatehq/upstate/pkg/logging"
	slav1 "github.com/upstatehq/upstate/proto/gen/upstate/sla/v1"
	"github.com/upstatehq/upstate/services/edge/internal/auth"
)

// fakeSLA is the SLA service's API: it records the last request and
// answers with its records.
type fakeSLA struct {
	got    proto.Message
	uptime *slav1.Uptime
	day    *slav1.DailyUptime
	slo    *slav1.SLO
}

func (f *fakeSLA) GetUptime(_ context.Context, req *slav1.GetUptimeRequest, _ ...grpc.CallOption) (*slav1.GetUptimeResponse, error) {
	f.got = req
	return &slav1.GetUptimeResponse{Uptime: f.uptime}, nil
}

func (f *fakeSLA) GetDailyUptime(_ context.Context, req *slav1.GetDailyUptimeRequest, _ ...grpc.CallOption) (*slav1.GetDailyUptimeResponse, error) {
	f.got = req
	return &slav1.GetDailyUptimeResponse{Days: []*slav1.DailyUptime{f.day}}, nil
}

func (f *fakeSLA) ListUptime(_ context.Context, req *slav1.ListUptimeRequest, _ ...grpc.CallOption) (*slav1.ListUptimeResponse, error) {
	f.got = req
	return &slav1.ListUptimeResponse{Uptimes: []*slav1.Uptime{f.uptime}, NextPageToken: "next"}, nil
}

func (f *fakeSLA) CreateSLO(_ context.Context, req *slav1.CreateSLORequest, _ ...grpc.CallOption) (*slav1.CreateSLOResponse, error) {
	f.got = req
	return &slav1.CreateSLOResponse{Slo: f.slo}, nil
}

func (f *fakeSLA) GetSLO(_ context.Context, req *slav1.GetSLORequest, _ ...grpc.CallOption) (*slav1.GetSLOResponse, error) {
	f.got = req
	return &slav1.GetSLOResponse{Slo: f.slo}, nil
}

func (f *fakeSLA) ListSLOs(_ context.Context, req *slav1.ListSLOsRequest, _ ...grpc.CallOption) (*slav1.ListSLOsResponse, error) {
	f.got = req
	return &slav1.ListSLOsResponse{Slos: []*slav1.SLO{f.slo}}, nil
}

func (f *fakeSLA) UpdateSLO(_ context.Context, req *slav1.UpdateSLORequest, _ ...grpc.CallOption) (*slav1.UpdateSLOResponse, error) {
	f.got = req
	return &slav1.UpdateSLOResponse{Slo: f.slo}, nil
}

func (f *fakeSLA) DeleteSLO(_ context.Context, req *slav1.DeleteSLORequest, _ ...grpc.CallOption) (*slav1.DeleteSLOResponse, error) {
	f.got = req
	return &slav1.DeleteSLOResponse{}, nil
}

type slaAPI struct {
	*receiverAPI // for do
	fake         *fakeSLA
}

func newSLAAPI(t *testing.T, scopes ...auth.Scope) *slaAPI {
	t.Helper()
	if len(scopes) == 0 {
		scopes = []auth.Scope{"sla"}
	}
	at := timestamppb.New(time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC))
	fake := &fakeSLA{
		uptime: &slav1.Uptime{ServiceId: "svc_1", ServiceName: "API", From: at, To: at, Uptime: proto.Float64(0.5),
			DownSeconds: 60, CountedSeconds: 120, Outages: 1},
		day: &slav1.DailyUptime{Date: "2026-12-01", DownSeconds: 60},
		slo: &slav1.SLO{Id: "slo_1", OrgId: "org_test", ServiceId: "svc_1", Name: "API", Target: 0.999, Window: "30d",
			CreatedAt: at, UpdatedAt: at, Version: 1, State: &slav1.SLOState{
				ErrorBudgetSeconds: 2592, ConsumedSeconds: 60, RemainingSeconds: 2532, BurnRate_1H: 16.5,
				Status: slav1.SLOStatus_SLO_STATUS_BURNING, EvaluatedAt: at,
			}},
	}
	keys := fakeKeys{scopes: scopes}
	logger := logging.Discard()
	e := httpx.NewEcho(logger, prometheus.NewRegistry(), httpx.Options{})
	Register(e, NewHandler(Backends{SLA: fake}, keys, &fakeAudits{}, NewAuthenticator(keys, time.Minute, clockwork.NewRealClock(), logger), "", clockwork.NewRealClock(), logger))
	return &slaAPI{receiverAPI: &receiverAPI{t: t, e: e}, fake: fake}
}

func TestSLARoutesCallTheSLAService(t *testing.T) {
	target := 0.9995
	from := timestamppb.New(time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC))
	to := timestamppb.New(time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC))
	tests := []struct {
		method, path, body string
		status             int
		want               proto.Message
	}{
		{http.MethodGet, "/api/v1/services/svc_1/uptime?window=24h", "", http.StatusOK,
			&slav1.GetUptimeRequest{OrgId: "org_test", ServiceId: "svc_1", Window: "24h"}},
		{http.MethodGet, "/api/v1/services/svc_1/uptime?from=2026-11-01T00:00:00Z&to=2026-12-01T01:00:00%2B01:00", "", http.StatusOK,
			&slav1.GetUptimeRequest{OrgId: "org_test", ServiceId: "svc_1", From: from, To: to}},
		{http.MethodGet, "/api/v1/services/svc_1/uptime/daily", "", http.StatusOK,
			&slav1.GetDailyUptimeRequest{OrgId: "org_test", ServiceId: "svc_1"}},
		{http.MethodGet, "/api/v1/services/svc_1/uptime/daily?days=7&tz=Europe/Berlin", "", http.StatusOK,
			&slav1.GetDailyUptimeRequest{OrgId: "org_test", ServiceId: "svc_1", Days: 7, TimeZone: "Europe/Berlin"}},
		{http.MethodGet, "/api/v1/uptime?window=30d&limit=10&cursor=abc", "", http.StatusOK,
			&slav1.ListUptimeRequest{OrgId: "org_test", Window: "30d", PageSize: 10, PageToken: "abc"}},
		{http.MethodGet, "/api/v1/slos?service=svc_1", "", http.StatusOK,
			&slav1.ListSLOsRequest{OrgId: "org_test", ServiceId: "svc_1", PageSize: 50}},
		{http.MethodPost, "/api/v1/slos", `{"service_id":"svc_1","name":"API","target":0.999,"window":"30d"}`, http.StatusCreated,
			&slav1.CreateSLORequest{OrgId: "org_test", ServiceId: "svc_1", Name: "API", Target: 0.999, Window: "30d"}},
		{http.MethodGet, "/api/v1/slos/slo_1", "", http.StatusOK, &slav1.GetSLORequest{OrgId: "org_test", SloId: "slo_1"}},
		{http.MethodPatch, "/api/v1/slos/slo_1", `{"target":0.9995}`, http.StatusOK,
			&slav1.UpdateSLORequest{OrgId: "org_test", SloId: "slo_1", Target: &target}},
		{http.MethodDelete, "/api/v1/slos/slo_1", "", http.StatusNoContent, &slav1.DeleteSLORequest{OrgId: "org_test", SloId: "slo_1"}},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			api := newSLAAPI(t)
			rec, _ := api.do(tt.method, tt.path, tt.body)
			if rec.Code != tt.status {
				t.Fatalf("status %d, want %d: %s", rec.Code, tt.status, rec.Body)
			}
			if !proto.Equal(api.fake.got, tt.want) {
				t.Errorf("SLA service got %v, want %v", api.fake.got, tt.want)
			}
		})
	}
}

func TestSLAResponses(t *testing.T) {
	api := newSLAAPI(t)
	rec, m := api.do(http.MethodGet, "/api/v1/services/svc_1/uptime?window=24h", "")
	if rec.Code != http.StatusOK || m["uptime"] != 0.5 || m["down_seconds"] != 60.0 || m["outages"] != 1.0 || m["service_name"] != nil {
		t.Errorf("uptime: %d %v", rec.Code, m)
	}
	rec, m = api.do(http.MethodGet, "/api/v1/services/svc_1/uptime/daily", "")
	day := m["data"].([]any)[0].(map[string]any)
	// A day without counted time: uptime and worst_status are null, not absent.
	if v, ok := day["uptime"]; rec.Code != http.StatusOK || !ok || v != nil || day["worst_status"] != nil || day["date"] != "2026-12-01" {
		t.Errorf("daily: %d %v", rec.Code, m)
	}
	rec, m = api.do(http.MethodGet, "/api/v1/uptime?window=30d", "")
	if data := m["data"].([]any); rec.Code != http.StatusOK || data[0].(map[string]any)["service_name"] != "API" || m["next_cursor"] != "next" {
		t.Errorf("dashboard: %d %v", rec.Code, m)
	}
	rec, m = api.do(http.MethodPost, "/api/v1/slos", `{"service_id":"svc_1","name":"API","target":0.999,"window":"30d"}`)
	if rec.Code != http.StatusCreated || rec.Header().Get("Location") != "/api/v1/slos/slo_1" || m["status"] != "burning" ||
		m["error_budget_seconds"] != 2592.0 || m["remaining_seconds"] != 2532.0 || m["burn_rate_1h"] != 16.5 {
		t.Errorf("create slo: %d %v", rec.Code, m)
	}
}

// The edge refuses what it can tell is wrong without calling the SLA
// service, and the scopes apply: sla:read reads, read reads, services
// does not.
func TestSLAValidationAndScopes(t *testing.T) {
	for _, tt := range []struct {
		method, path, body string
		status             int
	}{
		{http.MethodGet, "/api/v1/services/svc_1/uptime?from=yesterday&to=2026-12-01T00:00:00Z", "", http.StatusUnprocessableEntity},
		{http.MethodGet, "/api/v1/services/svc_1/uptime/daily?days=ninety", "", http.StatusUnprocessableEntity},
		{http.MethodGet, "/api/v1/services/svc_1/uptime/daily?days=0", "", http.StatusUnprocessableEntity},
		{http.MethodPost, "/api/v1/slos", `{"service_id":"svc_1","name":"API","window":"30d"}`, http.StatusUnprocessableEntity},
		{http.MethodPatch, "/api/v1/slos/slo_1", `{}`, http.StatusUnprocessableEntity},
		{http.MethodPatch, "/api/v1/slos/slo_1", `{"target":null}`, http.StatusUnprocessableEntity},
	} {
		api := newSLAAPI(t)
		if rec, _ := api.do(tt.method, tt.path, tt.body); rec.Code != tt.status || isChange(api.fake.got) {
			t.Errorf("%s %s: %d, called %v", tt.method, tt.path, rec.Code, api.fake.got)
		}
	}
	for _, tt := range []struct {
		scope        auth.Scope
		method, path string
		status       int
	}{
		{"sla:read", http.MethodGet, "/api/v1/slos/slo_1", http.StatusOK},
		{"sla:read", http.MethodDelete, "/api/v1/slos/slo_1", http.StatusForbidden},
		{"read", http.MethodGet, "/api/v1/uptime?window=7d", http.StatusOK},
		{"services", http.MethodGet, "/api/v1/services/svc_1/uptime?window=7d", http.StatusForbidden},
	} {
		api := newSLAAPI(t, tt.scope)
		if rec, _ := api.do(tt.method, tt.path, ""); rec.Code != tt.status {
			t.Errorf("%s: %s %s = %d, want %d", tt.scope, tt.method, tt.path, rec.Code, tt.status)
		}
	}
}
