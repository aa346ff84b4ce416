package integration

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/upstatehq/upstate/pkg/bus"
	"github.com/upstatehq/upstate/pkg/testenv"
	incidentsv1 "github.com/upstatehq/upstate/proto/gen/upstate/incidents/v1"
	statusv1 "github.com/upstatehq/upstate/proto/gen/upstate/status/v1"
)

// autoReceiver creates a receiver of service svc that opens incidents of
// severity, and returns its id and webhook path.
func (s *stack) autoReceiver(name, svc, severity string) (string, string) {
	s.t.Helper()
	return s.createWebhookReceiver(fmt.Sprintf(`{"name":%q,"service_id":%q,"auto_incident":{"enabled":true,"severity":%q}}`,
		name, svc, severity))
}

// report posts a status to a receiver and waits until it is applied.
func (s *stack) report(path, status string) {
	s.t.Helper()
	r := s.post(path+"?wait=true", fmt.Sprintf(`{"status":%q}`, status))
	if r.Status != http.StatusOK && r.Status != http.StatusAccepted {
		s.t.Fatalf("report %s: %d %s", status, r.Status, r.Body)
	}
}

// listIncidents returns GET /api/v1/incidents?query's data.
func (s *stack) listIncidents(query string) []map[string]any {
	s.t.Helper()
	r := s.do(http.MethodGet, "/api/v1/incidents?"+query, bootstrapKey, nil)
	if r.Status != http.StatusOK {
		s.t.Fatalf("list incidents: %d %s", r.Status, r.Body)
	}
	var out []map[string]any
	for _, d := range r.json(s.t)["data"].([]any) {
		out = append(out, d.(map[string]any))
	}
	return out
}

// awaitIncidents waits until GET /api/v1/incidents?query lists n incidents.
func (s *stack) awaitIncidents(query string, n int) []map[string]any {
	s.t.Helper()
	var got []map[string]any
	testenv.Eventually(s.t, 10*time.Second, func() error {
		if got = s.listIncidents(query); len(got) != n {
			return fmt.Errorf("%s lists %d incidents, want %d", query, len(got), n)
		}
		return nil
	})
	return got
}

// watchIncidents collects the types of the events INCIDENTS stores from
// now on.
func (s *stack) watchIncidents() func(n int) []string {
	s.t.Helper()
	w := testenv.Watch(s.t, s.js, bus.StreamIncidents)
	return func(n int) []string {
		s.t.Helper()
		var types []string
		for range n {
			types = append(types, w.Next(10*time.Second).Headers().Get(bus.HeaderCEType))
		}
		return types
	}
}

func updates(i map[string]any) []map[string]any {
	var out []map[string]any
	for _, u := range i["updates"].([]any) {
		out = append(out, u.(map[string]any))
	}
	return out
}

// The "done when": a receiver with automatic incidents of severity
// major reports down → one open major incident with source receiver;
// down again → still one; operational → resolved with a timeline entry.
func TestAutoIncidentFromReceiver(t *testing.T) {
	t.Parallel()
	s := startStack(t)
	events := s.watchIncidents()
	svc := s.createService(bootstrapKey, "Checkout")
	rcv, path := s.autoReceiver("monitor", svc, "major")

	s.report(path, "down")
	open := s.awaitIncidents("status=open", 1)
	i := open[0]
	if i["severity"] != "major" || i["source"] != "receiver" || i["receiver_id"] != rcv ||
		i["status"] != "investigating" || i["title"] != "Checkout is down" || i["resolved_at"] != nil {
		t.Fatalf("incident = %v", i)
	}
	if ids := i["service_ids"].([]any); len(ids) != 1 || ids[0] != svc {
		t.Fatalf("service_ids = %v", ids)
	}

	before := streamCount(t, s, bus.StreamStatus)
	s.report(path, "down")
	// The repeat changes nothing, so no event reaches the incidents
	// service: the STATUS stream is where a second incident would start.
	if after := streamCount(t, s, bus.StreamStatus); after != before {
		t.Fatalf("a repeated down published %d events", after-before)
	}
	if open := s.listIncidents("status=open"); len(open) != 1 || len(updates(open[0])) != 1 {
		t.Fatalf("after a repeated down: %v", open)
	}

	s.report(path, "operational")
	resolved := s.awaitIncidents("status=resolved", 1)
	if resolved[0]["id"] != i["id"] || resolved[0]["resolved_at"] == nil {
		t.Fatalf("resolved = %v", resolved[0])
	}
	u := updates(resolved[0])
	if len(u) != 2 || u[1]["status"] != "resolved" || u[1]["author"] != rcv || u[1]["message"] != "Checkout is operational again." {
		t.Fatalf("timeline = %v", u)
	}
	if n := len(s.listIncidents("status=open")); n != 0 {
		t.Fatalf("%d incidents still open", n)
	}
	if got := fmt.Sprint(events(2)); got != "[upstate.incidents.v1.IncidentOpened upstate.incidents.v1.IncidentResolved]" {
		t.Fatalf("events = %s", got)
	}
	// The gRPC API the other services use sees the same.
	conn := s.incidentsClient()
	got, err := conn.GetIncident(context.Background(), &incidentsv1.GetIncidentRequest{OrgId: s.bootstrapOrg(), IncidentId: i["id"].(string)})
	if err != nil || got.GetIncident().GetStatus() != incidentsv1.IncidentStatus_INCIDENT_STATUS_RESOLVED || len(got.GetIncident().GetUpdates()) != 2 {
		t.Fatalf("GetIncident = %v, %v", got, err)
	}
}

// Two receivers report on one service: each has its own incident, and
// each one's recovery resolves its own only.
func TestAutoIncidentsOfTwoReceivers(t *testing.T) {
	t.Parallel()
	s := startStack(t)
	svc := s.createService(bootstrapKey, "API")
	a, pathA := s.autoReceiver("synthetics", svc, "minor")
	b, pathB := s.autoReceiver("apm", svc, "critical")

	s.report(pathA, "degraded")
	s.report(pathB, "down")
	open := s.awaitIncidents("status=open&service="+svc, 2)
	bySource := map[any]map[string]any{open[0]["receiver_id"]: open[0], open[1]["receiver_id"]: open[1]}
	if bySource[a]["severity"] != "minor" || bySource[b]["severity"] != "critical" {
		t.Fatalf("open = %v", open)
	}
	s.report(pathB, "operational")
	s.awaitIncidents("status=resolved", 1)
	open = s.listIncidents("status=open")
	if len(open) != 1 || open[0]["receiver_id"] != a {
		t.Fatalf("open after B recovered = %v", open)
	}
}

// Deleting a service resolves its open automatic incident: no receiver
// will report it operational again.
func TestAutoIncidentResolvedWhenServiceDeleted(t *testing.T) {
	t.Parallel()
	s := startStack(t)
	svc := s.createService(bootstrapKey, "Search")
	_, path := s.autoReceiver("monitor", svc, "major")
	s.report(path, "down")
	s.awaitIncidents("status=open", 1)

	if r := s.do(http.MethodDelete, "/api/v1/services/"+svc, bootstrapKey, nil); r.Status != http.StatusNoContent {
		t.Fatalf("delete service: %d %s", r.Status, r.Body)
	}
	resolved := s.awaitIncidents("status=resolved", 1)
	u := updates(resolved[0])
	if last := u[len(u)-1]; last["status"] != "resolved" || last["message"] != "Search was deleted." {
		t.Fatalf("timeline = %v", u)
	}
}

// Events delivered twice or out of order over the real stream never open a
// second incident or resolve the wrong one.
func TestAutoIncidentDuplicateAndReorderedEvents(t *testing.T) {
	t.Parallel()
	s := startStack(t)
	org := s.bootstrapOrg()
	svc := s.createService(bootstrapKey, "Search")
	event := func(v int64, prev, st statusv1.Status) *statusv1.StatusChanged {
		return &statusv1.StatusChanged{
			OrgId: org, ServiceId: svc, ServiceName: "Search", Previous: prev, Status: st, Version: v,
			ChangedAt: timestamppb.New(time.Now()), ReceiverId: "whr_replayed",
			AutoIncident: &statusv1.AutoIncident{Enabled: true, Severity: statusv1.Severity_SEVERITY_MAJOR},
		}
	}
	publish := func(id string, ev *statusv1.StatusChanged) {
		t.Helper()
		data, err := proto.Marshal(ev)
		if err != nil {
			t.Fatal(err)
		}
		// Distinct message ids: these copies get past JetStream's
		// de-duplication, as copies older than its window would.
		if err := bus.Publish(context.Background(), s.js, bus.Event{Subject: bus.StatusSubject(org, svc), ID: id,
			Type: "upstate.status.v1.StatusChanged", Source: "test", Time: time.Now(), Data: data}); err != nil {
			t.Fatal(err)
		}
	}
	down, up := statusv1.Status_STATUS_DOWN, statusv1.Status_STATUS_OPERATIONAL
	publish("a", event(1, up, down))
	publish("b", event(1, up, down)) // duplicate
	open := s.awaitIncidents("status=open", 1)
	publish("c", event(3, down, up))   // recovery overtakes…
	publish("d", event(2, down, down)) // …an older change arriving late
	publish("e", event(1, up, down))   // and a very late duplicate
	// A sentinel from another receiver on the same subject, handled after
	// the others: once its incident shows, they have all been applied.
	sentinel := event(4, up, down)
	sentinel.ReceiverId = "whr_sentinel"
	publish("f", sentinel)
	testenv.Eventually(t, 10*time.Second, func() error {
		if o := s.listIncidents("status=open"); len(o) != 1 || o[0]["receiver_id"] != "whr_sentinel" {
			return fmt.Errorf("open = %v, want the sentinel's only", o)
		}
		return nil
	})
	resolved := s.listIncidents("status=resolved")
	if len(resolved) != 1 || resolved[0]["id"] != open[0]["id"] || len(updates(resolved[0])) != 2 {
		t.Fatalf("resolved = %v", resolved)
	}
}

// Changes made while the incidents service is down are applied when it
// comes back, with the same result as if it had been up.
func TestIncidentsCatchUpAfterOutage(t *testing.T) {
	t.Parallel()
	s := startStack(t)
	web := s.createService(bootstrapKey, "Web")
	db := s.createService(bootstrapKey, "DB")
	_, webPath := s.autoReceiver("web monitor", web, "major")
	_, dbPath := s.autoReceiver("db monitor", db, "critical")

	s.stopIncidents()
	for _, st := range []string{"down", "operational", "degraded", "down"} {
		s.report(webPath, st)
	}
	s.report(dbPath, "down")
	s.report(dbPath, "operational")
	s.startIncidents()

	// Web: down (opens), operational (resolves), degraded (opens a
	// second), down (noted on the second). DB: down, operational.
	testenv.Eventually(t, 10*time.Second, func() error {
		open, resolved := s.listIncidents("status=open"), s.listIncidents("status=resolved")
		if len(open) != 1 || len(resolved) != 2 {
			return fmt.Errorf("%d open, %d resolved; want 1, 2", len(open), len(resolved))
		}
		i := open[0]
		if i["service_ids"].([]any)[0] != web || i["title"] != "Web is degraded" || len(updates(i)) != 2 {
			return fmt.Errorf("open incident = %v", i)
		}
		if u := updates(i)[1]; u["message"] != "Web changed from degraded to down." {
			return fmt.Errorf("second entry = %v", u)
		}
		return nil
	})
	if r := s.listIncidents("status=resolved&service=" + db); len(r) != 1 || r[0]["severity"] != "critical" {
		t.Fatalf("DB incidents = %v", r)
	}
}

// bootstrapOrg returns the organisation of the bootstrap key.
func (s *stack) bootstrapOrg() string {
	s.t.Helper()
	r := s.do(http.MethodPost, "/api/v1/services", bootstrapKey, map[string]any{"name": "org probe " + time.Now().String()})
	if r.Status != http.StatusCreated {
		s.t.Fatalf("create service: %d %s", r.Status, r.Body)
	}
	return r.json(s.t)["org_id"].(string)
}

// incidentsClient is a gRPC client of the incidents service, as the other
// services use it.
func (s *stack) incidentsClient() incidentsv1.IncidentServiceClient {
	s.t.Helper()
	conn, err := s.host.Dial(s.svc.Incidents.GRPCAddr())
	if err != nil {
		s.t.Fatal(err)
	}
	s.t.Cleanup(func() { _ = conn.Close() })
	return incidentsv1.NewIncidentServiceClient(conn)
}
