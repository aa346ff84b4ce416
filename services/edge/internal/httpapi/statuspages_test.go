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
	statusv1 "github.com/upstatehq/upstate/proto/gen/upstate/status/v1"
	statuspagev1 "github.com/upstatehq/upstate/proto/gen/upstate/statuspage/v1"
	"github.com/upstatehq/upstate/services/edge/internal/auth"
)

// fakePages is the status page service's API: it records the last request
// and answers with its page.
type fakePages struct {
	got  proto.Message
	page *statuspagev1.Page
}

func (f *fakePages) CreatePage(_ context.Context, req *statuspagev1.CreatePageRequest, _ ...grpc.CallOption) (*statuspagev1.CreatePageResponse, error) {
	f.got = req
	return &statuspagev1.CreatePageResponse{Page: f.page}, nil
}

func (f *fakePages) GetPage(_ context.Context, req *statuspagev1.GetPageRequest, _ ...grpc.CallOption) (*statuspagev1.GetPageResponse, error) {
	f.got = req
	return &statuspagev1.GetPageResponse{Page: f.page}, nil
}

func (f *fakePages) ListPages(_ context.Context, req *statuspagev1.ListPagesRequest, _ ...grpc.CallOption) (*statuspagev1.ListPagesResponse, error) {
	f.got = req
	return &statuspagev1.ListPagesResponse{Pages: []*statuspagev1.Page{f.page}, NextPageToken: "next"}, nil
}

func (f *fakePages) UpdatePage(_ context.Context, req *statuspagev1.UpdatePageRequest, _ ...grpc.CallOption) (*statuspagev1.UpdatePageResponse, error) {
	f.got = req
	return &statuspagev1.UpdatePageResponse{Page: f.page}, nil
}

func (f *fakePages) DeletePage(_ context.Context, req *statuspagev1.DeletePageRequest, _ ...grpc.CallOption) (*statuspagev1.DeletePageResponse, error) {
	f.got = req
	return &statuspagev1.DeletePageResponse{}, nil
}

func (f *fakePages) ListSubscribers(_ context.Context, req *statuspagev1.ListSubscribersRequest, _ ...grpc.CallOption) (*statuspagev1.ListSubscribersResponse, error) {
	f.got = req
	return &statuspagev1.ListSubscribersResponse{Subscribers: []*statuspagev1.Subscriber{{
		Id: "sub_1", PageId: "pag_1", Kind: statuspagev1.SubscriberKind_SUBSCRIBER_KIND_WEBHOOK, Url: "https://hooks.example.com",
		Confirmed: true, CreatedAt: f.page.GetCreatedAt(),
	}}}, nil
}

func (f *fakePages) DeleteSubscriber(_ context.Context, req *statuspagev1.DeleteSubscriberRequest, _ ...grpc.CallOption) (*statuspagev1.DeleteSubscriberResponse, error) {
	f.got = req
	return &statuspagev1.DeleteSubscriberResponse{}, nil
}

type pagesAPI struct {
	*receiverAPI // for do
	fake         *fakePages
}

func newPagesAPI(t *testing.T, scopes ...auth.Scope) *pagesAPI {
	t.Helper()
	if len(scopes) == 0 {
		scopes = []auth.Scope{"status_pages"}
	}
	at := timestamppb.New(time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC))
	fake := &fakePages{page: &statuspagev1.Page{
		Id: "pag_1", OrgId: "org_test", Name: "Pushmail", Slug: "pushmail", CreatedAt: at, UpdatedAt: at,
		Components: []*statuspagev1.Component{{Id: "cmp_1", ServiceId: "svc_1", Name: "API", Position: 1, Status: statusv1.Status_STATUS_DEGRADED}},
	}}
	keys := fakeKeys{scopes: scopes}
	logger := logging.Discard()
	e := httpx.NewEcho(logger, prometheus.NewRegistry(), httpx.Options{})
	Register(e, NewHandler(Backends{StatusPages: fake}, keys, &fakeAudits{}, NewAuthenticator(keys, time.Minute, clockwork.NewRealClock(), logger), "", clockwork.NewRealClock(), logger))
	return &pagesAPI{receiverAPI: &receiverAPI{t: t, e: e}, fake: fake}
}

func TestStatusPageRoutesCallTheStatusPageService(t *testing.T) {
	name, empty := "Renamed", ""
	for _, tt := range []struct {
		method, path, body string
		status             int
		want               proto.Message
	}{
		{http.MethodGet, "/api/v1/status-pages?limit=10&cursor=abc", "", http.StatusOK,
			&statuspagev1.ListPagesRequest{OrgId: "org_test", PageSize: 10, PageToken: "abc"}},
		{http.MethodPost, "/api/v1/status-pages", `{"name":"Pushmail","slug":"pushmail","time_zone":"Europe/Berlin","components":[{"service_id":"svc_1","group":"Core","position":2,"only_show_if_degraded":true}]}`,
			http.StatusCreated, &statuspagev1.CreatePageRequest{OrgId: "org_test", Name: "Pushmail", Slug: "pushmail", TimeZone: "Europe/Berlin",
				Components: []*statuspagev1.ComponentInput{{ServiceId: "svc_1", Group: "Core", Position: 2, OnlyShowIfDegraded: true}}}},
		{http.MethodGet, "/api/v1/status-pages/pag_1", "", http.StatusOK, &statuspagev1.GetPageRequest{OrgId: "org_test", PageId: "pag_1"}},
		{http.MethodPatch, "/api/v1/status-pages/pag_1", `{"name":"Renamed","custom_domain":null}`, http.StatusOK,
			&statuspagev1.UpdatePageRequest{OrgId: "org_test", PageId: "pag_1", Name: &name, CustomDomain: &empty}},
		{http.MethodPatch, "/api/v1/status-pages/pag_1", `{"components":[]}`, http.StatusOK,
			&statuspagev1.UpdatePageRequest{OrgId: "org_test", PageId: "pag_1", ReplaceComponents: true}},
		{http.MethodDelete, "/api/v1/status-pages/pag_1", "", http.StatusNoContent, &statuspagev1.DeletePageRequest{OrgId: "org_test", PageId: "pag_1"}},
		{http.MethodGet, "/api/v1/status-pages/pag_1/subscribers", "", http.StatusOK,
			&statuspagev1.ListSubscribersRequest{OrgId: "org_test", PageId: "pag_1", PageSize: 50}},
		{http.MethodDelete, "/api/v1/status-pages/pag_1/subscribers/sub_1", "", http.StatusNoContent,
			&statuspagev1.DeleteSubscriberRequest{OrgId: "org_test", PageId: "pag_1", SubscriberId: "sub_1"}},
	} {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			api := newPagesAPI(t)
			rec, _ := api.do(tt.method, tt.path, tt.body)
			if rec.Code != tt.status {
				t.Fatalf("status %d, want %d: %s", rec.Code, tt.status, rec.Body)
			}
			if !proto.Equal(api.fake.got, tt.want) {
				t.Errorf("status page service got %v, want %v", api.fake.got, tt.want)
			}
		})
	}
}

func TestStatusPageResponses(t *testing.T) {
	api := newPagesAPI(t)
	rec, m := api.do(http.MethodGet, "/api/v1/status-pages/pag_1", "")
	comp := m["components"].([]any)[0].(map[string]any)
	if rec.Code != http.StatusOK || m["url"] != "http://edge.example:8080/status/pushmail" || m["custom_domain"] != nil || comp["status"] != "degraded" {
		t.Errorf("page: %d %v", rec.Code, m)
	}
	// The address the status page service knows wins over the request's.
	api.fake.page.Url, api.fake.page.CustomDomain = "https://status.pushmail.example", "status.pushmail.example"
	if _, m := api.do(http.MethodGet, "/api/v1/status-pages/pag_1", ""); m["url"] != "https://status.pushmail.example" || m["custom_domain"] != "status.pushmail.example" {
		t.Errorf("page with a custom domain: %v", m)
	}
	rec, m = api.do(http.MethodGet, "/api/v1/status-pages/pag_1/subscribers", "")
	sub := m["data"].([]any)[0].(map[string]any)
	if rec.Code != http.StatusOK || sub["kind"] != "webhook" || sub["endpoint"] != "https://hooks.example.com" || sub["email"] != nil {
		t.Errorf("subscribers: %d %v", rec.Code, m)
	}
}

func TestStatusPageValidationAndScopes(t *testing.T) {
	for _, body := range []string{`{}`, `{"name":null}`, `{"unknown":1}`, `{"components":[{"service":"svc_1"}]}`} {
		api := newPagesAPI(t)
		if rec, _ := api.do(http.MethodPatch, "/api/v1/status-pages/pag_1", body); rec.Code/100 != 4 || isChange(api.fake.got) {
			t.Errorf("PATCH %s: %d, called %v", body, rec.Code, api.fake.got)
		}
	}
	for _, tt := range []struct {
		scope        auth.Scope
		method, path string
		status       int
	}{
		{"status_pages:read", http.MethodGet, "/api/v1/status-pages/pag_1", http.StatusOK},
		{"status_pages:read", http.MethodDelete, "/api/v1/status-pages/pag_1", http.StatusForbidden},
		{"read", http.MethodGet, "/api/v1/status-pages/pag_1/subscribers", http.StatusOK},
		{"services", http.MethodGet, "/api/v1/status-pages", http.StatusForbidden},
	} {
		api := newPagesAPI(t, tt.scope)
		if rec, _ := api.do(tt.method, tt.path, ""); rec.Code != tt.status {
			t.Errorf("%s: %s %s = %d, want %d", tt.scope, tt.method, tt.path, rec.Code, tt.status)
		}
	}
}
