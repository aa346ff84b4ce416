package httpapi

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	incidentsv1 "github.com/upstatehq/upstate/proto/gen/upstate/incidents/v1"
)

func TestToMaintenanceJSON(t *testing.T) {
	created := time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)
	starts := time.Date(2026, 11, 28, 2, 0, 0, 0, time.UTC)
	m := &incidentsv1.Maintenance{
		Id: "mnt_1", OrgId: "org_1", Title: "Database upgrade", Message: "Read-only for 30 minutes",
		ServiceIds: []string{"svc_1"}, StartsAt: timestamppb.New(starts), EndsAt: timestamppb.New(starts.Add(time.Hour)),
		Status:    incidentsv1.MaintenanceStatus_MAINTENANCE_STATUS_COMPLETED,
		StartedAt: timestamppb.New(starts), EndedAt: timestamppb.New(starts.Add(40 * time.Minute)),
		CreatedAt: timestamppb.New(created), UpdatedAt: timestamppb.New(starts.Add(40 * time.Minute)), Version: 3,
	}
	want := `{"id":"mnt_1","org_id":"org_1","title":"Database upgrade","message":"Read-only for 30 minutes",` +
		`"service_ids":["svc_1"],"starts_at":"2026-11-28T02:00:00Z","ends_at":"2026-11-28T03:00:00Z","status":"completed",` +
		`"started_at":"2026-11-28T02:00:00Z","ended_at":"2026-11-28T02:40:00Z",` +
		`"created_at":"2026-11-20T09:00:00Z","updated_at":"2026-11-28T02:40:00Z","version":3}`
	if got := marshal(t, toMaintenanceJSON(m)); got != want {
		t.Errorf("maintenance JSON\n got: %s\nwant: %s", got, want)
	}

	// Scheduled: it has neither started nor ended.
	m = &incidentsv1.Maintenance{
		Id: "mnt_2", Status: incidentsv1.MaintenanceStatus_MAINTENANCE_STATUS_SCHEDULED,
		StartsAt: timestamppb.New(starts), EndsAt: timestamppb.New(starts.Add(time.Hour)),
		CreatedAt: timestamppb.New(created), UpdatedAt: timestamppb.New(created),
	}
	got := marshal(t, toMaintenanceJSON(m))
	for _, part := range []string{`"status":"scheduled"`, `"started_at":null`, `"ended_at":null`, `"service_ids":[]`, `"message":""`} {
		if !strings.Contains(got, part) {
			t.Errorf("maintenance JSON %s lacks %s", got, part)
		}
	}
}

func TestParseMaintenanceStatus(t *testing.T) {
	for in, want := range map[string]incidentsv1.MaintenanceStatus{
		"scheduled":   incidentsv1.MaintenanceStatus_MAINTENANCE_STATUS_SCHEDULED,
		"IN_PROGRESS": incidentsv1.MaintenanceStatus_MAINTENANCE_STATUS_IN_PROGRESS,
		"completed":   incidentsv1.MaintenanceStatus_MAINTENANCE_STATUS_COMPLETED,
		"Cancelled":   incidentsv1.MaintenanceStatus_MAINTENANCE_STATUS_CANCELLED,
	} {
		if got, err := parseMaintenanceStatus(in); err != nil || got != want {
			t.Errorf("parseMaintenanceStatus(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, bad := range []string{"in progress", "canceled", "active"} {
		_, err := parseMaintenanceStatus(bad)
		assertHTTPError(t, err, http.StatusUnprocessableEntity, "scheduled, in_progress, completed, cancelled")
	}
}

func TestParseTime(t *testing.T) {
	for in, want := range map[string]time.Time{
		"2026-11-28T02:00:00Z":          time.Date(2026, 11, 28, 2, 0, 0, 0, time.UTC),
		"2026-11-28T03:00:00+01:00":     time.Date(2026, 11, 28, 2, 0, 0, 0, time.UTC),
		"2026-11-28T02:00:00.250-00:00": time.Date(2026, 11, 28, 2, 0, 0, 250e6, time.UTC),
	} {
		ts, err := parseTime("starts_at", in)
		if err != nil || !ts.AsTime().Equal(want) {
			t.Errorf("parseTime(%q) = %v, %v; want %v", in, ts, err, want)
		}
	}
	for _, bad := range []string{"", "2026-11-28", "2026-11-28 02:00:00Z", "2026-11-28T02:00:00", "tomorrow", "1764295200"} {
		_, err := parseTime("ends_at", bad)
		assertHTTPError(t, err, http.StatusUnprocessableEntity, `ends_at "`+bad+`" is not an RFC 3339 time`)
	}
}

func TestCreateMaintenanceBody(t *testing.T) {
	starts := timestamppb.New(time.Date(2026, 11, 28, 2, 0, 0, 0, time.UTC))
	ends := timestamppb.New(time.Date(2026, 11, 28, 3, 0, 0, 0, time.UTC))
	tests := []struct {
		name    string
		body    string
		want    *incidentsv1.CreateMaintenanceRequest
		status  int
		message string
	}{
		{
			name: "full",
			body: `{"title":"Database upgrade","message":"Read-only","service_ids":["svc_1"],"starts_at":"2026-11-28T02:00:00Z","ends_at":"2026-11-28T04:00:00+01:00"}`,
			want: &incidentsv1.CreateMaintenanceRequest{
				OrgId: "org_1", Title: "Database upgrade", Message: "Read-only", ServiceIds: []string{"svc_1"}, StartsAt: starts, EndsAt: ends,
			},
		},
		{
			// The incidents service judges the order of the times.
			name: "ends before it starts is passed on",
			body: `{"title":"x","service_ids":["svc_1"],"starts_at":"2026-11-28T03:00:00Z","ends_at":"2026-11-28T02:00:00Z"}`,
			want: &incidentsv1.CreateMaintenanceRequest{OrgId: "org_1", Title: "x", ServiceIds: []string{"svc_1"}, StartsAt: ends, EndsAt: starts},
		},
		{name: "no start", body: `{"title":"x","ends_at":"2026-11-28T03:00:00Z"}`, status: 422, message: "starts_at is required"},
		{name: "no end", body: `{"title":"x","starts_at":"2026-11-28T03:00:00Z"}`, status: 422, message: "ends_at is required"},
		{name: "bad start", body: `{"title":"x","starts_at":"next Friday","ends_at":"2026-11-28T03:00:00Z"}`, status: 422, message: `starts_at "next Friday"`},
		{name: "bad end", body: `{"title":"x","starts_at":"2026-11-28T03:00:00Z","ends_at":"2026-11-28"}`, status: 422, message: `ends_at "2026-11-28"`},
		{name: "a number for a time", body: `{"title":"x","starts_at":1764295200}`, status: 422, message: "starts_at must be a string"},
		{name: "unknown field", body: `{"title":"x","duration":"1h"}`, status: 400, message: "duration"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var body createMaintenanceBody
			err := decodeBody(t, tt.body, &body)
			var req *incidentsv1.CreateMaintenanceRequest
			if err == nil {
				req, err = body.request("org_1")
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

func TestUpdateMaintenanceBody(t *testing.T) {
	title, message := "Database upgrade", ""
	ends := timestamppb.New(time.Date(2026, 11, 28, 3, 30, 0, 0, time.UTC))
	tests := []struct {
		name    string
		body    string
		want    *incidentsv1.UpdateMaintenanceRequest
		status  int
		message string
	}{
		{
			name: "retitle and clear the message", body: `{"title":"Database upgrade","message":""}`,
			want: &incidentsv1.UpdateMaintenanceRequest{OrgId: "org_1", MaintenanceId: "mnt_1", Title: &title, Message: &message},
		},
		{
			name: "extend", body: `{"ends_at":"2026-11-28T03:30:00Z"}`,
			want: &incidentsv1.UpdateMaintenanceRequest{OrgId: "org_1", MaintenanceId: "mnt_1", EndsAt: ends},
		},
		{
			name: "move and change services", body: `{"starts_at":"2026-11-28T03:30:00Z","service_ids":["svc_1","svc_2"]}`,
			want: &incidentsv1.UpdateMaintenanceRequest{
				OrgId: "org_1", MaintenanceId: "mnt_1", StartsAt: ends, ServiceIds: &incidentsv1.MaintenanceServiceIDs{Ids: []string{"svc_1", "svc_2"}},
			},
		},
		{name: "nothing to change", body: `{}`, status: 422, message: "give at least one field to change: title, message, service_ids, starts_at, ends_at"},
		{name: "null end", body: `{"ends_at":null}`, status: 422, message: "ends_at cannot be null"},
		{name: "bad start", body: `{"starts_at":"soon"}`, status: 422, message: `starts_at "soon" is not an RFC 3339 time`},
		{name: "status is not a field", body: `{"status":"cancelled"}`, status: 400, message: "status"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var body updateMaintenanceBody
			err := decodeBody(t, tt.body, &body)
			var req *incidentsv1.UpdateMaintenanceRequest
			if err == nil {
				req, err = body.request("org_1", "mnt_1")
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
