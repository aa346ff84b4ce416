package store_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/upstatehq/upstate/pkg/ids"
	"github.com/upstatehq/upstate/pkg/pgdb"
	"github.com/upstatehq/upstate/pkg/testenv"
	"github.com/upstatehq/upstate/services/incidents/internal/domain"
	"github.com/upstatehq/upstate/services/incidents/internal/events"
	"github.com/upstatehq/upstate/services/incidents/internal/store"
	"github.com/upstatehq/upstate/services/incidents/migrations"
)

func TestMain(m *testing.M) { testenv.Main(m) }

func newStore(t *testing.T) (*store.Store, func(query string, args ...any) int) {
	t.Helper()
	pool := testenv.NewPool(t, testenv.NewDatabase(t))
	if err := pgdb.Migrate(context.Background(), pool, migrations.Schema, migrations.FS); err != nil {
		t.Fatal(err)
	}
	count := func(query string, args ...any) int {
		t.Helper()
		var n int
		if err := pool.QueryRow(context.Background(), query, args...).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	return store.New(pool), count
}

var t0 = time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)

// change is the StatusChanged of service svc_1 reaching version v, caused
// by receiver (none if empty) with automatic incidents on.
func change(v int64, receiver string, prev, status domain.ServiceStatus) domain.StatusChange {
	return domain.StatusChange{
		OrgID: "org_a", ServiceID: "svc_1", ServiceName: "API", Previous: prev, Status: status,
		Version: v, ChangedAt: t0.Add(time.Duration(v) * time.Minute), ReceiverID: receiver,
		AutoIncident: receiver != "", Severity: domain.Major,
	}
}

func apply(t *testing.T, st *store.Store, c domain.StatusChange) store.AutoResult {
	t.Helper()
	res, err := st.ApplyStatusChange(context.Background(), c, func() string { return ids.New(ids.Incident) }, events.IncidentChanged)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func incidents(t *testing.T, st *store.Store, open bool) []domain.Incident {
	t.Helper()
	list, err := st.ListIncidents(context.Background(), "org_a", store.IncidentFilter{Open: &open}, 100)
	if err != nil {
		t.Fatal(err)
	}
	return list
}

const (
	up    = domain.StatusOperational
	slow  = domain.StatusDegraded
	down  = domain.StatusDown
	maint = domain.StatusMaintenance
)

func TestAutoIncidentLifecycle(t *testing.T) {
	t.Parallel()
	st, count := newStore(t)

	if res := apply(t, st, change(1, "whr_a", up, slow)); res.Action != domain.AutoOpen {
		t.Fatalf("degraded: action %v, want open", res.Action)
	}
	if res := apply(t, st, change(2, "whr_a", slow, down)); res.Action != domain.AutoNote {
		t.Fatalf("degraded → down: action %v, want note", res.Action)
	}
	open := incidents(t, st, true)
	if len(open) != 1 {
		t.Fatalf("open incidents = %d, want 1", len(open))
	}
	i := open[0]
	if i.Title != "API is degraded" || i.Severity != domain.Major || i.Source != domain.SourceReceiver ||
		i.ReceiverID != "whr_a" || len(i.ServiceIDs) != 1 || i.ServiceIDs[0] != "svc_1" || !i.CreatedAt.Equal(t0.Add(time.Minute)) {
		t.Fatalf("incident = %+v", i)
	}
	if len(i.Updates) != 2 || i.Updates[1].Message != "API changed from degraded to down." || i.Status != domain.Investigating {
		t.Fatalf("timeline = %+v", i.Updates)
	}

	if res := apply(t, st, change(3, "whr_a", down, up)); res.Action != domain.AutoResolve {
		t.Fatalf("operational: action %v, want resolve", res.Action)
	}
	resolved := incidents(t, st, false)
	if len(resolved) != 1 || resolved[0].ID != i.ID || !resolved[0].ResolvedAt.Equal(t0.Add(3*time.Minute)) {
		t.Fatalf("resolved = %+v", resolved)
	}
	last := resolved[0].Updates[len(resolved[0].Updates)-1]
	if last.Status != domain.Resolved || last.Author != "whr_a" || last.Message != "API is operational again." {
		t.Fatalf("last entry = %+v", last)
	}
	// Opened, noted, resolved: three events, versions 1..3.
	if n := count(`SELECT count(*) FROM incidents.outbox WHERE msg_id LIKE $1`, i.ID+":%"); n != 3 {
		t.Fatalf("outbox events = %d, want 3", n)
	}

	// Down again: a new incident, the resolved one stays resolved.
	apply(t, st, change(4, "whr_a", up, down))
	if open := incidents(t, st, true); len(open) != 1 || open[0].ID == i.ID || open[0].Title != "API is down" {
		t.Fatalf("open after recurrence = %+v", open)
	}
}

func TestAutoIncidentDuplicatesAndReordering(t *testing.T) {
	t.Parallel()
	st, _ := newStore(t)
	down2 := change(2, "whr_a", up, down)
	for range 3 {
		apply(t, st, down2)
	}
	if open := incidents(t, st, true); len(open) != 1 || len(open[0].Updates) != 1 {
		t.Fatalf("after three copies of one event: %+v", open)
	}
	// Version 1 arrives late: it is older than what was applied, so it
	// changes nothing.
	if res := apply(t, st, change(1, "whr_a", up, slow)); !res.Stale {
		t.Fatalf("late event applied: %+v", res)
	}
	// The service recovers (v4) before the event of v3 (down → degraded)
	// arrives: the late one must not reopen or note anything.
	apply(t, st, change(4, "whr_a", slow, up))
	if res := apply(t, st, change(3, "whr_a", down, slow)); !res.Stale {
		t.Fatalf("overtaken event applied: %+v", res)
	}
	if open := incidents(t, st, true); len(open) != 0 {
		t.Fatalf("open incidents after recovery = %+v", open)
	}
	if resolved := incidents(t, st, false); len(resolved) != 1 || len(resolved[0].Updates) != 2 {
		t.Fatalf("resolved = %+v", resolved)
	}
}

func TestAutoIncidentConcurrentCopiesOpenOne(t *testing.T) {
	t.Parallel()
	st, count := newStore(t)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() { apply(t, st, change(1, "whr_a", up, down)) })
	}
	wg.Wait()
	if n := count(`SELECT count(*) FROM incidents.incidents`); n != 1 {
		t.Fatalf("incidents = %d, want 1", n)
	}
}

func TestAutoIncidentOnlyItsReceiverResolves(t *testing.T) {
	t.Parallel()
	st, _ := newStore(t)
	ctx := context.Background()
	manual := domain.NewIncident{Title: "Login errors", Severity: domain.Minor, ServiceIDs: []string{"svc_1"}, Author: "key_1"}
	if err := manual.Validate(); err != nil {
		t.Fatal(err)
	}
	if err := st.CreateIncident(ctx, manual.Open(ids.New(ids.Incident), "org_a", t0), events.IncidentChanged); err != nil {
		t.Fatal(err)
	}
	apply(t, st, change(1, "whr_a", up, slow))   // A opens
	apply(t, st, change(2, "whr_b", slow, down)) // B opens its own
	if open := incidents(t, st, true); len(open) != 3 {
		t.Fatalf("open = %d, want manual + A + B", len(open))
	}
	apply(t, st, change(3, "whr_b", down, up)) // B's operational resolves B's only
	open := incidents(t, st, true)
	if len(open) != 2 {
		t.Fatalf("open after B recovered = %+v", open)
	}
	for _, i := range open {
		if i.ReceiverID == "whr_b" {
			t.Fatalf("B's incident still open: %+v", i)
		}
	}
	// An API change to operational is no receiver's: A's stays open.
	apply(t, st, change(4, "", up, down))
	apply(t, st, change(5, "", down, up))
	if open := incidents(t, st, true); len(open) != 2 {
		t.Fatalf("open after API changes = %d, want 2", len(open))
	}
}

func TestAutoIncidentMaintenanceAndDisabledReceivers(t *testing.T) {
	t.Parallel()
	st, _ := newStore(t)
	apply(t, st, change(1, "whr_a", up, maint))
	off := change(2, "whr_a", maint, down)
	off.AutoIncident = false
	apply(t, st, off)
	if n := len(incidents(t, st, true)); n != 0 {
		t.Fatalf("maintenance or a disabled receiver opened %d incidents", n)
	}
	apply(t, st, change(3, "whr_a", down, slow)) // enabled again: opens
	// Switched off while its incident is open: its recovery still resolves it.
	recovered := change(4, "whr_a", slow, up)
	recovered.AutoIncident = false
	apply(t, st, recovered)
	if open, resolved := incidents(t, st, true), incidents(t, st, false); len(open) != 0 || len(resolved) != 1 {
		t.Fatalf("open %d, resolved %d; want 0, 1", len(open), len(resolved))
	}
}

// A receiver's recovery overtaken by another source's later change still
// resolves its incident: only the receiver's own events are ordered
// against each other.
func TestAutoIncidentReorderedAcrossSources(t *testing.T) {
	t.Parallel()
	st, _ := newStore(t)
	apply(t, st, change(1, "whr_a", up, down)) // A opens
	apply(t, st, change(3, "whr_b", up, slow)) // B's later change arrives first: B opens
	apply(t, st, change(4, "", slow, down))    // so does an API change
	if res := apply(t, st, change(2, "whr_a", down, up)); res.Stale || res.Action != domain.AutoResolve {
		t.Fatalf("A's overtaken recovery: %+v", res)
	}
	open := incidents(t, st, true)
	if len(open) != 1 || open[0].ReceiverID != "whr_b" {
		t.Fatalf("open = %+v, want B's only", open)
	}
	// …and A's own older event, arriving later still, is stale.
	if res := apply(t, st, change(1, "whr_a", up, down)); !res.Stale {
		t.Fatalf("A's duplicate applied: %+v", res)
	}
}

// A deleted service's open automatic incidents, of every receiver, are
// resolved once: no receiver will report it operational again. Another
// service's are left open.
func TestResolveDeletedServiceResolvesItsAutoIncidents(t *testing.T) {
	t.Parallel()
	st, count := newStore(t)
	apply(t, st, change(1, "whr_a", up, down))
	apply(t, st, change(2, "whr_b", down, slow))
	other := change(1, "whr_a", up, down)
	other.ServiceID = "svc_2"
	apply(t, st, other)

	gone := domain.ServiceDeletion{OrgID: "org_a", ServiceID: "svc_1", ServiceName: "API", DeletedAt: t0.Add(time.Hour)}
	resolved, err := st.ResolveDeletedService(context.Background(), gone, events.IncidentChanged)
	if err != nil {
		t.Fatal(err)
	}
	if len(resolved) != 2 {
		t.Fatalf("resolved %d incidents, want both receivers' for svc_1", len(resolved))
	}
	for _, i := range resolved {
		last := i.Updates[len(i.Updates)-1]
		if i.Status != domain.Resolved || !i.ResolvedAt.Equal(gone.DeletedAt) || last.Message != "API was deleted." {
			t.Errorf("incident %s: %s at %s, last %+v", i.ID, i.Status, i.ResolvedAt, last)
		}
	}
	if open := incidents(t, st, true); len(open) != 1 || open[0].ServiceIDs[0] != "svc_2" {
		t.Errorf("open incidents %+v, want svc_2's alone", open)
	}
	written := count(`SELECT count(*) FROM incidents.outbox`)
	// Redelivered, it finds nothing open.
	again, err := st.ResolveDeletedService(context.Background(), gone, events.IncidentChanged)
	if err != nil || len(again) != 0 || count(`SELECT count(*) FROM incidents.outbox`) != written {
		t.Errorf("applied again: %d resolved, %v; want nothing", len(again), err)
	}
}
