package integration

import (
	"context"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/upstatehq/upstate/pkg/bus"
	"github.com/upstatehq/upstate/pkg/ids"
	"github.com/upstatehq/upstate/pkg/testenv"
	ingestv1 "github.com/upstatehq/upstate/proto/gen/upstate/ingest/v1"
	statusv1 "github.com/upstatehq/upstate/proto/gen/upstate/status/v1"
)

var hexToken = regexp.MustCompile(`^[0-9a-f]{64}$`)

// The webhook receiver routes through the edge and the status service:
// create, read, list, change, rotate the token, delete; the token and URL
// shown once, the signature secret never.
func TestWebhookReceiverLifecycle(t *testing.T) {
	t.Parallel()
	s := startStack(t)
	svc := s.createService(bootstrapKey, "API")
	const base = "/api/v1/webhook-receivers"

	created := s.do(http.MethodPost, base, bootstrapKey, map[string]any{"name": "Uptime checks", "service_id": svc})
	if created.Status != http.StatusCreated {
		t.Fatalf("create: %d %s", created.Status, created.Body)
	}
	r := created.json(t)
	id, _ := r["id"].(string)
	token, _ := r["token"].(string)
	if !strings.HasPrefix(id, "whr_") || created.Header.Get("Location") != base+"/"+id {
		t.Fatalf("create: id %q, Location %q", id, created.Header.Get("Location"))
	}
	if !hexToken.MatchString(token) || r["token_prefix"] != token[:8] || r["url"] != s.baseURL+"/api/webhooks/incoming/"+token {
		t.Fatalf("create: token %q, prefix %v, url %v", token, r["token_prefix"], r["url"])
	}
	// The defaults.
	want := map[string]any{
		"name": "Uptime checks", "enabled": true, "service_id": svc, "service_name_field": nil,
		"status_field": "status", "message_field": "message", "signature": nil,
	}
	for k, v := range want {
		if r[k] != v {
			t.Errorf("created %s = %v, want %v", k, r[k], v)
		}
	}
	if m, _ := r["status_mapping"].(map[string]any); m == nil || len(m) != 0 {
		t.Errorf("created status_mapping = %v, want {}", r["status_mapping"])
	}
	if a, _ := r["auto_incident"].(map[string]any); a["enabled"] != false || a["severity"] != "major" {
		t.Errorf("created auto_incident = %v", r["auto_incident"])
	}

	got := s.do(http.MethodGet, base+"/"+id, bootstrapKey, nil)
	if got.Status != http.StatusOK || got.json(t)["name"] != "Uptime checks" {
		t.Fatalf("get: %d %s", got.Status, got.Body)
	}
	list := s.do(http.MethodGet, base, bootstrapKey, nil)
	data, _ := list.json(t)["data"].([]any)
	if list.Status != http.StatusOK || len(data) != 1 || data[0].(map[string]any)["id"] != id || list.json(t)["next_cursor"] != "" {
		t.Fatalf("list: %d %s", list.Status, list.Body)
	}
	for name, res := range map[string]response{"get": got, "list": list} {
		if strings.Contains(string(res.Body), token) || strings.Contains(string(res.Body), `"url"`) {
			t.Errorf("%s shows the token: %s", name, res.Body)
		}
	}

	// Change: a signature, a mapping, automatic incidents; the secret is
	// never shown.
	const secret = "integration-secret-0123456789"
	patched := s.do(http.MethodPatch, base+"/"+id, bootstrapKey, map[string]any{
		"signature":      map[string]any{"secret": secret, "header": "X-Hub-Signature-256", "scheme": "sha256="},
		"status_mapping": map[string]any{"Firing": "DOWN"},
		"auto_incident":  map[string]any{"enabled": true, "severity": "critical"},
	})
	if patched.Status != http.StatusOK {
		t.Fatalf("patch: %d %s", patched.Status, patched.Body)
	}
	p := patched.json(t)
	sig, _ := p["signature"].(map[string]any)
	if sig["header"] != "X-Hub-Signature-256" || sig["scheme"] != "sha256=" || sig["secret_set"] != true || len(sig) != 3 {
		t.Errorf("patched signature = %v", p["signature"])
	}
	if a, _ := p["auto_incident"].(map[string]any); a["enabled"] != true || a["severity"] != "critical" {
		t.Errorf("patched auto_incident = %v", p["auto_incident"])
	}
	if len(p["status_mapping"].(map[string]any)) != 1 || p["name"] != "Uptime checks" || p["service_id"] != svc {
		t.Errorf("patched receiver = %s", patched.Body)
	}
	for _, path := range []string{base + "/" + id, base} {
		if res := s.do(http.MethodGet, path, bootstrapKey, nil); strings.Contains(string(res.Body), secret) {
			t.Errorf("GET %s shows the signature secret", path)
		}
	}

	// Switch to a service named in the payload; then drop the signature.
	switched := s.do(http.MethodPatch, base+"/"+id, bootstrapKey, `{"service_name_field":"labels.service"}`).json(t)
	if switched["service_id"] != nil || switched["service_name_field"] != "labels.service" {
		t.Errorf("switched target: service_id %v, service_name_field %v", switched["service_id"], switched["service_name_field"])
	}
	unsigned := s.do(http.MethodPatch, base+"/"+id, bootstrapKey, `{"signature":null,"enabled":false}`).json(t)
	if unsigned["signature"] != nil || unsigned["enabled"] != false || unsigned["auto_incident"].(map[string]any)["severity"] != "critical" {
		t.Errorf("after removing the signature: %v", unsigned)
	}

	rotated := s.do(http.MethodPost, base+"/"+id+"/rotate-token", bootstrapKey, nil)
	rt := rotated.json(t)
	newToken, _ := rt["token"].(string)
	if rotated.Status != http.StatusOK || !hexToken.MatchString(newToken) || newToken == token ||
		rt["token_prefix"] != newToken[:8] || rt["url"] != s.baseURL+"/api/webhooks/incoming/"+newToken {
		t.Fatalf("rotate: %d %s", rotated.Status, rotated.Body)
	}
	if g := s.do(http.MethodGet, base+"/"+id, bootstrapKey, nil).json(t); g["token_prefix"] != newToken[:8] {
		t.Errorf("token_prefix after rotation = %v", g["token_prefix"])
	}

	if r := s.do(http.MethodDelete, base+"/"+id, bootstrapKey, nil); r.Status != http.StatusNoContent {
		t.Fatalf("delete: %d %s", r.Status, r.Body)
	}
	for _, path := range []string{base + "/" + id, base + "/" + id + "/deliveries"} {
		if r := s.do(http.MethodGet, path, bootstrapKey, nil); r.Status != http.StatusNotFound || r.errorCode(t) != "not_found" {
			t.Errorf("GET %s after delete: %d %s", path, r.Status, r.Body)
		}
	}
	if r := s.do(http.MethodDelete, base+"/"+id, bootstrapKey, nil); r.Status != http.StatusNotFound {
		t.Errorf("second delete: %d", r.Status)
	}
}

// Invalid receivers are answered 422 (by the edge for JSON shapes and
// enum names, by the status service for the rest), malformed bodies 400.
func TestWebhookReceiverValidation(t *testing.T) {
	t.Parallel()
	s := startStack(t)
	svc := s.createService(bootstrapKey, "API")
	const base = "/api/v1/webhook-receivers"
	id := s.createReceiver(bootstrapKey, map[string]any{"name": "r", "service_id": svc})

	tests := []struct {
		name, method, path, body string
		status                   int
		message                  string // part of the error message
	}{
		{"no target", http.MethodPost, base, `{"name":"x"}`, 422, "service_id"},
		{"two targets", http.MethodPost, base, fmt.Sprintf(`{"name":"x","service_id":%q,"service_name_field":"svc"}`, svc), 422, "exactly one"},
		{"no name", http.MethodPost, base, fmt.Sprintf(`{"service_id":%q}`, svc), 422, "name"},
		{"unknown service", http.MethodPost, base, `{"name":"x","service_id":"svc_01jdq3m8z6k4t7v9x2b5c8e0fg"}`, 422, "service"},
		{"bad severity", http.MethodPost, base, fmt.Sprintf(`{"name":"x","service_id":%q,"auto_incident":{"severity":"high"}}`, svc), 422, "minor, major, critical"},
		{"bad mapping", http.MethodPost, base, fmt.Sprintf(`{"name":"x","service_id":%q,"status_mapping":{"up":"fine"}}`, svc), 422, "status_mapping"},
		{"bad path", http.MethodPost, base, fmt.Sprintf(`{"name":"x","service_id":%q,"status_field":"a..b"}`, svc), 422, "status_field"},
		{"signature without secret", http.MethodPost, base, fmt.Sprintf(`{"name":"x","service_id":%q,"signature":{}}`, svc), 422, "secret"},
		{"bad scheme", http.MethodPost, base, fmt.Sprintf(`{"name":"x","service_id":%q,"signature":{"secret":"s","scheme":"md5"}}`, svc), 422, "scheme"},
		{"unknown field", http.MethodPost, base, `{"name":"x","colour":"red"}`, 400, "colour"},
		{"wrong type", http.MethodPost, base, `{"name":"x","enabled":"yes"}`, 422, "enabled"},
		{"empty patch", http.MethodPatch, base + "/" + id, `{}`, 422, "at least one"},
		{"null name", http.MethodPatch, base + "/" + id, `{"name":null}`, 422, "name cannot be null"},
		{"target cleared", http.MethodPatch, base + "/" + id, `{"service_id":null}`, 422, "exactly one"},
		{"patch bad severity", http.MethodPatch, base + "/" + id, `{"auto_incident":{"enabled":true,"severity":"urgent"}}`, 422, "minor, major, critical"},
		{"patch unknown nested field", http.MethodPatch, base + "/" + id, `{"signature":{"secret":"s","algorithm":"sha1"}}`, 400, "algorithm"},
		{"unknown receiver", http.MethodPatch, base + "/whr_01jdq5c7d8e9f0g1h2j3k4m5n6", `{"name":"x"}`, 404, "not found"},
		{"bad cursor", http.MethodGet, base + "?cursor=%25%25", "", 400, "cursor"},
		{"bad limit", http.MethodGet, base + "?limit=0", "", 422, "limit"},
		{"rotate with options", http.MethodPost, base + "/" + id + "/rotate-token", `{"keep":true}`, 400, "keep"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var body any
			if tt.body != "" {
				body = tt.body
			}
			r := s.do(tt.method, tt.path, bootstrapKey, body)
			if r.Status != tt.status {
				t.Fatalf("%d %s, want %d", r.Status, r.Body, tt.status)
			}
			if !strings.Contains(string(r.Body), tt.message) {
				t.Errorf("error %s does not mention %q", r.Body, tt.message)
			}
		})
	}
	// Nothing was created or changed by the refused requests.
	list := s.do(http.MethodGet, base, bootstrapKey, nil).json(t)["data"].([]any)
	if len(list) != 1 || list[0].(map[string]any)["name"] != "r" || list[0].(map[string]any)["service_id"] != svc {
		t.Errorf("receivers after refused requests = %v", list)
	}
}

// Deliveries put on INGEST (as the gateway does) are applied by the status
// service and read back through the edge, newest first, payloads embedded.
func TestWebhookReceiverDeliveries(t *testing.T) {
	t.Parallel()
	s := startStack(t)
	svc := s.createService(bootstrapKey, "API")
	orgID := s.do(http.MethodGet, "/api/v1/services/"+svc, bootstrapKey, nil).json(t)["org_id"].(string)
	id := s.createReceiver(bootstrapKey, map[string]any{"name": "Alertmanager", "service_name_field": "labels.service"})
	path := "/api/v1/webhook-receivers/" + id + "/deliveries"

	if r := s.do(http.MethodGet, path, bootstrapKey, nil); r.Status != http.StatusOK || strings.TrimSpace(string(r.Body)) != `{"data":[],"next_cursor":""}` {
		t.Fatalf("empty log: %d %s", r.Status, r.Body)
	}

	at := time.Now().UTC().Truncate(time.Second)
	processed := &ingestv1.IngestEvent{
		DeliveryId: ids.New(ids.Delivery), OrgId: orgID, ReceiverId: id, ReceivedAt: timestamppb.New(at),
		SourceIp: "203.0.113.7", Payload: []byte(`{"status": "firing", "labels": {"service": "API"}}`),
		Result: statusv1.DeliveryResult_DELIVERY_RESULT_PROCESSED, RawStatus: "firing",
		MappedStatus: statusv1.Status_STATUS_DOWN, ServiceName: "API", Message: "High error rate",
	}
	failed := &ingestv1.IngestEvent{
		DeliveryId: ids.New(ids.Delivery), OrgId: orgID, ReceiverId: id, ReceivedAt: timestamppb.New(at.Add(time.Second)),
		SourceIp: "203.0.113.8", Payload: []byte(`status=down`),
		Result: statusv1.DeliveryResult_DELIVERY_RESULT_FAILED, Error: "payload is not JSON",
	}
	s.publishIngest(processed)
	s.publishIngest(failed)

	var log []any
	testenv.Eventually(t, 10*time.Second, func() error {
		r := s.do(http.MethodGet, path, bootstrapKey, nil)
		if r.Status != http.StatusOK {
			return fmt.Errorf("deliveries: %d %s", r.Status, r.Body)
		}
		log, _ = r.json(t)["data"].([]any)
		if len(log) != 2 {
			return fmt.Errorf("%d deliveries logged, want 2", len(log))
		}
		return nil
	})
	newest, oldest := log[0].(map[string]any), log[1].(map[string]any)
	if newest["id"] != failed.GetDeliveryId() || oldest["id"] != processed.GetDeliveryId() {
		t.Fatalf("log order: %v, %v", newest["id"], oldest["id"])
	}
	if newest["result"] != "failed" || newest["payload"] != "status=down" || newest["error"] != "payload is not JSON" ||
		newest["mapped_status"] != "" || newest["new_status"] != "" || newest["service_id"] != "" {
		t.Errorf("failed delivery = %v", newest)
	}
	payload, _ := oldest["payload"].(map[string]any)
	want := map[string]any{
		"result": "processed", "raw_status": "firing", "mapped_status": "down", "previous_status": "operational",
		"new_status": "down", "service_id": svc, "source_ip": "203.0.113.7", "received_at": at.Format(time.RFC3339),
		"payload_truncated": false, "error": "",
	}
	for k, v := range want {
		if oldest[k] != v {
			t.Errorf("processed delivery %s = %v, want %v", k, oldest[k], v)
		}
	}
	if payload["status"] != "firing" {
		t.Errorf("processed payload is not embedded as JSON: %v", oldest["payload"])
	}

	one := s.do(http.MethodGet, path+"/"+processed.GetDeliveryId(), bootstrapKey, nil)
	if one.Status != http.StatusOK || one.json(t)["id"] != processed.GetDeliveryId() || one.json(t)["new_status"] != "down" {
		t.Fatalf("get delivery: %d %s", one.Status, one.Body)
	}
	if r := s.do(http.MethodGet, path+"/dlv_01jdq6r2s3t4v5w6x7y8z9a0b1", bootstrapKey, nil); r.Status != http.StatusNotFound {
		t.Errorf("unknown delivery: %d %s", r.Status, r.Body)
	}

	// The report reached the service, as the receiver's.
	if st := s.do(http.MethodGet, "/api/v1/services/"+svc, bootstrapKey, nil).json(t); st["status"] != "down" || st["status_description"] != "High error rate" {
		t.Errorf("service after the delivery = %v", st)
	}
	hist := s.do(http.MethodGet, "/api/v1/services/"+svc+"/history", bootstrapKey, nil).json(t)["data"].([]any)
	if len(hist) != 1 || hist[0].(map[string]any)["source"] != "webhook" || hist[0].(map[string]any)["actor"] != id {
		t.Errorf("history = %v", hist)
	}
}

// Receivers need the webhook_receivers scopes and stay inside their
// organisation.
func TestWebhookReceiverAccess(t *testing.T) {
	t.Parallel()
	s := startStack(t)
	svc := s.createService(bootstrapKey, "API")
	id := s.createReceiver(bootstrapKey, map[string]any{"name": "r", "service_id": svc})
	base := "/api/v1/webhook-receivers"

	reads := []string{base, base + "/" + id, base + "/" + id + "/deliveries"}
	writes := []struct{ method, path, body string }{
		{http.MethodPost, base, fmt.Sprintf(`{"name":"new","service_id":%q}`, svc)},
		{http.MethodPatch, base + "/" + id, `{"name":"renamed"}`},
		{http.MethodPost, base + "/" + id + "/rotate-token", ""},
	}
	for _, tt := range []struct {
		scope       string
		read, write bool
	}{
		{"webhook_receivers", true, true},
		{"webhook_receivers:read", true, false},
		{"read", true, false},
		{"services", false, false},
		{"api_keys", false, false},
	} {
		key := s.keyWith(tt.scope)
		for _, path := range reads {
			r := s.do(http.MethodGet, path, key, nil)
			if ok := r.Status == http.StatusOK; ok != tt.read || (!ok && r.Status != http.StatusForbidden) {
				t.Errorf("%s GET %s: %d", tt.scope, path, r.Status)
			}
		}
		for _, w := range writes {
			var body any
			if w.body != "" {
				body = w.body
			}
			r := s.do(w.method, w.path, key, body)
			if ok := r.Status < 300; ok != tt.write || (!ok && r.Status != http.StatusForbidden) {
				t.Errorf("%s %s %s: %d %s", tt.scope, w.method, w.path, r.Status, r.Body)
			}
		}
	}
	if r := s.do(http.MethodGet, base, "", nil); r.Status != http.StatusUnauthorized {
		t.Errorf("no key: %d", r.Status)
	}

	// Another organisation sees nothing and changes nothing.
	other := s.newOrg("write")
	if r := s.do(http.MethodGet, base, other, nil); len(r.json(t)["data"].([]any)) != 0 {
		t.Errorf("other org lists %s", r.Body)
	}
	for _, req := range []struct{ method, path, body string }{
		{http.MethodGet, base + "/" + id, ""},
		{http.MethodPatch, base + "/" + id, `{"enabled":false}`},
		{http.MethodPost, base + "/" + id + "/rotate-token", ""},
		{http.MethodGet, base + "/" + id + "/deliveries", ""},
		{http.MethodDelete, base + "/" + id, ""},
	} {
		var body any
		if req.body != "" {
			body = req.body
		}
		if r := s.do(req.method, req.path, other, body); r.Status != http.StatusNotFound {
			t.Errorf("other org %s %s: %d", req.method, req.path, r.Status)
		}
	}
	// Nor can it point a receiver at this organisation's service.
	if r := s.do(http.MethodPost, base, other, map[string]any{"name": "x", "service_id": svc}); r.Status != http.StatusUnprocessableEntity {
		t.Errorf("other org's receiver on my service: %d %s", r.Status, r.Body)
	}
	if r := s.do(http.MethodGet, base+"/"+id, bootstrapKey, nil).json(t); r["enabled"] != true {
		t.Errorf("receiver changed by another organisation: %v", r)
	}
}

// createReceiver creates a webhook receiver and returns its id.
func (s *stack) createReceiver(key string, body map[string]any) string {
	s.t.Helper()
	r := s.do(http.MethodPost, "/api/v1/webhook-receivers", key, body)
	if r.Status != http.StatusCreated {
		s.t.Fatalf("create receiver: %d %s", r.Status, r.Body)
	}
	return r.json(s.t)["id"].(string)
}

// publishIngest puts a delivery on INGEST as the gateway would.
func (s *stack) publishIngest(ev *ingestv1.IngestEvent) {
	s.t.Helper()
	data, err := proto.Marshal(ev)
	if err != nil {
		s.t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := s.js.Publish(ctx, bus.IngestSubject(ev.GetOrgId(), ev.GetReceiverId()), data,
		jetstream.WithMsgID(ev.GetDeliveryId())); err != nil {
		s.t.Fatal(err)
	}
}
