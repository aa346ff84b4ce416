package integration

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
	"google.golang.org/grpc"

	"github.com/upstatehq/upstate/pkg/logging"
	"github.com/upstatehq/upstate/pkg/pgdb"
	"github.com/upstatehq/upstate/pkg/testenv"
	statusv1 "github.com/upstatehq/upstate/proto/gen/upstate/status/v1"
)

// statusOf returns a service's status and status description.
func (s *stack) statusOf(id string) (string, string) {
	s.t.Helper()
	r := s.do(http.MethodGet, "/api/v1/services/"+id, bootstrapKey, nil)
	if r.Status != http.StatusOK {
		s.t.Fatalf("get service: %d %s", r.Status, r.Body)
	}
	m := r.json(s.t)
	return m["status"].(string), m["status_description"].(string)
}

// awaitServiceStatus waits until the service has status.
func (s *stack) awaitServiceStatus(id, status string) {
	s.t.Helper()
	testenv.Eventually(s.t, 10*time.Second, func() error {
		if got, _ := s.statusOf(id); got != status {
			return fmt.Errorf("service %s is %s, want %s", id, got, status)
		}
		return nil
	})
}

func (s *stack) setStatus(id, status, desc string) {
	s.t.Helper()
	r := s.do(http.MethodPut, "/api/v1/services/"+id, bootstrapKey, map[string]any{"status": status, "description": desc})
	if r.Status != http.StatusOK {
		s.t.Fatalf("set status: %d %s", r.Status, r.Body)
	}
}

func (s *stack) maintenance(id string) map[string]any {
	s.t.Helper()
	r := s.do(http.MethodGet, "/api/v1/maintenances/"+id, bootstrapKey, nil)
	if r.Status != http.StatusOK {
		s.t.Fatalf("get maintenance: %d %s", r.Status, r.Body)
	}
	return r.json(s.t)
}

// awaitMaintenance waits until the window has status. Its services change
// just before it does: the window's row is committed after them.
func (s *stack) awaitMaintenance(id, status string) map[string]any {
	s.t.Helper()
	var m map[string]any
	testenv.Eventually(s.t, 10*time.Second, func() error {
		if m = s.maintenance(id); m["status"] != status {
			return fmt.Errorf("maintenance is %v, want %s", m["status"], status)
		}
		return nil
	})
	return m
}

func (s *stack) scheduleMaintenance(services []string, starts, ends time.Time) map[string]any {
	s.t.Helper()
	r := s.do(http.MethodPost, "/api/v1/maintenances", bootstrapKey, map[string]any{
		"title": "Database upgrade", "message": "Writes pause for a few minutes.", "service_ids": services,
		"starts_at": starts.Format(time.RFC3339Nano), "ends_at": ends.Format(time.RFC3339Nano),
	})
	if r.Status != http.StatusCreated {
		s.t.Fatalf("schedule maintenance: %d %s", r.Status, r.Body)
	}
	return r.json(s.t)
}

// newFakeClock returns a clock for a stack whose time a test moves: it
// starts at the wall clock's time (to the second), so that the services'
// timestamps look like today's.
func newFakeClock() *clockwork.FakeClock {
	return clockwork.NewFakeClockAt(time.Now().UTC().Truncate(time.Second))
}

// advanceTo moves the clock forward to at: the scheduler of a running
// incidents service looks at once (it ticks on that clock), one started
// later looks when it starts.
func advanceTo(clock *clockwork.FakeClock, at time.Time) {
	clock.Advance(at.Sub(clock.Now()))
}

// A window that starts and ends while the incidents service is down is
// applied when it comes back: services go into maintenance, then back to
// the status (and description) they had.
func TestMaintenanceAcrossRestarts(t *testing.T) {
	t.Parallel()
	clock := newFakeClock()
	s := startStackAt(t, clock)
	events := s.watchIncidents()
	svc := s.createService(bootstrapKey, "Billing")
	s.setStatus(svc, "degraded", "Slow invoices")
	start := clock.Now().Add(time.Hour)
	m := s.scheduleMaintenance([]string{svc}, start, start.Add(time.Hour))
	if m["status"] != "scheduled" || m["started_at"] != nil {
		t.Fatalf("scheduled = %v", m)
	}

	s.stopIncidents()
	advanceTo(clock, start.Add(time.Minute))
	if st, _ := s.statusOf(svc); st != "degraded" {
		t.Fatalf("service %s before the incidents service is back", st)
	}
	s.startIncidents()
	s.awaitServiceStatus(svc, "maintenance")
	if got := s.awaitMaintenance(m["id"].(string), "in_progress"); got["started_at"] == nil {
		t.Fatalf("started = %v", got)
	}

	s.stopIncidents()
	advanceTo(clock, start.Add(time.Hour+time.Minute))
	if st, _ := s.statusOf(svc); st != "maintenance" {
		t.Fatalf("service %s while the incidents service is down", st)
	}
	s.startIncidents()
	s.awaitServiceStatus(svc, "degraded")
	if _, desc := s.statusOf(svc); desc != "Slow invoices" {
		t.Fatalf("description after maintenance = %q", desc)
	}
	if got := s.awaitMaintenance(m["id"].(string), "completed"); got["ended_at"] == nil {
		t.Fatalf("ended = %v", got)
	}
	if got := fmt.Sprint(events(3)); got != "[upstate.incidents.v1.MaintenanceScheduled upstate.incidents.v1.MaintenanceStarted upstate.incidents.v1.MaintenanceEnded]" {
		t.Fatalf("events = %s", got)
	}
	// History says who did it.
	r := s.do(http.MethodGet, "/api/v1/services/"+svc+"/history", bootstrapKey, nil)
	h := r.json(t)["data"].([]any)
	if len(h) != 3 || h[0].(map[string]any)["source"] != "maintenance" || h[0].(map[string]any)["actor"] != m["id"] {
		t.Fatalf("history = %v", h)
	}
}

// A status reported during a window stands when the window ends; the other
// services of the window get theirs back. Ending early (DELETE) works the
// same, and a window that already started is in progress when created.
func TestMaintenanceKeepsChangesMadeDuringIt(t *testing.T) {
	t.Parallel()
	s := startStack(t)
	a := s.createService(bootstrapKey, "A")
	b := s.createService(bootstrapKey, "B")
	m := s.scheduleMaintenance([]string{a, b}, time.Now().Add(-time.Minute), time.Now().Add(time.Hour))
	if m["status"] != "in_progress" {
		t.Fatalf("a window that already started = %v", m)
	}
	if st, _ := s.statusOf(a); st != "maintenance" {
		t.Fatalf("A is %s", st)
	}
	s.setStatus(b, "down", "Disk failure found during the upgrade")

	r := s.do(http.MethodDelete, "/api/v1/maintenances/"+m["id"].(string), bootstrapKey, nil)
	if r.Status != http.StatusOK || r.json(t)["status"] != "completed" {
		t.Fatalf("end early: %d %s", r.Status, r.Body)
	}
	if st, _ := s.statusOf(a); st != "operational" {
		t.Fatalf("A after the window is %s, want operational", st)
	}
	if st, desc := s.statusOf(b); st != "down" || desc != "Disk failure found during the upgrade" {
		t.Fatalf("B after the window is %s (%q), want the down reported meanwhile", st, desc)
	}
	// Finished windows no longer change.
	r = s.do(http.MethodDelete, "/api/v1/maintenances/"+m["id"].(string), bootstrapKey, nil)
	if r.Status != http.StatusConflict {
		t.Fatalf("second DELETE: %d %s", r.Status, r.Body)
	}
}

// A service edited before and during a window goes into maintenance and
// is given its status back at the end: an edit is an event of the service
// (it takes a version) but not a change of its status, which alone makes
// a window leave a service as it is.
func TestMaintenanceOfAServiceEditedBeforeAndDuringIt(t *testing.T) {
	t.Parallel()
	s := startStack(t)
	svc := s.createService(bootstrapKey, "Exports")
	s.setStatus(svc, "degraded", "Slow exports")
	rename := func(name string) {
		t.Helper()
		if r := s.do(http.MethodPatch, "/api/v1/services/"+svc, bootstrapKey, map[string]any{"name": name}); r.Status != http.StatusOK {
			t.Fatalf("rename: %d %s", r.Status, r.Body)
		}
	}
	rename("Data exports")
	m := s.scheduleMaintenance([]string{svc}, time.Now().Add(-time.Minute), time.Now().Add(time.Hour))
	if m["status"] != "in_progress" {
		t.Fatalf("a window over a renamed service = %v, want it in progress", m)
	}
	if st, _ := s.statusOf(svc); st != "maintenance" {
		t.Fatalf("the renamed service in the window is %s", st)
	}
	rename("CSV exports")

	r := s.do(http.MethodDelete, "/api/v1/maintenances/"+m["id"].(string), bootstrapKey, nil)
	if r.Status != http.StatusOK || r.json(t)["status"] != "completed" {
		t.Fatalf("end early: %d %s", r.Status, r.Body)
	}
	if st, desc := s.statusOf(svc); st != "degraded" || desc != "Slow exports" {
		t.Fatalf("the renamed service after the window is %s (%q), want degraded (\"Slow exports\")", st, desc)
	}
}

// Overlapping windows share a service's stay in maintenance: it returns to
// its status when the last of them ends, also when they end at the same
// moment.
func TestOverlappingMaintenances(t *testing.T) {
	t.Parallel()
	s := startStack(t)
	svc := s.createService(bootstrapKey, "Queue")
	first := s.scheduleMaintenance([]string{svc}, time.Now().Add(-time.Minute), time.Now().Add(time.Hour))
	second := s.scheduleMaintenance([]string{svc}, time.Now().Add(-time.Second), time.Now().Add(time.Hour))
	if second["status"] != "in_progress" {
		t.Fatalf("second = %v", second)
	}
	s.do(http.MethodDelete, "/api/v1/maintenances/"+first["id"].(string), bootstrapKey, nil)
	if st, _ := s.statusOf(svc); st != "maintenance" {
		t.Fatalf("after the first window ended the service is %s; the second still runs", st)
	}
	s.do(http.MethodDelete, "/api/v1/maintenances/"+second["id"].(string), bootstrapKey, nil)
	if st, _ := s.statusOf(svc); st != "operational" {
		t.Fatalf("after both ended the service is %s", st)
	}

	for round := range 5 {
		a := s.scheduleMaintenance([]string{svc}, time.Now().Add(-time.Second), time.Now().Add(time.Hour))
		b := s.scheduleMaintenance([]string{svc}, time.Now().Add(-time.Second), time.Now().Add(time.Hour))
		var wg sync.WaitGroup
		for _, m := range []map[string]any{a, b} {
			wg.Go(func() {
				if r := s.do(http.MethodDelete, "/api/v1/maintenances/"+m["id"].(string), bootstrapKey, nil); r.Status != http.StatusOK {
					t.Errorf("DELETE: %d %s", r.Status, r.Body)
				}
			})
		}
		wg.Wait()
		if st, _ := s.statusOf(svc); st != "operational" {
			t.Fatalf("round %d: after two windows ended at once the service is %s", round, st)
		}
	}
}

// A window whose whole time passed while the incidents service was down
// completes without putting its services in maintenance after the fact.
func TestMaintenanceMissedEntirely(t *testing.T) {
	t.Parallel()
	clock := newFakeClock()
	s := startStackAt(t, clock)
	svc := s.createService(bootstrapKey, "Reports")
	w := s.watchStatus()
	start := clock.Now().Add(time.Hour)
	m := s.scheduleMaintenance([]string{svc}, start, start.Add(time.Hour))
	s.stopIncidents()
	advanceTo(clock, start.Add(90*time.Minute))
	s.startIncidents()
	got := s.awaitMaintenance(m["id"].(string), "completed")
	if got["started_at"] != nil {
		t.Fatalf("missed window = %v", got)
	}
	h := s.do(http.MethodGet, "/api/v1/services/"+svc+"/history", bootstrapKey, nil).json(t)["data"].([]any)
	if len(h) != 0 {
		t.Fatalf("history of a service whose window was missed = %v", h)
	}
	w.none(300 * time.Millisecond)
}

// exec runs a statement against the shared database.
func (s *stack) exec(sql string, args ...any) {
	s.t.Helper()
	pool, err := pgdb.Open(context.Background(), s.dsn, "test", 1, logging.Discard())
	if err != nil {
		s.t.Fatal(err)
	}
	defer pool.Close()
	if _, err := pool.Exec(context.Background(), sql, args...); err != nil {
		s.t.Fatal(err)
	}
}

// A start that failed halfway — its hold written, the service perhaps
// already in maintenance — resumes correctly when the incidents service
// comes back, and the end still gives back the description the service had.
func TestMaintenanceResumesAfterAFailedStart(t *testing.T) {
	t.Parallel()
	clock := newFakeClock()
	s := startStackAt(t, clock)
	org := s.bootstrapOrg()
	changed := s.createService(bootstrapKey, "Changed")   // failed after SetStatus
	untouched := s.createService(bootstrapKey, "Pending") // failed before SetStatus
	s.setStatus(changed, "degraded", "Slow exports")
	s.setStatus(untouched, "degraded", "Slow imports")
	start := clock.Now().Add(time.Hour)
	m := s.scheduleMaintenance([]string{changed, untouched}, start, start.Add(time.Hour))
	id := m["id"].(string)
	s.stopIncidents()

	// What a crash would have left: pending holds at the status versions before,
	// and one service already put in maintenance by the window.
	for _, svc := range []string{changed, untouched} {
		s.exec(`INSERT INTO incidents.maintenance_services
			(maintenance_id, service_id, previous_status, previous_description, version, pending)
			SELECT $1, id, status, status_description, status_version, true FROM status.services WHERE id = $2`, id, svc)
	}
	desc := "Scheduled maintenance: Database upgrade"
	if _, err := statusv1.NewServiceRegistryServiceClient(s.statusConn()).SetStatus(context.Background(), &statusv1.SetStatusRequest{
		OrgId: org, ServiceId: changed, Status: statusv1.Status_STATUS_MAINTENANCE, Description: &desc,
		Source: statusv1.Source_SOURCE_MAINTENANCE, Actor: id,
	}); err != nil {
		t.Fatal(err)
	}

	advanceTo(clock, start)
	s.startIncidents()
	s.awaitMaintenance(id, "in_progress")
	for _, svc := range []string{changed, untouched} {
		if st, _ := s.statusOf(svc); st != "maintenance" {
			t.Fatalf("%s is %s", svc, st)
		}
	}
	// The window put "changed" in maintenance once, not twice.
	h := s.do(http.MethodGet, "/api/v1/services/"+changed+"/history", bootstrapKey, nil).json(t)["data"].([]any)
	if len(h) != 2 {
		t.Fatalf("history of the service changed before the crash = %v", h)
	}

	if r := s.do(http.MethodDelete, "/api/v1/maintenances/"+id, bootstrapKey, nil); r.Status != http.StatusOK {
		t.Fatalf("end: %d %s", r.Status, r.Body)
	}
	for svc, want := range map[string]string{changed: "Slow exports", untouched: "Slow imports"} {
		if st, d := s.statusOf(svc); st != "degraded" || d != want {
			t.Fatalf("%s after the window: %s %q, want degraded %q", svc, st, d, want)
		}
	}
}

// statusConn is a gRPC connection to the status service.
func (s *stack) statusConn() *grpc.ClientConn {
	s.t.Helper()
	conn, err := s.host.Dial(s.svc.Status.GRPCAddr())
	if err != nil {
		s.t.Fatal(err)
	}
	s.t.Cleanup(func() { _ = conn.Close() })
	return conn
}

// fakeFailedStart leaves what a window's start that failed on svc leaves
// behind: its pending hold and, if applied, the status change it made.
func (s *stack) fakeFailedStart(org, maintenanceID, svc string, applied bool) {
	s.t.Helper()
	s.exec(`INSERT INTO incidents.maintenance_services
		(maintenance_id, service_id, previous_status, previous_description, version, pending)
		SELECT $1, id, status, status_description, status_version, true FROM status.services WHERE id = $2`, maintenanceID, svc)
	if !applied {
		return
	}
	desc := "Scheduled maintenance: Database upgrade"
	if _, err := statusv1.NewServiceRegistryServiceClient(s.statusConn()).SetStatus(context.Background(), &statusv1.SetStatusRequest{
		OrgId: org, ServiceId: svc, Status: statusv1.Status_STATUS_MAINTENANCE, Description: &desc,
		Source: statusv1.Source_SOURCE_MAINTENANCE, Actor: maintenanceID,
	}); err != nil {
		s.t.Fatal(err)
	}
}

// Another window acting on a service after a window's start failed on it
// — whether or not that start's change was made — agrees with it on who
// gives the status back: the service returns when the last one ends.
func TestMaintenanceAfterAnotherWindowsFailedStart(t *testing.T) {
	t.Parallel()
	clock := newFakeClock()
	s := startStackAt(t, clock)
	org := s.bootstrapOrg()
	for _, applied := range []bool{true, false} {
		svc := s.createService(bootstrapKey, fmt.Sprintf("Search %v", applied))
		s.setStatus(svc, "degraded", "Slow queries")
		start := clock.Now().Add(time.Hour)
		first := s.scheduleMaintenance([]string{svc}, start, start.Add(time.Hour))["id"].(string)
		s.fakeFailedStart(org, first, svc, applied)

		// Under way already, and still when the first starts.
		second := s.scheduleMaintenance([]string{svc}, clock.Now().Add(-time.Second), clock.Now().Add(3*time.Hour))["id"].(string)
		advanceTo(clock, start)
		s.awaitMaintenance(first, "in_progress") // its retry at its start
		for _, m := range []string{second, first} {
			if st, _ := s.statusOf(svc); st != "maintenance" {
				t.Fatalf("applied=%v: before %s ended the service is %s", applied, m, st)
			}
			if r := s.do(http.MethodDelete, "/api/v1/maintenances/"+m, bootstrapKey, nil); r.Status != http.StatusOK {
				t.Fatalf("end %s: %d %s", m, r.Status, r.Body)
			}
		}
		if st, d := s.statusOf(svc); st != "degraded" || d != "Slow queries" {
			t.Fatalf("applied=%v: after both windows the service is %s %q", applied, st, d)
		}
	}
}
