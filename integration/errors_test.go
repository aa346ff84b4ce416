package integration

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/upstatehq/upstate/pkg/grpcx"
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
