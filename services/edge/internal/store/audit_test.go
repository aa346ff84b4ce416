package store_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/upstatehq/upstate/pkg/bus"
	"github.com/upstatehq/upstate/pkg/ids"
	"github.com/upstatehq/upstate/services/edge/internal/audit"
	"github.com/upstatehq/upstate/services/edge/internal/store"
)

func intent(org, action, objectID string, at time.Time) audit.Entry {
	return audit.Entry{
		ID: ids.New(ids.AuditEntry), OrgID: org, ActorKeyID: "key_1", ActorKeyName: "CI", Action: action,
		ObjectType: strings.Split(action, ".")[0], ObjectID: objectID, Before: json.RawMessage(`{"status":"operational"}`),
		Method: "PUT", Path: "/api/v1/services/" + objectID, SourceIP: "10.0.0.1", RequestID: "r1", At: at,
	}
}

// pendingEvents is how many audit events the outbox holds.
func pendingEvents(t *testing.T, st *store.Store) int {
	t.Helper()
	n := 0
	_, err := st.Outbox.RelayBatch(context.Background(), 1000, func(_ context.Context, evs []bus.Event) error {
		n = len(evs)
		return errors.New("keep them")
	})
	if err == nil {
		t.Fatal("the relay did not report the kept batch")
	}
	return n
}

// An intent is not listed until finished; finishing stores the entry and
// its event once; a dropped intent leaves nothing; the sweeper records
// old intents as unknown and a late finish then records nothing; listings
// filter, page newest first and keep organisations apart.
func TestAuditLog(t *testing.T) {
	t.Parallel()
	st := newStore(t)
	ctx := context.Background()

	done := intent("org_a", "service.set_status", "svc_1", t0)
	if err := st.BeginAudit(ctx, done); err != nil {
		t.Fatal(err)
	}
	if got, _ := st.ListAudit(ctx, "org_a", audit.Filter{}, "", 10); len(got) != 0 {
		t.Fatalf("an intent is listed: %v", got)
	}
	done.Outcome, done.Status, done.After = audit.Succeeded, 200, json.RawMessage(`{"status":"down"}`)
	if ok, err := st.FinishAudit(ctx, done); !ok || err != nil {
		t.Fatalf("finish: %v %v", ok, err)
	}
	if ok, err := st.FinishAudit(ctx, done); ok || err != nil {
		t.Fatalf("finishing twice: %v %v", ok, err)
	}

	refused := intent("org_a", "service.update", "svc_1", t0.Add(time.Second))
	if err := st.BeginAudit(ctx, refused); err != nil {
		t.Fatal(err)
	}
	if err := st.DropAudit(ctx, refused.ID); err != nil {
		t.Fatal(err)
	}

	stale := intent("org_a", "service.delete", "svc_2", t0.Add(2*time.Second))
	fresh := intent("org_b", "slo.create", "", t0.Add(10*time.Minute))
	for _, e := range []audit.Entry{stale, fresh} {
		if err := st.BeginAudit(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	if n, err := st.SweepAudit(ctx, t0.Add(5*time.Minute)); n != 1 || err != nil {
		t.Fatalf("sweep: %d %v", n, err)
	}
	stale.Outcome, stale.Status = audit.Succeeded, 204
	if ok, err := st.FinishAudit(ctx, stale); ok || err != nil {
		t.Fatalf("finishing a swept intent: %v %v", ok, err)
	}

	all, err := st.ListAudit(ctx, "org_a", audit.Filter{}, "", 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 2 || all[0].ID != stale.ID || all[1].ID != done.ID {
		t.Fatalf("entries %+v", all)
	}
	if e := all[0]; e.Outcome != audit.Unknown || e.Status != 0 || e.After != nil || string(e.Before) != `{"status": "operational"}` {
		t.Errorf("swept entry %+v", e)
	}
	if e := all[1]; e.Outcome != audit.Succeeded || string(e.After) != `{"status": "down"}` || e.ActorKeyName != "CI" || !e.At.Equal(t0) {
		t.Errorf("finished entry %+v", e)
	}
	if n := pendingEvents(t, st); n != 2 {
		t.Errorf("%d events in the outbox, want 2", n)
	}

	for _, tt := range []struct {
		f    audit.Filter
		want int
	}{
		{audit.Filter{ObjectType: "service", ObjectID: "svc_1"}, 1},
		{audit.Filter{Action: "service.delete"}, 1},
		{audit.Filter{ActorKeyID: "key_2"}, 0},
		{audit.Filter{Since: t0.Add(time.Second)}, 1},
		{audit.Filter{Until: t0.Add(time.Second)}, 1},
		{audit.Filter{Since: t0, Until: t0.Add(time.Hour)}, 2},
	} {
		if got, err := st.ListAudit(ctx, "org_a", tt.f, "", 10); err != nil || len(got) != tt.want {
			t.Errorf("%+v: %d entries, %v; want %d", tt.f, len(got), err, tt.want)
		}
	}
	if page, _ := st.ListAudit(ctx, "org_a", audit.Filter{}, all[0].ID, 10); len(page) != 1 || page[0].ID != done.ID {
		t.Errorf("page after %s: %+v", all[0].ID, page)
	}
	if got, _ := st.ListAudit(ctx, "org_b", audit.Filter{}, "", 10); len(got) != 0 {
		t.Errorf("org_b sees %d entries; its only change is in flight", len(got))
	}
	if n, _ := st.SweepAudit(ctx, t0.Add(5*time.Minute)); n != 0 {
		t.Errorf("a fresh intent was swept")
	}
}
