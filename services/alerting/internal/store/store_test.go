package store_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/upstatehq/upstate/pkg/bus"
	"github.com/upstatehq/upstate/pkg/service/servicetest"
	"github.com/upstatehq/upstate/pkg/testenv"
	"github.com/upstatehq/upstate/services/alerting/internal/domain"
	"github.com/upstatehq/upstate/services/alerting/internal/events"
	"github.com/upstatehq/upstate/services/alerting/internal/store"
	"github.com/upstatehq/upstate/services/alerting/migrations"
)

func TestMain(m *testing.M) { testenv.Main(m) }

var t0 = time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)

func at(d time.Duration) time.Time { return t0.Add(d) }

func newStore(t testing.TB) *store.Store {
	t.Helper()
	var n atomic.Int64
	return store.New(servicetest.Postgres(t, migrations.Schema, migrations.FS), events.Announcer{},
		func(prefix string) string { return fmt.Sprintf("%s_%04d", prefix, n.Add(1)) })
}

// relayed returns the event types the outbox holds, in order, and empties it.
func relayed(t testing.TB, st *store.Store) []string {
	t.Helper()
	var types []string
	for {
		n, err := st.Outbox.RelayBatch(context.Background(), 100, func(_ context.Context, evs []bus.Event) error {
			for _, e := range evs {
				types = append(types, e.Type)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			return types
		}
	}
}

func createRule(t testing.TB, st *store.Store, id string, mutate func(*domain.RuleSpec)) domain.Rule {
	t.Helper()
	spec := domain.DefaultSpec()
	spec.Name, spec.Selector, spec.For = "down", domain.Selector{Tags: map[string]string{"team": "payments"}}, 2*time.Minute
	spec.GroupWait = 0
	if mutate != nil {
		mutate(&spec)
	}
	r := domain.Rule{ID: id, OrgID: "org_a", Spec: spec, CreatedAt: t0, UpdatedAt: t0, Version: 1}
	if err := st.CreateRule(context.Background(), r); err != nil {
		t.Fatal(err)
	}
	return r
}

// statusEvent is a StatusChanged of svc_1 at version v.
func statusEvent(v int64, prev, status domain.Status, d time.Duration) store.ServiceEvent {
	return store.ServiceEvent{
		OrgID: "org_a", ServiceID: "svc_1", Version: v, Name: "Checkout", Tags: map[string]string{"team": "payments"},
		Entries: []domain.Change{{Version: v, Kind: domain.Changed, Status: status, Previous: prev, At: at(d)}},
	}
}

func apply(t testing.TB, st *store.Store, now time.Duration, evs ...store.ServiceEvent) {
	t.Helper()
	if _, err := st.ApplyServiceEvents(context.Background(), evs, at(now)); err != nil {
		t.Fatal(err)
	}
}

func onlyAlert(t testing.TB, st *store.Store, now time.Duration) domain.Alert {
	t.Helper()
	list, err := st.ListAlerts(context.Background(), "org_a", store.AlertFilter{}, 10, at(now))
	if err != nil || len(list) != 1 {
		t.Fatalf("alerts = %+v, %v; want one", list, err)
	}
	a, err := st.GetAlert(context.Background(), "org_a", list[0].ID, at(now))
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func kinds(a domain.Alert) string {
	out := ""
	for _, e := range a.History {
		out += string(e.Kind) + " "
	}
	return out
}

// An alert's life through the store: pending on the event, firing when
// the scheduler finds it due, notified after group_wait, repeated,
// acknowledged (no more repeats), resolved; each change once, whatever
// is replayed.
func TestAlertLifecycle(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := newStore(t)
	createRule(t, st, "rul_1", func(s *domain.RuleSpec) { s.RepeatInterval = time.Hour })
	down := statusEvent(2, domain.Operational, domain.Down, time.Minute)
	apply(t, st, time.Minute, down)
	apply(t, st, time.Minute, down) // a duplicate changes nothing
	if a := onlyAlert(t, st, time.Minute); a.State != domain.Pending || !a.FiresAt.Equal(at(3*time.Minute)) {
		t.Fatalf("after down: %+v", a)
	}
	if evs := relayed(t, st); len(evs) != 0 {
		t.Fatalf("a pending alert announced %v", evs)
	}
	if n, err := st.EvaluateDue(ctx, at(2*time.Minute), 10); err != nil || n != 0 {
		t.Fatalf("due before for: %d, %v", n, err)
	}
	if n, err := st.EvaluateDue(ctx, at(3*time.Minute), 10); err != nil || n != 1 {
		t.Fatalf("due at for: %d, %v", n, err)
	}
	if n, _ := st.EvaluateDue(ctx, at(3*time.Minute), 10); n != 0 {
		t.Fatal("a fired alert is still due")
	}
	a := onlyAlert(t, st, 3*time.Minute)
	if a.State != domain.Firing || a.GroupID == "" {
		t.Fatalf("after for: %+v", a)
	}
	if n, err := st.FlushDue(ctx, at(3*time.Minute), 10); err != nil || n != 1 {
		t.Fatalf("first notification: %d, %v", n, err)
	}
	if got := fmt.Sprint(relayed(t, st)); got != "["+events.TypeAlertFiring+" "+events.TypeAlertGroupNotify+"]" {
		t.Fatalf("events = %s", got)
	}
	if n, _ := st.FlushDue(ctx, at(time.Hour+3*time.Minute), 10); n != 1 {
		t.Fatal("no repeat after repeat_interval")
	}
	if _, err := st.Acknowledge(ctx, "org_a", a.ID, "key_1", "on it", at(time.Hour+4*time.Minute)); err != nil {
		t.Fatal(err)
	}
	if n, _ := st.FlushDue(ctx, at(3*time.Hour), 10); n != 0 {
		t.Fatal("an acknowledged alert was repeated")
	}
	apply(t, st, 3*time.Hour, statusEvent(3, domain.Down, domain.Operational, 3*time.Hour))
	a = onlyAlert(t, st, 3*time.Hour)
	if a.State != domain.Resolved || a.AckedBy != "key_1" {
		t.Fatalf("after recovery: %+v", a)
	}
	if got := kinds(a); got != "pending firing notified notified acknowledged resolved " {
		t.Fatalf("history = %s", got)
	}
	if got := fmt.Sprint(relayed(t, st)); got != "["+events.TypeAlertGroupNotify+" "+events.TypeAlertAcknowledged+" "+events.TypeAlertResolved+"]" {
		t.Fatalf("events = %s", got)
	}
}

// A silence holds the notifications, not the state; a dependency down and
// firing inhibits its dependants'.
func TestSilenceAndInhibition(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := newStore(t)
	createRule(t, st, "rul_1", func(s *domain.RuleSpec) { s.For, s.Selector = 0, domain.Selector{All: true} })
	if _, err := st.SetDependencies(ctx, "org_a", "svc_1", []string{"svc_db"}); err != nil {
		t.Fatal(err)
	}
	if _, err := st.SetDependencies(ctx, "org_a", "svc_db", []string{"svc_1"}); err == nil {
		t.Fatal("a cycle was accepted")
	}
	db := store.ServiceEvent{OrgID: "org_a", ServiceID: "svc_db", Version: 2, Name: "DB",
		Entries: []domain.Change{{Version: 2, Kind: domain.Changed, Status: domain.Down, Previous: domain.Operational, At: at(time.Minute)}}}
	apply(t, st, time.Minute, db, statusEvent(2, domain.Operational, domain.Down, time.Minute))
	list, err := st.ListAlerts(ctx, "org_a", store.AlertFilter{ServiceID: "svc_1"}, 10, at(time.Minute))
	if err != nil || len(list) != 1 || list[0].State != domain.Firing || len(list[0].InhibitedBy) != 1 {
		t.Fatalf("dependant's alert = %+v, %v", list, err)
	}
	if err := st.CreateSilence(ctx, domain.Silence{ID: "sil_1", OrgID: "org_a", Matchers: domain.Matchers{ServiceIDs: []string{"svc_db"}},
		StartsAt: t0, EndsAt: at(time.Hour), CreatedBy: "key_1", CreatedAt: t0, UpdatedAt: t0}); err != nil {
		t.Fatal(err)
	}
	if n, err := st.FlushDue(ctx, at(time.Minute), 10); err != nil || n != 0 {
		t.Fatalf("a silenced and an inhibited alert notified: %d, %v", n, err)
	}
	dbAlerts, _ := st.ListAlerts(ctx, "org_a", store.AlertFilter{ServiceID: "svc_db"}, 10, at(time.Minute))
	if len(dbAlerts) != 1 || len(dbAlerts[0].SilencedBy) != 1 || dbAlerts[0].State != domain.Firing {
		t.Fatalf("silenced alert = %+v", dbAlerts)
	}
	// The silence ends: the dependency's alert is notified, the dependant's
	// is still inhibited.
	if _, err := st.ExpireSilence(ctx, "org_a", "sil_1", at(2*time.Minute)); err != nil {
		t.Fatal(err)
	}
	if n, err := st.FlushDue(ctx, at(10*time.Minute), 10); err != nil || n != 1 {
		t.Fatalf("after the silence: %d notifications, %v", n, err)
	}
}

// A maintenance window silences its services while it lasts, following
// its newest version.
func TestMaintenanceSilence(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := newStore(t)
	w := domain.Window{ID: "mnt_1", OrgID: "org_a", Title: "DB upgrade", ServiceIDs: []string{"svc_1"}, StartsAt: at(time.Hour), EndsAt: at(2 * time.Hour), Version: 1}
	if n, err := st.ApplyWindows(ctx, []domain.Window{w, w}, t0); err != nil || n != 1 {
		t.Fatalf("apply = %d, %v", n, err)
	}
	active, err := st.ListSilences(ctx, "org_a", "", at(90*time.Minute), 10)
	if err != nil || len(active) != 1 || active[0].MaintenanceID != "mnt_1" {
		t.Fatalf("active = %+v, %v", active, err)
	}
	if _, err := st.ExpireSilence(ctx, "org_a", active[0].ID, t0); err == nil {
		t.Fatal("expired a maintenance silence by hand")
	}
	w.Version, w.Cancelled, w.EndedAt = 2, true, at(time.Minute)
	if _, err := st.ApplyWindows(ctx, []domain.Window{w}, at(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if active, _ := st.ListSilences(ctx, "org_a", "", at(90*time.Minute), 10); len(active) != 0 {
		t.Fatalf("a cancelled window still silences: %+v", active)
	}
}
