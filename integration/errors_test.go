package integration

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/upstatehq/upstate/pkg/grpcx"
	"github.com/upstatehq/upstate/pkg/testenv"
	incidentsv1 "github.com/upstatehq/upstate/proto/gen/upstate/incidents/v1"
	statusv1 "github.com/upstatehq/upstate/proto/gen/upstate/status/v1"
)

// A failing store is "internal error" to every caller: the REST client,
// the edge and the incidents service calling the status service, and the
// edge calling the incidents service, which must not relay what the status
// service said.
func TestStoreErrorsDoNotLeak(t *testing.T) {
	t.Parallel()
	s := startStack(t)
	org := s.bootstrapOrg()
	svc := s.createService(bootstrapKey, "API")
	s.exec(`ALTER TABLE status.services RENAME TO services_gone`)

	leaked := func(text string) bool {
		return strings.Contains(text, "SQLSTATE") || strings.Contains(text, "services")
	}
	for _, r := range []struct{ method, path, body string }{
		{http.MethodGet, "/api/v1/services/" + svc, ""},
		{http.MethodGet, "/api/v1/services", ""},
		{http.MethodPost, "/api/v1/incidents", `{"title":"API down","severity":"major","service_ids":["` + svc + `"]}`},
	} {
		var body any
		if r.body != "" {
			body = r.body
		}
		res := s.do(r.method, r.path, bootstrapKey, body)
		e, _ := res.json(t)["error"].(map[string]any)
		if res.Status != http.StatusInternalServerError || e["code"] != "internal" || e["message"] != "internal error" || leaked(string(res.Body)) {
			t.Errorf("%s %s: %d %s, want 500 internal error", r.method, r.path, res.Status, res.Body)
		}
	}

	conn, err := s.host.Dial(s.svc.Status.GRPCAddr())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	_, err = statusv1.NewServiceRegistryServiceClient(conn).GetService(context.Background(), &statusv1.GetServiceRequest{OrgId: org, ServiceId: svc})
	if st := status.Convert(err); st.Code() != codes.Internal || st.Message() != "internal error" {
		t.Errorf("status service GetService: %v, want Internal \"internal error\"", err)
	}
	_, err = s.incidentsClient().CreateIncident(context.Background(), &incidentsv1.CreateIncidentRequest{
		OrgId: org, Title: "API down", Severity: statusv1.Severity_SEVERITY_MAJOR, ServiceIds: []string{svc},
	})
	if st := status.Convert(err); st.Code() != codes.Internal || st.Message() != "internal error" {
		t.Errorf("incidents service CreateIncident: %v, want Internal \"internal error\"", err)
	}
}

// While the database refuses connections every part of the API that needs
// it answers 503 with Retry-After, not 500: the services behind the edge,
// for a key the edge has cached, and the edge's own key lookups and
// endpoints. Once the database is back, the same requests succeed.
func TestDatabaseOutageIsUnavailable(t *testing.T) {
	t.Parallel()
	// A clock that stands still keeps the bootstrap key in the edge's
	// cache for the whole outage.
	s := startStackAt(t, clockwork.NewFakeClock())
	svc := s.createService(bootstrapKey, "API")
	uncached := s.newOrg("write")

	requests := []struct{ method, path, key, body string }{
		{http.MethodGet, "/api/v1/services", bootstrapKey, ""},
		{http.MethodGet, "/api/v1/services/" + svc, bootstrapKey, ""},
		{http.MethodPut, "/api/v1/services/" + svc, bootstrapKey, `{"status":"down"}`},
		{http.MethodGet, "/api/v1/incidents", bootstrapKey, ""},
		{http.MethodGet, "/api/v1/maintenances", bootstrapKey, ""},
		{http.MethodGet, "/api/v1/api-keys", bootstrapKey, ""},
		{http.MethodGet, "/api/v1/services", uncached, ""},
	}
	send := func(method, path, key, body string) response {
		var b any
		if body != "" {
			b = body
		}
		return s.do(method, path, key, b)
	}

	restore := testenv.RefuseConnections(t, s.dsn)
	for _, r := range requests {
		res := send(r.method, r.path, r.key, r.body)
		e, _ := res.json(t)["error"].(map[string]any)
		if res.Status != http.StatusServiceUnavailable || e["code"] != "unavailable" || res.Header.Get("Retry-After") == "" ||
			strings.Contains(string(res.Body), "SQLSTATE") {
			t.Errorf("%s %s during the outage: %d (Retry-After %q) %s, want 503 unavailable with Retry-After",
				r.method, r.path, res.Status, res.Header.Get("Retry-After"), res.Body)
		}
	}

	restore()
	for _, r := range requests {
		testenv.Eventually(t, 10*time.Second, func() error {
			if res := send(r.method, r.path, r.key, r.body); res.Status != http.StatusOK {
				return fmt.Errorf("%s %s after the outage: %d %s", r.method, r.path, res.Status, res.Body)
			}
			return nil
		})
	}
}

// The edge answers from the field violations the services attach: a
// cursor the services cannot read is 400, an invalid value 422 naming the
// field.
func TestRefusedRequestsThroughTheEdge(t *testing.T) {
	t.Parallel()
	s := startStack(t)
	tests := []struct {
		method, path, body string
		status             int
		code, message      string
	}{
		{http.MethodGet, "/api/v1/incidents?cursor=" + grpcx.EncodeToken("x\x00"), "", 400, "bad_request", "cursor is malformed; pass next_cursor from the previous page"},
		{http.MethodGet, "/api/v1/services/svc_1/history?cursor=" + grpcx.EncodeToken("-3"), "", 400, "bad_request", "cursor is malformed; pass next_cursor from the previous page"},
		{http.MethodPost, "/api/v1/services", `{"name":"  "}`, 422, "invalid_value", "name: is required"},
		{http.MethodPost, "/api/v1/incidents", `{"title":"` + strings.Repeat("x", 201) + `","severity":"minor"}`, 422, "invalid_value", "title: must be at most 200 characters"},
	}
	for _, tt := range tests {
		var body any
		if tt.body != "" {
			body = tt.body
		}
		r := s.do(tt.method, tt.path, bootstrapKey, body)
		e, _ := r.json(t)["error"].(map[string]any)
		if r.Status != tt.status || e["code"] != tt.code || e["message"] != tt.message {
			t.Errorf("%s %s: %d %s, want %d %s %q", tt.method, tt.path, r.Status, r.Body, tt.status, tt.code, tt.message)
		}
	}
}
