package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/upstatehq/upstate/pkg/testenv"
)

// A receiver created with the tool takes a webhook, its delivery shows
// in the log, and --follow prints the next one when its clock comes round.
// Receivers are named by id or name, among others of the organisation.
func TestReceiversAndDeliveries(t *testing.T) {
	t.Parallel()
	s := startStack(t)
	id := s.createService("API")
	created := s.mustRun("receivers", "create", "monitor", "--service", "API", "--map", "crashed=down", "-o", "json").object(t)
	rid, url := created["id"].(string), created["url"].(string)
	if !strings.HasPrefix(rid, "whr_") || created["service_id"] != id || !strings.Contains(url, created["token"].(string)) {
		t.Fatalf("receivers create = %v", created)
	}
	var list []map[string]any
	s.mustRun("receivers", "list", "-o", "json").json(t, &list)
	if len(list) != 1 || list[0]["id"] != rid || list[0]["token"] != nil {
		t.Fatalf("receivers list = %v", list)
	}
	// Another receiver, so that a name has to be looked up among several.
	s.mustRun("receivers", "create", "other", "--service", "API")
	if r := s.mustRun("__complete", "receivers", "deliveries", ""); !strings.Contains(r.stdout, "monitor\t"+rid) || !strings.Contains(r.stdout, "other\t") {
		t.Fatalf("completion of a receiver: %q", r.stdout)
	}

	if code := post(t, url+"?wait=true", `{"status":"crashed"}`); code != http.StatusOK {
		t.Fatalf("webhook: %d", code)
	}
	var log []map[string]any
	s.mustRun("receivers", "deliveries", rid, "-o", "json").json(t, &log)
	if len(log) != 1 || log[0]["result"] != "processed" || log[0]["raw_status"] != "crashed" || log[0]["new_status"] != "down" {
		t.Fatalf("deliveries = %v", log)
	}

	clock := clockwork.NewFakeClock()
	env := s.env()
	env.clock = clock
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	out, wait := s.background(ctx, env, "receivers", "deliveries", "monitor", "--follow", "--interval", "5s", "-o", "json")
	waitPoll := func() {
		t.Helper()
		waitCtx, waitCancel := context.WithTimeout(ctx, 20*time.Second)
		defer waitCancel()
		if err := clock.BlockUntilContext(waitCtx, 1); err != nil {
			t.Fatalf("--follow does not wait for its next poll: %v (output %q)", err, out.String())
		}
	}
	waitPoll()
	if code := post(t, url+"?wait=true", `{"status":"ok","message":"back"}`); code != http.StatusOK {
		t.Fatalf("webhook: %d", code)
	}
	clock.Advance(5 * time.Second)
	testenv.Eventually(t, 10*time.Second, func() error {
		if n := strings.Count(out.String(), "\n"); n != 2 {
			return fmt.Errorf("--follow printed %d lines, want 2:\n%s", n, out.String())
		}
		return nil
	})
	waitPoll()
	cancel()
	r := wait()
	if r.code != ExitOK {
		t.Fatalf("--follow ended with exit %d: %s", r.code, r.stderr)
	}
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	var first, second map[string]any
	if json.Unmarshal([]byte(lines[0]), &first) != nil || json.Unmarshal([]byte(lines[1]), &second) != nil ||
		first["raw_status"] != "crashed" || second["raw_status"] != "ok" || second["new_status"] != "operational" {
		t.Fatalf("--follow printed, oldest first:\n%s", r.stdout)
	}

	rotated := s.mustRun("receivers", "rotate", "MONITOR", "-o", "json").object(t)
	if rotated["id"] != rid || rotated["url"] == url || rotated["token"] == "" {
		t.Fatalf("rotate = %v", rotated)
	}
	// The gateway drops the receiver it cached when the status service
	// announces the rotation on NATS, which it hears a moment later.
	testenv.Eventually(t, 10*time.Second, func() error {
		if code := post(t, url, `{"status":"down"}`); code != http.StatusNotFound {
			return fmt.Errorf("the old URL after rotate: %d, want 404", code)
		}
		return nil
	})
}

// Incidents opened, updated and resolved; a maintenance window scheduled,
// listed and cancelled.
func TestIncidentsAndMaintenance(t *testing.T) {
	t.Parallel()
	s := startStack(t)
	id := s.createService("Checkout")

	inc := s.mustRun("incidents", "open", "Checkout errors", "--service", "Checkout", "--severity", "critical", "-m", "Investigating.", "-o", "json").object(t)
	iid := inc["id"].(string)
	if inc["severity"] != "critical" || inc["status"] != "investigating" || fmt.Sprint(inc["service_ids"]) != "["+id+"]" {
		t.Fatalf("incidents open = %v", inc)
	}
	upd := s.mustRun("incidents", "update", iid, "--status", "identified", "-m", "A bad deploy.", "-o", "json").object(t)
	if upd["status"] != "identified" || len(upd["updates"].([]any)) != 2 {
		t.Fatalf("incidents update = %v", upd)
	}
	res := s.mustRun("incidents", "resolve", iid, "-m", "Fixed.", "-o", "json").object(t)
	if res["status"] != "resolved" || res["resolved_at"] == nil {
		t.Fatalf("incidents resolve = %v", res)
	}
	var open, resolved []map[string]any
	s.mustRun("incidents", "list", "--status", "open", "-o", "json").json(t, &open)
	s.mustRun("incidents", "list", "--status", "resolved", "--service", "Checkout", "-o", "json").json(t, &resolved)
	if len(open) != 0 || len(resolved) != 1 || resolved[0]["id"] != iid {
		t.Fatalf("open %v, resolved %v", open, resolved)
	}
	if r := s.run("incidents", "update", iid, "--status", "investigating", "-m", "Again?"); r.code != ExitError || !strings.Contains(r.stderr, "HTTP 409") {
		t.Fatalf("reopening a resolved incident: exit %d: %s", r.code, r.stderr)
	}

	mnt := s.mustRun("maintenance", "schedule", "Database upgrade", "--service", "Checkout", "--start", "1h", "--duration", "30m", "-o", "json").object(t)
	mid := mnt["id"].(string)
	starts, _ := time.Parse(time.RFC3339, mnt["starts_at"].(string))
	ends, _ := time.Parse(time.RFC3339, mnt["ends_at"].(string))
	if mnt["status"] != "scheduled" || ends.Sub(starts) != 30*time.Minute || time.Until(starts) < 50*time.Minute {
		t.Fatalf("maintenance schedule = %v", mnt)
	}
	var scheduled []map[string]any
	s.mustRun("maintenance", "list", "--status", "scheduled", "-o", "json").json(t, &scheduled)
	if len(scheduled) != 1 || scheduled[0]["id"] != mid {
		t.Fatalf("maintenance list = %v", scheduled)
	}
	if c := s.mustRun("maintenance", "cancel", mid, "-o", "json").object(t); c["status"] != "cancelled" {
		t.Fatalf("maintenance cancel = %v", c)
	}
}

// A key created with the tool works until it is revoked.
func TestKeys(t *testing.T) {
	t.Parallel()
	s := startStack(t)
	s.createService("API")
	key := s.mustRun("keys", "create", "CI deploys", "--scope", "services", "--expires", "24h", "-o", "json").object(t)
	secret, kid := key["key"].(string), key["id"].(string)
	if !strings.HasPrefix(secret, "ak_live_") || key["expires_at"] == nil {
		t.Fatalf("keys create = %v", key)
	}
	ci := s.env()
	ci.vars["UPSTATE_API_KEY"] = secret
	if r := s.runWith(context.Background(), ci, "status", "set", "API", "degraded"); r.code != ExitOK {
		t.Fatalf("status set with the new key: exit %d: %s", r.code, r.stderr)
	}
	if r := s.runWith(context.Background(), ci, "incidents", "list"); r.code != ExitError || !strings.Contains(r.stderr, "HTTP 403") {
		t.Fatalf("a key without the incidents scope: exit %d: %s", r.code, r.stderr)
	}
	var keys []map[string]any
	s.mustRun("keys", "list", "-o", "json").json(t, &keys)
	if len(keys) != 2 {
		t.Fatalf("keys list = %v", keys)
	}
	s.mustRun("keys", "revoke", kid)
	if r := s.runWith(context.Background(), ci, "services", "list"); r.code != ExitError || !strings.Contains(r.stderr, "HTTP 401") {
		t.Fatalf("a revoked key: exit %d: %s", r.code, r.stderr)
	}
}

// The SLA, alerting and status page commands reach their endpoints.
func TestSLAAlertsAndStatusPages(t *testing.T) {
	t.Parallel()
	s := startStack(t)
	id := s.createService("API")

	up := s.mustRun("sla", "uptime", "API", "--window", "24h", "-o", "json").object(t)
	if up["service_id"] != id {
		t.Fatalf("sla uptime = %v", up)
	}
	// The SLA service lists the services it learnt of from STATUS.
	testenv.Eventually(t, 10*time.Second, func() error {
		var all []map[string]any
		s.mustRun("sla", "uptime", "-o", "json").json(t, &all)
		if len(all) != 1 || all[0]["service_name"] != "API" {
			return fmt.Errorf("sla uptime (all) = %v", all)
		}
		return nil
	})
	var days []map[string]any
	s.mustRun("sla", "daily", "API", "--days", "3", "-o", "json").json(t, &days)
	if len(days) != 3 {
		t.Fatalf("sla daily = %v", days)
	}
	slo := s.mustRun("sla", "slos", "create", "API", "--name", "API availability", "--target", "0.999", "-o", "json").object(t)
	var slos []map[string]any
	s.mustRun("sla", "slos", "list", "--service", "API", "-o", "json").json(t, &slos)
	if len(slos) != 1 || slos[0]["id"] != slo["id"] || slos[0]["window"] != "30d" {
		t.Fatalf("sla slos list = %v", slos)
	}
	s.mustRun("sla", "slos", "delete", slo["id"].(string))

	var alerts []map[string]any
	s.mustRun("alerts", "list", "--state", "firing", "-o", "json").json(t, &alerts)
	if len(alerts) != 0 {
		t.Fatalf("alerts list = %v", alerts)
	}
	if r := s.run("alerts", "ack", "alt_00000000000000000000000000"); r.code != ExitNotFound {
		t.Fatalf("alerts ack of an unknown alert: exit %d: %s", r.code, r.stderr)
	}

	page := s.mustRun("status-pages", "create", "Acme", "--slug", "acme", "--service", "API", "-o", "json").object(t)
	comps, _ := page["components"].([]any)
	if len(comps) != 1 || !strings.HasSuffix(page["url"].(string), "/status/acme") {
		t.Fatalf("status-pages create = %v", page)
	}
	var pages []map[string]any
	s.mustRun("status-pages", "list", "-o", "json").json(t, &pages)
	if len(pages) != 1 || pages[0]["id"] != page["id"] {
		t.Fatalf("status-pages list = %v", pages)
	}
	s.mustRun("status-pages", "delete", page["id"].(string))
}
