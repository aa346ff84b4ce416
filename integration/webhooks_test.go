package integration

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/upstatehq/upstate/pkg/testenv"
)

// createWebhookReceiver creates a receiver and returns its id and the path of its URL.
func (s *stack) createWebhookReceiver(body string) (id, path string) {
	s.t.Helper()
	r := s.do(http.MethodPost, "/api/v1/webhook-receivers", bootstrapKey, body)
	if r.Status != http.StatusCreated {
		s.t.Fatalf("create receiver: %d %s", r.Status, r.Body)
	}
	m := r.json(s.t)
	url := m["url"].(string)
	return m["id"].(string), url[strings.Index(url, "/api/webhooks/"):]
}

// post sends a webhook delivery with optional extra headers.
func (s *stack) post(path, body string, headers ...string) response {
	s.t.Helper()
	req, err := http.NewRequest(http.MethodPost, s.baseURL+path, strings.NewReader(body))
	if err != nil {
		s.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	return send(s.t, req)
}

// deliveries returns a receiver's delivery log, newest first.
func (s *stack) deliveries(receiverID string) []map[string]any {
	s.t.Helper()
	r := s.do(http.MethodGet, "/api/v1/webhook-receivers/"+receiverID+"/deliveries", bootstrapKey, nil)
	if r.Status != http.StatusOK {
		s.t.Fatalf("deliveries: %d %s", r.Status, r.Body)
	}
	var out []map[string]any
	for _, d := range r.json(s.t)["data"].([]any) {
		out = append(out, d.(map[string]any))
	}
	return out
}

// awaitDeliveries waits until the log holds n entries and returns them.
func (s *stack) awaitDeliveries(receiverID string, n int) []map[string]any {
	s.t.Helper()
	var got []map[string]any
	testenv.Eventually(s.t, 10*time.Second, func() error {
		got = s.deliveries(receiverID)
		if len(got) != n {
			return fmt.Errorf("delivery log holds %d entries, want %d", len(got), n)
		}
		return nil
	})
	return got
}

// hmacHex is what `printf '%s' "$body" | openssl dgst -sha256 -hmac "$secret"` prints.
func hmacHex(secret, body string) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(body))
	return hex.EncodeToString(m.Sum(nil))
}

// The webhook issue's "done when": a signed nested payload changes the
// service and is logged processed; a wrong signature is 401 and logged
// auth_failed; an unmapped status is ignored with the reason.
func TestWebhookSignedNestedPayload(t *testing.T) {
	t.Parallel()
	s := startStack(t)
	svc := s.createService(bootstrapKey, "API")
	const secret = "s3cr3t-for-tests"
	rid, path := s.createWebhookReceiver(`{"name":"statuspage","service_id":"` + svc + `",
		"status_field":"data.attributes.current_status","signature":{"secret":"` + secret + `"}}`)

	body := `{"data":{"attributes":{"current_status":"outage"}}}`
	r := s.post(path, body, "X-Webhook-Signature", hmacHex(secret, body))
	if r.Status != http.StatusAccepted || !strings.HasPrefix(r.json(t)["delivery_id"].(string), "dlv_") {
		t.Fatalf("signed delivery: %d %s", r.Status, r.Body)
	}
	d := s.awaitDeliveries(rid, 1)[0]
	if d["result"] != "processed" || d["raw_status"] != "outage" || d["mapped_status"] != "down" ||
		d["previous_status"] != "operational" || d["new_status"] != "down" || d["service_id"] != svc {
		t.Fatalf("delivery = %v", d)
	}
	if got := s.do(http.MethodGet, "/api/v1/services/"+svc, bootstrapKey, nil).json(t); got["status"] != "down" {
		t.Fatalf("service after delivery: %v", got)
	}

	bad := s.post(path, body, "X-Webhook-Signature", hmacHex("wrong", body))
	if bad.Status != http.StatusUnauthorized {
		t.Fatalf("wrong signature: %d %s", bad.Status, bad.Body)
	}
	if d := s.awaitDeliveries(rid, 2)[0]; d["result"] != "auth_failed" {
		t.Fatalf("newest delivery after a wrong signature = %v", d)
	}

	unmapped := `{"data":{"attributes":{"current_status":"on fire"}}}`
	if r := s.post(path, unmapped, "X-Webhook-Signature", hmacHex(secret, unmapped)); r.Status != http.StatusAccepted {
		t.Fatalf("unmapped: %d %s", r.Status, r.Body)
	}
	d = s.awaitDeliveries(rid, 3)[0]
	if d["result"] != "ignored" || d["raw_status"] != "on fire" || d["error"] == "" {
		t.Fatalf("unmapped delivery = %v", d)
	}
	if got := s.do(http.MethodGet, "/api/v1/services/"+svc, bootstrapKey, nil).json(t); got["status"] != "down" {
		t.Fatalf("service changed by a refused or ignored delivery: %v", got)
	}
}

// The seed examples, verbatim: a plain status with a message, and CI/CD
// success and failure posts, picking the service by name.
func TestWebhookSeedExamples(t *testing.T) {
	t.Parallel()
	s := startStack(t)
	svc := s.createService(bootstrapKey, "Checkout")
	_, plain := s.createWebhookReceiver(`{"name":"plain","service_id":"` + svc + `"}`)

	r := s.post(plain+"?wait=true", `{"status":"down","message":"Deployment failed"}`)
	if r.Status != http.StatusOK || r.json(t)["result"] != "processed" || r.json(t)["new_status"] != "down" {
		t.Fatalf("wait=true delivery: %d %s", r.Status, r.Body)
	}
	got := s.do(http.MethodGet, "/api/v1/services/"+svc, bootstrapKey, nil).json(t)
	if got["status"] != "down" || got["status_description"] != "Deployment failed" {
		t.Fatalf("service = %v", got)
	}
	hist := s.do(http.MethodGet, "/api/v1/services/"+svc+"/history", bootstrapKey, nil).json(t)["data"].([]any)
	if e := hist[0].(map[string]any); e["source"] != "webhook" || !strings.HasPrefix(e["actor"].(string), "whr_") {
		t.Fatalf("history entry = %v", e)
	}

	_, ci := s.createWebhookReceiver(`{"name":"ci","service_name_field":"service","status_field":"result",
		"message_field":"commit","status_mapping":{"success":"operational","failure":"down"}}`)
	for _, c := range []struct{ body, want string }{
		{`{"service":"checkout","result":"failure","commit":"abc123 broke it"}`, "down"},
		{`{"service":"CHECKOUT","result":"success","commit":"def456 fixed it"}`, "operational"},
	} {
		r := s.post(ci+"?wait=true", c.body)
		if r.Status != http.StatusOK || r.json(t)["new_status"] != c.want {
			t.Fatalf("CI post %s: %d %s", c.body, r.Status, r.Body)
		}
	}
	if r := s.post(ci+"?wait=true", `{"service":"nope","result":"failure"}`); r.json(t)["result"] != "ignored" {
		t.Fatalf("unknown service name: %d %s", r.Status, r.Body)
	}
}
