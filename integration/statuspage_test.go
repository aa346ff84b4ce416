package integration

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/upstatehq/upstate/pkg/testenv"
	statuspage "github.com/upstatehq/upstate/services/statuspage/app"
	"github.com/upstatehq/upstate/webhook"
)

// hookSink is a webhook subscriber: it records the deliveries it gets.
type hookSink struct {
	mu   sync.Mutex
	got  []hookDelivery
	srv  *httptest.Server
	fail bool
}

type hookDelivery struct {
	header http.Header
	body   []byte
	at     time.Time
}

func newHookSink(t *testing.T) *hookSink {
	h := &hookSink{}
	h.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		h.mu.Lock()
		h.got = append(h.got, hookDelivery{r.Header.Clone(), body, time.Now()})
		h.mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(h.srv.Close)
	return h
}

func (h *hookSink) deliveries() []hookDelivery {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]hookDelivery(nil), h.got...)
}

// public sends an unauthenticated GET to a public page path.
func (s *stack) public(path string, header ...string) response {
	s.t.Helper()
	req, err := http.NewRequest(http.MethodGet, s.baseURL+path, nil)
	if err != nil {
		s.t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	return send(s.t, req)
}

// createPage creates a status page and returns it.
func (s *stack) createPage(body map[string]any) map[string]any {
	s.t.Helper()
	r := s.do(http.MethodPost, "/api/v1/status-pages", bootstrapKey, body)
	if r.Status != http.StatusCreated {
		s.t.Fatalf("create status page: %d %s", r.Status, r.Body)
	}
	return r.json(s.t)
}

// subscribe subscribes endpoint to the page's webhooks and returns the
// subscriber with its secret.
func (s *stack) subscribe(slug, endpoint string) map[string]any {
	s.t.Helper()
	req, err := http.NewRequest(http.MethodPost, s.baseURL+"/status/"+slug+"/api/v2/subscribers.json", strings.NewReader(`{"endpoint":"`+endpoint+`"}`))
	if err != nil {
		s.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	r := send(s.t, req)
	if r.Status != http.StatusCreated {
		s.t.Fatalf("subscribe: %d %s", r.Status, r.Body)
	}
	return r.json(s.t)["subscriber"].(map[string]any)
}

// awaitSummary waits until the page's summary.json passes check.
func (s *stack) awaitSummary(slug string, check func(map[string]any) error) map[string]any {
	s.t.Helper()
	var m map[string]any
	testenv.Eventually(s.t, 10*time.Second, func() error {
		r := s.public("/status/" + slug + "/api/v2/summary.json")
		if r.Status != http.StatusOK {
			return fmt.Errorf("summary.json: %d %s", r.Status, r.Body)
		}
		m = r.json(s.t)
		return check(m)
	})
	return m
}

// componentStatuses are a summary's components' statuses, by name.
func componentStatuses(summary map[string]any) map[string]string {
	out := map[string]string{}
	for _, c := range summary["components"].([]any) {
		m := c.(map[string]any)
		out[m["name"].(string)] = m["status"].(string)
	}
	return out
}

func indicator(summary map[string]any) string {
	return summary["status"].(map[string]any)["indicator"].(string)
}

// A webhook moves a service; its page's JSON and HTML show it at once, a
// webhook subscriber receives one signed component_update, an incident
// appears and disappears, the service restarted rebuilds nothing wrong
// and a deleted page is gone.
func TestStatusPageFollowsWebhooks(t *testing.T) {
	t.Parallel()
	s := startStack(t)
	api := s.createService(bootstrapKey, "API")
	mail := s.createService(bootstrapKey, "Email")
	page := s.createPage(map[string]any{"name": "Pushmail", "slug": "pushmail", "components": []map[string]any{
		{"service_id": api, "position": 1},
		{"service_id": mail, "name": "Pushmail Email Delivery", "group": "Email", "position": 2},
	}})
	if page["url"] != s.baseURL+"/status/pushmail" || !strings.HasPrefix(page["id"].(string), "pag_") {
		t.Fatalf("page %v", page)
	}
	s.awaitSummary("pushmail", func(m map[string]any) error {
		if st := componentStatuses(m); indicator(m) != "none" || st["API"] != "operational" || st["Pushmail Email Delivery"] != "operational" {
			return fmt.Errorf("summary %v, want everything operational", m)
		}
		return nil
	})
	html := s.public("/status/pushmail")
	if html.Status != http.StatusOK || !strings.Contains(string(html.Body), "All Systems Operational") || strings.Count(string(html.Body), "<rect x=") != 180 {
		t.Fatalf("page: %d, want the banner and 90 bars per component:\n%s", html.Status, html.Body)
	}
	sink := newHookSink(t)
	sub := s.subscribe("pushmail", sink.srv.URL)

	_, path := s.createWebhookReceiver(`{"name":"ci","service_id":"` + mail + `"}`)
	if r := s.post(path, `{"status":"down","message":"Email delivery delays in US-East region"}`); r.Status != http.StatusAccepted {
		t.Fatalf("webhook: %d %s", r.Status, r.Body)
	}
	s.awaitSummary("pushmail", func(m map[string]any) error {
		if st := componentStatuses(m); indicator(m) != "major" || st["Pushmail Email Delivery"] != "major_outage" || st["Email"] != "major_outage" {
			return fmt.Errorf("summary %v, want the component and its group major_outage, indicator major", m)
		}
		return nil
	})
	html = s.public("/status/pushmail")
	for _, want := range []string{"Partial System Outage", "Pushmail Email Delivery is down: Email delivery delays in US-East region"} {
		if !strings.Contains(string(html.Body), want) {
			t.Errorf("the page lacks %q", want)
		}
	}

	// One signed component_update, whatever the retries.
	testenv.Eventually(t, 10*time.Second, func() error {
		if n := len(sink.deliveries()); n != 1 {
			return fmt.Errorf("%d deliveries, want 1", n)
		}
		return nil
	})
	d := sink.deliveries()[0]
	sig := webhook.Signature{Secret: sub["secret"].(string), Scheme: webhook.SchemeStandardWebhooks}
	if err := webhook.Verify(sig, d.header, d.body, time.Now()); err != nil {
		t.Errorf("the delivery's signature: %v", err)
	}
	var payload struct {
		ComponentUpdate struct {
			NewStatus string `json:"new_status"`
		} `json:"component_update"`
		Component struct {
			Name string `json:"name"`
		} `json:"component"`
	}
	if err := json.Unmarshal(d.body, &payload); err != nil {
		t.Fatal(err)
	}
	if payload.ComponentUpdate.NewStatus != "major_outage" || payload.Component.Name != "Pushmail Email Delivery" {
		t.Errorf("payload %s", d.body)
	}

	// An incident on the API appears among the unresolved, then leaves.
	inc := s.do(http.MethodPost, "/api/v1/incidents", bootstrapKey, map[string]any{"title": "Slow API", "severity": "critical", "service_ids": []string{api}})
	if inc.Status != http.StatusCreated {
		t.Fatalf("create incident: %d %s", inc.Status, inc.Body)
	}
	incID := inc.json(t)["id"].(string)
	s.awaitSummary("pushmail", func(m map[string]any) error {
		incs := m["incidents"].([]any)
		if len(incs) != 1 || incs[0].(map[string]any)["id"] != incID || indicator(m) != "critical" {
			return fmt.Errorf("summary incidents %v, indicator %s; want %s and critical", incs, indicator(m), incID)
		}
		return nil
	})
	if r := s.do(http.MethodPatch, "/api/v1/incidents/"+incID, bootstrapKey, `{"status":"resolved"}`); r.Status != http.StatusOK {
		t.Fatalf("resolve: %d %s", r.Status, r.Body)
	}
	s.awaitSummary("pushmail", func(m map[string]any) error {
		if incs := m["incidents"].([]any); len(incs) != 0 || indicator(m) != "major" {
			return fmt.Errorf("summary incidents %v after resolving", incs)
		}
		return nil
	})
	all := s.public("/status/pushmail/api/v2/incidents.json").json(t)["incidents"].([]any)
	if len(all) != 1 || all[0].(map[string]any)["status"] != "resolved" {
		t.Errorf("incidents.json %v, want the resolved incident", all)
	}

	// A maintenance window appears as upcoming, in progress, then leaves
	// the summary; a person sees it on the page.
	start := time.Now().Add(time.Second)
	mnt := s.scheduleMaintenance([]string{api}, start, start.Add(2*time.Second))
	mntID := mnt["id"].(string)
	awaitWindows := func(doc, status string) {
		t.Helper()
		testenv.Eventually(t, 15*time.Second, func() error {
			ws := s.public("/status/pushmail/api/v2/" + doc).json(t)["scheduled_maintenances"].([]any)
			if len(ws) != 1 || ws[0].(map[string]any)["id"] != mntID || ws[0].(map[string]any)["status"] != status {
				return fmt.Errorf("%s: %v, want %s %s", doc, ws, mntID, status)
			}
			return nil
		})
	}
	awaitWindows("scheduled-maintenances/upcoming.json", "scheduled")
	if !strings.Contains(string(s.public("/status/pushmail").Body), "Database upgrade") {
		t.Error("the page does not show the scheduled maintenance")
	}
	awaitWindows("scheduled-maintenances/active.json", "in_progress")
	awaitWindows("scheduled-maintenances.json", "completed")
	if ws := s.public("/status/pushmail/api/v2/summary.json").json(t)["scheduled_maintenances"].([]any); len(ws) != 0 {
		t.Errorf("summary lists a completed window: %v", ws)
	}

	// One delivery per event: the change, the incident opened and
	// resolved, the window scheduled, started and ended (the service's
	// own changes of status into and out of maintenance are two more).
	// Once they are all there, the page has settled.
	testenv.Eventually(t, 10*time.Second, func() error {
		kinds := map[string]int{}
		for _, d := range sink.deliveries() {
			var p map[string]any
			if err := json.Unmarshal(d.body, &p); err != nil {
				return err
			}
			switch {
			case p["component_update"] != nil:
				kinds["component_update"]++
			case p["incident"].(map[string]any)["impact"] == "maintenance":
				kinds["maintenance"]++
			default:
				kinds["incident"]++
			}
		}
		if kinds["component_update"] != 3 || kinds["incident"] != 2 || kinds["maintenance"] != 3 {
			return fmt.Errorf("deliveries %v, want 3 component updates, 2 incident and 3 maintenance payloads", kinds)
		}
		return nil
	})
	// Restarted, the service shows the same, and sends nothing again.
	before := s.public("/status/pushmail/api/v2/components.json")
	stopUnit(t, s.svc.StatusPage)
	r, err := s.host.Start(context.Background(), statuspage.Unit(s.cfg.StatusPage, s.svc.StatusPage.GRPCAddr(), s.svc.Status.GRPCAddr(), s.svc.SLA.GRPCAddr()))
	if err != nil {
		t.Fatal(err)
	}
	s.svc.StatusPage = r
	if after := s.public("/status/pushmail/api/v2/components.json"); string(after.Body) != string(before.Body) {
		t.Errorf("components.json after a restart:\n%s\nbefore:\n%s", after.Body, before.Body)
	}
	if n := len(sink.deliveries()); n != 8 {
		t.Errorf("%d deliveries after a restart, want the same 8", n)
	}
	ids := map[string]bool{}
	for _, d := range sink.deliveries() {
		if id := d.header.Get("webhook-id"); ids[id] {
			t.Errorf("message %s delivered twice", id)
		} else {
			ids[id] = true
		}
	}

	// Operators see the subscriber and remove it.
	subs := s.getJSON("/api/v1/status-pages/" + page["id"].(string) + "/subscribers")["data"].([]any)
	if len(subs) != 1 || subs[0].(map[string]any)["id"] != sub["id"] || subs[0].(map[string]any)["endpoint"] != sink.srv.URL {
		t.Errorf("subscribers %v", subs)
	}
	if r := s.do(http.MethodDelete, "/api/v1/status-pages/"+page["id"].(string)+"/subscribers/"+sub["id"].(string), bootstrapKey, nil); r.Status != http.StatusNoContent {
		t.Errorf("remove subscriber: %d %s", r.Status, r.Body)
	}

	if r := s.do(http.MethodDelete, "/api/v1/status-pages/"+page["id"].(string), bootstrapKey, nil); r.Status != http.StatusNoContent {
		t.Fatalf("delete page: %d %s", r.Status, r.Body)
	}
	if r := s.public("/status/pushmail/api/v2/summary.json"); r.Status != http.StatusNotFound {
		t.Errorf("a deleted page's summary: %d, want 404", r.Status)
	}
}

// The chain: page A's webhook subscriber is an upstate receiver with the
// statuspage preset, signed with the subscriber's secret; a change of
// page A's service moves the service of page B.
func TestStatusPageChain(t *testing.T) {
	t.Parallel()
	s := startStack(t)
	upstream := s.createService(bootstrapKey, "Vendor API")
	mirror := s.createService(bootstrapKey, "Upstream API")
	s.createPage(map[string]any{"name": "Vendor", "slug": "vendor", "components": []map[string]any{
		{"service_id": upstream, "name": "Upstream API"}, // the name page B's service has
	}})
	s.createPage(map[string]any{"name": "Ours", "slug": "ours", "components": []map[string]any{{"service_id": mirror}}})

	// The receiver is created first (the subscription needs its URL), then
	// given the secret the subscription shows.
	chainID, chainPath := s.createWebhookReceiver(`{"name":"vendor page","preset":"statuspage","signature":{"secret":"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}}`)
	sub := s.subscribe("vendor", s.baseURL+chainPath)
	if r := s.do(http.MethodPatch, "/api/v1/webhook-receivers/"+chainID, bootstrapKey, map[string]any{
		"signature": map[string]any{"secret": sub["secret"], "scheme": "standard-webhooks"},
	}); r.Status != http.StatusOK {
		t.Fatalf("set the secret: %d %s", r.Status, r.Body)
	}
	receiver := s.do(http.MethodGet, "/api/v1/webhook-receivers/"+chainID, bootstrapKey, nil).json(t)
	if receiver["status_field"] != "component_update.new_status" || receiver["service_name_field"] != "component.name" {
		t.Fatalf("the preset's receiver %v", receiver)
	}

	_, path := s.createWebhookReceiver(`{"name":"vendor monitor","service_id":"` + upstream + `"}`)
	if r := s.post(path, `{"status":"down"}`); r.Status != http.StatusAccepted {
		t.Fatalf("webhook: %d %s", r.Status, r.Body)
	}
	s.awaitSummary("ours", func(m map[string]any) error {
		if st := componentStatuses(m); st["Upstream API"] != "major_outage" || indicator(m) != "critical" {
			return fmt.Errorf("page B %v, want Upstream API major_outage", st)
		}
		return nil
	})
	// The chained delivery was verified: it is in the receiver's log as applied.
	for _, d := range s.awaitDeliveries(chainID, 1) {
		if d["result"] == "auth_failed" || d["result"] == "rejected" {
			t.Errorf("chained delivery %v", d)
		}
	}
	if r := s.post(path, `{"status":"operational"}`); r.Status != http.StatusAccepted {
		t.Fatalf("webhook: %d %s", r.Status, r.Body)
	}
	s.awaitSummary("ours", func(m map[string]any) error {
		if st := componentStatuses(m); st["Upstream API"] != "operational" || indicator(m) != "none" {
			return fmt.Errorf("page B %v, want Upstream API operational again", st)
		}
		return nil
	})
}

// Pages through the edge: validation, conflicts, tenancy and scopes; the
// daily bars and uptime come from the SLA service into the page.
func TestStatusPageAPI(t *testing.T) {
	t.Parallel()
	s := startStack(t)
	api := s.createService(bootstrapKey, "API")
	page := s.createPage(map[string]any{"name": "Main", "slug": "main", "components": []map[string]any{{"service_id": api}}})
	id := page["id"].(string)

	for _, tt := range []struct {
		body   map[string]any
		status int
	}{
		{map[string]any{"name": "Again", "slug": "main"}, http.StatusConflict},
		{map[string]any{"name": "Bad", "slug": "Not A Slug"}, http.StatusUnprocessableEntity},
		{map[string]any{"name": "Zone", "slug": "zone", "time_zone": "Mars/Base"}, http.StatusUnprocessableEntity},
		{map[string]any{"name": "Ghost", "slug": "ghost", "components": []map[string]any{{"service_id": "svc_01jdq3m8z6k4t7v9x2b5c8e0fg"}}}, http.StatusUnprocessableEntity},
	} {
		if r := s.do(http.MethodPost, "/api/v1/status-pages", bootstrapKey, tt.body); r.Status != tt.status {
			t.Errorf("create %v: %d %s, want %d", tt.body, r.Status, r.Body, tt.status)
		}
	}
	r := s.do(http.MethodPatch, "/api/v1/status-pages/"+id, bootstrapKey, map[string]any{"name": "Main status", "time_zone": "Asia/Tokyo", "components": []map[string]any{{"service_id": api, "name": "Public API"}}})
	if r.Status != http.StatusOK {
		t.Fatalf("patch: %d %s", r.Status, r.Body)
	}
	patched := r.json(t)
	comps := patched["components"].([]any)
	if patched["name"] != "Main status" || len(comps) != 1 || comps[0].(map[string]any)["id"] != page["components"].([]any)[0].(map[string]any)["id"] {
		t.Errorf("patched %v; the component keeps its id", patched)
	}
	if list := s.getJSON("/api/v1/status-pages")["data"].([]any); len(list) != 1 {
		t.Errorf("list: %v", list)
	}

	other := s.newOrg("status_pages")
	if r := s.do(http.MethodGet, "/api/v1/status-pages/"+id, other, nil); r.Status != http.StatusNotFound {
		t.Errorf("another organisation's page: %d, want 404", r.Status)
	}
	if r := s.do(http.MethodPost, "/api/v1/status-pages", other, map[string]any{"name": "Theirs", "slug": "theirs", "components": []map[string]any{{"service_id": api}}}); r.Status != http.StatusUnprocessableEntity {
		t.Errorf("a page of another organisation's service: %d, want 422", r.Status)
	}
	reader := s.keyWith("status_pages:read")
	if r := s.do(http.MethodGet, "/api/v1/status-pages/"+id, reader, nil); r.Status != http.StatusOK {
		t.Errorf("status_pages:read GET: %d", r.Status)
	}
	if r := s.do(http.MethodDelete, "/api/v1/status-pages/"+id, reader, nil); r.Status != http.StatusForbidden {
		t.Errorf("status_pages:read DELETE: %d, want 403", r.Status)
	}
	if r := s.do(http.MethodGet, "/api/v1/status-pages", s.keyWith("services"), nil); r.Status != http.StatusForbidden {
		t.Errorf("services GET pages: %d, want 403", r.Status)
	}

	// The SLA service's figures reach the page, its days in its time zone:
	// today's bar and the uptime.
	testenv.Eventually(t, 10*time.Second, func() error {
		body := string(s.public("/status/main").Body)
		if !strings.Contains(body, "100.00% uptime") || !strings.Contains(body, `class="operational"`) {
			return fmt.Errorf("no uptime figures on the page yet")
		}
		return nil
	})
	badge := s.public("/status/main/components/" + comps[0].(map[string]any)["id"].(string) + "/badge.svg?metric=uptime&window=24h")
	if badge.Status != http.StatusOK || !strings.Contains(string(badge.Body), "100.00%") {
		t.Errorf("uptime badge: %d %s", badge.Status, badge.Body)
	}
}
