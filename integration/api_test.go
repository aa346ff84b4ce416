package integration

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/upstatehq/upstate/pkg/bus"
	statusv1 "github.com/upstatehq/upstate/proto/gen/upstate/status/v1"
)

// The "done when", through the real stack: PUT a status, see it in
// the list, the history and on the STATUS stream; the same PUT again is a
// no-op.
func TestReportStatusEndToEnd(t *testing.T) {
	t.Parallel()
	s := startStack(t)
	id := s.createService(bootstrapKey, "API")
	w := s.watchStatus()

	r := s.do(http.MethodPut, "/api/v1/services/"+id, bootstrapKey,
		`{"status":"down","description":"Database connection issues"}`)
	if r.Status != http.StatusOK {
		t.Fatalf("PUT: %d %s", r.Status, r.Body)
	}
	got := r.json(t)
	// Version 1 was the service's creation.
	if got["status"] != "down" || got["status_description"] != "Database connection issues" || got["version"] != float64(2) {
		t.Fatalf("PUT answered %s", r.Body)
	}

	ev, msg := w.next()
	if ev.GetStatus() != statusv1.Status_STATUS_DOWN || ev.GetPrevious() != statusv1.Status_STATUS_OPERATIONAL ||
		ev.GetVersion() != 2 || ev.GetServiceId() != id || ev.GetServiceName() != "API" ||
		ev.GetDescription() != "Database connection issues" || ev.GetSource() != statusv1.Source_SOURCE_API {
		t.Fatalf("event = %v", ev)
	}
	if !strings.HasSuffix(msg.Subject(), "."+id) || !strings.HasPrefix(msg.Subject(), "upstate.status.org_") {
		t.Fatalf("subject = %s", msg.Subject())
	}
	for _, h := range []string{"ce-type", "ce-id", "ce-source", "ce-time", "Nats-Msg-Id"} {
		if msg.Headers().Get(h) == "" {
			t.Errorf("event lacks header %s", h)
		}
	}
	if msg.Headers().Get("Nats-Msg-Id") != id+":2" {
		t.Errorf("Nats-Msg-Id = %q", msg.Headers().Get("Nats-Msg-Id"))
	}

	list := s.do(http.MethodGet, "/api/v1/services", bootstrapKey, nil)
	data, _ := list.json(t)["data"].([]any)
	if list.Status != http.StatusOK || len(data) != 1 || data[0].(map[string]any)["status"] != "down" {
		t.Fatalf("list: %d %s", list.Status, list.Body)
	}

	// The same report again: 200, no history row, no event.
	again := s.do(http.MethodPut, "/api/v1/services/"+id, bootstrapKey,
		`{"status":"down","description":"Database connection issues"}`)
	if again.Status != http.StatusOK || again.json(t)["version"] != float64(2) {
		t.Fatalf("repeat PUT: %d %s", again.Status, again.Body)
	}
	w.none(300 * time.Millisecond)
	if n := s.count(`SELECT count(*) FROM status.status_history WHERE service_id = $1`, id); n != 1 {
		t.Fatalf("history rows = %d, want 1", n)
	}
	if n := streamCount(t, s, bus.StreamStatus); n != 2 {
		t.Fatalf("STATUS stream holds %d messages, want 2 (the creation and the change)", n)
	}

	hist := s.do(http.MethodGet, "/api/v1/services/"+id+"/history", bootstrapKey, nil)
	entries, _ := hist.json(t)["data"].([]any)
	if hist.Status != http.StatusOK || len(entries) != 1 {
		t.Fatalf("history: %d %s", hist.Status, hist.Body)
	}
	e := entries[0].(map[string]any)
	if e["previous_status"] != "operational" || e["status"] != "down" || e["source"] != "api" || !strings.HasPrefix(e["actor"].(string), "key_") {
		t.Fatalf("history entry = %v", e)
	}
}

// Every event of a burst of changes arrives once, in version order.
func TestEventsInVersionOrder(t *testing.T) {
	t.Parallel()
	s := startStack(t)
	id := s.createService(bootstrapKey, "Worker")
	w := s.watchStatus()
	seq := []string{"down", "degraded", "degraded", "operational", "maintenance", "maintenance", "down", "operational"}
	changes := 0
	prev := ""
	for _, st := range seq {
		if r := s.do(http.MethodPut, "/api/v1/services/"+id, bootstrapKey, map[string]string{"status": st}); r.Status != http.StatusOK {
			t.Fatalf("PUT %s: %d %s", st, r.Status, r.Body)
		}
		if st != prev {
			changes++
		}
		prev = st
	}
	// Version 1 was the service's creation.
	for v := 2; v <= changes+1; v++ {
		ev, _ := w.next()
		if ev.GetVersion() != int64(v) {
			t.Fatalf("event %d has version %d", v, ev.GetVersion())
		}
	}
	w.none(300 * time.Millisecond)
}

func TestAPIErrors(t *testing.T) {
	t.Parallel()
	s := startStack(t)
	id := s.createService(bootstrapKey, "API")
	svc := "/api/v1/services/" + id
	tests := []struct {
		name        string
		method      string
		path        string
		key         string
		body        any
		contentType string
		wantStatus  int
		wantCode    string
		wantInMsg   string
	}{
		{"no key", http.MethodGet, "/api/v1/services", "", nil, "", 401, "unauthorized", "Bearer"},
		{"bad key", http.MethodGet, "/api/v1/services", "ak_live_nope", nil, "", 401, "unauthorized", ""},
		{"invalid status", http.MethodPut, svc, bootstrapKey, `{"status":"broken"}`, "", 422, "invalid_value", "operational, degraded, down, maintenance"},
		{"missing status", http.MethodPut, svc, bootstrapKey, `{"description":"x"}`, "", 422, "invalid_value", "status"},
		{"status wrong type", http.MethodPut, svc, bootstrapKey, `{"status":3}`, "", 422, "invalid_value", "status"},
		{"malformed JSON", http.MethodPut, svc, bootstrapKey, `{"status":`, "", 400, "bad_request", ""},
		{"unknown field", http.MethodPut, svc, bootstrapKey, `{"stat":"down"}`, "", 400, "bad_request", "stat"},
		{"not JSON content type", http.MethodPut, svc, bootstrapKey, `status=down`, "text/plain", 415, "unsupported_media_type", ""},
		{"body too large", http.MethodPut, svc, bootstrapKey, `{"status":"down","description":"` + strings.Repeat("x", 1<<20) + `"}`, "", 413, "payload_too_large", ""},
		{"description too long", http.MethodPut, svc, bootstrapKey, `{"status":"down","description":"` + strings.Repeat("x", 1001) + `"}`, "", 422, "invalid_value", "description"},
		{"unknown service", http.MethodPut, "/api/v1/services/svc_01jdxxxxxxxxxxxxxxxxxxxxxx", bootstrapKey, `{"status":"down"}`, "", 404, "not_found", ""},
		{"duplicate name", http.MethodPost, "/api/v1/services", bootstrapKey, `{"name":"api"}`, "", 409, "conflict", ""},
		{"blank name", http.MethodPost, "/api/v1/services", bootstrapKey, `{"name":"  "}`, "", 422, "invalid_value", "name"},
		{"bad limit", http.MethodGet, "/api/v1/services?limit=0", bootstrapKey, nil, "", 422, "invalid_value", "limit"},
		{"bad cursor", http.MethodGet, "/api/v1/services?cursor=not*base64", bootstrapKey, nil, "", 400, "bad_request", "cursor"},
		{"empty patch", http.MethodPatch, svc, bootstrapKey, `{}`, "", 422, "invalid_value", ""},
		{"unknown route", http.MethodGet, "/api/v1/nope", bootstrapKey, nil, "", 404, "not_found", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := s.do(tt.method, tt.path, tt.key, tt.body)
			if tt.contentType != "" {
				req, _ := http.NewRequest(tt.method, s.baseURL+tt.path, strings.NewReader(tt.body.(string)))
				req.Header.Set("Content-Type", tt.contentType)
				req.Header.Set("Authorization", "Bearer "+tt.key)
				r = send(t, req)
			}
			if r.Status != tt.wantStatus {
				t.Fatalf("status = %d, want %d: %s", r.Status, tt.wantStatus, r.Body)
			}
			if code := r.errorCode(t); code != tt.wantCode {
				t.Fatalf("code = %q, want %q", code, tt.wantCode)
			}
			if !strings.Contains(string(r.Body), tt.wantInMsg) {
				t.Fatalf("message %s does not mention %q", r.Body, tt.wantInMsg)
			}
		})
	}
	// None of the rejected reports changed anything.
	if n := s.count(`SELECT count(*) FROM status.status_history`); n != 0 {
		t.Fatalf("history rows after rejected requests = %d", n)
	}
}

func TestServiceCRUDAndPagination(t *testing.T) {
	t.Parallel()
	s := startStack(t)
	var ids []string
	for _, n := range []string{"a", "b", "c", "d", "e"} {
		ids = append(ids, s.createService(bootstrapKey, n))
	}
	var seen []string
	cursor := ""
	for range 10 {
		r := s.do(http.MethodGet, "/api/v1/services?limit=2&cursor="+cursor, bootstrapKey, nil)
		if r.Status != http.StatusOK {
			t.Fatalf("list: %d %s", r.Status, r.Body)
		}
		page := r.json(t)
		for _, d := range page["data"].([]any) {
			seen = append(seen, d.(map[string]any)["id"].(string))
		}
		cursor = page["next_cursor"].(string)
		if cursor == "" {
			break
		}
	}
	if strings.Join(seen, ",") != strings.Join(ids, ",") {
		t.Fatalf("paged ids %v, want %v", seen, ids)
	}

	r := s.do(http.MethodPatch, "/api/v1/services/"+ids[0], bootstrapKey, `{"name":"renamed","description":"the A service"}`)
	if r.Status != http.StatusOK || r.json(t)["name"] != "renamed" || r.json(t)["description"] != "the A service" {
		t.Fatalf("patch: %d %s", r.Status, r.Body)
	}
	if r := s.do(http.MethodPatch, "/api/v1/services/"+ids[0], bootstrapKey, `{"name":"B"}`); r.Status != http.StatusConflict {
		t.Fatalf("rename onto an existing name: %d %s", r.Status, r.Body)
	}
	if r := s.do(http.MethodDelete, "/api/v1/services/"+ids[0], bootstrapKey, nil); r.Status != http.StatusNoContent {
		t.Fatalf("delete: %d %s", r.Status, r.Body)
	}
	if r := s.do(http.MethodGet, "/api/v1/services/"+ids[0], bootstrapKey, nil); r.Status != http.StatusNotFound {
		t.Fatalf("get deleted: %d %s", r.Status, r.Body)
	}
	created := s.do(http.MethodPost, "/api/v1/services", bootstrapKey, `{"name":"starts down","status":"DOWN"}`)
	if created.Status != http.StatusCreated || created.json(t)["status"] != "down" || created.Header.Get("Location") == "" {
		t.Fatalf("create with status: %d %s", created.Status, created.Body)
	}
}

// Two organisations never see or change each other's services.
func TestTenantIsolation(t *testing.T) {
	t.Parallel()
	s := startStack(t)
	mine := s.createService(bootstrapKey, "API")
	otherKey := s.newOrg("write")
	theirs := s.createService(otherKey, "API") // same name, other org: fine

	for _, c := range []struct{ method, path, body string }{
		{http.MethodGet, "/api/v1/services/" + mine, ""},
		{http.MethodPut, "/api/v1/services/" + mine, `{"status":"down"}`},
		{http.MethodPatch, "/api/v1/services/" + mine, `{"name":"x"}`},
		{http.MethodDelete, "/api/v1/services/" + mine, ""},
		{http.MethodGet, "/api/v1/services/" + mine + "/history", ""},
	} {
		var body any
		if c.body != "" {
			body = c.body
		}
		if r := s.do(c.method, c.path, otherKey, body); r.Status != http.StatusNotFound {
			t.Errorf("%s %s with another org's key: %d %s", c.method, c.path, r.Status, r.Body)
		}
	}
	list := s.do(http.MethodGet, "/api/v1/services", otherKey, nil)
	data := list.json(t)["data"].([]any)
	if len(data) != 1 || data[0].(map[string]any)["id"] != theirs {
		t.Fatalf("other org lists %s", list.Body)
	}
	got := s.do(http.MethodGet, "/api/v1/services/"+mine, bootstrapKey, nil)
	if got.Status != http.StatusOK || got.json(t)["status"] != "operational" || got.json(t)["name"] != "API" {
		t.Fatalf("my service after the other org's attempts: %s", got.Body)
	}
}
