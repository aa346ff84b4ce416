package httpapi

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/upstatehq/upstate/pkg/httpx"
	"github.com/upstatehq/upstate/pkg/logging"
	notificationv1 "github.com/upstatehq/upstate/proto/gen/upstate/notification/v1"
	"github.com/upstatehq/upstate/services/edge/internal/auth"
)

// fakeChannels is the notification service's channel and history API: it
// records the last request and answers with its channel and notification.
type fakeChannels struct {
	notificationv1.ChannelServiceClient
	notificationv1.NotificationServiceClient
	got proto.Message
	// created is the last CreateChannel request, which the console's
	// answer (the list again) follows with other calls.
	created *notificationv1.CreateChannelRequest
	channel *notificationv1.Channel
	note    *notificationv1.NotificationRecord
	err     error
}

func (f *fakeChannels) CreateChannel(_ context.Context, req *notificationv1.CreateChannelRequest, _ ...grpc.CallOption) (*notificationv1.CreateChannelResponse, error) {
	f.got, f.created = req, req
	return &notificationv1.CreateChannelResponse{Channel: f.channel, Secret: "whsec_shown_once"}, f.err
}

func (f *fakeChannels) GetChannel(_ context.Context, req *notificationv1.GetChannelRequest, _ ...grpc.CallOption) (*notificationv1.GetChannelResponse, error) {
	f.got = req
	return &notificationv1.GetChannelResponse{Channel: f.channel}, f.err
}

func (f *fakeChannels) ListChannels(_ context.Context, req *notificationv1.ListChannelsRequest, _ ...grpc.CallOption) (*notificationv1.ListChannelsResponse, error) {
	f.got = req
	return &notificationv1.ListChannelsResponse{Channels: []*notificationv1.Channel{f.channel}}, f.err
}

func (f *fakeChannels) UpdateChannel(_ context.Context, req *notificationv1.UpdateChannelRequest, _ ...grpc.CallOption) (*notificationv1.UpdateChannelResponse, error) {
	f.got = req
	return &notificationv1.UpdateChannelResponse{Channel: f.channel}, f.err
}

func (f *fakeChannels) DeleteChannel(_ context.Context, req *notificationv1.DeleteChannelRequest, _ ...grpc.CallOption) (*notificationv1.DeleteChannelResponse, error) {
	f.got = req
	return &notificationv1.DeleteChannelResponse{}, f.err
}

func (f *fakeChannels) TestChannel(_ context.Context, req *notificationv1.TestChannelRequest, _ ...grpc.CallOption) (*notificationv1.TestChannelResponse, error) {
	f.got = req
	return &notificationv1.TestChannelResponse{NotificationId: "ntf_1"}, f.err
}

func (f *fakeChannels) ListNotifications(_ context.Context, req *notificationv1.ListNotificationsRequest, _ ...grpc.CallOption) (*notificationv1.ListNotificationsResponse, error) {
	f.got = req
	return &notificationv1.ListNotificationsResponse{Notifications: []*notificationv1.NotificationRecord{f.note}, NextPageToken: "next"}, f.err
}

func (f *fakeChannels) GetNotification(_ context.Context, req *notificationv1.GetNotificationRequest, _ ...grpc.CallOption) (*notificationv1.GetNotificationResponse, error) {
	f.got = req
	return &notificationv1.GetNotificationResponse{Notification: f.note}, f.err
}

func (f *fakeChannels) RetryNotification(_ context.Context, req *notificationv1.RetryNotificationRequest, _ ...grpc.CallOption) (*notificationv1.RetryNotificationResponse, error) {
	f.got = req
	return &notificationv1.RetryNotificationResponse{Notification: f.note}, f.err
}

type channelsAPI struct {
	*receiverAPI // for do
	fake         *fakeChannels
}

func newChannelsAPI(t *testing.T, scopes ...auth.Scope) *channelsAPI {
	t.Helper()
	if len(scopes) == 0 {
		scopes = []auth.Scope{"oncall"}
	}
	at := timestamppb.New(time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC))
	fake := &fakeChannels{
		channel: &notificationv1.Channel{Id: "chn_1", OrgId: "org_test", Name: "#ops", Type: notificationv1.ChannelType_CHANNEL_TYPE_SLACK,
			Config: &notificationv1.ChannelConfig{Url: "https://hooks.slack.com/…"}, CreatedAt: at, UpdatedAt: at},
		note: &notificationv1.NotificationRecord{Id: "ntf_1", ChannelId: "chn_1", AlertId: "alt_1", Status: notificationv1.NotificationStatus_NOTIFICATION_STATUS_DEAD,
			Kind: notificationv1.Kind_KIND_TRIGGER, Title: "API is down", Destination: "https://hooks.slack.com/…", CreatedAt: at,
			Attempts: []*notificationv1.Attempt{{At: at, StatusCode: 404, LatencyMs: 12, Error: "answered 404 Not Found"}}},
	}
	keys := fakeKeys{scopes: scopes}
	logger := logging.Discard()
	e := httpx.NewEcho(logger, prometheus.NewRegistry(), httpx.Options{})
	Register(e, NewHandler(Backends{Channels: fake, Notifications: fake}, keys, &fakeAudits{}, NewAuthenticator(keys, time.Minute, clockwork.NewRealClock(), logger), "", clockwork.NewRealClock(), logger))
	return &channelsAPI{receiverAPI: &receiverAPI{t: t, e: e}, fake: fake}
}

func TestChannelRoutesCallTheNotificationService(t *testing.T) {
	tmpl := ""
	for _, tt := range []struct {
		method, path, body string
		status             int
		want               proto.Message
	}{
		{http.MethodGet, "/api/v1/channels?limit=10&cursor=abc", "", http.StatusOK, &notificationv1.ListChannelsRequest{OrgId: "org_test", PageSize: 10, PageToken: "abc"}},
		{http.MethodPost, "/api/v1/channels", `{"name":"#ops","type":"slack","config":{"url":"https://hooks.slack.com/services/T/B/x"},"template":"{{.Title}}"}`, http.StatusCreated,
			&notificationv1.CreateChannelRequest{OrgId: "org_test", Name: "#ops", Type: notificationv1.ChannelType_CHANNEL_TYPE_SLACK,
				Config: &notificationv1.ChannelConfig{Url: "https://hooks.slack.com/services/T/B/x"}, Template: "{{.Title}}"}},
		{http.MethodGet, "/api/v1/channels/chn_1", "", http.StatusOK, &notificationv1.GetChannelRequest{OrgId: "org_test", ChannelId: "chn_1"}},
		{http.MethodPatch, "/api/v1/channels/chn_1", `{"template":""}`, http.StatusOK, &notificationv1.UpdateChannelRequest{OrgId: "org_test", ChannelId: "chn_1", Template: &tmpl}},
		{http.MethodDelete, "/api/v1/channels/chn_1", "", http.StatusNoContent, &notificationv1.DeleteChannelRequest{OrgId: "org_test", ChannelId: "chn_1"}},
		{http.MethodPost, "/api/v1/channels/chn_1/test", "", http.StatusAccepted, &notificationv1.TestChannelRequest{OrgId: "org_test", ChannelId: "chn_1"}},
		{http.MethodGet, "/api/v1/notifications?alert_id=alt_1&channel_id=chn_1&status=dead", "", http.StatusOK,
			&notificationv1.ListNotificationsRequest{OrgId: "org_test", AlertId: "alt_1", ChannelId: "chn_1", Status: notificationv1.NotificationStatus_NOTIFICATION_STATUS_DEAD, PageSize: 50}},
		{http.MethodGet, "/api/v1/notifications/ntf_1", "", http.StatusOK, &notificationv1.GetNotificationRequest{OrgId: "org_test", NotificationId: "ntf_1"}},
		{http.MethodPost, "/api/v1/notifications/ntf_1/retry", "", http.StatusAccepted, &notificationv1.RetryNotificationRequest{OrgId: "org_test", NotificationId: "ntf_1"}},
	} {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			api := newChannelsAPI(t)
			rec, _ := api.do(tt.method, tt.path, tt.body)
			if rec.Code != tt.status {
				t.Fatalf("status %d, want %d: %s", rec.Code, tt.status, rec.Body)
			}
			if !proto.Equal(api.fake.got, tt.want) {
				t.Errorf("notification service got %v, want %v", api.fake.got, tt.want)
			}
		})
	}
}

func TestChannelResponses(t *testing.T) {
	api := newChannelsAPI(t)
	rec, m := api.do(http.MethodPost, "/api/v1/channels", `{"name":"#ops","type":"webhook","config":{"url":"https://x.example"}}`)
	if rec.Code != http.StatusCreated || m["secret"] != "whsec_shown_once" || m["type"] != "slack" || m["config"].(map[string]any)["url"] != "https://hooks.slack.com/…" {
		t.Errorf("create: %d %v", rec.Code, m)
	}
	if _, m := api.do(http.MethodGet, "/api/v1/channels/chn_1", ""); m["secret"] != nil {
		t.Errorf("a read answers the secret: %v", m)
	}
	rec, m = api.do(http.MethodGet, "/api/v1/notifications", "")
	n := m["data"].([]any)[0].(map[string]any)
	a := n["attempts"].([]any)[0].(map[string]any)
	if rec.Code != http.StatusOK || m["next_cursor"] != "next" || n["status"] != "dead" || n["kind"] != "trigger" || n["incident_id"] != nil ||
		a["status_code"] != 404.0 || a["latency_ms"] != 12.0 || a["error"] != "answered 404 Not Found" || n["delivered_at"] != nil {
		t.Errorf("notifications: %d %v", rec.Code, m)
	}
	api.fake.err = status.Error(codes.FailedPrecondition, "only a dead notification can be retried")
	if rec, _ := api.do(http.MethodPost, "/api/v1/notifications/ntf_1/retry", ""); rec.Code != http.StatusConflict {
		t.Errorf("retry of a pending one: %d, want 409", rec.Code)
	}
}

func TestChannelValidationAndScopes(t *testing.T) {
	for _, tt := range []struct{ method, path, body string }{
		{http.MethodPost, "/api/v1/channels", `{"name":"x","type":"sms","config":{}}`},
		{http.MethodPost, "/api/v1/channels", `{"name":"x","type":"slack","config":{"nope":1}}`},
		{http.MethodGet, "/api/v1/notifications?status=lost", ""},
	} {
		api := newChannelsAPI(t)
		if rec, _ := api.do(tt.method, tt.path, tt.body); rec.Code/100 != 4 || api.fake.got != nil {
			t.Errorf("%s %s %s: %d, called %v", tt.method, tt.path, tt.body, rec.Code, api.fake.got)
		}
	}
	for _, tt := range []struct {
		scope        auth.Scope
		method, path string
		status       int
	}{
		{"oncall:read", http.MethodGet, "/api/v1/channels", http.StatusOK},
		{"oncall:read", http.MethodPost, "/api/v1/channels/chn_1/test", http.StatusForbidden},
		{"read", http.MethodGet, "/api/v1/notifications", http.StatusOK},
		{"alerting", http.MethodGet, "/api/v1/notifications", http.StatusForbidden},
		{"oncall:read", http.MethodPost, "/api/v1/notifications/ntf_1/retry", http.StatusForbidden},
	} {
		api := newChannelsAPI(t, tt.scope)
		if rec, _ := api.do(tt.method, tt.path, ""); rec.Code != tt.status {
			t.Errorf("%s: %s %s = %d, want %d", tt.scope, tt.method, tt.path, rec.Code, tt.status)
		}
	}
}
