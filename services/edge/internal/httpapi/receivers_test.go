package httpapi

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
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
	statusv1 "github.com/upstatehq/upstate/proto/gen/upstate/status/v1"
	"github.com/upstatehq/upstate/services/edge/internal/audit"
	"github.com/upstatehq/upstate/services/edge/internal/auth"
	"github.com/upstatehq/upstate/services/edge/internal/domain"
)

// fakeReceivers records the last request and answers with receiver,
// deliveries and token, or err.
type fakeReceivers struct {
	statusv1.ReceiverServiceClient // calls not faked here panic
	got                            proto.Message
	err                            error
	receiver                       *statusv1.Receiver
	deliveries                     []*statusv1.Delivery
	token                          string
}

func (f *fakeReceivers) CreateReceiver(_ context.Context, req *statusv1.CreateReceiverRequest, _ ...grpc.CallOption) (*statusv1.CreateReceiverResponse, error) {
	f.got = req
	return &statusv1.CreateReceiverResponse{Receiver: f.receiver, Token: f.token}, f.err
}

func (f *fakeReceivers) GetReceiver(_ context.Context, req *statusv1.GetReceiverRequest, _ ...grpc.CallOption) (*statusv1.GetReceiverResponse, error) {
	f.got = req
	return &statusv1.GetReceiverResponse{Receiver: f.receiver}, f.err
}

func (f *fakeReceivers) ListReceivers(_ context.Context, req *statusv1.ListReceiversRequest, _ ...grpc.CallOption) (*statusv1.ListReceiversResponse, error) {
	f.got = req
	return &statusv1.ListReceiversResponse{Receivers: []*statusv1.Receiver{f.receiver}, NextPageToken: "next"}, f.err
}

func (f *fakeReceivers) UpdateReceiver(_ context.Context, req *statusv1.UpdateReceiverRequest, _ ...grpc.CallOption) (*statusv1.UpdateReceiverResponse, error) {
	f.got = req
	return &statusv1.UpdateReceiverResponse{Receiver: f.receiver}, f.err
}

func (f *fakeReceivers) DeleteReceiver(_ context.Context, req *statusv1.DeleteReceiverRequest, _ ...grpc.CallOption) (*statusv1.DeleteReceiverResponse, error) {
	f.got = req
	return &statusv1.DeleteReceiverResponse{}, f.err
}

func (f *fakeReceivers) RotateReceiverToken(_ context.Context, req *statusv1.RotateReceiverTokenRequest, _ ...grpc.CallOption) (*statusv1.RotateReceiverTokenResponse, error) {
	f.got = req
	return &statusv1.RotateReceiverTokenResponse{Receiver: f.receiver, Token: f.token}, f.err
}

func (f *fakeReceivers) ListDeliveries(_ context.Context, req *statusv1.ListDeliveriesRequest, _ ...grpc.CallOption) (*statusv1.ListDeliveriesResponse, error) {
	f.got = req
	return &statusv1.ListDeliveriesResponse{Deliveries: f.deliveries}, f.err
}

func (f *fakeReceivers) GetDelivery(_ context.Context, req *statusv1.GetDeliveryRequest, _ ...grpc.CallOption) (*statusv1.GetDeliveryResponse, error) {
	f.got = req
	var d *statusv1.Delivery
	if len(f.deliveries) > 0 {
		d = f.deliveries[0]
	}
	return &statusv1.GetDeliveryResponse{Delivery: d}, f.err
}

// fakeKeys knows one API key, of organisation org_test, with scopes.
type fakeKeys struct {
	Keys   // calls not faked here panic
	scopes []auth.Scope
}

func (k fakeKeys) FindKey(context.Context, []byte) (domain.APIKey, error) {
	now := time.Now()
	return domain.APIKey{ID: "key_test", OrgID: "org_test", Scopes: k.scopes, LastUsedAt: &now}, nil
}

// receiverAPI serves the REST API over fake backends.
type receiverAPI struct {
	t    *testing.T
	e    http.Handler
	fake *fakeReceivers
	// remoteAddr, when set, is the peer requests come from.
	remoteAddr string
}

func newReceiverAPI(t *testing.T, publicURL string, scopes ...auth.Scope) *receiverAPI {
	t.Helper()
	if len(scopes) == 0 {
		scopes = []auth.Scope{"webhook_receivers"}
	}
	created := timestamppb.New(time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC))
	fake := &fakeReceivers{
		receiver: &statusv1.Receiver{Id: "whr_1", Name: "Grafana", Enabled: true, ServiceId: "svc_1", TokenPrefix: "3f9a1c2b", CreatedAt: created, UpdatedAt: created},
		token:    strings.Repeat("3f9a1c2b", 8),
	}
	keys := fakeKeys{scopes: scopes}
	logger := logging.Discard()
	e := httpx.NewEcho(logger, prometheus.NewRegistry(), httpx.Options{})
	Register(e, NewHandler(Backends{Receivers: fake}, keys, &fakeAudits{}, NewAuthenticator(keys, time.Minute, clockwork.NewRealClock(), logger), publicURL, clockwork.NewRealClock(), logger))
	return &receiverAPI{t: t, e: e, fake: fake}
}

func (a *receiverAPI) do(method, path, body string, header ...string) (*httptest.ResponseRecorder, map[string]any) {
	a.t.Helper()
	req := httptest.NewRequest(method, "http://edge.example:8080"+path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer ak_live_test")
	if a.remoteAddr != "" {
		req.RemoteAddr = a.remoteAddr
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	rec := httptest.NewRecorder()
	a.e.ServeHTTP(rec, req)
	var m map[string]any
	if rec.Body.Len() > 0 {
		if err := json.Unmarshal(rec.Body.Bytes(), &m); err != nil {
			a.t.Fatalf("%s %s: %d %s is not a JSON object", method, path, rec.Code, rec.Body)
		}
	}
	return rec, m
}

func TestReceiverRoutesCallTheStatusService(t *testing.T) {
	const base = "/api/v1/webhook-receivers"
	tests := []struct {
		method, path, body string
		status             int
		want               proto.Message
	}{
		{http.MethodGet, base + "?limit=2&cursor=abc", "", http.StatusOK,
			&statusv1.ListReceiversRequest{OrgId: "org_test", PageSize: 2, PageToken: "abc"}},
		{http.MethodPost, base, `{"name":"Grafana","service_id":"svc_1"}`, http.StatusCreated,
			&statusv1.CreateReceiverRequest{OrgId: "org_test", Spec: &statusv1.ReceiverSpec{Name: "Grafana", Enabled: true, ServiceId: "svc_1"}}},
		{http.MethodGet, base + "/whr_1", "", http.StatusOK,
			&statusv1.GetReceiverRequest{OrgId: "org_test", ReceiverId: "whr_1"}},
		{http.MethodPatch, base + "/whr_1", `{"enabled":false,"signature":null}`, http.StatusOK,
			&statusv1.UpdateReceiverRequest{OrgId: "org_test", ReceiverId: "whr_1", Spec: &statusv1.ReceiverSpec{}, UpdatePaths: []string{"enabled", "signature"}}},
		{http.MethodDelete, base + "/whr_1", "", http.StatusNoContent,
			&statusv1.DeleteReceiverRequest{OrgId: "org_test", ReceiverId: "whr_1"}},
		{http.MethodPost, base + "/whr_1/rotate-token", "", http.StatusOK,
			&statusv1.RotateReceiverTokenRequest{OrgId: "org_test", ReceiverId: "whr_1"}},
		{http.MethodGet, base + "/whr_1/deliveries", "", http.StatusOK,
			&statusv1.ListDeliveriesRequest{OrgId: "org_test", ReceiverId: "whr_1"}},
		{http.MethodGet, base + "/whr_1/deliveries/dlv_1", "", http.StatusOK,
			&statusv1.GetDeliveryRequest{OrgId: "org_test", ReceiverId: "whr_1", DeliveryId: "dlv_1"}},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			api := newReceiverAPI(t, "")
			api.fake.deliveries = []*statusv1.Delivery{{Id: "dlv_1", Payload: []byte(`{"status":"down"}`)}}
			rec, _ := api.do(tt.method, tt.path, tt.body)
			if rec.Code != tt.status {
				t.Fatalf("status %d, want %d: %s", rec.Code, tt.status, rec.Body)
			}
			if !proto.Equal(api.fake.got, tt.want) {
				t.Errorf("status service got %v, want %v", api.fake.got, tt.want)
			}
		})
	}
}

func TestCreateAndRotateShowTheTokenOnce(t *testing.T) {
	api := newReceiverAPI(t, "")
	token := api.fake.token
	rec, m := api.do(http.MethodPost, "/api/v1/webhook-receivers", `{"name":"Grafana","service_id":"svc_1"}`)
	if rec.Code != http.StatusCreated || rec.Header().Get("Location") != "/api/v1/webhook-receivers/whr_1" {
		t.Fatalf("create: %d, Location %q", rec.Code, rec.Header().Get("Location"))
	}
	if m["token"] != token || m["url"] != "http://edge.example:8080/api/webhooks/incoming/"+token {
		t.Errorf("create: token %v, url %v", m["token"], m["url"])
	}

	// The scheme a proxy on a private address says the client used; a
	// public peer's forwarding headers are ignored.
	for peer, scheme := range map[string]string{"10.0.0.7:41000": "https", "203.0.113.9:41000": "http"} {
		api.remoteAddr = peer
		_, m = api.do(http.MethodPost, "/api/v1/webhook-receivers/whr_1/rotate-token", "", "X-Forwarded-Proto", "https")
		if m["token"] != token || m["url"] != scheme+"://edge.example:8080/api/webhooks/incoming/"+token {
			t.Errorf("rotate from %s: token %v, url %v", peer, m["token"], m["url"])
		}
	}

	for _, path := range []string{"/api/v1/webhook-receivers/whr_1", "/api/v1/webhook-receivers"} {
		rec, _ := api.do(http.MethodGet, path, "")
		if body := rec.Body.String(); strings.Contains(body, token) || strings.Contains(body, `"url"`) {
			t.Errorf("GET %s shows the token: %s", path, body)
		}
	}
}

func TestPublicURL(t *testing.T) {
	api := newReceiverAPI(t, "https://status.example.com/")
	_, m := api.do(http.MethodPost, "/api/v1/webhook-receivers", `{"name":"Grafana","service_id":"svc_1"}`)
	if want := "https://status.example.com/api/webhooks/incoming/" + api.fake.token; m["url"] != want {
		t.Errorf("url = %v, want %s", m["url"], want)
	}
}

func TestReceiverScopes(t *testing.T) {
	tests := []struct {
		scope          auth.Scope
		method         string
		path, body     string
		wantStatusCode int
	}{
		{"webhook_receivers:read", http.MethodGet, "/api/v1/webhook-receivers/whr_1/deliveries", "", http.StatusOK},
		{"webhook_receivers:read", http.MethodPost, "/api/v1/webhook-receivers/whr_1/rotate-token", "", http.StatusForbidden},
		{"webhook_receivers:read", http.MethodPatch, "/api/v1/webhook-receivers/whr_1", `{"name":"x"}`, http.StatusForbidden},
		{"services", http.MethodGet, "/api/v1/webhook-receivers", "", http.StatusForbidden},
		{"read", http.MethodGet, "/api/v1/webhook-receivers/whr_1", "", http.StatusOK},
		{"write", http.MethodDelete, "/api/v1/webhook-receivers/whr_1", "", http.StatusNoContent},
	}
	for _, tt := range tests {
		api := newReceiverAPI(t, "", tt.scope)
		rec, _ := api.do(tt.method, tt.path, tt.body)
		if rec.Code != tt.wantStatusCode {
			t.Errorf("%s %s with %q: %d, want %d: %s", tt.method, tt.path, tt.scope, rec.Code, tt.wantStatusCode, rec.Body)
		}
	}
}

func TestReceiverErrors(t *testing.T) {
	api := newReceiverAPI(t, "")
	api.fake.err = status.Error(codes.NotFound, "receiver not found")
	rec, m := api.do(http.MethodGet, "/api/v1/webhook-receivers/whr_x/deliveries", "")
	if rec.Code != http.StatusNotFound || !strings.Contains(rec.Body.String(), "receiver not found") {
		t.Errorf("not found: %d %v", rec.Code, m)
	}
	api.fake.err = status.Error(codes.InvalidArgument, "status_mapping: key \"up\": \"fine\" is not a status")
	rec, _ = api.do(http.MethodPost, "/api/v1/webhook-receivers", `{"name":"x","service_id":"svc_1","status_mapping":{"up":"fine"}}`)
	if rec.Code != http.StatusUnprocessableEntity || !strings.Contains(rec.Body.String(), "invalid_value") {
		t.Errorf("invalid argument: %d %s", rec.Code, rec.Body)
	}

	// The edge refuses what it can judge without calling.
	api.fake.err, api.fake.got = nil, nil
	rec, _ = api.do(http.MethodPatch, "/api/v1/webhook-receivers/whr_1", `{}`)
	if rec.Code != http.StatusUnprocessableEntity || isChange(api.fake.got) {
		t.Errorf("empty PATCH: %d, status service called with %v", rec.Code, api.fake.got)
	}
	rec, _ = api.do(http.MethodPost, "/api/v1/webhook-receivers/whr_1/rotate-token", `{"keep_old":true}`)
	if rec.Code != http.StatusBadRequest || isChange(api.fake.got) {
		t.Errorf("rotate with a field: %d, status service called with %v", rec.Code, api.fake.got)
	}
	rec, _ = api.do(http.MethodPost, "/api/v1/webhook-receivers/whr_1/rotate-token", `{}`)
	if rec.Code != http.StatusOK {
		t.Errorf("rotate with an empty object: %d %s", rec.Code, rec.Body)
	}
}

func TestListDeliveriesEnvelope(t *testing.T) {
	api := newReceiverAPI(t, "")
	rec, _ := api.do(http.MethodGet, "/api/v1/webhook-receivers/whr_1/deliveries", "")
	if got := strings.TrimSpace(rec.Body.String()); got != `{"data":[],"next_cursor":""}` {
		t.Errorf("empty delivery log = %s", got)
	}
	api.fake.deliveries = []*statusv1.Delivery{{Id: "dlv_2"}, {Id: "dlv_1"}}
	_, m := api.do(http.MethodGet, "/api/v1/webhook-receivers/whr_1/deliveries", "")
	data, _ := m["data"].([]any)
	if len(data) != 2 || data[0].(map[string]any)["id"] != "dlv_2" || m["next_cursor"] != "" {
		t.Errorf("delivery log = %v", m)
	}
}

// fakeAudits keeps the audit log in memory, for tests of handlers.
type fakeAudits struct {
	// beginErr, when set, is what BeginAudit fails with.
	beginErr error
	mu       sync.Mutex
	finished []audit.Entry
}

func (f *fakeAudits) BeginAudit(context.Context, audit.Entry) error { return f.beginErr }

func (f *fakeAudits) FinishAudit(_ context.Context, e audit.Entry) (bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.finished = append(f.finished, e)
	return true, nil
}

func (f *fakeAudits) DropAudit(context.Context, string) error { return nil }

func (f *fakeAudits) ListAudit(context.Context, string, audit.Filter, string, int) ([]audit.Entry, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.finished), nil
}

// isChange reports whether a call a fake recorded could change something:
// the audit log reads an object (Get…) before every write, refused ones
// included.
func isChange(got proto.Message) bool {
	return got != nil && !strings.HasPrefix(string(got.ProtoReflect().Descriptor().Name()), "Get")
}
