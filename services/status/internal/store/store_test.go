package store_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/upstatehq/upstate/pkg/bus"
	"github.com/upstatehq/upstate/pkg/ids"
	"github.com/upstatehq/upstate/pkg/pgdb"
	"github.com/upstatehq/upstate/pkg/testenv"
	"github.com/upstatehq/upstate/services/status/internal/domain"
	"github.com/upstatehq/upstate/services/status/internal/events"
	"github.com/upstatehq/upstate/services/status/internal/store"
	"github.com/upstatehq/upstate/services/status/migrations"
)

func TestMain(m *testing.M) { testenv.Main(m) }

func newStore(t testing.TB) (*store.Store, func(query string) int) {
	t.Helper()
	pool := testenv.NewPool(t, testenv.NewDatabase(t))
	if err := pgdb.Migrate(context.Background(), pool, migrations.Schema, migrations.FS); err != nil {
		t.Fatal(err)
	}
	count := func(query string) int {
		t.Helper()
		var n int
		if err := pool.QueryRow(context.Background(), query).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	return store.New(pool), count
}

// newService creates a service (version 1, operational) and takes its
// creation event out of the outbox, as the relay would, so that tests
// count the events of what they do next.
func newService(t testing.TB, st *store.Store, org, name string) domain.Service {
	t.Helper()
	now := time.Now().UTC().Truncate(time.Microsecond)
	s := domain.NewService(ids.New(ids.Service), org, name, "", domain.Operational, now)
	if err := st.CreateService(context.Background(), s, events.ServiceCreated); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Outbox.RelayBatch(context.Background(), 100, func(context.Context, []bus.Event) error { return nil }); err != nil {
		t.Fatal(err)
	}
	return s
}

func report(s domain.Status, desc string) domain.Report {
	return domain.Report{Status: s, Description: &desc, Source: domain.SourceAPI, Actor: "key_test", At: time.Now().UTC()}
}

func TestCreateServiceNameUniquePerOrg(t *testing.T) {
	t.Parallel()
	st, _ := newStore(t)
	newService(t, st, "org_a", "API")
	now := time.Now()
	dup := domain.NewService(ids.New(ids.Service), "org_a", "api", "", domain.Operational, now)
	if err := st.CreateService(context.Background(), dup, events.ServiceCreated); !errors.Is(err, domain.ErrNameTaken) {
		t.Fatalf("duplicate name (other case) error = %v, want ErrNameTaken", err)
	}
	newService(t, st, "org_b", "API") // same name in another org is fine
}

func TestSetStatusWritesHistoryAndOutboxOncePerChange(t *testing.T) {
	t.Parallel()
	st, count := newStore(t)
	s := newService(t, st, "org_a", "API")
	ctx := context.Background()

	_, after, ch, err := st.SetStatus(ctx, "org_a", s.ID, report(domain.Down, "db"), events.StatusChanged)
	if err != nil || ch == nil || after.Status != domain.Down || after.Version != 2 || after.StatusVersion != 2 {
		t.Fatalf("first report: after=%+v change=%+v err=%v", after, ch, err)
	}
	// The same status again: nothing new, even with another description.
	_, after, ch, err = st.SetStatus(ctx, "org_a", s.ID, report(domain.Down, "db still"), events.StatusChanged)
	if err != nil || ch != nil || after.Version != 2 || after.StatusDescription != "db still" {
		t.Fatalf("repeat report: after=%+v change=%+v err=%v", after, ch, err)
	}
	if n := count(`SELECT count(*) FROM status.status_history`); n != 1 {
		t.Fatalf("history rows = %d, want 1", n)
	}
	if n := count(`SELECT count(*) FROM status.outbox`); n != 1 {
		t.Fatalf("outbox rows = %d, want 1", n)
	}
	got, err := st.GetService(ctx, "org_a", s.ID)
	if err != nil || got.StatusDescription != "db still" || got.Status != domain.Down {
		t.Fatalf("stored service = %+v, %v", got, err)
	}
}

func TestSetStatusOtherOrgIsNotFound(t *testing.T) {
	t.Parallel()
	st, count := newStore(t)
	s := newService(t, st, "org_a", "API")
	_, _, _, err := st.SetStatus(context.Background(), "org_b", s.ID, report(domain.Down, ""), events.StatusChanged)
	if !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("error = %v, want ErrNotFound", err)
	}
	if _, err := st.ListHistory(context.Background(), "org_b", s.ID, 0, 10); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("history of another org's service: %v", err)
	}
	if n := count(`SELECT count(*) FROM status.outbox`); n != 0 {
		t.Fatalf("outbox rows = %d, want 0", n)
	}
}

// Concurrent reports of one service are serialised by the row lock: the
// versions of the changes are exactly 2..n+1 (1 is the creation) with no
// gap or duplicate.
func TestConcurrentSetStatusVersionsAreContiguous(t *testing.T) {
	t.Parallel()
	st, count := newStore(t)
	s := newService(t, st, "org_a", "API")
	statuses := []domain.Status{domain.Down, domain.Operational, domain.Degraded, domain.Maintenance}
	var wg sync.WaitGroup
	var mu sync.Mutex
	changes := 0
	for i := range 40 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, _, ch, err := st.SetStatus(context.Background(), "org_a", s.ID, report(statuses[i%len(statuses)], ""), events.StatusChanged)
			if err != nil {
				t.Error(err)
				return
			}
			if ch != nil {
				mu.Lock()
				changes++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	got, err := st.GetService(context.Background(), "org_a", s.ID)
	if err != nil {
		t.Fatal(err)
	}
	if int(got.Version) != changes+1 {
		t.Fatalf("version = %d, changes = %d", got.Version, changes)
	}
	if n := count(`SELECT count(DISTINCT version) FROM status.status_history WHERE version BETWEEN 2 AND ` + fmt.Sprint(changes+1)); n != changes {
		t.Fatalf("distinct versions 2..%d = %d", changes+1, n)
	}
	if n := count(`SELECT count(*) FROM status.outbox`); n != changes {
		t.Fatalf("outbox rows = %d, want %d", n, changes)
	}
}

func TestListHistoryPagesNewestFirst(t *testing.T) {
	t.Parallel()
	st, _ := newStore(t)
	s := newService(t, st, "org_a", "API")
	ctx := context.Background()
	for i := range 5 {
		status := domain.Down
		if i%2 == 1 {
			status = domain.Operational
		}
		if _, _, _, err := st.SetStatus(ctx, "org_a", s.ID, report(status, fmt.Sprint(i)), events.StatusChanged); err != nil {
			t.Fatal(err)
		}
	}
	page1, err := st.ListHistory(ctx, "org_a", s.ID, 0, 3)
	if err != nil || len(page1) != 3 || page1[0].Version != 6 || page1[2].Version != 4 {
		t.Fatalf("page 1 = %+v, %v", page1, err)
	}
	page2, err := st.ListHistory(ctx, "org_a", s.ID, page1[2].Version, 3)
	if err != nil || len(page2) != 2 || page2[0].Version != 3 || page2[1].Version != 2 {
		t.Fatalf("page 2 = %+v, %v", page2, err)
	}
	if page2[1].Previous != domain.Operational || page2[1].Status != domain.Down || page2[1].Description != "0" {
		t.Fatalf("oldest entry = %+v", page2[1])
	}
}

func TestRelayOutboxKeepsEventsWhenPublishFails(t *testing.T) {
	t.Parallel()
	st, count := newStore(t)
	s := newService(t, st, "org_a", "API")
	ctx := context.Background()
	for _, status := range []domain.Status{domain.Down, domain.Operational, domain.Degraded} {
		if _, _, _, err := st.SetStatus(ctx, "org_a", s.ID, report(status, ""), events.StatusChanged); err != nil {
			t.Fatal(err)
		}
	}
	_, err := st.Outbox.RelayBatch(ctx, 10, func(context.Context, []bus.Event) error { return errors.New("nats down") })
	if err == nil {
		t.Fatal("relay with a failing publish returned no error")
	}
	if n := count(`SELECT count(*) FROM status.outbox`); n != 3 {
		t.Fatalf("outbox rows after failed publish = %d, want 3", n)
	}
	var got []string
	n, err := st.Outbox.RelayBatch(ctx, 2, func(_ context.Context, evs []bus.Event) error {
		for _, e := range evs {
			got = append(got, e.ID)
		}
		return nil
	})
	if err != nil || n != 2 {
		t.Fatalf("relay = %d, %v", n, err)
	}
	want := []string{s.ID + ":2", s.ID + ":3"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("relayed %v, want %v (oldest first)", got, want)
	}
	if n := count(`SELECT count(*) FROM status.outbox`); n != 1 {
		t.Fatalf("outbox rows = %d, want 1", n)
	}
}

// ListAllServices pages through every organisation's services in id order.
func TestListAllServicesCrossesOrganisations(t *testing.T) {
	t.Parallel()
	st, _ := newStore(t)
	want := []string{newService(t, st, "org_a", "A").ID, newService(t, st, "org_b", "B").ID, newService(t, st, "org_a", "C").ID}
	ctx := context.Background()
	page1, err := st.ListAllServices(ctx, "", 2)
	if err != nil || len(page1) != 2 || page1[0].ID != want[0] || page1[1].ID != want[1] || page1[1].OrgID != "org_b" {
		t.Fatalf("page 1 = %+v, %v", page1, err)
	}
	page2, err := st.ListAllServices(ctx, page1[1].ID, 2)
	if err != nil || len(page2) != 1 || page2[0].ID != want[2] {
		t.Fatalf("page 2 = %+v, %v", page2, err)
	}
}
