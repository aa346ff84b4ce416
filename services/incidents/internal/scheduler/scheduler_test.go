package scheduler_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
	"github.com/upstatehq/upstate/pkg/ids"
	"github.com/upstatehq/upstate/pkg/logging"
	"github.com/upstatehq/upstate/pkg/service/servicetest"
	"github.com/upstatehq/upstate/pkg/testenv"
	statusv1 "github.com/upstatehq/upstate/proto/gen/upstate/status/v1"
	"github.com/upstatehq/upstate/services/incidents/internal/domain"
	"github.com/upstatehq/upstate/services/incidents/internal/events"
	"github.com/upstatehq/upstate/services/incidents/internal/metrics"
	"github.com/upstatehq/upstate/services/incidents/internal/scheduler"
	"github.com/upstatehq/upstate/services/incidents/internal/store"
	"github.com/upstatehq/upstate/services/incidents/migrations"
)

func TestMain(m *testing.M) { testenv.Main(m) }

var t0 = time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)

// env is a scheduler running on a fake clock over real Postgres, with a
// stand-in for the status service.
type env struct {
	t        *testing.T
	clock    *clockwork.FakeClock
	store    *store.Store
	registry *registry
	sched    *scheduler.Scheduler
	markers  int
}

func newEnv(t *testing.T) *env {
	t.Helper()
	ctx := context.Background()
	pool := servicetest.Postgres(t, migrations.Schema, migrations.FS)
	e := &env{t: t, clock: clockwork.NewFakeClockAt(t0), store: store.New(pool)}
	var client statusv1.ServiceRegistryServiceClient
	e.registry, client = startRegistry(t, e.clock)
	e.sched = scheduler.New(e.store, client, func() {}, metrics.New(nil), e.clock, logging.Discard(), time.Second)
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Go(func() { e.sched.Run(ctx) })
	t.Cleanup(func() { cancel(); wg.Wait() })
	return e
}

// schedule stores a window of the services from starts to ends.
func (e *env) schedule(title string, starts, ends time.Time, services ...string) string {
	e.t.Helper()
	n := domain.NewMaintenance{Title: title, ServiceIDs: services, StartsAt: starts, EndsAt: ends}
	if err := n.Validate(e.clock.Now()); err != nil {
		e.t.Fatal(err)
	}
	m := n.Schedule(ids.New(ids.Maintenance), org, e.clock.Now())
	if err := e.store.CreateMaintenance(context.Background(), m, events.MaintenanceScheduled); err != nil {
		e.t.Fatal(err)
	}
	return m.ID
}

func (e *env) window(id string) domain.Maintenance {
	e.t.Helper()
	m, err := e.store.GetMaintenance(context.Background(), org, id)
	if err != nil {
		e.t.Fatal(err)
	}
	return m
}

// await waits until the window has status and returns it. Its services
// change before it does: the window is saved after them.
func (e *env) await(id string, status domain.MaintenanceStatus) domain.Maintenance {
	e.t.Helper()
	var m domain.Maintenance
	testenv.Eventually(e.t, 10*time.Second, func() error {
		if m = e.window(id); m.Status != status {
			return fmt.Errorf("window %s is %s, want %s", id, m.Status, status)
		}
		return nil
	})
	return m
}

// advanceTo moves the clock to at, between two of the scheduler's ticks
// perhaps, has it look at once, and returns once it has: a marker window
// starting then, on a service of its own, is in progress. Windows due
// before at were handled in that look (the scheduler takes them earliest
// first), so the test can check what has not happened.
func (e *env) advanceTo(at time.Time) {
	e.t.Helper()
	e.markers++
	svc := fmt.Sprintf("svc_marker_%d", e.markers)
	e.registry.add(svc, statusv1.Status_STATUS_OPERATIONAL, "")
	marker := e.schedule("Marker", at, at.Add(1000*time.Hour), svc)
	e.clock.Advance(at.Sub(e.clock.Now()))
	e.sched.Notify()
	e.await(marker, domain.InProgress)
}

// assertStatus checks a service's status and description.
func (e *env) assertStatus(id string, st statusv1.Status, desc string) {
	e.t.Helper()
	if s := e.registry.get(id); s.GetStatus() != st || s.GetStatusDescription() != desc {
		e.t.Fatalf("%s is %s (%q), want %s (%q)", id, s.GetStatus(), s.GetStatusDescription(), st, desc)
	}
}

const entered = "Scheduled maintenance: Database upgrade"

// A window starts when the clock passes its start and ends when it passes
// its end: its services go into maintenance and get back the status and
// description they had, except one whose status was reported during the
// window, which stands.
func TestWindowStartsAndEndsOnTheClock(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.registry.add("svc_1", statusv1.Status_STATUS_DEGRADED, "Slow invoices")
	e.registry.add("svc_2", statusv1.Status_STATUS_OPERATIONAL, "")
	starts, ends := t0.Add(time.Hour), t0.Add(2*time.Hour)
	id := e.schedule("Database upgrade", starts, ends, "svc_1", "svc_2")

	e.advanceTo(starts.Add(-time.Second))
	if m := e.window(id); m.Status != domain.Scheduled {
		t.Fatalf("a second before its start the window is %s", m.Status)
	}
	e.assertStatus("svc_1", statusv1.Status_STATUS_DEGRADED, "Slow invoices")

	e.clock.Advance(time.Second)
	if m := e.await(id, domain.InProgress); !m.StartedAt.Equal(starts) || m.Version != 2 {
		t.Fatalf("started = %+v, want it started at %s", m, starts)
	}
	e.assertStatus("svc_1", statusv1.Status_STATUS_MAINTENANCE, entered)
	e.assertStatus("svc_2", statusv1.Status_STATUS_MAINTENANCE, entered)
	e.registry.report("svc_2", statusv1.Status_STATUS_DOWN, "Disk failure found during the upgrade")

	e.advanceTo(ends.Add(-time.Second))
	if m := e.window(id); m.Status != domain.InProgress {
		t.Fatalf("a second before its end the window is %s", m.Status)
	}
	e.assertStatus("svc_1", statusv1.Status_STATUS_MAINTENANCE, entered)

	e.clock.Advance(time.Second)
	if m := e.await(id, domain.Completed); !m.EndedAt.Equal(ends) || !m.StartedAt.Equal(starts) || m.Version != 3 {
		t.Fatalf("ended = %+v, want it ended at %s", m, ends)
	}
	e.assertStatus("svc_1", statusv1.Status_STATUS_DEGRADED, "Slow invoices")
	e.assertStatus("svc_2", statusv1.Status_STATUS_DOWN, "Disk failure found during the upgrade")
	// The history says which window did it.
	h := e.registry.changes("svc_1")
	if len(h) != 2 || h[0].GetActor() != id || h[0].GetSource() != statusv1.Source_SOURCE_MAINTENANCE ||
		h[1].GetActor() != id || h[1].GetStatus() != statusv1.Status_STATUS_MAINTENANCE {
		t.Fatalf("history of svc_1 = %v", h)
	}
	if n := e.registry.setCalls("svc_2"); n != 2 {
		t.Fatalf("%d SetStatus calls on svc_2, want its entry and one refused give-back", n)
	}
}

// A window whose start fails is retried after a growing delay, without
// holding up other windows meanwhile. A retry after a SetStatus whose
// change was made but whose answer was lost finds the change in the
// service's history and does not make it again; the end gives back what
// the service had before.
func TestFailingStartBacksOffAndRetries(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.registry.add("svc_1", statusv1.Status_STATUS_DEGRADED, "Slow invoices")
	e.registry.failNext("svc_1", unavailable, lostAnswer)
	starts, ends := t0.Add(time.Hour), t0.Add(2*time.Hour)
	id := e.schedule("Database upgrade", starts, ends, "svc_1")

	// The first attempt fails; the next one is 2s later.
	first := starts.Add(time.Millisecond)
	e.advanceTo(first)
	if n := e.registry.setCalls("svc_1"); n != 1 {
		t.Fatalf("%d SetStatus calls after the start, want 1", n)
	}
	e.advanceTo(first.Add(1999 * time.Millisecond))
	if n := e.registry.setCalls("svc_1"); n != 1 || e.window(id).Status != domain.Scheduled {
		t.Fatalf("%d SetStatus calls within 2s of a failure, want no retry yet", n)
	}
	e.assertStatus("svc_1", statusv1.Status_STATUS_DEGRADED, "Slow invoices")

	// The second attempt makes the change but its answer is lost; the
	// next one is 4s later.
	second := first.Add(2 * time.Second)
	e.advanceTo(second)
	if n := e.registry.setCalls("svc_1"); n != 2 || e.window(id).Status != domain.Scheduled {
		t.Fatalf("%d SetStatus calls 2s after the failure, want the retry", n)
	}
	e.assertStatus("svc_1", statusv1.Status_STATUS_MAINTENANCE, entered)
	e.advanceTo(second.Add(3999 * time.Millisecond))
	if e.window(id).Status != domain.Scheduled {
		t.Fatal("the window started within 4s of its second failure")
	}

	// The third attempt finds the service in maintenance by this window.
	e.advanceTo(second.Add(4 * time.Second))
	if m := e.await(id, domain.InProgress); !m.StartedAt.Equal(second.Add(4 * time.Second)) {
		t.Fatalf("started = %+v", m)
	}
	if n := e.registry.setCalls("svc_1"); n != 2 {
		t.Fatalf("%d SetStatus calls, want the change made once", n)
	}
	if h := e.registry.changes("svc_1"); len(h) != 1 {
		t.Fatalf("history = %v, want one change", h)
	}

	e.clock.Advance(ends.Sub(e.clock.Now()))
	e.await(id, domain.Completed)
	e.assertStatus("svc_1", statusv1.Status_STATUS_DEGRADED, "Slow invoices")
}

// Overlapping windows share a service's stay in maintenance: it enters
// once, and returns to its status when the last of them ends, also when
// they end at the same moment.
func TestOverlappingWindows(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.registry.add("svc_1", statusv1.Status_STATUS_DEGRADED, "Slow invoices")
	h := func(n time.Duration) time.Time { return t0.Add(n * time.Hour) }
	a := e.schedule("Database upgrade", h(1), h(3), "svc_1")
	b := e.schedule("Network upgrade", h(2), h(4), "svc_1")

	e.clock.Advance(time.Hour)
	e.await(a, domain.InProgress)
	e.assertStatus("svc_1", statusv1.Status_STATUS_MAINTENANCE, entered)

	e.clock.Advance(time.Hour)
	e.await(b, domain.InProgress)
	if n := e.registry.setCalls("svc_1"); n != 1 {
		t.Fatalf("%d SetStatus calls once both windows started, want 1", n)
	}

	e.clock.Advance(time.Hour)
	e.await(a, domain.Completed)
	e.assertStatus("svc_1", statusv1.Status_STATUS_MAINTENANCE, entered)

	e.clock.Advance(time.Hour)
	e.await(b, domain.Completed)
	e.assertStatus("svc_1", statusv1.Status_STATUS_DEGRADED, "Slow invoices")

	// Two windows of the same time.
	c := e.schedule("Database upgrade", h(5), h(6), "svc_1")
	d := e.schedule("Database upgrade", h(5), h(6), "svc_1")
	e.clock.Advance(time.Hour)
	e.await(c, domain.InProgress)
	e.await(d, domain.InProgress)
	e.assertStatus("svc_1", statusv1.Status_STATUS_MAINTENANCE, entered)
	e.clock.Advance(time.Hour)
	e.await(c, domain.Completed)
	e.await(d, domain.Completed)
	e.assertStatus("svc_1", statusv1.Status_STATUS_DEGRADED, "Slow invoices")
	if n := e.registry.setCalls("svc_1"); n != 4 {
		t.Fatalf("%d SetStatus calls, want one entry and one give-back per stay", n)
	}
}
