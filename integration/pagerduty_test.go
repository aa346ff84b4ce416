package integration

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/upstatehq/upstate/pkg/bus"
	"github.com/upstatehq/upstate/pkg/testenv"
)

// pagerDuty is a PagerDuty Events API v2 endpoint on the loopback: it
// refuses what PagerDuty refuses (400), answers what it accepts as
// PagerDuty does (202 with the dedup_key) and keeps the accepted events
// by routing key.
type pagerDuty struct {
	t   *testing.T
	srv *httptest.Server
	mu  sync.Mutex
	got map[string][]string // routing key → "event_action dedup_key"
}

func newPagerDuty(t *testing.T) *pagerDuty {
	pd := &pagerDuty{t: t, got: map[string][]string{}}
	pd.srv = httptest.NewServer(http.HandlerFunc(pd.serve))
	t.Cleanup(pd.srv.Close)
	return pd
}

func (pd *pagerDuty) serve(w http.ResponseWriter, r *http.Request) {
	var ev struct {
		RoutingKey  string `json:"routing_key"`
		EventAction string `json:"event_action"`
		DedupKey    string `json:"dedup_key"`
		Payload     *struct {
			Summary, Source, Severity string
		} `json:"payload"`
	}
	err := json.NewDecoder(r.Body).Decode(&ev)
	switch {
	case r.Method != http.MethodPost || r.URL.Path != "/v2/enqueue" || r.Header.Get("Content-Type") != "application/json":
		err = fmt.Errorf("%s %s (%s)", r.Method, r.URL.Path, r.Header.Get("Content-Type"))
	case err != nil:
	case ev.RoutingKey == "" || ev.DedupKey == "":
		err = fmt.Errorf("routing_key and dedup_key are required")
	case ev.EventAction == "trigger" && (ev.Payload == nil || ev.Payload.Summary == "" || ev.Payload.Source == "" || ev.Payload.Severity == ""):
		err = fmt.Errorf("a trigger needs payload.summary, source and severity")
	case ev.EventAction != "trigger" && ev.EventAction != "acknowledge" && ev.EventAction != "resolve":
		err = fmt.Errorf("event_action %q", ev.EventAction)
	}
	w.Header().Set("Content-Type", "application/json")
	if err != nil {
		pd.t.Errorf("pagerduty: invalid event: %v", err)
		w.WriteHeader(http.StatusBadRequest)
		_ = json.NewEncoder(w).Encode(map[string]any{"status": "invalid event", "message": err.Error()})
		return
	}
	pd.mu.Lock()
	pd.got[ev.RoutingKey] = append(pd.got[ev.RoutingKey], ev.EventAction+" "+ev.DedupKey)
	pd.mu.Unlock()
	w.WriteHeader(http.StatusAccepted)
	_ = json.NewEncoder(w).Encode(map[string]any{"status": "success", "message": "Event processed", "dedup_key": ev.DedupKey})
}

func (pd *pagerDuty) events(routingKey string) []string {
	pd.mu.Lock()
	defer pd.mu.Unlock()
	return slices.Clone(pd.got[routingKey])
}

// await waits until routingKey has received exactly want, in order.
func (pd *pagerDuty) await(routingKey string, want ...string) {
	pd.t.Helper()
	testenv.Eventually(pd.t, 10*time.Second, func() error {
		if got := pd.events(routingKey); !slices.Equal(got, want) {
			return fmt.Errorf("%s received %q, want %q", routingKey, got, want)
		}
		return nil
	})
}

// An alert paging a PagerDuty channel and then acknowledged in upstate
// acknowledges the PagerDuty incident (same dedup_key, once), so that
// PagerDuty stops paging too; a PagerDuty channel of a later step, never
// paged, hears nothing of it; the resolution resolves the incident.
func TestPagerDutyAcknowledgeEndToEnd(t *testing.T) {
	t.Parallel()
	clock := newFakeClock()
	s := startStackAt(t, clock)
	pd := newPagerDuty(t)
	const primaryKey, secondaryKey = "R0123456789abcdef0123456789prima", "R0123456789abcdef0123456789secon"

	svc := s.createService(bootstrapKey, "Checkout")
	_, path := s.createWebhookReceiver(fmt.Sprintf(`{"name":"monitor","service_id":%q}`, svc))
	channel := func(name, key string) string {
		return s.created("/api/v1/channels", bootstrapKey, map[string]any{"name": name, "type": "pagerduty",
			"config": map[string]any{"routing_key": key, "base_url": pd.srv.URL}})
	}
	primary, secondary := channel("Primary", primaryKey), channel("Secondary", secondaryKey)
	policy := s.created("/api/v1/escalation-policies", bootstrapKey, map[string]any{"name": "Checkout", "steps": []map[string]any{
		{"after": "0s", "targets": []map[string]any{{"channel_id": primary}}},
		{"after": "5m", "targets": []map[string]any{{"channel_id": secondary}}},
	}})
	s.createRule(fmt.Sprintf(`{"name":"Checkout down","selector":{"service_ids":[%q]},"for":"0s","severity":"critical",
		"group_wait":"0s","group_interval":"1m","repeat_interval":"4h","escalation_policy_id":%q}`, svc, policy))

	start := clock.Now()
	s.report(path, "down")
	alertID := s.awaitAlert("service_id="+svc, "firing")["id"].(string)
	pd.await(primaryKey, "trigger "+alertID)

	events := s.watchAlerts()
	if r := s.do(http.MethodPost, "/api/v1/alerts/"+alertID+"/ack", bootstrapKey, map[string]any{"note": "on it"}); r.Status != http.StatusOK {
		t.Fatalf("ack: %d %s", r.Status, r.Body)
	}
	for events.w.Next(10*time.Second).Headers().Get(bus.HeaderCEType) != "upstate.alerting.v1.AlertAcknowledged" {
	}
	s.awaitConsumed(bus.StreamAlerts, "notification-alerts")
	pd.await(primaryKey, "trigger "+alertID, "acknowledge "+alertID)
	// Past step 2: the acknowledgement stopped it, so the secondary
	// channel was never paged and is owed no acknowledgement.
	advanceTo(clock, start.Add(6*time.Minute))
	for end := time.Now().Add(time.Second); time.Now().Before(end); time.Sleep(20 * time.Millisecond) {
		if got := pd.events(secondaryKey); len(got) != 0 {
			t.Fatalf("the channel of step 2 received %q after the acknowledgement", got)
		}
	}

	s.report(path, "operational")
	s.awaitAlert("service_id="+svc, "resolved")
	pd.await(primaryKey, "trigger "+alertID, "acknowledge "+alertID, "resolve "+alertID)
	if got := pd.events(secondaryKey); len(got) != 0 {
		t.Fatalf("the channel never paged received %q", got)
	}

	// Each message is a notification of the history, delivered once.
	r := s.do(http.MethodGet, "/api/v1/notifications?alert_id="+alertID, bootstrapKey, nil)
	if r.Status != http.StatusOK {
		t.Fatalf("notifications: %d %s", r.Status, r.Body)
	}
	var kinds []string
	for _, n := range r.json(t)["data"].([]any) {
		n := n.(map[string]any)
		attempts, _ := n["attempts"].([]any)
		if n["channel_id"] != primary || n["status"] != "delivered" || len(attempts) != 1 || attempts[0].(map[string]any)["status_code"] != float64(http.StatusAccepted) {
			t.Errorf("notification %v", n)
		}
		kinds = append(kinds, n["kind"].(string))
	}
	slices.Sort(kinds)
	if want := []string{"acknowledge", "resolve", "trigger"}; !slices.Equal(kinds, want) {
		t.Fatalf("notifications of the alert: %q, want %q", kinds, want)
	}
}
