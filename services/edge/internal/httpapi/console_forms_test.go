package httpapi

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/upstatehq/upstate/pkg/httpx"
	"github.com/upstatehq/upstate/pkg/logging"
	incidentsv1 "github.com/upstatehq/upstate/proto/gen/upstate/incidents/v1"
	notificationv1 "github.com/upstatehq/upstate/proto/gen/upstate/notification/v1"
	statusv1 "github.com/upstatehq/upstate/proto/gen/upstate/status/v1"
	"github.com/upstatehq/upstate/services/edge/internal/auth"
	"github.com/upstatehq/upstate/services/edge/internal/domain"
	"github.com/upstatehq/upstate/services/edge/internal/live"
	"github.com/upstatehq/upstate/services/edge/internal/session"
)

// consoleKeys is fakeKeys that the console's per-request lookup finds.
type consoleKeys struct{ fakeKeys }

func (k consoleKeys) GetKey(_ context.Context, orgID, id string) (domain.APIKey, error) {
	return domain.APIKey{ID: id, OrgID: orgID, Scopes: k.scopes}, nil
}

// consoleForms is the console over fake receivers and incidents services,
// with a signed-in session.
type consoleForms struct {
	t         *testing.T
	e         http.Handler
	receivers *fakeReceivers
	incidents *fakeIncidents
	oncall    *fakeOnCall
	channels  *fakeChannels
	audits    *fakeAudits
	cookie    string
	csrf      string
}

func newConsoleForms(t *testing.T) *consoleForms {
	t.Helper()
	return newConsoleWith(t, nil, auth.ScopeWrite)
}

// newConsoleWith is the console with live updates from hub (nil: none),
// signed in with a key holding scopes.
func newConsoleWith(t *testing.T, hub *live.Hub, scopes ...auth.Scope) *consoleForms {
	t.Helper()
	at := timestamppb.New(time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC))
	rcv := &fakeReceivers{
		receiver: &statusv1.Receiver{Id: "whr_1", Name: "ci", Enabled: true, ServiceId: "svc_1", TokenPrefix: "3f9a1c2b", CreatedAt: at, UpdatedAt: at},
		token:    strings.Repeat("3f9a1c2b", 8),
	}
	inc := &fakeIncidents{
		incident:    &incidentsv1.Incident{Id: "inc_1", Title: "Slow", CreatedAt: at, UpdatedAt: at},
		maintenance: &incidentsv1.Maintenance{Id: "mnt_1", Title: "Upgrade", StartsAt: at, EndsAt: at, CreatedAt: at, UpdatedAt: at},
	}
	oncall := newFakeOnCall(at)
	channels := &fakeChannels{
		channel: &notificationv1.Channel{Id: "chn_1", Name: "#ops", Type: notificationv1.ChannelType_CHANNEL_TYPE_WEBHOOK,
			Config: &notificationv1.ChannelConfig{Url: "https://hooks.example/…"}, CreatedAt: at, UpdatedAt: at},
		note: &notificationv1.NotificationRecord{Id: "ntf_1", ChannelId: "chn_1", Status: notificationv1.NotificationStatus_NOTIFICATION_STATUS_DEAD,
			Kind: notificationv1.Kind_KIND_TEST, Title: "A test", CreatedAt: at,
			Attempts: []*notificationv1.Attempt{{At: at, StatusCode: 404, LatencyMs: 12, Error: "answered 404 Not Found"}}},
	}
	audits := &fakeAudits{}
	keys := consoleKeys{fakeKeys{scopes: scopes}}
	logger := logging.Discard()
	clock := clockwork.NewRealClock()
	backends := Backends{Receivers: rcv, Incidents: inc, Maintenances: inc, Users: oncall, Schedules: oncall, Policies: oncall,
		Channels: channels, Notifications: channels}
	h := NewHandler(backends, keys, audits, NewAuthenticator(keys, time.Minute, clock, logger), "", clock, logger)
	cn, err := NewConsole(h, hub, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	codec, err := session.NewCodec(bytes.Repeat([]byte{7}, session.SecretLen))
	if err != nil {
		t.Fatal(err)
	}
	cn.SetCodec(codec)
	e := httpx.NewEcho(logger, prometheus.NewRegistry(), httpx.Options{})
	Register(e, h)
	RegisterConsole(e, cn)
	s := session.New("org_test", "key_test", time.Now().Add(time.Hour))
	return &consoleForms{t: t, e: e, receivers: rcv, incidents: inc, oncall: oncall, channels: channels, audits: audits, cookie: codec.Seal(s), csrf: codec.CSRF(s)}
}

func (f *consoleForms) post(path string, form url.Values) *httptest.ResponseRecorder {
	f.t.Helper()
	form.Set("csrf", f.csrf)
	return f.postRaw(path, form)
}

// postRaw posts form as it is, CSRF token or not.
func (f *consoleForms) postRaw(path string, form url.Values) *httptest.ResponseRecorder {
	f.t.Helper()
	req := httptest.NewRequest(http.MethodPost, "http://edge.example"+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.AddCookie(&http.Cookie{Name: consoleCookie, Value: f.cookie})
	rec := httptest.NewRecorder()
	f.e.ServeHTTP(rec, req)
	return rec
}

// get fetches a console page.
func (f *consoleForms) get(path string) *httptest.ResponseRecorder {
	f.t.Helper()
	req := httptest.NewRequest(http.MethodGet, "http://edge.example"+path, nil)
	req.AddCookie(&http.Cookie{Name: consoleCookie, Value: f.cookie})
	rec := httptest.NewRecorder()
	f.e.ServeHTTP(rec, req)
	return rec
}

// The receiver forms become the REST API's requests: an empty service
// choice is cleared, the mapping is read line by line, an empty secret
// keeps the signature and "remove" drops it; a malformed mapping is a 422
// page naming the line.
func TestConsoleReceiverForms(t *testing.T) {
	f := newConsoleForms(t)
	base := url.Values{"name": {"ci"}, "enabled": {"on"}, "service_id": {""}, "service_name_field": {"svc"},
		"status_field": {"state"}, "message_field": {"msg"}, "status_mapping": {"crashed = down\r\n\r\n up=operational "},
		"signature_scheme": {"hex"}, "auto_incident_severity": {"minor"}}
	if rec := f.post("/console/receivers/whr_1", base); rec.Code != http.StatusSeeOther {
		t.Fatalf("edit: %d %s", rec.Code, rec.Body)
	}
	got := f.receivers.got.(*statusv1.UpdateReceiverRequest)
	if slices.Contains(got.GetUpdatePaths(), "signature") {
		t.Errorf("an empty secret changed the signature: %v", got.GetUpdatePaths())
	}
	spec := got.GetSpec()
	if !slices.Contains(got.GetUpdatePaths(), "service_id") || spec.GetServiceId() != "" || spec.GetServiceNameField() != "svc" ||
		spec.GetStatusMapping()["crashed"] != "down" || spec.GetStatusMapping()["up"] != "operational" || len(spec.GetStatusMapping()) != 2 ||
		spec.GetAutoIncident().GetEnabled() || spec.GetAutoIncident().GetSeverity() != statusv1.Severity_SEVERITY_MINOR {
		t.Errorf("edit sent %v", got)
	}

	remove := url.Values{}
	for k, v := range base {
		remove[k] = v
	}
	remove.Set("signature_remove", "on")
	f.post("/console/receivers/whr_1", remove)
	got = f.receivers.got.(*statusv1.UpdateReceiverRequest)
	if !slices.Contains(got.GetUpdatePaths(), "signature") || got.GetSpec().GetSignature() != nil {
		t.Errorf("remove sent %v", got)
	}

	bad := url.Values{"name": {"ci"}, "status_mapping": {"crashed down"}}
	if rec := f.post("/console/receivers", bad); rec.Code != http.StatusUnprocessableEntity || !strings.Contains(rec.Body.String(), "line 1") {
		t.Errorf("a malformed mapping: %d %s", rec.Code, rec.Body)
	}

	rec := f.post("/console/receivers", url.Values{"name": {"ci"}, "service_id": {"svc_1"}, "signature_secret": {"s3cret"}, "signature_scheme": {"sha256="}})
	if rec.Code != http.StatusCreated || !strings.Contains(rec.Body.String(), "http://edge.example/api/webhooks/incoming/"+f.receivers.token) {
		t.Fatalf("create: %d %s", rec.Code, rec.Body)
	}
	created := f.receivers.got.(*statusv1.CreateReceiverRequest).GetSpec()
	if !created.GetEnabled() || created.GetSignature().GetSecret() != "s3cret" || created.GetSignature().GetScheme() != "sha256=" {
		t.Errorf("create sent %v", created)
	}
}

// The incident and maintenance forms: resolving posts a "resolved"
// update; a window in progress is edited without its start and services.
func TestConsoleIncidentForms(t *testing.T) {
	f := newConsoleForms(t)
	if rec := f.post("/console/incidents/inc_1/resolve", url.Values{}); rec.Code != http.StatusSeeOther {
		t.Fatalf("resolve: %d %s", rec.Code, rec.Body)
	}
	upd := f.incidents.got.(*incidentsv1.AddIncidentUpdateRequest)
	if upd.GetStatus() != incidentsv1.IncidentStatus_INCIDENT_STATUS_RESOLVED || upd.GetMessage() != "Resolved." || upd.GetAuthor() != "key_test" {
		t.Errorf("resolve sent %v", upd)
	}

	running := url.Values{"title": {"Upgrade"}, "message": {"m"}, "ends_at": {"2026-11-23T12:00"}}
	if rec := f.post("/console/maintenances/mnt_1", running); rec.Code != http.StatusSeeOther {
		t.Fatalf("edit: %d %s", rec.Code, rec.Body)
	}
	m := f.incidents.got.(*incidentsv1.UpdateMaintenanceRequest)
	if m.StartsAt != nil || m.ServiceIds != nil || m.GetEndsAt().AsTime() != time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC) {
		t.Errorf("edit of a window in progress sent %v", m)
	}
	scheduled := url.Values{"title": {"Upgrade"}, "starts_at": {"2026-11-23T11:00"}, "ends_at": {"2026-11-23T12:00"}, "services_given": {"1"}}
	f.post("/console/maintenances/mnt_1", scheduled)
	m = f.incidents.got.(*incidentsv1.UpdateMaintenanceRequest)
	if m.GetStartsAt() == nil || m.ServiceIds == nil || len(m.GetServiceIds().GetIds()) != 0 {
		t.Errorf("edit of a scheduled window with no service chosen sent %v", m)
	}
	if rec := f.post("/console/maintenances", url.Values{"title": {"x"}, "starts_at": {"tomorrow"}}); rec.Code != http.StatusUnprocessableEntity {
		t.Errorf("a malformed time: %d", rec.Code)
	}
}
