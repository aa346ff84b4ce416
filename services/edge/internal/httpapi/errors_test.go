package httpapi

import (
	"net/http"
	"strings"
	"testing"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// invalid is an InvalidArgument whose message and field violations are
// set apart, to tell which of the two the edge reads.
func invalid(t *testing.T, message string, fields ...string) error {
	t.Helper()
	br := &errdetails.BadRequest{}
	for _, f := range fields {
		br.FieldViolations = append(br.FieldViolations, &errdetails.BadRequest_FieldViolation{Field: f, Description: f + " is wrong"})
	}
	st, err := status.New(codes.InvalidArgument, message).WithDetails(br)
	if err != nil {
		t.Fatal(err)
	}
	return st.Err()
}

// The edge maps a refused request by its field violations, never by the
// wording of the message, and keeps the REST envelope.
func TestBackendErrorsToREST(t *testing.T) {
	tests := []struct {
		name         string
		err          error
		method, path string
		body         string
		status       int
		code         string
		message      string
	}{
		{"page token named in details only", invalid(t, "the token could not be read", "page_token"),
			http.MethodGet, "/api/v1/incidents?cursor=abc", "", 400, "bad_request", "cursor is malformed; pass next_cursor from the previous page"},
		{"page token in the message only", invalid(t, "page_token and status disagree", "status"),
			http.MethodGet, "/api/v1/maintenances?cursor=abc", "", 422, "invalid_value", "status: status is wrong"},
		{"field named in details only", invalid(t, "the request is invalid", "service_ids"),
			http.MethodPost, "/api/v1/incidents", `{"title":"x","severity":"minor","service_ids":["svc_x"]}`, 422, "invalid_value", "service_ids: service_ids is wrong"},
		{"several fields", invalid(t, "the request is invalid", "starts_at", "ends_at"),
			http.MethodPatch, "/api/v1/maintenances/mnt_1", `{"title":"x"}`, 422, "invalid_value", "starts_at: starts_at is wrong; ends_at: ends_at is wrong"},
		{"no details", status.Error(codes.InvalidArgument, "title: is required"),
			http.MethodPost, "/api/v1/incidents", `{"title":"x","severity":"minor"}`, 422, "invalid_value", "title: is required"},
		{"internal", status.Error(codes.Internal, `get incident inc_1: ERROR: relation "incidents.incidents" does not exist (SQLSTATE 42P01)`),
			http.MethodGet, "/api/v1/incidents/inc_1", "", 500, "internal", "internal error"},
		{"unknown", status.Error(codes.Unknown, `list incidents: ERROR: column "x" does not exist (SQLSTATE 42703)`),
			http.MethodGet, "/api/v1/incidents", "", 500, "internal", "internal error"},
		{"unavailable", status.Error(codes.Unavailable, "dial tcp 10.0.3.7:9090: connection refused"),
			http.MethodGet, "/api/v1/maintenances/mnt_1", "", 503, "unavailable", "a backing service is unavailable; retry shortly"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			api := newIncidentAPI(t)
			api.fake.err = tt.err
			rec, m := api.do(tt.method, tt.path, tt.body)
			e, _ := m["error"].(map[string]any)
			if rec.Code != tt.status || e["code"] != tt.code || e["message"] != tt.message || len(m) != 1 || len(e) != 2 {
				t.Errorf("%d %s, want %d {\"error\":{\"code\":%q,\"message\":%q}}", rec.Code, strings.TrimSpace(rec.Body.String()), tt.status, tt.code, tt.message)
			}
		})
	}
}
