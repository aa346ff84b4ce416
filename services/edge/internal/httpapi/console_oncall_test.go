package httpapi

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	notificationv1 "github.com/upstatehq/upstate/proto/gen/upstate/notification/v1"
	"github.com/upstatehq/upstate/services/edge/internal/auth"
)

// fakeOnCall is the notification service's users, schedules and policies
// API: it records the last request and answers with one of each.
type fakeOnCall struct {
	notificationv1.UserServiceClient
	notificationv1.ScheduleServiceClient
	notificationv1.EscalationPolicyServiceClient
	got      proto.Message
	user     *notificationv1.User
	schedule *notificationv1.Schedule
	override *notificationv1.Override
	policy   *notificationv1.EscalationPolicy
}

func newFakeOnCall(at *timestamppb.Timestamp) *fakeOnCall {
	return &fakeOnCall{
		user: &notificationv1.User{Id: "usr_1", Spec: &notificationv1.UserSpec{Name: "Ada Lovelace", Email: "ada@example.com", TimeZone: "UTC"}, CreatedAt: at, UpdatedAt: at},
		schedule: &notificationv1.Schedule{Id: "sch_1", Spec: &notificationv1.ScheduleSpec{Name: "Primary", TimeZone: "UTC",
			Layers: []*notificationv1.Layer{{Name: "weekly", Members: []string{"usr_1"}, Handoff: &notificationv1.Handoff{Every: 1, Unit: "week"}}}}, CreatedAt: at, UpdatedAt: at},
		override: &notificationv1.Override{Id: "ovr_1", ScheduleId: "sch_1", UserId: "usr_1", From: at, To: at, CreatedAt: at},
		policy: &notificationv1.EscalationPolicy{Id: "esc_1", Spec: &notificationv1.EscalationPolicySpec{Name: "Default", Repeat: 2,
			Steps: []*notificationv1.EscalationStep{{Targets: []*notificationv1.Target{{Kind: &notificationv1.Target_ScheduleId{ScheduleId: "sch_1"}}}}}}, CreatedAt: at, UpdatedAt: at},
	}
}

func (f *fakeOnCall) ListUsers(_ context.Context, req *notificationv1.ListUsersRequest, _ ...grpc.CallOption) (*notificationv1.ListUsersResponse, error) {
	f.got = req
	return &notificationv1.ListUsersResponse{Users: []*notificationv1.User{f.user}}, nil
}

func (f *fakeOnCall) GetUser(_ context.Context, req *notificationv1.GetUserRequest, _ ...grpc.CallOption) (*notificationv1.GetUserResponse, error) {
	f.got = req
	return &notificationv1.GetUserResponse{User: f.user}, nil
}

func (f *fakeOnCall) CreateUser(_ context.Context, req *notificationv1.CreateUserRequest, _ ...grpc.CallOption) (*notificationv1.CreateUserResponse, error) {
	f.got = req
	return &notificationv1.CreateUserResponse{User: f.user}, nil
}

func (f *fakeOnCall) DeleteUser(_ context.Context, req *notificationv1.DeleteUserRequest, _ ...grpc.CallOption) (*notificationv1.DeleteUserResponse, error) {
	f.got = req
	return &notificationv1.DeleteUserResponse{}, nil
}

func (f *fakeOnCall) ListSchedules(_ context.Context, req *notificationv1.ListSchedulesRequest, _ ...grpc.CallOption) (*notificationv1.ListSchedulesResponse, error) {
	f.got = req
	return &notificationv1.ListSchedulesResponse{Schedules: []*notificationv1.Schedule{f.schedule}}, nil
}

func (f *fakeOnCall) GetSchedule(_ context.Context, req *notificationv1.GetScheduleRequest, _ ...grpc.CallOption) (*notificationv1.GetScheduleResponse, error) {
	f.got = req
	return &notificationv1.GetScheduleResponse{Schedule: f.schedule}, nil
}

func (f *fakeOnCall) GetOnCall(_ context.Context, req *notificationv1.GetOnCallRequest, _ ...grpc.CallOption) (*notificationv1.GetOnCallResponse, error) {
	f.got = req
	return &notificationv1.GetOnCallResponse{At: req.GetAt(), UserIds: []string{"usr_1"}}, nil
}

func (f *fakeOnCall) ListShifts(_ context.Context, req *notificationv1.ListShiftsRequest, _ ...grpc.CallOption) (*notificationv1.ListShiftsResponse, error) {
	f.got = req
	return &notificationv1.ListShiftsResponse{Shifts: []*notificationv1.Shift{{UserId: "usr_1", Start: req.GetFrom(), End: req.GetTo(), Layer: "weekly"}}}, nil
}

func (f *fakeOnCall) ListOverrides(_ context.Context, req *notificationv1.ListOverridesRequest, _ ...grpc.CallOption) (*notificationv1.ListOverridesResponse, error) {
	f.got = req
	return &notificationv1.ListOverridesResponse{Overrides: []*notificationv1.Override{f.override}}, nil
}

func (f *fakeOnCall) CreateOverride(_ context.Context, req *notificationv1.CreateOverrideRequest, _ ...grpc.CallOption) (*notificationv1.CreateOverrideResponse, error) {
	f.got = req
	return &notificationv1.CreateOverrideResponse{Override: f.override}, nil
}

func (f *fakeOnCall) DeleteOverride(_ context.Context, req *notificationv1.DeleteOverrideRequest, _ ...grpc.CallOption) (*notificationv1.DeleteOverrideResponse, error) {
	f.got = req
	return &notificationv1.DeleteOverrideResponse{}, nil
}

func (f *fakeOnCall) ListPolicies(_ context.Context, req *notificationv1.ListPoliciesRequest, _ ...grpc.CallOption) (*notificationv1.ListPoliciesResponse, error) {
	f.got = req
	return &notificationv1.ListPoliciesResponse{Policies: []*notificationv1.EscalationPolicy{f.policy}}, nil
}

func (f *fakeOnCall) GetPolicy(_ context.Context, req *notificationv1.GetPolicyRequest, _ ...grpc.CallOption) (*notificationv1.GetPolicyResponse, error) {
	f.got = req
	return &notificationv1.GetPolicyResponse{Policy: f.policy}, nil
}

// The on-call, channel and notification pages as a full key sees them:
// who is on call, the week's shifts, masked credentials, attempts, and the
// forms; the history's filters reach the notification service.
func TestConsoleOnCallPages(t *testing.T) {
	f := newConsoleWith(t, nil, auth.ScopeWrite)
	for path, want := range map[string][]string{
		"/console/schedules":                                  {`href="/console/schedules/sch_1"`, "Ada Lovelace", `href="/console/schedules" aria-current="page"`},
		"/console/schedules/sch_1":                            {"Shifts in the next 7 days", "weekly", `action="/console/schedules/sch_1/overrides/ovr_1/delete"`, `action="/console/schedules/sch_1/overrides"`, `<option value="usr_1">Ada Lovelace</option>`},
		"/console/users":                                      {"ada@example.com", `action="/console/users/usr_1/delete"`, `action="/console/users"`},
		"/console/escalation-policies":                        {`href="/console/escalation-policies/esc_1"`},
		"/console/escalation-policies/esc_1":                  {"Default", `href="/console/schedules/sch_1"`},
		"/console/channels":                                   {"https://hooks.example/…", `action="/console/channels/chn_1/test"`, `action="/console/channels"`},
		"/console/notifications?status=dead&channel_id=chn_1": {"answered 404 Not Found", `action="/console/notifications/ntf_1/retry"`, "#ops"},
	} {
		rec := f.get(path)
		if rec.Code != http.StatusOK {
			t.Fatalf("GET %s: %d %s", path, rec.Code, rec.Body)
		}
		for _, w := range append(want, `href="/console/notifications"`, `href="/console/channels"`) {
			if !strings.Contains(rec.Body.String(), w) {
				t.Errorf("GET %s lacks %s", path, w)
			}
		}
	}
	f.get("/console/notifications?status=dead&channel_id=chn_1")
	if got := f.channels.got.(*notificationv1.ListNotificationsRequest); got.GetStatus() != notificationv1.NotificationStatus_NOTIFICATION_STATUS_DEAD || got.GetChannelId() != "chn_1" {
		t.Errorf("the history's filters sent %v", got)
	}
	if rec := f.get("/console/notifications?status=lost"); rec.Code != http.StatusUnprocessableEntity {
		t.Errorf("an unknown status filter: %d, want 422", rec.Code)
	}
	f.get("/console/schedules/sch_1")
	if got, ok := f.oncall.got.(*notificationv1.ListOverridesRequest); !ok || got.GetScheduleId() != "sch_1" {
		t.Errorf("the schedule page's last call: %v", f.oncall.got)
	}
}

// A key that may only read sees the pages without a form, and its posts
// are refused 403 before the notification service is called; a key
// without an on-call scope is not shown the sections.
func TestConsoleOnCallReadOnly(t *testing.T) {
	for _, scope := range []auth.Scope{auth.ScopeRead, "oncall:read"} {
		f := newConsoleWith(t, nil, scope)
		for _, path := range []string{"/console/schedules", "/console/schedules/sch_1", "/console/users", "/console/escalation-policies/esc_1", "/console/channels", "/console/notifications"} {
			rec := f.get(path)
			if rec.Code != http.StatusOK {
				t.Fatalf("%s: GET %s: %d %s", scope, path, rec.Code, rec.Body)
			}
			if strings.Contains(rec.Body.String(), `<form method="post" action="/console/`+strings.Split(path, "/")[2]) {
				t.Errorf("%s: GET %s shows a write form", scope, path)
			}
		}
		f.oncall.got, f.channels.got = nil, nil
		for _, path := range []string{"/console/users", "/console/users/usr_1/delete", "/console/schedules/sch_1/overrides", "/console/schedules/sch_1/overrides/ovr_1/delete",
			"/console/channels", "/console/channels/chn_1/test", "/console/notifications/ntf_1/retry"} {
			if rec := f.post(path, url.Values{"name": {"x"}}); rec.Code != http.StatusForbidden {
				t.Errorf("%s: POST %s: %d, want 403", scope, path, rec.Code)
			}
		}
		if f.oncall.got != nil || f.channels.got != nil || len(f.audits.finished) != 0 {
			t.Errorf("%s: refused posts called %v, %v; audited %v", scope, f.oncall.got, f.channels.got, f.audits.finished)
		}
	}
	f := newConsoleWith(t, nil, "alerting")
	if page := f.get("/console/alerts").Body.String(); strings.Contains(page, `href="/console/schedules"`) || strings.Contains(page, `href="/console/notifications"`) {
		t.Errorf("a key without an on-call scope is shown the on-call sections")
	}
	if rec := f.get("/console/schedules"); rec.Code != http.StatusForbidden {
		t.Errorf("schedules without oncall:read: %d, want 403", rec.Code)
	}
}

// The on-call, channel and notification forms make their change through
// the REST route, so that each is in the audit log with the signed-in key
// as actor; a form without its CSRF token changes nothing.
func TestConsoleOnCallForms(t *testing.T) {
	f := newConsoleWith(t, nil, auth.ScopeWrite)
	for _, tt := range []struct {
		path     string
		form     url.Values
		status   int
		location string
		route    string
		want     proto.Message
	}{
		{"/console/users", url.Values{"name": {"Ada Lovelace"}, "email": {"ada@example.com"}, "time_zone": {""}, "phone": {"+33 1 23"}},
			http.StatusSeeOther, "/console/users", "/api/v1/users",
			&notificationv1.CreateUserRequest{OrgId: "org_test", Spec: &notificationv1.UserSpec{Name: "Ada Lovelace", Email: "ada@example.com", Phone: "+33 1 23"}}},
		{"/console/users/usr_1/delete", url.Values{}, http.StatusSeeOther, "/console/users", "/api/v1/users/usr_1",
			&notificationv1.DeleteUserRequest{OrgId: "org_test", UserId: "usr_1"}},
		{"/console/schedules/sch_1/overrides", url.Values{"user_id": {"usr_1"}, "from": {"2026-12-04T09:00"}, "to": {"2026-12-04T17:00"}},
			http.StatusSeeOther, "/console/schedules/sch_1", "/api/v1/schedules/sch_1/overrides",
			&notificationv1.CreateOverrideRequest{OrgId: "org_test", ScheduleId: "sch_1", UserId: "usr_1",
				From: timestamppb.New(time.Date(2026, 12, 4, 9, 0, 0, 0, time.UTC)), To: timestamppb.New(time.Date(2026, 12, 4, 17, 0, 0, 0, time.UTC))}},
		{"/console/schedules/sch_1/overrides/ovr_1/delete", url.Values{}, http.StatusSeeOther, "/console/schedules/sch_1", "/api/v1/schedules/sch_1/overrides/ovr_1",
			&notificationv1.DeleteOverrideRequest{OrgId: "org_test", ScheduleId: "sch_1", OverrideId: "ovr_1"}},
		{"/console/channels", url.Values{"name": {"bot"}, "type": {"webhook"}, "url": {"https://bot.example.com/upstate"}, "to": {""}},
			http.StatusCreated, "", "/api/v1/channels",
			&notificationv1.CreateChannelRequest{OrgId: "org_test", Name: "bot", Type: notificationv1.ChannelType_CHANNEL_TYPE_WEBHOOK,
				Config: &notificationv1.ChannelConfig{Url: "https://bot.example.com/upstate"}}},
		{"/console/channels/chn_1/test", url.Values{}, http.StatusSeeOther, "/console/notifications?channel_id=chn_1", "/api/v1/channels/chn_1/test",
			&notificationv1.TestChannelRequest{OrgId: "org_test", ChannelId: "chn_1"}},
		{"/console/notifications/ntf_1/retry", url.Values{}, http.StatusSeeOther, "/console/notifications?status=pending", "/api/v1/notifications/ntf_1/retry",
			&notificationv1.RetryNotificationRequest{OrgId: "org_test", NotificationId: "ntf_1"}},
	} {
		f.oncall.got, f.channels.got = nil, nil
		audited := len(f.audits.finished)
		rec := f.post(tt.path, tt.form)
		if rec.Code != tt.status || rec.Header().Get("Location") != tt.location {
			t.Errorf("POST %s: %d to %q, want %d to %q: %s", tt.path, rec.Code, rec.Header().Get("Location"), tt.status, tt.location, rec.Body)
			continue
		}
		got := f.oncall.got
		switch {
		case f.channels.created != nil:
			got, f.channels.created = f.channels.created, nil
		case got == nil:
			got = f.channels.got
		}
		if !proto.Equal(got, tt.want) {
			t.Errorf("POST %s sent %v, want %v", tt.path, got, tt.want)
		}
		if len(f.audits.finished) != audited+1 {
			t.Errorf("POST %s: %d audit entries, want 1", tt.path, len(f.audits.finished)-audited)
			continue
		}
		if e := f.audits.finished[audited]; e.Path != tt.route || e.ActorKeyID != "key_test" {
			t.Errorf("POST %s audited as %s by %s, want %s by key_test", tt.path, e.Path, e.ActorKeyID, tt.route)
		}
	}
	if rec := f.post("/console/channels", url.Values{"name": {"bot"}, "type": {"webhook"}}); !strings.Contains(rec.Body.String(), "whsec_shown_once") {
		t.Errorf("the new webhook channel's secret is not shown: %s", rec.Body)
	}
	if rec := f.post("/console/channels", url.Values{"name": {"x"}, "type": {"sms"}}); rec.Code != http.StatusUnprocessableEntity || !strings.Contains(rec.Body.String(), "type must be one of") {
		t.Errorf("an unknown channel type: %d %s", rec.Code, rec.Body)
	}
	if rec := f.post("/console/schedules/sch_1/overrides", url.Values{"user_id": {"usr_1"}, "from": {"tomorrow"}}); rec.Code != http.StatusUnprocessableEntity {
		t.Errorf("a malformed override time: %d", rec.Code)
	}

	f.oncall.got, f.channels.got = nil, nil
	audited := len(f.audits.finished)
	for _, path := range []string{"/console/users", "/console/users/usr_1/delete", "/console/channels/chn_1/test", "/console/notifications/ntf_1/retry"} {
		if rec := f.postRaw(path, url.Values{"name": {"x"}, "email": {"x@example.com"}}); rec.Code != http.StatusForbidden {
			t.Errorf("POST %s without the CSRF token: %d, want 403", path, rec.Code)
		}
	}
	if f.oncall.got != nil || f.channels.got != nil || len(f.audits.finished) != audited {
		t.Errorf("posts without the CSRF token called %v, %v", f.oncall.got, f.channels.got)
	}
}
