package store_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/upstatehq/upstate/pkg/bus"
	"github.com/upstatehq/upstate/pkg/ids"
	statusv1 "github.com/upstatehq/upstate/proto/gen/upstate/status/v1"
	"github.com/upstatehq/upstate/services/status/internal/domain"
	"github.com/upstatehq/upstate/services/status/internal/events"
	"github.com/upstatehq/upstate/services/status/internal/pbconv"
	"github.com/upstatehq/upstate/services/status/internal/store"
)

// relayed takes every event out of the outbox, oldest first, as the relay
// does.
func relayed(t *testing.T, st *store.Store) []bus.Event {
	t.Helper()
	var out []bus.Event
	if _, err := st.Outbox.RelayBatch(context.Background(), 100, func(_ context.Context, evs []bus.Event) error {
		out = append(out, evs...)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return out
}

// only checks that evs is one event of type typ for s at version, and
// decodes its body into m.
func only(t *testing.T, evs []bus.Event, s domain.Service, typ string, version int64, m proto.Message) {
	t.Helper()
	if len(evs) != 1 {
		t.Fatalf("%d events in the outbox, want one %s", len(evs), typ)
	}
	ev := evs[0]
	if ev.Type != typ || ev.Subject != bus.StatusSubject(s.OrgID, s.ID) || ev.ID != fmt.Sprintf("%s:%d", s.ID, version) ||
		ev.Source != events.Source || ev.Time.IsZero() {
		t.Fatalf("event = %s %s %s from %s at %v, want %s %s:%d", ev.Type, ev.Subject, ev.ID, ev.Source, ev.Time, typ, s.ID, version)
	}
	if err := proto.Unmarshal(ev.Data, m); err != nil {
		t.Fatal(err)
	}
}

func TestCreateServiceWritesServiceCreated(t *testing.T) {
	t.Parallel()
	for _, status := range domain.Statuses {
		t.Run(string(status), func(t *testing.T) {
			t.Parallel()
			st, _ := newStore(t)
			now := time.Now().UTC().Truncate(time.Microsecond)
			s := domain.NewService(ids.New(ids.Service), "org_a", "API", "public API", status, now)
			if err := st.CreateService(context.Background(), s, events.ServiceCreated); err != nil {
				t.Fatal(err)
			}
			var ev statusv1.ServiceCreated
			only(t, relayed(t, st), s, events.TypeServiceCreated, 1, &ev)
			got := ev.GetService()
			if got.GetId() != s.ID || got.GetOrgId() != "org_a" || got.GetName() != "API" || got.GetDescription() != "public API" ||
				got.GetStatus() != pbconv.Status(status) || got.GetVersion() != 1 || got.GetStatusVersion() != 1 ||
				!got.GetCreatedAt().AsTime().Equal(now) {
				t.Fatalf("ServiceCreated = %v", &ev)
			}

			// A name taken in the organisation writes neither the service
			// nor an event.
			dup := domain.NewService(ids.New(ids.Service), "org_a", "api", "", status, now)
			if err := st.CreateService(context.Background(), dup, events.ServiceCreated); !errors.Is(err, domain.ErrNameTaken) {
				t.Fatalf("duplicate: %v, want ErrNameTaken", err)
			}
			if evs := relayed(t, st); len(evs) != 0 {
				t.Fatalf("duplicate wrote %d events", len(evs))
			}
		})
	}
}

func TestUpdateServiceWritesServiceUpdated(t *testing.T) {
	t.Parallel()
	st, _ := newStore(t)
	ctx := context.Background()
	s := newService(t, st, "org_a", "API")
	newService(t, st, "org_a", "Billing")
	at := time.Now().UTC().Truncate(time.Microsecond)
	name, desc := "Public API", "what customers call"

	after, err := st.UpdateService(ctx, "org_a", s.ID, domain.ServiceEdit{Name: &name}, at, events.ServiceUpdated)
	if err != nil || after.Name != name || after.Version != 2 || after.StatusVersion != 1 || !after.UpdatedAt.Equal(at) {
		t.Fatalf("rename = %+v, %v", after, err)
	}
	var ev statusv1.ServiceUpdated
	only(t, relayed(t, st), s, events.TypeServiceUpdated, 2, &ev)
	if ev.GetService().GetName() != name || ev.GetService().GetVersion() != 2 || ev.GetService().GetStatus() != statusv1.Status_STATUS_OPERATIONAL {
		t.Fatalf("ServiceUpdated = %v", &ev)
	}

	// The same name again changes nothing: no version, no event.
	if after, err = st.UpdateService(ctx, "org_a", s.ID, domain.ServiceEdit{Name: &name}, at.Add(time.Second), events.ServiceUpdated); err != nil || after.Version != 2 || !after.UpdatedAt.Equal(at) {
		t.Fatalf("same name = %+v, %v", after, err)
	}
	if evs := relayed(t, st); len(evs) != 0 {
		t.Fatalf("an edit changing nothing wrote %v", evs)
	}
	// Another service's name is taken: no event either.
	taken := "billing"
	if _, err := st.UpdateService(ctx, "org_a", s.ID, domain.ServiceEdit{Name: &taken}, at, events.ServiceUpdated); !errors.Is(err, domain.ErrNameTaken) {
		t.Fatalf("taken name: %v, want ErrNameTaken", err)
	}
	if _, err := st.UpdateService(ctx, "org_b", s.ID, domain.ServiceEdit{Description: &desc}, at, events.ServiceUpdated); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("another organisation's service: %v, want ErrNotFound", err)
	}
	if evs := relayed(t, st); len(evs) != 0 {
		t.Fatalf("failed edits wrote %v", evs)
	}

	if after, err = st.UpdateService(ctx, "org_a", s.ID, domain.ServiceEdit{Description: &desc}, at, events.ServiceUpdated); err != nil || after.Version != 3 {
		t.Fatalf("new description = %+v, %v", after, err)
	}
	only(t, relayed(t, st), s, events.TypeServiceUpdated, 3, &ev)
	if ev.GetService().GetDescription() != desc || ev.GetService().GetName() != name {
		t.Fatalf("ServiceUpdated = %v", &ev)
	}

	// Status changes and edits share the service's versions.
	_, down, _, err := st.SetStatus(ctx, "org_a", s.ID, report(domain.Down, "db"), events.StatusChanged)
	if err != nil || down.Version != 4 || down.StatusVersion != 4 {
		t.Fatalf("status change = %+v, %v", down, err)
	}
	var sc statusv1.StatusChanged
	only(t, relayed(t, st), s, events.TypeStatusChanged, 4, &sc)
	if sc.GetVersion() != 4 || sc.GetServiceName() != name {
		t.Fatalf("StatusChanged = %v", &sc)
	}
	name = "API"
	if after, err = st.UpdateService(ctx, "org_a", s.ID, domain.ServiceEdit{Name: &name}, at, events.ServiceUpdated); err != nil || after.Version != 5 || after.StatusVersion != 4 {
		t.Fatalf("rename after the change = %+v, %v", after, err)
	}
	only(t, relayed(t, st), s, events.TypeServiceUpdated, 5, &ev)

	// A report conditional on the status set at version 4 still applies
	// after the rename: a rename is not a change of status.
	r := report(domain.Operational, "")
	r.ExpectedVersion = &down.StatusVersion
	if _, up, ch, err := st.SetStatus(ctx, "org_a", s.ID, r, events.StatusChanged); err != nil || ch == nil || up.Version != 6 {
		t.Fatalf("conditional report after a rename = %+v, %+v, %v", up, ch, err)
	}
}

func TestDeleteServiceWritesServiceDeleted(t *testing.T) {
	t.Parallel()
	st, count := newStore(t)
	ctx := context.Background()
	s := newService(t, st, "org_a", "API")
	if _, _, _, err := st.SetStatus(ctx, "org_a", s.ID, report(domain.Down, ""), events.StatusChanged); err != nil {
		t.Fatal(err)
	}
	relayed(t, st)

	at := time.Now().UTC().Truncate(time.Microsecond)
	if err := st.DeleteService(ctx, "org_b", s.ID, at, events.ServiceDeleted); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("another organisation's service: %v, want ErrNotFound", err)
	}
	if evs := relayed(t, st); len(evs) != 0 {
		t.Fatalf("a refused deletion wrote %v", evs)
	}
	if err := st.DeleteService(ctx, "org_a", s.ID, at, events.ServiceDeleted); err != nil {
		t.Fatal(err)
	}
	var ev statusv1.ServiceDeleted
	only(t, relayed(t, st), s, events.TypeServiceDeleted, 3, &ev)
	if ev.GetOrgId() != "org_a" || ev.GetServiceId() != s.ID || ev.GetServiceName() != "API" || ev.GetVersion() != 3 ||
		!ev.GetDeletedAt().AsTime().Equal(at) {
		t.Fatalf("ServiceDeleted = %v", &ev)
	}
	if n := count(`SELECT count(*) FROM status.services`); n != 0 {
		t.Fatalf("%d services left", n)
	}
	if err := st.DeleteService(ctx, "org_a", s.ID, at, events.ServiceDeleted); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("deleting again: %v, want ErrNotFound", err)
	}
	if evs := relayed(t, st); len(evs) != 0 {
		t.Fatalf("deleting again wrote %v", evs)
	}
}

// A deletion racing status changes takes the version after the last change
// that committed before it: every event of the service has its own
// version, and the deletion is the highest.
func TestDeleteServiceRacingStatusChanges(t *testing.T) {
	t.Parallel()
	st, _ := newStore(t)
	ctx := context.Background()
	for round := range 5 {
		s := newService(t, st, "org_a", fmt.Sprintf("svc %d", round))
		var wg sync.WaitGroup
		for i := range 4 {
			wg.Go(func() {
				status := []domain.Status{domain.Down, domain.Operational}[i%2]
				_, _, _, err := st.SetStatus(ctx, "org_a", s.ID, report(status, ""), events.StatusChanged)
				if err != nil && !errors.Is(err, domain.ErrNotFound) {
					t.Error(err)
				}
			})
		}
		wg.Go(func() {
			if err := st.DeleteService(ctx, "org_a", s.ID, time.Now(), events.ServiceDeleted); err != nil {
				t.Error(err)
			}
		})
		wg.Wait()
		evs := relayed(t, st)
		last := evs[len(evs)-1]
		if last.Type != events.TypeServiceDeleted || last.ID != fmt.Sprintf("%s:%d", s.ID, len(evs)+1) {
			t.Fatalf("round %d: last of %d events is %s %s, want the deletion at version %d", round, len(evs), last.Type, last.ID, len(evs)+1)
		}
		for i, ev := range evs {
			if want := fmt.Sprintf("%s:%d", s.ID, i+2); ev.ID != want {
				t.Fatalf("round %d: event %d is %s %s, want version %d", round, i, ev.Type, ev.ID, i+2)
			}
		}
	}
}

// Tags are kept with the service, replaced as a whole by an edit, and
// carried by ServiceUpdated and by the StatusChanged events that follow.
func TestUpdateServiceTags(t *testing.T) {
	t.Parallel()
	st, _ := newStore(t)
	ctx := context.Background()
	s := newService(t, st, "org_a", "Checkout")
	relayed(t, st)
	at := time.Now().UTC().Truncate(time.Microsecond)

	tags := map[string]string{"team": "payments", "tier": "1"}
	after, err := st.UpdateService(ctx, "org_a", s.ID, domain.ServiceEdit{Tags: &tags}, at, events.ServiceUpdated)
	if err != nil || after.Version != 2 || after.Tags["team"] != "payments" {
		t.Fatalf("tag = %+v, %v", after, err)
	}
	var ev statusv1.ServiceUpdated
	only(t, relayed(t, st), s, events.TypeServiceUpdated, 2, &ev)
	if got := ev.GetService().GetTags(); len(got) != 2 || got["tier"] != "1" {
		t.Fatalf("ServiceUpdated tags = %v", got)
	}
	if got, err := st.GetService(ctx, "org_a", s.ID); err != nil || len(got.Tags) != 2 {
		t.Fatalf("read back = %v, %v", got.Tags, err)
	}

	// The same tags in another order change nothing.
	same := map[string]string{"tier": "1", "team": "payments"}
	if after, err = st.UpdateService(ctx, "org_a", s.ID, domain.ServiceEdit{Tags: &same}, at, events.ServiceUpdated); err != nil || after.Version != 2 {
		t.Fatalf("same tags = %+v, %v", after, err)
	}
	if evs := relayed(t, st); len(evs) != 0 {
		t.Fatalf("an edit changing nothing wrote %v", evs)
	}

	_, down, _, err := st.SetStatus(ctx, "org_a", s.ID, report(domain.Down, ""), events.StatusChanged)
	if err != nil || down.Version != 3 {
		t.Fatalf("status change = %+v, %v", down, err)
	}
	var sc statusv1.StatusChanged
	only(t, relayed(t, st), s, events.TypeStatusChanged, 3, &sc)
	if sc.GetTags()["team"] != "payments" {
		t.Fatalf("StatusChanged tags = %v", sc.GetTags())
	}

	// An empty map removes them all.
	none := map[string]string{}
	if after, err = st.UpdateService(ctx, "org_a", s.ID, domain.ServiceEdit{Tags: &none}, at, events.ServiceUpdated); err != nil || after.Version != 4 || len(after.Tags) != 0 {
		t.Fatalf("untag = %+v, %v", after, err)
	}
	if got, err := st.GetService(ctx, "org_a", s.ID); err != nil || got.Tags == nil || len(got.Tags) != 0 {
		t.Fatalf("read back = %#v, %v", got.Tags, err)
	}
}
