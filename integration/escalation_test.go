package integration

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/upstatehq/upstate/pkg/bus"
	"github.com/upstatehq/upstate/pkg/testenv"
	"github.com/upstatehq/upstate/webhook"
)

// catcher is a webhook endpoint on the loopback that keeps the messages
// it receives, by path, checking each one's Standard Webhooks signature
// against the secret of its path.
type catcher struct {
	t     *testing.T
	srv   *httptest.Server
	clock clockwork.Clock
	mu    sync.Mutex
	// secrets are the channels' signing secrets, by path.
	secrets map[string]string
	got     map[string][]caught
}

// caught is one message a catcher received.
type caught struct {
	ID   string // webhook-id
	Kind string // data.kind
	Body map[string]any
}

func newCatcher(t *testing.T, clock clockwork.Clock) *catcher {
	c := &catcher{t: t, clock: clock, secrets: map[string]string{}, got: map[string][]caught{}}
	c.srv = httptest.NewServer(http.HandlerFunc(c.serve))
	t.Cleanup(c.srv.Close)
	return c
}

func (c *catcher) serve(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	secret := c.secrets[r.URL.Path]
	if err := webhook.Verify(webhook.Signature{Secret: secret, Scheme: webhook.SchemeStandardWebhooks}, r.Header, body, c.clock.Now()); err != nil {
		c.t.Errorf("%s: a message without a valid signature: %v", r.URL.Path, err)
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	var m map[string]any
	if err := json.Unmarshal(body, &m); err != nil {
		c.t.Errorf("%s: body %s: %v", r.URL.Path, body, err)
	}
	data, _ := m["data"].(map[string]any)
	kind, _ := data["kind"].(string)
	c.got[r.URL.Path] = append(c.got[r.URL.Path], caught{ID: r.Header.Get("webhook-id"), Kind: kind, Body: m})
}

// kinds returns the kinds of the messages path received, in order.
func (c *catcher) kinds(path string) []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []string
	for _, m := range c.got[path] {
		out = append(out, m.Kind)
	}
	return out
}

// await waits until path has received exactly want (kinds in order).
func (c *catcher) await(path string, want ...string) {
	c.t.Helper()
	testenv.Eventually(c.t, 10*time.Second, func() error {
		if got := c.kinds(path); fmt.Sprint(got) != fmt.Sprint(want) {
			return fmt.Errorf("%s received %v, want %v", path, got, want)
		}
		return nil
	})
}

// none fails if path receives more than n messages within d (the
// scheduler's chance to act on a moved clock).
func (c *catcher) none(path string, n int, d time.Duration) {
	c.t.Helper()
	for end := time.Now().Add(d); time.Now().Before(end); time.Sleep(20 * time.Millisecond) {
		if got := c.kinds(path); len(got) > n {
			c.t.Fatalf("%s received %v, want only %d", path, got, n)
		}
	}
}

// createWebhookChannel creates a webhook channel to the catcher's path
// and keeps its signing secret.
func (s *stack) createWebhookChannel(c *catcher, name, path string) string {
	s.t.Helper()
	r := s.do(http.MethodPost, "/api/v1/channels", bootstrapKey, map[string]any{
		"name": name, "type": "webhook", "config": map[string]any{"url": c.srv.URL + path},
	})
	if r.Status != http.StatusCreated {
		s.t.Fatalf("create channel: %d %s", r.Status, r.Body)
	}
	body := r.json(s.t)
	secret, _ := body["secret"].(string)
	if secret == "" {
		s.t.Fatalf("channel without its secret: %s", r.Body)
	}
	c.mu.Lock()
	c.secrets[path] = secret
	c.mu.Unlock()
	return body["id"].(string)
}

// awaitConsumed waits until the durable consumer on stream has every
// message of the stream acknowledged: what was published is applied.
func (s *stack) awaitConsumed(stream, durable string) {
	s.t.Helper()
	testenv.Eventually(s.t, 10*time.Second, func() error {
		c, err := s.js.Consumer(context.Background(), stream, durable)
		if err != nil {
			return err
		}
		info, err := c.Info(context.Background())
		if err != nil {
			return err
		}
		if info.NumPending > 0 || info.NumAckPending > 0 {
			return fmt.Errorf("%s on %s: %d pending, %d unacknowledged", durable, stream, info.NumPending, info.NumAckPending)
		}
		return nil
	})
}

// The end-to-end scenario: a receiver reports down, the rule
// fires, step 1 notifies the on-call user's channel; nobody acknowledges,
// so step 2 notifies the ops channel a minute later; acknowledged, step 3
// never comes; resolved, everyone notified gets the resolution; the
// history shows every delivery with its attempts.
func TestEscalationEndToEnd(t *testing.T) {
	t.Parallel()
	clock := newFakeClock()
	s := startStackAt(t, clock)
	hooks := newCatcher(t, clock)

	svc := s.createService(bootstrapKey, "Checkout")
	_, path := s.createWebhookReceiver(fmt.Sprintf(`{"name":"monitor","service_id":%q}`, svc))
	adaChannel := s.createWebhookChannel(hooks, "Ada's hook", "/ada")
	opsChannel := s.createWebhookChannel(hooks, "Ops", "/ops")
	ada := s.created("/api/v1/users", bootstrapKey, map[string]any{"name": "Ada", "email": "ada@example.com", "channel_ids": []string{adaChannel}})
	grace := s.created("/api/v1/users", bootstrapKey, map[string]any{"name": "Grace", "email": "grace@example.com"})
	sched := s.created("/api/v1/schedules", bootstrapKey, map[string]any{"name": "Primary", "time_zone": "UTC", "layers": []map[string]any{{
		"name": "weekly", "members": []string{ada}, "start": "2026-01-01T00:00:00", "handoff": map[string]any{"every": 1, "unit": "week"},
	}}})
	policy := s.created("/api/v1/escalation-policies", bootstrapKey, map[string]any{"name": "Checkout", "steps": []map[string]any{
		{"after": "0s", "targets": []map[string]any{{"schedule_id": sched}}},
		{"after": "1m", "targets": []map[string]any{{"channel_id": opsChannel}}},
		{"after": "3m", "targets": []map[string]any{{"user_id": ada}, {"user_id": grace}}},
	}})
	s.createRule(fmt.Sprintf(`{"name":"Checkout down","selector":{"service_ids":[%q]},"for":"0s","severity":"critical",
		"group_wait":"0s","group_interval":"1m","repeat_interval":"4h","escalation_policy_id":%q}`, svc, policy))

	start := clock.Now()
	s.report(path, "down")
	alert := s.awaitAlert("service_id="+svc, "firing")
	alertID := alert["id"].(string)
	hooks.await("/ada", "trigger")
	hooks.await("/ops")

	advanceTo(clock, start.Add(time.Minute))
	hooks.await("/ops", "trigger")
	hooks.await("/ada", "trigger")

	events := s.watchAlerts()
	if r := s.do(http.MethodPost, "/api/v1/alerts/"+alertID+"/ack", bootstrapKey, map[string]any{"note": "on it"}); r.Status != http.StatusOK {
		t.Fatalf("ack: %d %s", r.Status, r.Body)
	}
	// Published, then applied by the escalation engine.
	for events.w.Next(10*time.Second).Headers().Get(bus.HeaderCEType) != "upstate.alerting.v1.AlertAcknowledged" {
	}
	s.awaitConsumed(bus.StreamAlerts, "notification-alerts")
	advanceTo(clock, start.Add(4*time.Minute))
	// Step 3 would reach Ada's hook (Grace has no channel and no SMTP is
	// configured).
	hooks.none("/ada", 1, time.Second)

	s.report(path, "operational")
	s.awaitAlert("service_id="+svc, "resolved")
	hooks.await("/ada", "trigger", "resolve")
	hooks.await("/ops", "trigger", "resolve")
	for _, p := range []string{"/ada", "/ops"} {
		hooks.mu.Lock()
		m := hooks.got[p]
		hooks.mu.Unlock()
		if m[0].ID == m[1].ID || m[0].Body["data"].(map[string]any)["alert_id"] != alertID {
			t.Errorf("%s: messages %v", p, m)
		}
	}

	// The sinks have every message, but the workers record an outcome
	// once they have the answer.
	testenv.Eventually(t, 20*time.Second, func() error {
		r := s.do(http.MethodGet, "/api/v1/notifications?alert_id="+alertID, bootstrapKey, nil)
		if r.Status != http.StatusOK {
			return fmt.Errorf("notifications: %d %s", r.Status, r.Body)
		}
		list := r.json(t)["data"].([]any)
		if len(list) != 4 {
			return fmt.Errorf("notifications of the alert: %d, want 4: %s", len(list), r.Body)
		}
		for _, n := range list {
			n := n.(map[string]any)
			attempts, _ := n["attempts"].([]any)
			if n["status"] != "delivered" || len(attempts) != 1 || attempts[0].(map[string]any)["status_code"] != float64(200) {
				return fmt.Errorf("notification %v", n)
			}
		}
		return nil
	})
}

// An incident route sends the incident's events of its kinds about the
// services it selects to its channels, and nothing else.
func TestIncidentRouteDeliversToItsChannel(t *testing.T) {
	t.Parallel()
	clock := newFakeClock()
	s := startStackAt(t, clock)
	hooks := newCatcher(t, clock)
	api, worker := s.createService(bootstrapKey, "API"), s.createService(bootstrapKey, "Worker")
	ch := s.createWebhookChannel(hooks, "Incidents", "/incidents")
	s.created("/api/v1/routes", bootstrapKey, map[string]any{"name": "API incidents", "events": []string{"incident.opened", "incident.resolved"},
		"services": map[string]any{"service_ids": []string{api}}, "channel_ids": []string{ch}})

	create := func(svc, title string) string {
		t.Helper()
		r := s.do(http.MethodPost, "/api/v1/incidents", bootstrapKey, map[string]any{"title": title, "severity": "major", "service_ids": []string{svc}, "message": "Looking into it"})
		if r.Status != http.StatusCreated {
			t.Fatalf("create incident: %d %s", r.Status, r.Body)
		}
		return r.json(t)["id"].(string)
	}
	create(worker, "Worker slow")
	id := create(api, "API errors")
	hooks.await("/incidents", "trigger")
	s.awaitConsumed(bus.StreamIncidents, "notification-incidents")
	hooks.await("/incidents", "trigger")
	hooks.mu.Lock()
	data := hooks.got["/incidents"][0].Body["data"].(map[string]any)
	hooks.mu.Unlock()
	if data["incident_id"] != id || data["title"] != "Incident: API errors" {
		t.Fatalf("message %v", data)
	}
}
