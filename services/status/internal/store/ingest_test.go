package store_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/upstatehq/upstate/pkg/bus"
	"github.com/upstatehq/upstate/pkg/ids"
	statusv1 "github.com/upstatehq/upstate/proto/gen/upstate/status/v1"
	"github.com/upstatehq/upstate/services/status/internal/domain"
	"github.com/upstatehq/upstate/services/status/internal/events"
	"github.com/upstatehq/upstate/services/status/internal/store"
)

// ingest is a processed delivery to r reporting status.
func ingest(r domain.Receiver, status domain.Status, message string) domain.Ingest {
	return domain.Ingest{
		DeliveryID: ids.New(ids.Delivery), OrgID: r.OrgID, ReceiverID: r.ID,
		ReceivedAt: time.Now().UTC().Truncate(time.Microsecond), SourceIP: "192.0.2.7",
		Payload: []byte(`{"status":"` + string(status) + `"}`), Result: domain.Processed,
		RawStatus: string(status), MappedStatus: status, Message: message,
	}
}

func apply(t *testing.T, st *store.Store, in domain.Ingest) domain.Ingested {
	t.Helper()
	res, err := st.ApplyIngest(context.Background(), in, time.Now().UTC().Truncate(time.Microsecond), events.StatusChanged)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func TestApplyIngestChangesStatusWithCause(t *testing.T) {
	t.Parallel()
	st, count := newStore(t)
	ctx := context.Background()
	svc := newService(t, st, "org_a", "API")
	r, _ := newReceiver(t, st, "org_a", domain.ReceiverSpec{Name: "CI", Enabled: true, ServiceID: svc.ID,
		AutoIncident: domain.AutoIncident{Enabled: true, Severity: domain.SeverityMinor}})

	in := ingest(r, domain.Down, "db down")
	res := apply(t, st, in)
	d := res.Delivery
	if res.Duplicate || res.Change == nil || res.Change.Version != 2 {
		t.Fatalf("result = %+v", res)
	}
	if d.Result != domain.Processed || d.ServiceID != svc.ID || d.PreviousStatus != domain.Operational || d.NewStatus != domain.Down {
		t.Fatalf("delivery = %+v", d)
	}
	got, err := st.GetService(ctx, "org_a", svc.ID)
	if err != nil || got.Status != domain.Down || got.StatusDescription != "db down" || got.Version != 2 {
		t.Fatalf("service = %+v, %v", got, err)
	}
	hist, err := st.ListHistory(ctx, "org_a", svc.ID, 0, 10)
	if err != nil || len(hist) != 1 || hist[0].Source != domain.SourceWebhook || hist[0].Actor != r.ID {
		t.Fatalf("history = %+v, %v", hist, err)
	}
	logged, err := st.GetDelivery(ctx, "org_a", r.ID, in.DeliveryID)
	if err != nil || logged.NewStatus != domain.Down || string(logged.Payload) != string(in.Payload) || logged.SourceIP != "192.0.2.7" {
		t.Fatalf("logged = %+v, %v", logged, err)
	}

	var evs []bus.Event
	if _, err := st.Outbox.RelayBatch(ctx, 10, func(_ context.Context, e []bus.Event) error { evs = e; return nil }); err != nil {
		t.Fatal(err)
	}
	if len(evs) != 1 {
		t.Fatalf("%d events, want 1", len(evs))
	}
	var ev statusv1.StatusChanged
	if err := proto.Unmarshal(evs[0].Data, &ev); err != nil {
		t.Fatal(err)
	}
	if ev.GetReceiverId() != r.ID || ev.GetDeliveryId() != in.DeliveryID || ev.GetSource() != statusv1.Source_SOURCE_WEBHOOK ||
		ev.GetActor() != r.ID || !ev.GetAutoIncident().GetEnabled() || ev.GetAutoIncident().GetSeverity() != statusv1.Severity_SEVERITY_MINOR ||
		ev.GetStatus() != statusv1.Status_STATUS_DOWN || ev.GetDescription() != "db down" {
		t.Fatalf("event = %v", &ev)
	}
	if n := count(`SELECT count(*) FROM status.outbox`); n != 0 {
		t.Fatalf("outbox rows = %d after relay", n)
	}
}

func TestApplyIngestIsIdempotentOnDeliveryID(t *testing.T) {
	t.Parallel()
	st, count := newStore(t)
	svc := newService(t, st, "org_a", "API")
	r, _ := newReceiver(t, st, "org_a", domain.ReceiverSpec{Name: "CI", Enabled: true, ServiceID: svc.ID})

	in := ingest(r, domain.Down, "")
	first := apply(t, st, in)
	// The same delivery again, even disguised as another status, changes
	// nothing and answers what was recorded.
	again := in
	again.MappedStatus = domain.Degraded
	second := apply(t, st, again)
	if !second.Duplicate || second.Change != nil {
		t.Fatalf("second = %+v", second)
	}
	if second.Delivery.NewStatus != domain.Down || second.Delivery.ID != first.Delivery.ID ||
		!second.Delivery.ReceivedAt.Equal(first.Delivery.ReceivedAt) {
		t.Fatalf("second delivery = %+v, want the recorded %+v", second.Delivery, first.Delivery)
	}
	for q, want := range map[string]int{
		`SELECT count(*) FROM status.deliveries`:     1,
		`SELECT count(*) FROM status.status_history`: 1,
		`SELECT count(*) FROM status.outbox`:         1,
		`SELECT version FROM status.services`:        2,
	} {
		if n := count(q); n != want {
			t.Errorf("%s = %d, want %d", q, n, want)
		}
	}
}

func TestApplyIngestFindsServiceByNameInAnyCase(t *testing.T) {
	t.Parallel()
	st, _ := newStore(t)
	ctx := context.Background()
	svc := newService(t, st, "org_a", "Payments API")
	// The same name in another organisation is not a candidate.
	otherOrg := newService(t, st, "org_b", "payments api")
	r, _ := newReceiver(t, st, "org_a", domain.ReceiverSpec{Name: "Monitor", Enabled: true, ServiceNameField: "service"})

	in := ingest(r, domain.Degraded, "slow")
	in.ServiceName = "PAYMENTS api"
	res := apply(t, st, in)
	if res.Delivery.Result != domain.Processed || res.Delivery.ServiceID != svc.ID || res.Change == nil {
		t.Fatalf("result = %+v", res)
	}
	if got, _ := st.GetService(ctx, "org_a", svc.ID); got.Status != domain.Degraded {
		t.Fatalf("service status = %s", got.Status)
	}
	if got, _ := st.GetService(ctx, "org_b", otherOrg.ID); got.Status != domain.Operational {
		t.Fatalf("other organisation's service changed to %s", got.Status)
	}
}

func TestApplyIngestUnknownServiceIsIgnored(t *testing.T) {
	t.Parallel()
	st, count := newStore(t)
	newService(t, st, "org_b", "Billing")
	r, _ := newReceiver(t, st, "org_a", domain.ReceiverSpec{Name: "Monitor", Enabled: true, ServiceNameField: "service"})

	in := ingest(r, domain.Down, "")
	in.ServiceName = "Billing"
	res := apply(t, st, in)
	if res.Change != nil || res.Delivery.Result != domain.Ignored || res.Delivery.Error != `no service named "Billing"` {
		t.Fatalf("result = %+v", res)
	}
	if n := count(`SELECT count(*) FROM status.deliveries WHERE result = 'ignored'`); n != 1 {
		t.Fatalf("ignored deliveries logged = %d, want 1", n)
	}
	if n := count(`SELECT count(*) FROM status.outbox`); n != 0 {
		t.Fatalf("outbox rows = %d", n)
	}
}

func TestApplyIngestSameStatusChangesNothing(t *testing.T) {
	t.Parallel()
	st, count := newStore(t)
	svc := newService(t, st, "org_a", "API")
	r, _ := newReceiver(t, st, "org_a", domain.ReceiverSpec{Name: "CI", Enabled: true, ServiceID: svc.ID})

	res := apply(t, st, ingest(r, domain.Operational, ""))
	if res.Change != nil || res.Delivery.Result != domain.Processed ||
		res.Delivery.PreviousStatus != domain.Operational || res.Delivery.NewStatus != domain.Operational {
		t.Fatalf("result = %+v", res)
	}
	if n := count(`SELECT count(*) FROM status.status_history`); n != 0 {
		t.Fatalf("history rows = %d, want 0", n)
	}
	if n := count(`SELECT count(*) FROM status.outbox`); n != 0 {
		t.Fatalf("outbox rows = %d, want 0", n)
	}
	if n := count(`SELECT count(*) FROM status.deliveries`); n != 1 {
		t.Fatalf("deliveries = %d, want 1", n)
	}
}

func TestApplyIngestGatewayVerdictIsLogged(t *testing.T) {
	t.Parallel()
	st, count := newStore(t)
	svc := newService(t, st, "org_a", "API")
	r, _ := newReceiver(t, st, "org_a", domain.ReceiverSpec{Name: "CI", Enabled: true, ServiceID: svc.ID})

	in := ingest(r, domain.Down, "")
	in.Result, in.Error = domain.AuthFailed, "signature mismatch"
	res := apply(t, st, in)
	if res.Change != nil || res.Delivery.Result != domain.AuthFailed || res.Delivery.Error != "signature mismatch" {
		t.Fatalf("result = %+v", res)
	}
	if n := count(`SELECT version FROM status.services`); n != 1 {
		t.Fatalf("service version = %d, want 1 (its creation)", n)
	}
}

func TestApplyIngestOfDeletedReceiverIsNotFound(t *testing.T) {
	t.Parallel()
	st, count := newStore(t)
	r, _ := newReceiver(t, st, "org_a", domain.ReceiverSpec{Name: "CI", ServiceNameField: "service"})
	if err := st.DeleteReceiver(context.Background(), "org_a", r.ID); err != nil {
		t.Fatal(err)
	}
	_, err := st.ApplyIngest(context.Background(), ingest(r, domain.Down, ""), time.Now(), events.StatusChanged)
	if !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("error = %v, want ErrNotFound", err)
	}
	// An event naming the receiver under another organisation is not
	// applied either, and told from a deleted receiver's: it is forged.
	r2, _ := newReceiver(t, st, "org_a", domain.ReceiverSpec{Name: "CI", ServiceNameField: "service"})
	in := ingest(r2, domain.Down, "")
	in.OrgID = "org_b"
	if _, err := st.ApplyIngest(context.Background(), in, time.Now(), events.StatusChanged); !errors.Is(err, domain.ErrForeignReceiver) {
		t.Fatalf("other org: error = %v, want ErrForeignReceiver", err)
	}
	if n := count(`SELECT count(*) FROM status.deliveries`); n != 0 {
		t.Fatalf("deliveries = %d", n)
	}
}

// A delivery older than a full log is not applied: after its entry has been
// pruned, a redelivered event must not set an old status again.
func TestApplyIngestOlderThanFullLogIsNotApplied(t *testing.T) {
	t.Parallel()
	st, count := newStore(t)
	ctx := context.Background()
	svc := newService(t, st, "org_a", "API")
	r, _ := newReceiver(t, st, "org_a", domain.ReceiverSpec{Name: "CI", Enabled: true, ServiceID: svc.ID})

	old := ingest(r, domain.Down, "")
	old.ReceivedAt = old.ReceivedAt.Add(-time.Hour)
	for i := range domain.MaxDeliveries {
		in := ingest(r, domain.Operational, "")
		in.ReceivedAt = in.ReceivedAt.Add(time.Duration(i) * time.Millisecond)
		apply(t, st, in)
	}
	res := apply(t, st, old)
	if !res.Superseded || res.Change != nil || res.Delivery.Result != domain.Ignored {
		t.Fatalf("result = %+v", res)
	}
	if got, _ := st.GetService(ctx, "org_a", svc.ID); got.Status != domain.Operational {
		t.Fatalf("status = %s, want operational", got.Status)
	}
	if n := count(fmt.Sprintf(`SELECT count(*) FROM status.deliveries WHERE id = '%s'`, old.DeliveryID)); n != 0 {
		t.Fatal("superseded delivery recorded")
	}
}

// "firing" then "resolved", applied in the other order (two replicas, or a
// retry overtaken): the older report is logged as ignored and does not undo
// the newer one.
func TestApplyIngestOutOfOrderDoesNotUndoNewerReport(t *testing.T) {
	t.Parallel()
	st, count := newStore(t)
	ctx := context.Background()
	svc := newService(t, st, "org_a", "API")
	r, _ := newReceiver(t, st, "org_a", domain.ReceiverSpec{Name: "alerts", Enabled: true, ServiceID: svc.ID})

	firing := ingest(r, domain.Down, "firing")
	resolved := ingest(r, domain.Operational, "resolved")
	firing.ReceivedAt = resolved.ReceivedAt.Add(-time.Second)

	apply(t, st, resolved) // operational already: processed, no change
	res := apply(t, st, firing)
	if res.Change != nil || res.Delivery.Result != domain.Ignored || !strings.Contains(res.Delivery.Error, resolved.DeliveryID) {
		t.Fatalf("late firing delivery = %+v", res)
	}
	if got, _ := st.GetService(ctx, "org_a", svc.ID); got.Status != domain.Operational {
		t.Fatalf("status = %s, want operational", got.Status)
	}
	if n := count(fmt.Sprintf(`SELECT count(*) FROM status.deliveries WHERE id = '%s' AND result = 'ignored'`, firing.DeliveryID)); n != 1 {
		t.Fatal("out-of-order delivery not logged as ignored")
	}
	// A newer report still applies.
	later := ingest(r, domain.Down, "firing again")
	later.ReceivedAt = resolved.ReceivedAt.Add(time.Second)
	if res := apply(t, st, later); res.Change == nil {
		t.Fatalf("newer delivery not applied: %+v", res)
	}
}

// Consumers on several replicas may apply deliveries of one receiver at the
// same time, and the same delivery twice: the log still keeps exactly the
// newest 50 and each delivery is applied once.
func TestConcurrentIngestKeepsLogExact(t *testing.T) {
	t.Parallel()
	st, count := newStore(t)
	svc := newService(t, st, "org_a", "API")
	r, _ := newReceiver(t, st, "org_a", domain.ReceiverSpec{Name: "CI", Enabled: true, ServiceID: svc.ID})
	statuses := []domain.Status{domain.Down, domain.Operational}
	var deliveries []domain.Ingest
	for i := range 70 {
		deliveries = append(deliveries, ingest(r, statuses[i%2], ""))
	}
	var wg sync.WaitGroup
	var changes atomic.Int64
	for _, in := range append(deliveries, deliveries[:20]...) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res, err := st.ApplyIngest(context.Background(), in, time.Now(), events.StatusChanged)
			if err != nil {
				t.Error(err)
				return
			}
			if res.Change != nil {
				changes.Add(1)
			}
		}()
	}
	wg.Wait()
	if n := count(`SELECT count(*) FROM status.deliveries`); n != domain.MaxDeliveries {
		t.Fatalf("deliveries = %d, want %d", n, domain.MaxDeliveries)
	}
	if n := count(`SELECT version FROM status.services`); int64(n) != changes.Load()+1 {
		t.Fatalf("version = %d, changes reported = %d (after the creation)", n, changes.Load())
	}
	if n := count(`SELECT count(*) FROM status.outbox`); int64(n) != changes.Load() {
		t.Fatalf("outbox rows = %d, changes reported = %d", n, changes.Load())
	}
}

// Editing a receiver while its deliveries are applied neither fails nor
// deadlocks: the two lock the receiver and the service in opposite order.
func TestIngestWhileReceiverIsUpdated(t *testing.T) {
	t.Parallel()
	st, _ := newStore(t)
	ctx := context.Background()
	svc := newService(t, st, "org_a", "API")
	r, _ := newReceiver(t, st, "org_a", domain.ReceiverSpec{Name: "CI", Enabled: true, ServiceID: svc.ID})
	var wg sync.WaitGroup
	for i := range 30 {
		wg.Go(func() {
			status := []domain.Status{domain.Down, domain.Operational}[i%2]
			if _, err := st.ApplyIngest(ctx, ingest(r, status, ""), time.Now(), events.StatusChanged); err != nil {
				t.Error(err)
			}
		})
		wg.Go(func() {
			_, err := st.UpdateReceiver(ctx, "org_a", r.ID, func(cur domain.Receiver) (domain.Receiver, error) {
				cur.Name = fmt.Sprint("CI ", i)
				return cur, nil
			})
			if err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
}

// The newest delivery a receiver applied to a service is kept apart from
// the delivery log: once newer deliveries, ignored or applied to another
// service, have pruned it from the log, the same delivery again (a sender's
// retry, a redelivered event) or an older one must not undo what happened
// since.
func TestApplyIngestAfterLogPrunedDoesNotReapply(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		again func(applied domain.Ingest) domain.Ingest
	}{
		{"same delivery received again later", func(applied domain.Ingest) domain.Ingest {
			applied.ReceivedAt = applied.ReceivedAt.Add(time.Hour)
			return applied
		}},
		{"same delivery at its original time", func(applied domain.Ingest) domain.Ingest { return applied }},
		{"older delivery", func(applied domain.Ingest) domain.Ingest {
			older := applied
			older.DeliveryID = ids.New(ids.Delivery)
			older.ReceivedAt = applied.ReceivedAt.Add(-time.Second)
			return older
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			st, count := newStore(t)
			ctx := context.Background()
			api := newService(t, st, "org_a", "API")
			billing := newService(t, st, "org_a", "Billing")
			r, _ := newReceiver(t, st, "org_a", domain.ReceiverSpec{Name: "Monitor", Enabled: true, ServiceNameField: "service"})

			applied := ingest(r, domain.Down, "db down")
			applied.ServiceName = api.Name
			if res := apply(t, st, applied); res.Change == nil {
				t.Fatalf("first delivery not applied: %+v", res)
			}
			// The service recovers by another channel.
			if _, _, _, err := st.SetStatus(ctx, "org_a", api.ID, report(domain.Operational, "fixed"), events.StatusChanged); err != nil {
				t.Fatal(err)
			}
			// Newer deliveries, some applied to another service, the
			// others ignored, push the first one out of the log.
			for i := range domain.MaxDeliveries + 5 {
				in := ingest(r, []domain.Status{domain.Down, domain.Operational}[i%2], "")
				in.ServiceName = billing.Name
				if i%3 == 0 {
					in.RawStatus, in.MappedStatus = "unknown", ""
				}
				in.ReceivedAt = applied.ReceivedAt.Add(time.Duration(i+1) * time.Millisecond)
				apply(t, st, in)
			}
			if n := count(fmt.Sprintf(`SELECT count(*) FROM status.deliveries WHERE id = '%s'`, applied.DeliveryID)); n != 0 {
				t.Fatal("first delivery still in the log")
			}

			res := apply(t, st, tc.again(applied))
			if res.Change != nil {
				t.Fatalf("applied again: %+v", res)
			}
			got, err := st.GetService(ctx, "org_a", api.ID)
			if err != nil || got.Status != domain.Operational || got.Version != 3 { // 1 was its creation
				t.Fatalf("service = %+v, %v; want operational at version 3", got, err)
			}
			if n := count(fmt.Sprintf(`SELECT count(*) FROM status.deliveries WHERE id = '%s'`, applied.DeliveryID)); n != 0 {
				t.Fatal("the delivery applied before is logged again")
			}
		})
	}
}
