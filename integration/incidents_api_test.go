package integration

import (
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"
)

// The incident routes through the edge and the incidents service: open,
// read, change, add updates, resolve; a resolved incident's status stays.
func TestIncidentLifecycle(t *testing.T) {
	t.Parallel()
	s := startStack(t)
	api, worker := s.createService(bootstrapKey, "API"), s.createService(bootstrapKey, "Worker")
	author := s.onlyKeyID(bootstrapKey)

	created := s.do(http.MethodPost, "/api/v1/incidents", bootstrapKey, map[string]any{
		"title": "Elevated API errors", "severity": "Major", "service_ids": []string{api}, "message": "Looking into it",
	})
	if created.Status != http.StatusCreated {
		t.Fatalf("create: %d %s", created.Status, created.Body)
	}
	inc := created.json(t)
	id, _ := inc["id"].(string)
	if !strings.HasPrefix(id, "inc_") || created.Header.Get("Location") != "/api/v1/incidents/"+id {
		t.Fatalf("create: id %q, Location %q", id, created.Header.Get("Location"))
	}
	want := map[string]any{
		"title": "Elevated API errors", "status": "investigating", "severity": "major", "source": "manual",
		"receiver_id": nil, "resolved_at": nil, "version": float64(1),
	}
	assertFields(t, "created", inc, want)
	assertStrings(t, "created service_ids", inc["service_ids"], api)
	if inc["created_at"] != inc["updated_at"] || !strings.HasPrefix(inc["org_id"].(string), "org_") {
		t.Errorf("created = %s", created.Body)
	}
	assertTimeline(t, inc, entry{"investigating", "Looking into it", author})

	got := s.do(http.MethodGet, "/api/v1/incidents/"+id, bootstrapKey, nil)
	if got.Status != http.StatusOK || !reflect.DeepEqual(got.json(t), inc) {
		t.Fatalf("get: %d %s\nwant the created incident %s", got.Status, got.Body, created.Body)
	}

	// A status change adds a timeline entry with the message; the other
	// fields change quietly.
	patched := s.patchIncident(id, map[string]any{"status": "identified", "message": "A bad deploy", "severity": "critical"})
	assertFields(t, "patched", patched, map[string]any{"status": "identified", "severity": "critical", "version": float64(2), "resolved_at": nil})
	assertTimeline(t, patched, entry{"investigating", "Looking into it", author}, entry{"identified", "A bad deploy", author})
	patched = s.patchIncident(id, map[string]any{"service_ids": []string{worker, api}, "title": "Elevated API and worker errors"})
	assertFields(t, "patched", patched, map[string]any{"title": "Elevated API and worker errors", "status": "identified", "version": float64(3)})
	assertStrings(t, "patched service_ids", patched["service_ids"], worker, api)
	if len(patched["updates"].([]any)) != 2 {
		t.Errorf("a change without a status added a timeline entry: %v", patched["updates"])
	}
	// A message without a status change belongs in an update.
	if r := s.do(http.MethodPatch, "/api/v1/incidents/"+id, bootstrapKey, `{"message":"Still looking"}`); r.Status != http.StatusUnprocessableEntity ||
		r.errorCode(t) != "invalid_value" || !strings.Contains(string(r.Body), "/updates") {
		t.Errorf("PATCH with a message only: %d %s", r.Status, r.Body)
	}

	// Updates: with and without a status; the answer is the whole incident.
	updated := s.addUpdate(id, `{"message":"Fix deployed","status":"MONITORING"}`)
	assertFields(t, "update", updated, map[string]any{"status": "monitoring", "version": float64(4), "resolved_at": nil})
	updated = s.addUpdate(id, `{"message":"Error rates are falling"}`)
	assertFields(t, "note", updated, map[string]any{"status": "monitoring", "version": float64(5)})
	resolved := s.addUpdate(id, `{"message":"Back to normal","status":"resolved"}`)
	timeline := resolved["updates"].([]any)
	last := timeline[len(timeline)-1].(map[string]any)
	assertFields(t, "resolved", resolved, map[string]any{"status": "resolved", "version": float64(6), "resolved_at": last["created_at"]})
	assertTimeline(t, resolved,
		entry{"investigating", "Looking into it", author}, entry{"identified", "A bad deploy", author},
		entry{"monitoring", "Fix deployed", author}, entry{"monitoring", "Error rates are falling", author},
		entry{"resolved", "Back to normal", author})

	// A resolved incident's status no longer changes; notes are still welcome.
	for _, c := range []struct{ method, path, body string }{
		{http.MethodPatch, "/api/v1/incidents/" + id, `{"status":"investigating"}`},
		{http.MethodPost, "/api/v1/incidents/" + id + "/updates", `{"message":"It is back","status":"identified"}`},
	} {
		if r := s.do(c.method, c.path, bootstrapKey, c.body); r.Status != http.StatusConflict || r.errorCode(t) != "conflict" {
			t.Errorf("%s %s on a resolved incident: %d %s", c.method, c.path, r.Status, r.Body)
		}
	}
	note := s.addUpdate(id, `{"message":"Postmortem published"}`)
	assertFields(t, "note on a resolved incident", note, map[string]any{"status": "resolved", "version": float64(7), "resolved_at": last["created_at"]})
}

// Listing: newest first, by status and by service, a page at a time.
func TestIncidentListFiltersAndPages(t *testing.T) {
	t.Parallel()
	s := startStack(t)
	api, worker := s.createService(bootstrapKey, "API"), s.createService(bootstrapKey, "Worker")
	first := s.openIncident(map[string]any{"title": "API slow", "severity": "minor", "service_ids": []string{api}})
	second := s.openIncident(map[string]any{"title": "Worker stuck", "severity": "major", "service_ids": []string{worker}})
	third := s.openIncident(map[string]any{"title": "Everything down", "severity": "critical", "service_ids": []string{api, worker}})
	none := s.openIncident(map[string]any{"title": "Unclear", "severity": "minor"})
	s.patchIncident(second, map[string]any{"status": "resolved"})

	for query, want := range map[string][]string{
		"":                                    {none, third, second, first},
		"?status=open":                        {none, third, first},
		"?status=RESOLVED":                    {second},
		"?service=" + api:                     {third, first},
		"?service=" + worker + "&status=open": {third},
		"?service=" + worker + "&status=resolved": {second},
	} {
		ids, next := s.incidentPage(query)
		if !reflect.DeepEqual(ids, want) || next != "" {
			t.Errorf("GET /api/v1/incidents%s = %v (next %q), want %v", query, ids, next, want)
		}
	}

	// Two pages of three (then one), following next_cursor.
	page1, cursor := s.incidentPage("?limit=3")
	page2, end := s.incidentPage("?limit=3&cursor=" + cursor)
	if !reflect.DeepEqual(page1, []string{none, third, second}) || cursor == "" || !reflect.DeepEqual(page2, []string{first}) || end != "" {
		t.Errorf("pages %v (next %q), %v (next %q)", page1, cursor, page2, end)
	}
	// The filter applies across pages.
	page1, cursor = s.incidentPage("?status=open&limit=2")
	page2, end = s.incidentPage("?status=open&limit=2&cursor=" + cursor)
	if !reflect.DeepEqual(page1, []string{none, third}) || !reflect.DeepEqual(page2, []string{first}) || end != "" {
		t.Errorf("open pages %v, %v (next %q)", page1, page2, end)
	}

	for _, c := range []struct {
		query, code, inMessage string
		status                 int
	}{
		{"?status=closed", "invalid_value", "valid values are open, resolved", 422},
		{"?status=investigating", "invalid_value", "open, resolved", 422},
		{"?limit=0", "invalid_value", "limit", 422},
		{"?cursor=not*base64", "bad_request", "cursor", 400},
	} {
		r := s.do(http.MethodGet, "/api/v1/incidents"+c.query, bootstrapKey, nil)
		if r.Status != c.status || r.errorCode(t) != c.code || !strings.Contains(string(r.Body), c.inMessage) {
			t.Errorf("GET /api/v1/incidents%s: %d %s, want %d %s mentioning %q", c.query, r.Status, r.Body, c.status, c.code, c.inMessage)
		}
	}
}

func TestIncidentErrors(t *testing.T) {
	t.Parallel()
	s := startStack(t)
	api := s.createService(bootstrapKey, "API")
	theirs := s.createService(s.newOrg("write"), "Theirs")
	id := s.openIncident(map[string]any{"title": "API slow", "severity": "minor", "service_ids": []string{api}})
	inc := "/api/v1/incidents/" + id
	const unknown = "svc_01jdxxxxxxxxxxxxxxxxxxxxxx"
	tests := []struct {
		name         string
		method, path string
		body         string
		wantStatus   int
		wantCode     string
		wantInMsg    string
	}{
		{"unknown service", http.MethodPost, "/api/v1/incidents", `{"title":"x","severity":"minor","service_ids":["` + unknown + `"]}`, 422, "invalid_value", unknown},
		{"another org's service", http.MethodPost, "/api/v1/incidents", `{"title":"x","severity":"minor","service_ids":["` + theirs + `"]}`, 422, "invalid_value", "service_ids"},
		{"no severity", http.MethodPost, "/api/v1/incidents", `{"title":"x"}`, 422, "invalid_value", "severity is required"},
		{"bad severity", http.MethodPost, "/api/v1/incidents", `{"title":"x","severity":"sev1"}`, 422, "invalid_value", "minor, major, critical"},
		{"opened resolved", http.MethodPost, "/api/v1/incidents", `{"title":"x","severity":"minor","status":"resolved"}`, 422, "invalid_value", "investigating, identified, monitoring"},
		{"blank title", http.MethodPost, "/api/v1/incidents", `{"title":"  ","severity":"minor"}`, 422, "invalid_value", "title"},
		{"title too long", http.MethodPost, "/api/v1/incidents", `{"title":"` + strings.Repeat("x", 201) + `","severity":"minor"}`, 422, "invalid_value", "title"},
		{"unknown field", http.MethodPost, "/api/v1/incidents", `{"title":"x","severity":"minor","impact":"high"}`, 400, "bad_request", "impact"},
		{"patch: unknown service", http.MethodPatch, inc, `{"service_ids":["` + unknown + `"]}`, 422, "invalid_value", unknown},
		{"patch: bad status", http.MethodPatch, inc, `{"status":"fixed"}`, 422, "invalid_value", "investigating, identified, monitoring, resolved"},
		{"patch: null title", http.MethodPatch, inc, `{"title":null}`, 422, "invalid_value", "title cannot be null"},
		{"patch: nothing", http.MethodPatch, inc, `{}`, 422, "invalid_value", "at least one"},
		{"update: no message", http.MethodPost, inc + "/updates", `{"status":"identified"}`, 422, "invalid_value", "message"},
		{"update: bad status", http.MethodPost, inc + "/updates", `{"message":"x","status":"done"}`, 422, "invalid_value", "investigating, identified, monitoring, resolved"},
		{"unknown incident", http.MethodGet, "/api/v1/incidents/inc_01jdxxxxxxxxxxxxxxxxxxxxxx", "", 404, "not_found", "incident not found"},
		{"update of an unknown incident", http.MethodPost, "/api/v1/incidents/inc_01jdxxxxxxxxxxxxxxxxxxxxxx/updates", `{"message":"x"}`, 404, "not_found", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var body any
			if tt.body != "" {
				body = tt.body
			}
			r := s.do(tt.method, tt.path, bootstrapKey, body)
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
	// None of the rejected requests opened or changed anything.
	if n := s.count(`SELECT count(*) FROM incidents.incidents`); n != 1 {
		t.Errorf("incidents after rejected requests = %d, want 1", n)
	}
	if got := s.do(http.MethodGet, inc, bootstrapKey, nil).json(t); got["version"] != float64(1) || len(got["updates"].([]any)) != 1 {
		t.Errorf("the incident after rejected changes: %v", got)
	}
}

// Another organisation's incident is not found, for reads and writes.
func TestIncidentTenantIsolation(t *testing.T) {
	t.Parallel()
	s := startStack(t)
	mine := s.openIncident(map[string]any{"title": "API slow", "severity": "minor"})
	other := s.newOrg("write")
	for _, c := range []struct{ method, path, body string }{
		{http.MethodGet, "/api/v1/incidents/" + mine, ""},
		{http.MethodPatch, "/api/v1/incidents/" + mine, `{"status":"resolved"}`},
		{http.MethodPost, "/api/v1/incidents/" + mine + "/updates", `{"message":"mine now"}`},
	} {
		var body any
		if c.body != "" {
			body = c.body
		}
		if r := s.do(c.method, c.path, other, body); r.Status != http.StatusNotFound || r.errorCode(t) != "not_found" {
			t.Errorf("%s %s with another org's key: %d %s", c.method, c.path, r.Status, r.Body)
		}
	}
	if r := s.do(http.MethodGet, "/api/v1/incidents", other, nil); r.Status != http.StatusOK || strings.TrimSpace(string(r.Body)) != `{"data":[],"next_cursor":""}` {
		t.Errorf("the other org lists %d %s", r.Status, r.Body)
	}
	if got := s.do(http.MethodGet, "/api/v1/incidents/"+mine, bootstrapKey, nil).json(t); got["status"] != "investigating" || got["version"] != float64(1) {
		t.Errorf("my incident after the other org's attempts: %v", got)
	}
}

// Maintenance windows through the edge: schedule, read, list, change,
// cancel; a window that started ends when deleted.
func TestMaintenanceLifecycle(t *testing.T) {
	t.Parallel()
	s := startStack(t)
	api, worker := s.createService(bootstrapKey, "API"), s.createService(bootstrapKey, "Worker")
	now := time.Now().UTC().Truncate(time.Second)
	at := func(d time.Duration) string { return now.Add(d).Format(time.RFC3339) }

	created := s.do(http.MethodPost, "/api/v1/maintenances", bootstrapKey, map[string]any{
		"title": "Database upgrade", "message": "Read-only for a while", "service_ids": []string{api},
		"starts_at": at(time.Hour), "ends_at": now.Add(2 * time.Hour).In(time.FixedZone("CET", 3600)).Format(time.RFC3339),
	})
	if created.Status != http.StatusCreated {
		t.Fatalf("create: %d %s", created.Status, created.Body)
	}
	m := created.json(t)
	id, _ := m["id"].(string)
	if !strings.HasPrefix(id, "mnt_") || created.Header.Get("Location") != "/api/v1/maintenances/"+id {
		t.Fatalf("create: id %q, Location %q", id, created.Header.Get("Location"))
	}
	assertFields(t, "created", m, map[string]any{
		"title": "Database upgrade", "message": "Read-only for a while", "status": "scheduled",
		"starts_at": at(time.Hour), "ends_at": at(2 * time.Hour), // shown in UTC
		"started_at": nil, "ended_at": nil, "version": float64(1),
	})
	assertStrings(t, "created service_ids", m["service_ids"], api)
	got := s.do(http.MethodGet, "/api/v1/maintenances/"+id, bootstrapKey, nil)
	if got.Status != http.StatusOK || !reflect.DeepEqual(got.json(t), m) {
		t.Fatalf("get: %d %s\nwant the created window %s", got.Status, got.Body, created.Body)
	}

	patched := s.do(http.MethodPatch, "/api/v1/maintenances/"+id, bootstrapKey, map[string]any{
		"title": "Database upgrade (longer)", "ends_at": at(3 * time.Hour), "service_ids": []string{api, worker},
	})
	if patched.Status != http.StatusOK {
		t.Fatalf("patch: %d %s", patched.Status, patched.Body)
	}
	assertFields(t, "patched", patched.json(t), map[string]any{
		"title": "Database upgrade (longer)", "message": "Read-only for a while", "starts_at": at(time.Hour),
		"ends_at": at(3 * time.Hour), "status": "scheduled", "version": float64(2),
	})
	assertStrings(t, "patched service_ids", patched.json(t)["service_ids"], api, worker)

	// Scheduled far ahead, nothing is in maintenance yet.
	if st, _ := s.statusOf(api); st != "operational" {
		t.Errorf("a service of a scheduled window is %s", st)
	}

	// A window whose start is past starts at once.
	running := s.do(http.MethodPost, "/api/v1/maintenances", bootstrapKey, map[string]any{
		"title": "Emergency patch", "service_ids": []string{worker}, "starts_at": at(-time.Minute), "ends_at": at(time.Hour),
	})
	if running.Status != http.StatusCreated {
		t.Fatalf("create a started window: %d %s", running.Status, running.Body)
	}
	r := running.json(t)
	runningID := r["id"].(string)
	if r["status"] != "in_progress" || r["started_at"] == nil || r["ended_at"] != nil {
		t.Fatalf("a window whose start is past: %s", running.Body)
	}
	if st, _ := s.statusOf(worker); st != "maintenance" {
		t.Errorf("the service of a window in progress is %s", st)
	}
	if res := s.do(http.MethodPatch, "/api/v1/maintenances/"+runningID, bootstrapKey, map[string]any{"starts_at": at(time.Minute)}); res.Status != http.StatusConflict || res.errorCode(t) != "conflict" {
		t.Errorf("moving the start of a window in progress: %d %s", res.Status, res.Body)
	}

	for query, want := range map[string][]string{
		"":                    {runningID, id},
		"?status=scheduled":   {id},
		"?status=IN_PROGRESS": {runningID},
		"?status=completed":   {},
		"?service=" + api:     {id},
		"?service=" + worker:  {runningID, id},
		"?limit=1":            {runningID},
	} {
		ids, _ := s.maintenancePage(query)
		if !reflect.DeepEqual(ids, want) {
			t.Errorf("GET /api/v1/maintenances%s = %v, want %v", query, ids, want)
		}
	}
	if _, next := s.maintenancePage("?limit=1"); next == "" {
		t.Error("the first page of one of two windows has no next_cursor")
	} else if ids, end := s.maintenancePage("?limit=1&cursor=" + next); !reflect.DeepEqual(ids, []string{id}) || end != "" {
		t.Errorf("the second page = %v (next %q)", ids, end)
	}

	// DELETE cancels a scheduled window and ends one in progress; both
	// are kept.
	cancelled := s.do(http.MethodDelete, "/api/v1/maintenances/"+id, bootstrapKey, nil)
	if c := cancelled.json(t); cancelled.Status != http.StatusOK || c["status"] != "cancelled" || c["ended_at"] == nil || c["started_at"] != nil {
		t.Errorf("cancel a scheduled window: %d %s", cancelled.Status, cancelled.Body)
	}
	ended := s.do(http.MethodDelete, "/api/v1/maintenances/"+runningID, bootstrapKey, nil)
	if e := ended.json(t); ended.Status != http.StatusOK || e["status"] != "completed" || e["ended_at"] == nil || e["started_at"] != r["started_at"] {
		t.Errorf("end a window in progress: %d %s", ended.Status, ended.Body)
	}
	if st, _ := s.statusOf(worker); st != "operational" {
		t.Errorf("the service of an ended window is %s, want its status back", st)
	}
	for _, path := range []string{"/api/v1/maintenances/" + id, "/api/v1/maintenances/" + runningID} {
		if res := s.do(http.MethodDelete, path, bootstrapKey, nil); res.Status != http.StatusConflict || res.errorCode(t) != "conflict" {
			t.Errorf("DELETE %s again: %d %s", path, res.Status, res.Body)
		}
		if res := s.do(http.MethodPatch, path, bootstrapKey, `{"title":"too late"}`); res.Status != http.StatusConflict {
			t.Errorf("PATCH %s after it finished: %d %s", path, res.Status, res.Body)
		}
	}
	if ids, _ := s.maintenancePage("?status=cancelled"); !reflect.DeepEqual(ids, []string{id}) {
		t.Errorf("cancelled windows = %v", ids)
	}
	if ids, _ := s.maintenancePage("?status=completed"); !reflect.DeepEqual(ids, []string{runningID}) {
		t.Errorf("completed windows = %v", ids)
	}
}

func TestMaintenanceErrors(t *testing.T) {
	t.Parallel()
	s := startStack(t)
	api := s.createService(bootstrapKey, "API")
	now := time.Now().UTC().Truncate(time.Second)
	at := func(d time.Duration) string { return now.Add(d).Format(time.RFC3339) }
	window := func(starts, ends string) string {
		return `{"title":"Upgrade","service_ids":["` + api + `"],"starts_at":"` + starts + `","ends_at":"` + ends + `"}`
	}
	id := s.do(http.MethodPost, "/api/v1/maintenances", bootstrapKey, window(at(time.Hour), at(2*time.Hour))).json(t)["id"].(string)
	mnt := "/api/v1/maintenances/" + id
	const unknown = "svc_01jdxxxxxxxxxxxxxxxxxxxxxx"
	tests := []struct {
		name         string
		method, path string
		body         string
		wantStatus   int
		wantCode     string
		wantInMsg    string
	}{
		{"ends before it starts", http.MethodPost, "/api/v1/maintenances", window(at(2*time.Hour), at(time.Hour)), 422, "invalid_value", "ends_at"},
		{"ends when it starts", http.MethodPost, "/api/v1/maintenances", window(at(time.Hour), at(time.Hour)), 422, "invalid_value", "ends_at"},
		{"ends in the past", http.MethodPost, "/api/v1/maintenances", window(at(-2*time.Hour), at(-time.Hour)), 422, "invalid_value", "ends_at"},
		{"malformed start", http.MethodPost, "/api/v1/maintenances", window("tomorrow", at(time.Hour)), 422, "invalid_value", `starts_at \"tomorrow\" is not an RFC 3339 time`},
		{"date without a time", http.MethodPost, "/api/v1/maintenances", window(at(time.Hour), "2030-01-01"), 422, "invalid_value", "ends_at"},
		{"no start", http.MethodPost, "/api/v1/maintenances", `{"title":"x","service_ids":["` + api + `"],"ends_at":"` + at(time.Hour) + `"}`, 422, "invalid_value", "starts_at is required"},
		{"no services", http.MethodPost, "/api/v1/maintenances", `{"title":"x","starts_at":"` + at(time.Hour) + `","ends_at":"` + at(2*time.Hour) + `"}`, 422, "invalid_value", "service_ids"},
		{"unknown service", http.MethodPost, "/api/v1/maintenances", `{"title":"x","service_ids":["` + unknown + `"],"starts_at":"` + at(time.Hour) + `","ends_at":"` + at(2*time.Hour) + `"}`, 422, "invalid_value", unknown},
		{"patch: end before the start", http.MethodPatch, mnt, `{"ends_at":"` + at(30*time.Minute) + `"}`, 422, "invalid_value", "ends_at"},
		{"patch: malformed end", http.MethodPatch, mnt, `{"ends_at":"soon"}`, 422, "invalid_value", "ends_at"},
		{"patch: null end", http.MethodPatch, mnt, `{"ends_at":null}`, 422, "invalid_value", "ends_at cannot be null"},
		{"patch: no services", http.MethodPatch, mnt, `{"service_ids":[]}`, 422, "invalid_value", "service_ids"},
		{"patch: status is not a field", http.MethodPatch, mnt, `{"status":"cancelled"}`, 400, "bad_request", "status"},
		{"bad status filter", http.MethodGet, "/api/v1/maintenances?status=canceled", "", 422, "invalid_value", "scheduled, in_progress, completed, cancelled"},
		{"unknown window", http.MethodGet, "/api/v1/maintenances/mnt_01jdxxxxxxxxxxxxxxxxxxxxxx", "", 404, "not_found", "maintenance not found"},
		{"cancel an unknown window", http.MethodDelete, "/api/v1/maintenances/mnt_01jdxxxxxxxxxxxxxxxxxxxxxx", "", 404, "not_found", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var body any
			if tt.body != "" {
				body = tt.body
			}
			r := s.do(tt.method, tt.path, bootstrapKey, body)
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
	if n := s.count(`SELECT count(*) FROM incidents.maintenances`); n != 1 {
		t.Errorf("windows after rejected requests = %d, want 1", n)
	}
	if got := s.do(http.MethodGet, mnt, bootstrapKey, nil).json(t); got["version"] != float64(1) || got["ends_at"] != at(2*time.Hour) {
		t.Errorf("the window after rejected changes: %v", got)
	}
	// Another organisation's window is not found.
	other := s.newOrg("write")
	for _, method := range []string{http.MethodGet, http.MethodDelete} {
		if r := s.do(method, mnt, other, nil); r.Status != http.StatusNotFound {
			t.Errorf("%s another org's window: %d %s", method, r.Status, r.Body)
		}
	}
}

// onlyKeyID returns the id of key, the only key of its organisation.
func (s *stack) onlyKeyID(key string) string {
	s.t.Helper()
	data := s.do(http.MethodGet, "/api/v1/api-keys", key, nil).json(s.t)["data"].([]any)
	if len(data) != 1 {
		s.t.Fatalf("the organisation has %d keys, want 1", len(data))
	}
	return data[0].(map[string]any)["id"].(string)
}

// openIncident opens an incident with the bootstrap key and returns its id.
func (s *stack) openIncident(body map[string]any) string {
	s.t.Helper()
	r := s.do(http.MethodPost, "/api/v1/incidents", bootstrapKey, body)
	if r.Status != http.StatusCreated {
		s.t.Fatalf("open incident: %d %s", r.Status, r.Body)
	}
	return r.json(s.t)["id"].(string)
}

// maintenanceWindow is the body of a window of service an hour from now.
func maintenanceWindow(service string) string {
	starts := time.Now().UTC().Add(time.Hour).Truncate(time.Second)
	return `{"title":"Upgrade","service_ids":["` + service + `"],"starts_at":"` + starts.Format(time.RFC3339) +
		`","ends_at":"` + starts.Add(time.Hour).Format(time.RFC3339) + `"}`
}

// patchIncident changes an incident and returns it.
func (s *stack) patchIncident(id string, body map[string]any) map[string]any {
	s.t.Helper()
	r := s.do(http.MethodPatch, "/api/v1/incidents/"+id, bootstrapKey, body)
	if r.Status != http.StatusOK {
		s.t.Fatalf("patch incident: %d %s", r.Status, r.Body)
	}
	return r.json(s.t)
}

// addUpdate posts a timeline entry, which answers 201 with the incident.
func (s *stack) addUpdate(id, body string) map[string]any {
	s.t.Helper()
	r := s.do(http.MethodPost, "/api/v1/incidents/"+id+"/updates", bootstrapKey, body)
	if r.Status != http.StatusCreated {
		s.t.Fatalf("add update: %d %s", r.Status, r.Body)
	}
	return r.json(s.t)
}

// incidentPage and maintenancePage list with query and return the ids of
// the page and its next_cursor.
func (s *stack) incidentPage(query string) ([]string, string) {
	s.t.Helper()
	return s.page("/api/v1/incidents" + query)
}

func (s *stack) maintenancePage(query string) ([]string, string) {
	s.t.Helper()
	return s.page("/api/v1/maintenances" + query)
}

func (s *stack) page(path string) ([]string, string) {
	s.t.Helper()
	r := s.do(http.MethodGet, path, bootstrapKey, nil)
	if r.Status != http.StatusOK {
		s.t.Fatalf("GET %s: %d %s", path, r.Status, r.Body)
	}
	m := r.json(s.t)
	ids := []string{}
	for _, d := range m["data"].([]any) {
		ids = append(ids, d.(map[string]any)["id"].(string))
	}
	return ids, m["next_cursor"].(string)
}

// entry is the expected status, message and author of a timeline entry.
type entry struct{ status, message, author string }

// assertTimeline checks an incident's updates, oldest first, each with a
// time no earlier than the one before.
func assertTimeline(t *testing.T, incident map[string]any, want ...entry) {
	t.Helper()
	updates, _ := incident["updates"].([]any)
	if len(updates) != len(want) {
		t.Fatalf("timeline has %d entries, want %d: %v", len(updates), len(want), updates)
	}
	prev := ""
	for i, u := range updates {
		e := u.(map[string]any)
		got := entry{e["status"].(string), e["message"].(string), e["author"].(string)}
		if got != want[i] {
			t.Errorf("timeline entry %d = %+v, want %+v", i, got, want[i])
		}
		at, _ := e["created_at"].(string)
		ts, err := time.Parse(time.RFC3339Nano, at)
		if err != nil || !strings.HasSuffix(at, "Z") {
			t.Errorf("timeline entry %d created_at %q is not an RFC 3339 UTC time", i, at)
		}
		if prev != "" {
			if p, _ := time.Parse(time.RFC3339Nano, prev); ts.Before(p) {
				t.Errorf("timeline entry %d (%s) is older than the one before (%s)", i, at, prev)
			}
		}
		prev = at
	}
}

// assertFields checks fields of a decoded JSON object.
func assertFields(t *testing.T, what string, got, want map[string]any) {
	t.Helper()
	for k, v := range want {
		if g, ok := got[k]; !ok || !reflect.DeepEqual(g, v) {
			t.Errorf("%s %s = %v, want %v", what, k, g, v)
		}
	}
}

// assertStrings checks a decoded JSON array of strings.
func assertStrings(t *testing.T, what string, got any, want ...string) {
	t.Helper()
	arr, ok := got.([]any)
	if !ok || len(arr) != len(want) {
		t.Errorf("%s = %v, want %v", what, got, want)
		return
	}
	for i, w := range want {
		if arr[i] != w {
			t.Errorf("%s = %v, want %v", what, got, want)
			return
		}
	}
}
