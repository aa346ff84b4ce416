package integration

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"reflect"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/upstatehq/upstate/cmd/upstate/standalone"
	"github.com/upstatehq/upstate/pkg/bus"
	"github.com/upstatehq/upstate/pkg/testenv"
	sla "github.com/upstatehq/upstate/services/sla/app"
)

// stopSLA stops the SLA service as a SIGTERM would.
func (s *stack) stopSLA() {
	s.t.Helper()
	stopUnit(s.t, s.svc.SLA)
}

// startSLA starts the SLA service again, after stopSLA, on the address it
// had, so the edge's connection finds it again.
func (s *stack) startSLA() {
	s.t.Helper()
	r, err := s.host.Start(context.Background(), sla.Unit(s.cfg.SLA, s.svc.SLA.GRPCAddr(), s.svc.Status.GRPCAddr()))
	if err != nil {
		s.t.Fatal(err)
	}
	s.svc.SLA = r
}

// getJSON answers GET path with the bootstrap key, which must be 200.
func (s *stack) getJSON(path string) map[string]any {
	s.t.Helper()
	r := s.do(http.MethodGet, path, bootstrapKey, nil)
	if r.Status != http.StatusOK {
		s.t.Fatalf("GET %s: %d %s", path, r.Status, r.Body)
	}
	return r.json(s.t)
}

// awaitJSON waits until GET path answers what check accepts.
func (s *stack) awaitJSON(path string, check func(map[string]any) error) map[string]any {
	s.t.Helper()
	var m map[string]any
	testenv.Eventually(s.t, 10*time.Second, func() error {
		m = s.getJSON(path)
		return check(m)
	})
	return m
}

// fields checks that m has the given numbers.
func fields(m map[string]any, want map[string]float64) error {
	for k, v := range want {
		got, ok := m[k].(float64)
		if !ok || math.Abs(got-v) > 1e-6 {
			return fmt.Errorf("%s = %v, want %v (in %v)", k, m[k], v, m)
		}
	}
	return nil
}

// awaitSLAStatus waits until the SLA service has applied svc's change to
// status: moving the clock before that would have it apply the change
// late, and skip what the time between called for.
func (s *stack) awaitSLAStatus(svc, status string) {
	s.t.Helper()
	testenv.Eventually(s.t, 10*time.Second, func() error {
		if s.count(`SELECT count(*) FROM sla.intervals WHERE service_id = $1 AND ends IS NULL AND status = $2`, svc, status) != 1 {
			return fmt.Errorf("the SLA service has not applied %s becoming %s", svc, status)
		}
		return nil
	})
}

// awaitEvaluated waits until the SLA service has evaluated every SLO due
// at at: what it announces then is what that time calls for.
func (s *stack) awaitEvaluated(at time.Time) {
	s.t.Helper()
	testenv.Eventually(s.t, 10*time.Second, func() error {
		if n := s.count(`SELECT count(*) FROM sla.slos WHERE evaluate_at <= $1`, at); n != 0 {
			return fmt.Errorf("%d SLOs due at %s not evaluated", n, at)
		}
		return nil
	})
}

// createSLO creates an SLO and returns its id.
func (s *stack) createSLO(svc string, target float64, window string) string {
	s.t.Helper()
	r := s.do(http.MethodPost, "/api/v1/slos", bootstrapKey, map[string]any{
		"service_id": svc, "name": "availability", "target": target, "window": window,
	})
	if r.Status != http.StatusCreated {
		s.t.Fatalf("create slo: %d %s", r.Status, r.Body)
	}
	return r.json(s.t)["id"].(string)
}

// The "done when", on the services' clock: a service reported
// down by webhook for 60 s, then operational, shows 60 s down in its
// uptime, today's daily entry and the SLO's consumed budget.
func TestSLAFromWebhook(t *testing.T) {
	t.Parallel()
	// Half past an hour: minutes from any midnight in Auckland.
	clock := clockwork.NewFakeClockAt(time.Now().UTC().Truncate(time.Hour).Add(30 * time.Minute))
	s := startStackAt(t, clock)
	svc := s.createService(bootstrapKey, "Checkout")
	_, path := s.createWebhookReceiver(fmt.Sprintf(`{"name":"monitor","service_id":%q}`, svc))
	slo := s.createSLO(svc, 0.999, "30d")

	s.report(path, "down")
	clock.Advance(60 * time.Second)
	s.report(path, "operational")
	clock.Advance(60 * time.Second)

	u := s.awaitJSON("/api/v1/services/"+svc+"/uptime?window=24h", func(m map[string]any) error {
		return fields(m, map[string]float64{"down_seconds": 60, "counted_seconds": 120, "uptime": 0.5, "outages": 1})
	})
	if u["service_id"] != svc || u["maintenance_seconds"] != 0.0 || u["degraded_seconds"] != 0.0 {
		t.Fatalf("uptime = %v", u)
	}

	daily := s.getJSON("/api/v1/services/" + svc + "/uptime/daily?tz=" + url.QueryEscape("Pacific/Auckland"))["data"].([]any)
	if len(daily) != 90 {
		t.Fatalf("%d days, want 90", len(daily))
	}
	today := daily[89].(map[string]any)
	if err := fields(today, map[string]float64{"down_seconds": 60, "uptime": 0.5}); err != nil || today["worst_status"] != "down" ||
		today["date"] != clock.Now().In(mustZone(t, "Pacific/Auckland")).Format(time.DateOnly) {
		t.Fatalf("today = %v (%v)", today, err)
	}
	if before := daily[0].(map[string]any); before["uptime"] != nil || before["worst_status"] != nil {
		t.Fatalf("a day before the service existed = %v", before)
	}

	got := s.awaitJSON("/api/v1/slos/"+slo, func(m map[string]any) error {
		return fields(m, map[string]float64{"consumed_seconds": 60, "error_budget_seconds": 2592, "remaining_seconds": 2532})
	})
	if got["status"] != "ok" && got["status"] != "burning" {
		t.Fatalf("slo = %v", got)
	}
	list := s.getJSON("/api/v1/uptime?window=30d")["data"].([]any)
	if len(list) != 1 || list[0].(map[string]any)["service_name"] != "Checkout" {
		t.Fatalf("dashboard = %v", list)
	}

	// The sla scopes: sla:read reads, it does not write; services does not read uptime.
	reader := s.keyWith("sla:read")
	if r := s.do(http.MethodGet, "/api/v1/services/"+svc+"/uptime?window=7d", reader, nil); r.Status != http.StatusOK {
		t.Fatalf("sla:read GET uptime: %d %s", r.Status, r.Body)
	}
	if r := s.do(http.MethodDelete, "/api/v1/slos/"+slo, reader, nil); r.Status != http.StatusForbidden {
		t.Fatalf("sla:read DELETE slo: %d %s", r.Status, r.Body)
	}
	if r := s.do(http.MethodGet, "/api/v1/services/"+svc+"/uptime?window=7d", s.keyWith("services"), nil); r.Status != http.StatusForbidden {
		t.Fatalf("services GET uptime: %d %s", r.Status, r.Body)
	}
	// Another organisation's service is not found; bad values are 422.
	if r := s.do(http.MethodGet, "/api/v1/services/"+svc+"/uptime?window=7d", s.newOrg("read"), nil); r.Status != http.StatusNotFound {
		t.Fatalf("another organisation's uptime: %d %s", r.Status, r.Body)
	}
	for _, q := range []string{"window=5d", "", "window=7d&from=2026-01-01T00:00:00Z&to=2026-01-02T00:00:00Z"} {
		if r := s.do(http.MethodGet, "/api/v1/services/"+svc+"/uptime?"+q, bootstrapKey, nil); r.Status != http.StatusUnprocessableEntity {
			t.Errorf("uptime?%s: %d %s", q, r.Status, r.Body)
		}
	}
	if r := s.do(http.MethodGet, "/api/v1/services/"+svc+"/uptime/daily?tz=Mars/Olympus", bootstrapKey, nil); r.Status != http.StatusUnprocessableEntity {
		t.Errorf("daily in an unknown zone: %d %s", r.Status, r.Body)
	}
}

func mustZone(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

// Changes made while the SLA service is down are caught up when it comes
// back, with the figures they would have given had it followed them.
func TestSLACatchesUpAfterBeingDown(t *testing.T) {
	t.Parallel()
	clock := newFakeClock()
	s := startStackAt(t, clock)
	svc := s.createService(bootstrapKey, "Search")
	s.awaitJSON("/api/v1/services/"+svc+"/uptime?window=24h", func(m map[string]any) error {
		if m["uptime"] != nil {
			return fmt.Errorf("uptime %v with no time passed", m["uptime"])
		}
		return nil
	})

	s.stopSLA()
	for _, st := range []string{"down", "degraded", "maintenance", "operational"} {
		clock.Advance(5 * time.Minute)
		s.setStatus(svc, st, "")
	}
	clock.Advance(5 * time.Minute)
	s.startSLA()

	s.awaitJSON("/api/v1/services/"+svc+"/uptime?window=24h", func(m map[string]any) error {
		return fields(m, map[string]float64{
			"down_seconds": 300, "degraded_seconds": 300, "maintenance_seconds": 300, "counted_seconds": 1200,
			"uptime": 0.75, "outages": 1,
		})
	})
}

// A fresh SLA database filled from the status service's history gives
// the same figures as the one that followed STATUS: the SLA service's
// consumer has acknowledged every event, so nothing comes from the
// stream and every interval from the backfill.
func TestSLABackfillEqualsFollowed(t *testing.T) {
	t.Parallel()
	clock := newFakeClock()
	s := startStackAt(t, clock)
	a := s.createService(bootstrapKey, "API")
	b := s.createService(bootstrapKey, "Web")
	steps := []struct {
		svc, status string
		after       time.Duration
	}{
		{a, "down", 3 * time.Hour}, {b, "degraded", 20 * time.Minute}, {a, "maintenance", 9 * time.Hour},
		{a, "down", 14 * time.Hour}, {b, "operational", 2 * time.Minute}, {a, "operational", 26 * time.Hour},
		{b, "down", 90 * time.Second},
	}
	for _, st := range steps {
		clock.Advance(st.after)
		s.setStatus(st.svc, st.status, "")
	}
	clock.Advance(time.Hour)
	from := url.QueryEscape(clock.Now().Add(-50 * time.Hour).Format(time.RFC3339))
	to := url.QueryEscape(clock.Now().Add(-time.Hour).Format(time.RFC3339))
	var paths []string
	for _, svc := range []string{a, b} {
		paths = append(paths,
			"/api/v1/services/"+svc+"/uptime?window=7d",
			"/api/v1/services/"+svc+"/uptime?from="+from+"&to="+to,
			"/api/v1/services/"+svc+"/uptime/daily?days=4&tz=Europe/Berlin",
		)
	}
	paths = append(paths, "/api/v1/uptime?window=90d")
	// The followed figures, once the last change is in.
	s.awaitJSON("/api/v1/services/"+b+"/uptime?window=24h", func(m map[string]any) error {
		return fields(m, map[string]float64{"outages": 1})
	})
	followed := map[string]map[string]any{}
	for _, p := range paths {
		followed[p] = s.getJSON(p)
	}
	if err := fields(followed[paths[0]], map[string]float64{"down_seconds": 9*3600 + 20*60 + 26*3600 + 2*60, "maintenance_seconds": 14 * 3600}); err != nil {
		t.Fatal(err)
	}

	s.stopSLA()
	s.exec(`DROP SCHEMA sla CASCADE`)
	s.startSLA()
	testenv.Eventually(t, 10*time.Second, func() error {
		if n := s.count(`SELECT count(*) FROM sla.backfill WHERE done_at IS NOT NULL`); n != 1 {
			return fmt.Errorf("the backfill is not done")
		}
		return nil
	})
	for _, p := range paths {
		if got := s.getJSON(p); !reflect.DeepEqual(got, followed[p]) {
			g, _ := json.Marshal(got)
			f, _ := json.Marshal(followed[p])
			t.Errorf("%s backfilled:\n%s\nfollowed:\n%s", p, g, f)
		}
	}
}

// An outage that goes on without new status events fires SLOBurning, then
// SLOExhausted, each once; restarting the SLA service fires neither
// again, and its timer carries on: the end of the burn is announced once.
func TestSLABurnEventsOnceAcrossRestart(t *testing.T) {
	t.Parallel()
	clock := newFakeClock()
	s := startStackWith(t, clock, func(c *standalone.Config) { c.SLA.EvaluateInterval = time.Second })
	events := testenv.Watch(t, s.js, bus.StreamSLA)
	svc := s.createService(bootstrapKey, "Payments")
	slo := s.createSLO(svc, 0.999, "7d") // a budget of 604.8 s
	s.setStatus(svc, "down", "")
	s.awaitSLAStatus(svc, "down")

	// step moves the clock 30 s and waits for the evaluator, which ticks
	// on that clock, to have evaluated the SLO at the new time: the clock
	// never runs ahead of it, so each step is evaluated.
	step := func() {
		t.Helper()
		clock.Advance(30 * time.Second)
		s.awaitEvaluated(clock.Now())
	}
	// advanceUntil steps until the SLO's status is want.
	advanceUntil := func(want string) {
		t.Helper()
		for range 200 {
			step()
			if s.getJSON("/api/v1/slos/" + slo)["status"] == want {
				return
			}
		}
		t.Fatalf("the SLO never became %s", want)
	}
	next := func() string {
		t.Helper()
		return events.Next(10 * time.Second).Headers().Get(bus.HeaderCEType)
	}
	advanceUntil("burning")
	if typ := next(); typ != "upstate.sla.v1.SLOBurning" {
		t.Fatalf("first event %s", typ)
	}
	advanceUntil("exhausted")
	if typ := next(); typ != "upstate.sla.v1.SLOExhausted" {
		t.Fatalf("second event %s", typ)
	}

	s.stopSLA()
	clock.Advance(time.Minute)
	s.startSLA()
	for range 5 {
		step()
	}
	events.None(2 * time.Second)
	if n := s.count(`SELECT count(*) FROM sla.slos WHERE evaluate_at IS NOT NULL AND burning AND exhausted`); n != 1 {
		t.Fatalf("%d SLOs burning, exhausted and watched after the restart", n)
	}

	s.setStatus(svc, "operational", "")
	s.awaitSLAStatus(svc, "operational")
	for range 70 { // 35 minutes: the 30-minute rate falls below 6, the 5-minute one is 0
		step()
	}
	if typ := next(); typ != "upstate.sla.v1.SLOBurnStopped" {
		t.Fatalf("after the outage: %s", typ)
	}
	events.None(2 * time.Second)
}
