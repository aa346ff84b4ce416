package integration

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/upstatehq/upstate/pkg/bus"
	"github.com/upstatehq/upstate/pkg/ids"
	"github.com/upstatehq/upstate/pkg/logging"
	"github.com/upstatehq/upstate/pkg/pgdb"
	"github.com/upstatehq/upstate/pkg/testenv"
	auditv1 "github.com/upstatehq/upstate/proto/gen/upstate/audit/v1"
)

// auditEntry is an entry of GET /api/v1/audit-log.
type auditEntry struct {
	ID    string `json:"id"`
	Actor struct {
		KeyID   string `json:"key_id"`
		KeyName string `json:"key_name"`
	} `json:"actor"`
	Action string `json:"action"`
	Object struct {
		Type string `json:"type"`
		ID   string `json:"id"`
	} `json:"object"`
	Before    map[string]any `json:"before"`
	After     map[string]any `json:"after"`
	Outcome   string         `json:"outcome"`
	Status    int            `json:"status"`
	Method    string         `json:"method"`
	Path      string         `json:"path"`
	SourceIP  string         `json:"source_ip"`
	RequestID string         `json:"request_id"`
	CreatedAt time.Time      `json:"created_at"`
}

// auditLog reads every page of the audit log with key and query, newest
// first, and the raw bodies read.
func (s *stack) auditLog(key, query string) ([]auditEntry, string) {
	s.t.Helper()
	var all []auditEntry
	var raw strings.Builder
	cursor := ""
	for {
		q := query
		if cursor != "" {
			q += "&cursor=" + url.QueryEscape(cursor)
		}
		r := s.do(http.MethodGet, "/api/v1/audit-log?"+q, key, nil)
		if r.Status != http.StatusOK {
			s.t.Fatalf("audit log ?%s: %d %s", q, r.Status, r.Body)
		}
		raw.Write(r.Body)
		var page struct {
			Data       []auditEntry `json:"data"`
			NextCursor string       `json:"next_cursor"`
		}
		if err := json.Unmarshal(r.Body, &page); err != nil {
			s.t.Fatal(err)
		}
		all = append(all, page.Data...)
		if page.NextCursor == "" {
			return all, raw.String()
		}
		cursor = page.NextCursor
	}
}

// mustDo sends a request and fails unless it is answered want.
func (s *stack) mustDo(want int, method, path, key string, body any) map[string]any {
	s.t.Helper()
	r := s.do(method, path, key, body)
	if r.Status != want {
		s.t.Fatalf("%s %s: %d, want %d: %s", method, path, r.Status, want, r.Body)
	}
	if len(r.Body) == 0 {
		return nil
	}
	return r.json(s.t)
}

// Every kind of change made through the API, in every service, is in the
// audit log once, with who, what, which object, before and after, and on
// the AUDIT stream; refused changes are not; no secret appears anywhere;
// the filters, paging and the audit scope work, and organisations are
// kept apart.
func TestAuditLogRecordsEveryChange(t *testing.T) {
	t.Parallel()
	s := startStack(t)
	stream := testenv.Watch(t, s.js, bus.StreamAudit)
	k := bootstrapKey
	start := time.Now().Add(-time.Second)

	svc := s.mustDo(201, "POST", "/api/v1/services", k, map[string]any{"name": "API"})["id"].(string)
	req, _ := http.NewRequest(http.MethodPut, s.baseURL+"/api/v1/services/"+svc, strings.NewReader(`{"status":"down","description":"db"}`))
	req.Header.Set("Authorization", "Bearer "+k)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Request-Id", "audit-test-1")
	if r := send(t, req); r.Status != http.StatusOK {
		t.Fatalf("set status: %d %s", r.Status, r.Body)
	}
	s.mustDo(200, "PATCH", "/api/v1/services/"+svc, k, map[string]any{"description": "Public API"})
	rcv := s.mustDo(201, "POST", "/api/v1/webhook-receivers", k, map[string]any{
		"name": "monitor", "service_id": svc, "signature": map[string]any{"secret": "very-secret-signing-key"}})
	rotated := s.mustDo(200, "POST", "/api/v1/webhook-receivers/"+rcv["id"].(string)+"/rotate-token", k, map[string]any{})
	inc := s.mustDo(201, "POST", "/api/v1/incidents", k, map[string]any{
		"title": "Checkout errors", "severity": "major", "service_ids": []string{svc}, "message": "Looking."})["id"].(string)
	s.mustDo(201, "POST", "/api/v1/incidents/"+inc+"/updates", k, map[string]any{"status": "identified", "message": "Found it."})
	mnt := s.mustDo(201, "POST", "/api/v1/maintenances", k, map[string]any{"title": "Upgrade", "service_ids": []string{svc},
		"starts_at": time.Now().Add(time.Hour).Format(time.RFC3339), "ends_at": time.Now().Add(2 * time.Hour).Format(time.RFC3339)})["id"].(string)
	s.mustDo(200, "DELETE", "/api/v1/maintenances/"+mnt, k, nil)
	slo := s.mustDo(201, "POST", "/api/v1/slos", k, map[string]any{"service_id": svc, "name": "Avail", "target": 0.999, "window": "30d"})["id"].(string)
	s.mustDo(200, "PATCH", "/api/v1/slos/"+slo, k, map[string]any{"target": 0.99})
	rule := s.mustDo(201, "POST", "/api/v1/alert-rules", k, map[string]any{"name": "API down", "selector": map[string]any{"service_ids": []string{svc}}})["id"].(string)
	page := s.mustDo(201, "POST", "/api/v1/status-pages", k, map[string]any{"name": "Acme", "slug": "acme-audit",
		"components": []map[string]any{{"service_id": svc, "position": 1}}})["id"].(string)
	ci := s.mustDo(201, "POST", "/api/v1/api-keys", k, map[string]any{"name": "CI", "scopes": []string{"services"}})
	ciKey, ciID := ci["key"].(string), ci["id"].(string)
	other := s.mustDo(201, "POST", "/api/v1/api-keys", k, map[string]any{"name": "temp", "scopes": []string{"incidents"}})["id"].(string)
	s.mustDo(204, "DELETE", "/api/v1/api-keys/"+other, k, nil)
	// A change by another key.
	s.mustDo(200, "PUT", "/api/v1/services/"+svc, ciKey, map[string]any{"status": "operational"})
	// Refused changes leave nothing.
	s.mustDo(422, "PUT", "/api/v1/services/"+svc, k, map[string]any{"status": "sideways"})
	s.mustDo(404, "PATCH", "/api/v1/services/svc_01jdq5x9m2a7b3c4d5e6f7g8h9", k, map[string]any{"description": "x"})
	s.mustDo(403, "POST", "/api/v1/incidents", ciKey, map[string]any{"title": "no scope"})
	s.mustDo(409, "POST", "/api/v1/services", k, map[string]any{"name": "API"})

	want := []struct{ action, objectType, objectID string }{
		{"service.create", "service", svc}, {"service.set_status", "service", svc}, {"service.update", "service", svc},
		{"webhook_receiver.create", "webhook_receiver", rcv["id"].(string)},
		{"webhook_receiver.rotate_token", "webhook_receiver", rcv["id"].(string)},
		{"incident.create", "incident", inc}, {"incident.add_update", "incident", inc},
		{"maintenance.create", "maintenance", mnt}, {"maintenance.cancel", "maintenance", mnt},
		{"slo.create", "slo", slo}, {"slo.update", "slo", slo}, {"alert_rule.create", "alert_rule", rule},
		{"status_page.create", "status_page", page}, {"api_key.create", "api_key", ciID},
		{"api_key.create", "api_key", other}, {"api_key.revoke", "api_key", other},
		{"service.set_status", "service", svc},
	}
	entries, raw := s.auditLog(k, "limit=3")
	if len(entries) != len(want) {
		for _, e := range entries {
			t.Logf("%s %s %s/%s %d", e.ID, e.Action, e.Object.Type, e.Object.ID, e.Status)
		}
		t.Fatalf("%d entries, want %d", len(entries), len(want))
	}
	for i, w := range want {
		e := entries[len(entries)-1-i] // newest first
		if e.Action != w.action || e.Object.Type != w.objectType || e.Object.ID != w.objectID || e.Outcome != "succeeded" {
			t.Errorf("entry %d: %s %s/%s %s, want %s %s/%s succeeded", i, e.Action, e.Object.Type, e.Object.ID, e.Outcome, w.action, w.objectType, w.objectID)
		}
		if i+1 < len(want) && e.Actor.KeyName != "bootstrap" {
			t.Errorf("entry %d: actor %+v, want the bootstrap key", i, e.Actor)
		}
		if e.SourceIP != "127.0.0.1" || e.RequestID == "" || e.CreatedAt.Before(start) || !ids.HasPrefix(e.ID, ids.AuditEntry) {
			t.Errorf("entry %d: ip %q, request id %q, at %s, id %s", i, e.SourceIP, e.RequestID, e.CreatedAt, e.ID)
		}
	}
	setStatus := entries[len(entries)-2]
	if setStatus.Before["status"] != "operational" || setStatus.After["status"] != "down" || setStatus.RequestID != "audit-test-1" ||
		setStatus.Method != "PUT" || setStatus.Path != "/api/v1/services/"+svc || setStatus.Status != 200 {
		t.Errorf("set status entry: %+v", setStatus)
	}
	if created := entries[len(entries)-1]; created.Before != nil || created.After["name"] != "API" {
		t.Errorf("create entry: before %v, after %v", created.Before, created.After)
	}
	if revoked := entries[1]; revoked.Before["name"] != "temp" || revoked.After != nil {
		t.Errorf("revoke entry: before %v, after %v", revoked.Before, revoked.After)
	}
	if byCI := entries[0]; byCI.Actor.KeyID != ciID || byCI.Actor.KeyName != "CI" || byCI.Before["status"] != "down" {
		t.Errorf("entry of the CI key: %+v", byCI)
	}

	// Secrets never appear, in the log or on the stream.
	secrets := []string{rcv["token"].(string), rotated["token"].(string), "very-secret-signing-key", ciKey, bootstrapKey}
	var streamed strings.Builder
	for range want {
		msg := stream.Next(10 * time.Second)
		var ev auditv1.AuditRecorded
		if err := proto.Unmarshal(msg.Data(), &ev); err != nil {
			t.Fatal(err)
		}
		if msg.Headers().Get(bus.HeaderCEType) != "upstate.audit.v1.AuditRecorded" || msg.Subject() != bus.AuditSubject(ev.OrgId, ev.Id) ||
			msg.Headers().Get("Nats-Msg-Id") != ev.Id {
			t.Errorf("event %s on %s: %v", msg.Headers().Get(bus.HeaderCEType), msg.Subject(), msg.Headers())
		}
		streamed.WriteString(ev.BeforeJson + ev.AfterJson + "\n")
	}
	stream.None(300 * time.Millisecond)
	for _, secret := range secrets {
		if strings.Contains(raw, secret) || strings.Contains(streamed.String(), secret) {
			t.Errorf("the secret %.12s… appears in the audit log", secret)
		}
	}
	if !strings.Contains(raw, `"secret_set":true`) || !strings.Contains(raw, `"token":"[redacted]"`) || !strings.Contains(raw, `"prefix":"ak_live_`) {
		t.Errorf("the receiver's entries lost what is not secret, or kept the token: %s", raw)
	}

	// Filters.
	for _, f := range []struct {
		query string
		n     int
	}{
		{"object_type=service&object_id=" + svc, 4},
		{"action=service.set_status", 2},
		{"actor=" + ciID, 1},
		{"object_type=api_key", 3},
		{"since=" + url.QueryEscape(start.Format(time.RFC3339Nano)), len(want)},
		{"until=" + url.QueryEscape(start.Format(time.RFC3339Nano)), 0},
		{"object_id=" + inc + "&action=incident.add_update", 1},
	} {
		if got, _ := s.auditLog(k, f.query); len(got) != f.n {
			t.Errorf("?%s: %d entries, want %d", f.query, len(got), f.n)
		}
	}
	for _, bad := range []string{"since=yesterday", "cursor=nope", "limit=0"} {
		if r := s.do("GET", "/api/v1/audit-log?"+bad, k, nil); r.Status/100 != 4 {
			t.Errorf("?%s: %d", bad, r.Status)
		}
	}

	// The scope: audit or audit:read (or read, write); nothing else.
	auditor := s.mustDo(201, "POST", "/api/v1/api-keys", k, map[string]any{"name": "SIEM", "scopes": []string{"audit:read"}})["key"].(string)
	if r := s.do("GET", "/api/v1/audit-log", ciKey, nil); r.Status != http.StatusForbidden {
		t.Errorf("a services key reads the audit log: %d", r.Status)
	}
	if got, _ := s.auditLog(auditor, "limit=200"); len(got) != len(want)+1 {
		t.Errorf("the audit:read key lists %d entries, want %d", len(got), len(want)+1)
	}
	if r := s.do("POST", "/api/v1/services", auditor, map[string]any{"name": "X"}); r.Status != http.StatusForbidden {
		t.Errorf("an audit:read key writes: %d", r.Status)
	}
	if got, _ := s.auditLog(s.newOrg("audit"), "limit=200"); len(got) != 0 {
		t.Errorf("another organisation sees %d entries", len(got))
	}

	// Append-only, whatever the client.
	pool, err := pgdb.Open(context.Background(), s.dsn, "test", 1, logging.Discard())
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	for _, q := range []string{`UPDATE edge.audit_log SET action = 'nothing'`, `DELETE FROM edge.audit_log`, `TRUNCATE edge.audit_log`} {
		if _, err := pool.Exec(context.Background(), q); err == nil || !strings.Contains(err.Error(), "append-only") {
			t.Errorf("%s: %v", q, err)
		}
	}
}

// A change whose outcome the edge cannot learn is recorded as unknown: a
// backing service that is down (503), and an intent left by an edge that
// stopped before the answer, which the sweeper records once it is older
// than any request.
func TestAuditLogRecordsUnknownOutcomes(t *testing.T) {
	t.Parallel()
	clock := newFakeClock()
	s := startStackAt(t, clock)
	k := bootstrapKey
	svc := s.createService(k, "API")

	s.stopIncidents()
	r := s.do("POST", "/api/v1/incidents", k, map[string]any{"title": "x", "severity": "minor", "service_ids": []string{svc}})
	if r.Status != http.StatusServiceUnavailable {
		t.Fatalf("incident with the incidents service down: %d %s", r.Status, r.Body)
	}
	got, _ := s.auditLog(k, "action=incident.create")
	if len(got) != 1 || got[0].Outcome != "unknown" || got[0].Status != 503 || got[0].After != nil {
		t.Fatalf("entries of the failed call: %+v", got)
	}

	// An edge that stopped between its intent and the answer.
	pool, err := pgdb.Open(context.Background(), s.dsn, "test", 1, logging.Discard())
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	var org string
	if err := pool.QueryRow(context.Background(), `SELECT org_id FROM edge.audit_log LIMIT 1`).Scan(&org); err != nil {
		t.Fatal(err)
	}
	id := ids.New(ids.AuditEntry)
	if _, err := pool.Exec(context.Background(), `INSERT INTO edge.audit_intents
		(id, org_id, actor_key_id, actor_key_name, action, object_type, object_id, before, method, path, source_ip, request_id, created_at)
		VALUES ($1, $2, 'key_x', 'gone', 'service.delete', 'service', $3, '{"name":"API"}', 'DELETE', '/api/v1/services/'||$3, '10.0.0.1', 'r1', $4)`,
		id, org, svc, clock.Now()); err != nil {
		t.Fatal(err)
	}
	stream := testenv.Watch(t, s.js, bus.StreamAudit, bus.AuditSubject(org, id))
	testenv.Eventually(t, 10*time.Second, func() error {
		clock.Advance(time.Minute)
		got, _ := s.auditLog(k, "object_id="+svc+"&action=service.delete")
		if len(got) != 1 {
			return fmt.Errorf("%d entries of the unfinished deletion", len(got))
		}
		if got[0].ID != id || got[0].Outcome != "unknown" || got[0].Before["name"] != "API" || got[0].Actor.KeyName != "gone" {
			return fmt.Errorf("entry %+v", got[0])
		}
		return nil
	})
	stream.Next(10 * time.Second)
	if n := s.count(`SELECT count(*) FROM edge.audit_intents`); n != 0 {
		t.Errorf("%d intents left", n)
	}
}

// The write routes the first test leaves out, each recorded once under
// its action with the object before and after it: together the two cover
// every write route of /api/v1.
func TestAuditLogCoversTheOtherWriteRoutes(t *testing.T) {
	t.Parallel()
	s := startStack(t)
	k := bootstrapKey
	api, db := s.createService(k, "API"), s.createService(k, "DB")
	rcv := s.mustDo(201, "POST", "/api/v1/webhook-receivers", k, map[string]any{"name": "monitor", "service_id": api})["id"].(string)
	inc := s.mustDo(201, "POST", "/api/v1/incidents", k, map[string]any{"title": "x", "severity": "minor", "service_ids": []string{api}})["id"].(string)
	mnt := s.mustDo(201, "POST", "/api/v1/maintenances", k, map[string]any{"title": "Upgrade", "service_ids": []string{db},
		"starts_at": time.Now().Add(time.Hour).Format(time.RFC3339), "ends_at": time.Now().Add(2 * time.Hour).Format(time.RFC3339)})["id"].(string)
	slo := s.mustDo(201, "POST", "/api/v1/slos", k, map[string]any{"service_id": api, "name": "Avail", "target": 0.999, "window": "30d"})["id"].(string)
	rule := s.mustDo(201, "POST", "/api/v1/alert-rules", k, map[string]any{"name": "API down", "selector": map[string]any{"service_ids": []string{api}}})["id"].(string)
	page := s.createPage(map[string]any{"name": "Acme", "slug": "acme-audit-2", "components": []map[string]any{{"service_id": api, "position": 1}}})["id"].(string)
	sub := s.subscribe("acme-audit-2", "https://hooks.example.com/audit")["id"].(string)

	type change struct {
		method, path string
		body         any
		status       int
		action, id   string
		// before and after are a field each side shows; "" for none.
		field, before, after string
	}
	changes := []change{
		{"PATCH", "/api/v1/webhook-receivers/" + rcv, map[string]any{"name": "renamed"}, 200, "webhook_receiver.update", rcv, "name", "monitor", "renamed"},
		{"PATCH", "/api/v1/incidents/" + inc, map[string]any{"status": "resolved", "message": "done"}, 200, "incident.update", inc, "status", "investigating", "resolved"},
		{"PATCH", "/api/v1/maintenances/" + mnt, map[string]any{"title": "Bigger upgrade"}, 200, "maintenance.update", mnt, "title", "Upgrade", "Bigger upgrade"},
		{"PATCH", "/api/v1/alert-rules/" + rule, map[string]any{"name": "API is down"}, 200, "alert_rule.update", rule, "name", "API down", "API is down"},
		{"PATCH", "/api/v1/status-pages/" + page, map[string]any{"name": "Acme Inc"}, 200, "status_page.update", page, "name", "Acme", "Acme Inc"},
		{"PUT", "/api/v1/services/" + api + "/dependencies", map[string]any{"depends_on": []string{db}}, 200, "service.set_dependencies", api, "", "", ""},
		{"PUT", "/api/v1/services/" + api, map[string]any{"status": "down"}, 200, "service.set_status", api, "status", "operational", "down"},
		{"DELETE", "/api/v1/status-pages/" + page + "/subscribers/" + sub, nil, 204, "subscriber.delete", sub, "", "", ""},
		{"DELETE", "/api/v1/slos/" + slo, nil, 204, "slo.delete", slo, "name", "Avail", ""},
		{"DELETE", "/api/v1/webhook-receivers/" + rcv, nil, 204, "webhook_receiver.delete", rcv, "name", "renamed", ""},
		{"DELETE", "/api/v1/status-pages/" + page, nil, 204, "status_page.delete", page, "name", "Acme Inc", ""},
	}
	for _, c := range changes {
		s.mustDo(c.status, c.method, c.path, k, c.body)
	}
	// An alert to acknowledge: the rule fires on API, now down.
	alert := s.awaitAlert("state=firing", "firing")["id"].(string)
	sil := s.mustDo(201, "POST", "/api/v1/silences", k, map[string]any{"matchers": map[string]any{"service_ids": []string{db}},
		"ends_at": time.Now().Add(time.Hour).Format(time.RFC3339)})["id"].(string)
	more := []change{
		{"POST", "/api/v1/alerts/" + alert + "/ack", map[string]any{"note": "on it"}, 200, "alert.ack", alert, "", "", ""},
		{"POST", "/api/v1/alerts/" + alert + "/unack", map[string]any{}, 200, "alert.unack", alert, "", "", ""},
		{"DELETE", "/api/v1/silences/" + sil, nil, 200, "silence.expire", sil, "", "", ""},
		{"DELETE", "/api/v1/alert-rules/" + rule, nil, 204, "alert_rule.delete", rule, "name", "API is down", ""},
		{"DELETE", "/api/v1/services/" + db, nil, 204, "service.delete", db, "name", "DB", ""},
	}
	for _, c := range more {
		s.mustDo(c.status, c.method, c.path, k, c.body)
	}
	if got := mustEntries(s, "action=silence.create&object_id="+sil); len(got) != 1 {
		t.Errorf("silence.create: %d entries", len(got))
	}
	for _, c := range append(changes, more...) {
		got := mustEntries(s, "action="+c.action+"&object_id="+c.id)
		if len(got) != 1 {
			t.Errorf("%s %s: %d entries", c.action, c.id, len(got))
			continue
		}
		e := got[0]
		if e.Outcome != "succeeded" || e.Status != c.status || e.Before == nil && c.action != "subscriber.delete" {
			t.Errorf("%s: %+v", c.action, e)
		}
		if c.field != "" && (fmt.Sprint(e.Before[c.field]) != c.before || c.after != "" && fmt.Sprint(e.After[c.field]) != c.after) {
			t.Errorf("%s: %s before %v after %v, want %q then %q", c.action, c.field, e.Before[c.field], e.After[c.field], c.before, c.after)
		}
		if c.status == 204 && e.After != nil {
			t.Errorf("%s: after %v, want none", c.action, e.After)
		}
	}
}
