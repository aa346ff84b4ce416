package integration

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/upstatehq/upstate/cmd/upstate/standalone"
	"github.com/upstatehq/upstate/pkg/bus"
	"github.com/upstatehq/upstate/pkg/testenv"
	alerting "github.com/upstatehq/upstate/services/alerting/app"
)

// createRule creates an alert rule from a JSON body and returns its id.
func (s *stack) createRule(body string) string {
	s.t.Helper()
	r := s.do(http.MethodPost, "/api/v1/alert-rules", bootstrapKey, body)
	if r.Status != http.StatusCreated {
		s.t.Fatalf("create rule: %d %s", r.Status, r.Body)
	}
	return r.json(s.t)["id"].(string)
}

// listAlerts returns GET /api/v1/alerts?query's data.
func (s *stack) listAlerts(query string) []map[string]any {
	s.t.Helper()
	r := s.do(http.MethodGet, "/api/v1/alerts?"+query, bootstrapKey, nil)
	if r.Status != http.StatusOK {
		s.t.Fatalf("list alerts: %d %s", r.Status, r.Body)
	}
	var out []map[string]any
	for _, d := range r.json(s.t)["data"].([]any) {
		out = append(out, d.(map[string]any))
	}
	return out
}

// awaitAlert waits until GET /api/v1/alerts?query lists one alert, in
// state, and returns it.
func (s *stack) awaitAlert(query, state string) map[string]any {
	s.t.Helper()
	var got []map[string]any
	testenv.Eventually(s.t, 10*time.Second, func() error {
		got = s.listAlerts(query)
		if len(got) != 1 || got[0]["state"] != state {
			return fmt.Errorf("%s lists %v, want one %s alert", query, got, state)
		}
		return nil
	})
	return got[0]
}

// alertHistory returns the kinds of an alert's history entries.
func (s *stack) alertHistory(id string) string {
	s.t.Helper()
	r := s.do(http.MethodGet, "/api/v1/alerts/"+id, bootstrapKey, nil)
	if r.Status != http.StatusOK {
		s.t.Fatalf("get alert: %d %s", r.Status, r.Body)
	}
	var kinds []string
	for _, e := range r.json(s.t)["history"].([]any) {
		kinds = append(kinds, e.(map[string]any)["kind"].(string))
	}
	return strings.Join(kinds, " ")
}

// alertsWatch reads the events ALERTS stores from now on.
type alertsWatch struct {
	t *testing.T
	w *testenv.Watcher
}

func (s *stack) watchAlerts() *alertsWatch {
	s.t.Helper()
	return &alertsWatch{t: s.t, w: testenv.Watch(s.t, s.js, bus.StreamAlerts)}
}

// next waits for the next event, which must be of type typ
// (upstate.alerting.v1.<typ>).
func (w *alertsWatch) next(typ string) {
	w.t.Helper()
	msg := w.w.Next(10 * time.Second)
	if got := msg.Headers().Get(bus.HeaderCEType); got != "upstate.alerting.v1."+typ {
		w.t.Fatalf("next alert event is %s, want %s", got, typ)
	}
}

// stopAlerting and startAlerting stop the alerting service as a SIGTERM
// would and start it again on its address.
func (s *stack) stopAlerting() {
	s.t.Helper()
	stopUnit(s.t, s.svc.Alerting)
}

func (s *stack) startAlerting() {
	s.t.Helper()
	r, err := s.host.Start(context.Background(), alerting.Unit(s.cfg.Alerting, s.svc.Alerting.GRPCAddr(), s.svc.Status.GRPCAddr()))
	if err != nil {
		s.t.Fatal(err)
	}
	s.svc.Alerting = r
}

// The scenario: a receiver reports down; the alert is pending,
// none firing until for has passed, then firing and notified; its repeat
// comes after repeat_interval; acknowledged, the next repeat does not;
// operational resolves it, and its history tells all of it.
func TestAlertLifecycleThroughAReceiver(t *testing.T) {
	t.Parallel()
	clock := newFakeClock()
	s := startStackAt(t, clock)
	svc := s.createService(bootstrapKey, "Checkout")
	_, path := s.createWebhookReceiver(fmt.Sprintf(`{"name":"monitor","service_id":%q}`, svc))
	s.createRule(fmt.Sprintf(`{"name":"Checkout down","selector":{"service_ids":[%q]},"for":"2m","severity":"critical",
		"group_wait":"0s","group_interval":"1m","repeat_interval":"10m"}`, svc))
	events := s.watchAlerts()

	start := clock.Now()
	s.report(path, "down")
	a := s.awaitAlert("service_id="+svc, "pending")
	if got := s.listAlerts("state=firing"); len(got) != 0 {
		t.Fatalf("firing before for: %v", got)
	}
	advanceTo(clock, start.Add(time.Minute))
	events.w.None(300 * time.Millisecond)
	if got := s.listAlerts("state=firing"); len(got) != 0 {
		t.Fatalf("firing a minute in: %v", got)
	}
	advanceTo(clock, start.Add(2*time.Minute))
	s.awaitAlert("state=firing", "firing")
	events.next("AlertFiring")
	events.next("AlertGroupNotify")

	advanceTo(clock, start.Add(12*time.Minute+time.Second))
	events.next("AlertGroupNotify") // the repeat

	r := s.do(http.MethodPost, "/api/v1/alerts/"+a["id"].(string)+"/ack", bootstrapKey, map[string]any{"note": "rolling back"})
	if r.Status != http.StatusOK || r.json(t)["acknowledged_by"] == nil || r.json(t)["acknowledgement_note"] != "rolling back" {
		t.Fatalf("ack: %d %s", r.Status, r.Body)
	}
	events.next("AlertAcknowledged")
	advanceTo(clock, start.Add(23*time.Minute))
	events.w.None(time.Second) // no next escalation step

	s.report(path, "operational")
	resolved := s.awaitAlert("service_id="+svc, "resolved")
	if resolved["acknowledged_by"] == nil || resolved["resolved_at"] == nil {
		t.Fatalf("resolved = %v", resolved)
	}
	events.next("AlertResolved")
	if got := s.alertHistory(a["id"].(string)); got != "pending firing notified notified acknowledged resolved" {
		t.Fatalf("history = %s", got)
	}
}

// A restart during for neither loses the timer nor repeats it: the alert
// is still pending before for has passed, and fires once after.
func TestAlertForAcrossRestarts(t *testing.T) {
	t.Parallel()
	clock := newFakeClock()
	s := startStackAt(t, clock)
	svc := s.createService(bootstrapKey, "Search")
	s.createRule(fmt.Sprintf(`{"name":"Search down","selector":{"service_ids":[%q]},"for":"5m","group_wait":"0s"}`, svc))
	events := s.watchAlerts()
	start := clock.Now()
	s.setStatus(svc, "down", "")
	a := s.awaitAlert("service_id="+svc, "pending")

	s.stopAlerting()
	advanceTo(clock, start.Add(3*time.Minute))
	s.startAlerting()
	events.w.None(time.Second)
	if got := s.awaitAlert("service_id="+svc, "pending"); got["id"] != a["id"] {
		t.Fatalf("another alert after the restart: %v", got)
	}

	s.stopAlerting()
	advanceTo(clock, start.Add(6*time.Minute))
	s.startAlerting()
	fired := s.awaitAlert("service_id="+svc, "firing")
	if fired["id"] != a["id"] || fired["fires_at"] != a["fires_at"] {
		t.Fatalf("fired = %v, pending was %v", fired, a)
	}
	events.next("AlertFiring")
	events.next("AlertGroupNotify")
	s.stopAlerting()
	s.startAlerting()
	events.w.None(time.Second)
	if got := s.alertHistory(a["id"].(string)); got != "pending firing notified" {
		t.Fatalf("history = %s", got)
	}
}

// A silence created while an alert fires holds its repeat; the alert
// still shows it, and still resolves.
func TestAlertSilenceHoldsTheRepeat(t *testing.T) {
	t.Parallel()
	clock := newFakeClock()
	s := startStackAt(t, clock)
	svc := s.createService(bootstrapKey, "Billing")
	r := s.do(http.MethodPatch, "/api/v1/services/"+svc, bootstrapKey, map[string]any{"tags": map[string]string{"team": "payments"}})
	if r.Status != http.StatusOK || r.json(t)["tags"].(map[string]any)["team"] != "payments" {
		t.Fatalf("tag: %d %s", r.Status, r.Body)
	}
	s.createRule(`{"name":"Payments down","selector":{"tags":{"team":"payments"}},"group_wait":"0s","group_interval":"1m","repeat_interval":"10m"}`)
	events := s.watchAlerts()
	start := clock.Now()
	s.setStatus(svc, "down", "")
	a := s.awaitAlert("state=firing", "firing")
	events.next("AlertFiring")
	events.next("AlertGroupNotify")

	r = s.do(http.MethodPost, "/api/v1/silences", bootstrapKey, map[string]any{
		"matchers": map[string]any{"tags": map[string]string{"team": "payments"}},
		"ends_at":  start.Add(time.Hour).Format(time.RFC3339), "comment": "deploying",
	})
	if r.Status != http.StatusCreated {
		t.Fatalf("silence: %d %s", r.Status, r.Body)
	}
	silence := r.json(t)["id"].(string)
	if got := s.awaitAlert("state=firing", "firing"); fmt.Sprint(got["silenced_by"]) != "["+silence+"]" {
		t.Fatalf("silenced_by = %v", got["silenced_by"])
	}
	advanceTo(clock, start.Add(11*time.Minute))
	events.w.None(time.Second) // the repeat is held

	if r := s.do(http.MethodDelete, "/api/v1/silences/"+silence, bootstrapKey, nil); r.Status != http.StatusOK {
		t.Fatalf("expire: %d %s", r.Status, r.Body)
	}
	advanceTo(clock, start.Add(13*time.Minute))
	events.next("AlertGroupNotify") // notified again once the silence ended
	s.setStatus(svc, "operational", "")
	s.awaitAlert("service_id="+svc, "resolved")
	events.next("AlertResolved")
	_ = a
}

// A dependency down and firing inhibits its dependant's alert: the
// dependant fires, shows the alert that explains it, and notifies nobody.
// A cycle is refused.
func TestAlertInhibitedByADependency(t *testing.T) {
	t.Parallel()
	clock := newFakeClock()
	s := startStackAt(t, clock)
	db := s.createService(bootstrapKey, "Database")
	api := s.createService(bootstrapKey, "API")
	if r := s.do(http.MethodPut, "/api/v1/services/"+api+"/dependencies", bootstrapKey, map[string]any{"depends_on": []string{db}}); r.Status != http.StatusOK {
		t.Fatalf("dependencies: %d %s", r.Status, r.Body)
	}
	if r := s.do(http.MethodPut, "/api/v1/services/"+db+"/dependencies", bootstrapKey, map[string]any{"depends_on": []string{api}}); r.Status != http.StatusUnprocessableEntity {
		t.Fatalf("a cycle: %d %s", r.Status, r.Body)
	}
	s.createRule(`{"name":"Anything down","selector":{"all":true},"group_by":["service"],"group_wait":"0s"}`)
	events := s.watchAlerts()
	s.setStatus(db, "down", "")
	dbAlert := s.awaitAlert("state=firing&service_id="+db, "firing")
	events.next("AlertFiring")
	events.next("AlertGroupNotify")

	s.setStatus(api, "down", "")
	apiAlert := s.awaitAlert("state=firing&service_id="+api, "firing")
	if fmt.Sprint(apiAlert["inhibited_by"]) != "["+dbAlert["id"].(string)+"]" {
		t.Fatalf("inhibited_by = %v", apiAlert["inhibited_by"])
	}
	events.next("AlertFiring")
	advanceTo(clock, clock.Now().Add(time.Minute))
	events.w.None(time.Second) // no notification for the API
}

// Scheduled maintenance silences the services it covers while it lasts.
func TestAlertMaintenanceSilences(t *testing.T) {
	t.Parallel()
	clock := newFakeClock()
	s := startStackAt(t, clock)
	svc := s.createService(bootstrapKey, "Ledger")
	s.createRule(fmt.Sprintf(`{"name":"Ledger down","selector":{"service_ids":[%q]},"group_wait":"0s"}`, svc))
	events := s.watchAlerts()
	m := s.scheduleMaintenance([]string{svc}, clock.Now(), clock.Now().Add(time.Hour))
	s.awaitServiceStatus(svc, "maintenance")
	testenv.Eventually(t, 10*time.Second, func() error {
		r := s.do(http.MethodGet, "/api/v1/silences?active=true", bootstrapKey, nil)
		if data := r.json(t)["data"].([]any); len(data) != 1 || data[0].(map[string]any)["maintenance_id"] != m["id"] {
			return fmt.Errorf("active silences: %s", r.Body)
		}
		return nil
	})
	// Down during the window: the alert fires, silenced, and notifies nobody.
	s.setStatus(svc, "down", "")
	a := s.awaitAlert("state=firing", "firing")
	if len(a["silenced_by"].([]any)) != 1 {
		t.Fatalf("silenced_by = %v", a["silenced_by"])
	}
	events.next("AlertFiring")
	advanceTo(clock, clock.Now().Add(time.Minute))
	events.w.None(time.Second)
}

// A rule including SLO events fires while an SLO of its service burns,
// though the service is in none of its statuses, and resolves when the
// burn stops: the SLA service's SLOBurning and SLOBurnStopped, read from
// the SLA stream.
func TestAlertOnSLOBurn(t *testing.T) {
	t.Parallel()
	clock := newFakeClock()
	s := startStackWith(t, clock, func(c *standalone.Config) { c.SLA.EvaluateInterval = time.Second })
	svc := s.createService(bootstrapKey, "Payments")
	slo := s.createSLO(svc, 0.999, "30d")
	s.createRule(fmt.Sprintf(`{"name":"Payments burning","selector":{"service_ids":[%q]},"statuses":["degraded"],
		"include_slo_events":true,"group_wait":"0s"}`, svc))
	events := s.watchAlerts()

	// await moves the clock 30 s at a time until the SLO's status is
	// want, then a second at a time, so that the SLA service's evaluator
	// (which ticks on that clock) fires its event, until the service's
	// one alert is in state.
	await := func(want, state string) {
		t.Helper()
		for i := 0; s.getJSON("/api/v1/slos/" + slo)["status"] != want; i++ {
			if i == 40 {
				t.Fatalf("the SLO never became %s", want)
			}
			clock.Advance(30 * time.Second)
		}
		testenv.Eventually(t, 10*time.Second, func() error {
			clock.Advance(time.Second)
			if got := s.listAlerts("service_id=" + svc); len(got) != 1 || got[0]["state"] != state {
				return fmt.Errorf("alerts %v, want one %s", got, state)
			}
			return nil
		})
	}
	s.setStatus(svc, "down", "")
	await("burning", "firing")
	events.next("AlertFiring")
	events.next("AlertGroupNotify")

	s.setStatus(svc, "operational", "")
	await("ok", "resolved")
	events.next("AlertResolved")
}
