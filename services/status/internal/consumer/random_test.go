package consumer_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/upstatehq/upstate/pkg/bus"
	"github.com/upstatehq/upstate/pkg/logging"
	"github.com/upstatehq/upstate/pkg/pgdb"
	"github.com/upstatehq/upstate/pkg/service/servicetest"
	"github.com/upstatehq/upstate/pkg/testenv"
	ingestv1 "github.com/upstatehq/upstate/proto/gen/upstate/ingest/v1"
	statusv1 "github.com/upstatehq/upstate/proto/gen/upstate/status/v1"
	"github.com/upstatehq/upstate/services/status/internal/consumer"
	"github.com/upstatehq/upstate/services/status/internal/domain"
	"github.com/upstatehq/upstate/services/status/internal/store"
	"github.com/upstatehq/upstate/services/status/migrations"
)

// 10,000 deliveries over 50 services, a fifth of them sent twice (a new
// message with the same delivery id) and a tenth swapped with the next,
// applied in batches by a consumer that is stopped halfway and started
// again, end exactly as applying them one at a time in stream order by the
// rules does: each delivery once, an older one never undoing a newer one,
// versions contiguous, one history row and one outbox event per change.
func TestConsumerRandomisedDeliveriesEndInOrder(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dsn := testenv.NewDatabase(t)
	pool := testenv.NewPool(t, dsn)
	if err := pgdb.Migrate(ctx, pool, migrations.Schema, migrations.FS); err != nil {
		t.Fatal(err)
	}
	st := store.New(pool)
	nc, js := servicetest.NATS(t)
	e := &env{t: t, dsn: dsn, st: st, nc: nc, js: js}

	const services, deliveries = 50, 10000
	rng := rand.New(rand.NewPCG(3, 5))
	var svcs []domain.Service
	var recvs []domain.Receiver
	for i := range services {
		svc := e.service("org_a", fmt.Sprintf("svc-%d", i))
		svcs = append(svcs, svc)
		recvs = append(recvs, e.receiver("org_a", domain.ReceiverSpec{Name: svc.Name, Enabled: true, ServiceID: svc.ID}))
	}
	statuses := []statusv1.Status{statusv1.Status_STATUS_OPERATIONAL, statusv1.Status_STATUS_DEGRADED, statusv1.Status_STATUS_DOWN}
	base := time.Now().UTC().Truncate(time.Microsecond)
	var evs []sent
	for i := range deliveries {
		r := rng.IntN(services)
		ev := event(recvs[r], statuses[rng.IntN(len(statuses))], "s", "", "")
		ev.DeliveryId = fmt.Sprintf("dlv_%05d", i)
		ev.ReceivedAt = timestamppb.New(base.Add(time.Duration(i) * time.Millisecond))
		evs = append(evs, sent{ev: ev, recv: r})
		if rng.IntN(5) == 0 {
			evs = append(evs, sent{ev: ev, recv: r})
		}
	}
	for i := range evs {
		if i+1 < len(evs) && rng.IntN(10) == 0 {
			evs[i], evs[i+1] = evs[i+1], evs[i]
		}
	}

	// The model: the stream's order, by the rules.
	type model struct {
		status  statusv1.Status
		changes int
		newest  time.Time // received_at of the newest delivery applied
	}
	want := make([]model, services)
	for i := range want {
		want[i].status = statusv1.Status_STATUS_OPERATIONAL
	}
	seen := map[string]bool{}
	for _, x := range evs {
		m := &want[x.recv]
		at := x.ev.GetReceivedAt().AsTime()
		if seen[x.ev.GetDeliveryId()] || at.Before(m.newest) {
			continue
		}
		seen[x.ev.GetDeliveryId()] = true
		m.newest = at
		if x.ev.GetMappedStatus() != m.status {
			m.status, m.changes = x.ev.GetMappedStatus(), m.changes+1
		}
	}

	// Published asynchronously, each copy as its own message, a window at
	// a time: more in flight than the client allows would stall.
	for i, x := range evs {
		if i%500 == 0 {
			awaitPublished(t, js)
		}
		data, err := proto.Marshal(x.ev)
		if err != nil {
			t.Fatal(err)
		}
		msg := nats.NewMsg(bus.IngestSubject(x.ev.GetOrgId(), x.ev.GetReceiverId()))
		msg.Data = data
		msg.Header.Set(jetstream.MsgIDHeader, fmt.Sprintf("msg-%d", i))
		if _, err := js.PublishMsgAsync(msg); err != nil {
			t.Fatal(err)
		}
	}
	awaitPublished(t, js)

	startConsumer := func() *consumer.Consumer {
		c, err := consumer.Start(ctx, js, nc, st, func() {}, clockwork.NewRealClock(), logging.Discard(), consumer.Config{MaxBatch: 64})
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	first := startConsumer()
	testenv.Eventually(t, 2*waitFor, func() error {
		var n int
		if err := pool.QueryRow(ctx, `SELECT count(*) FROM status.status_history`).Scan(&n); err != nil {
			return err
		}
		if n < 1000 {
			return fmt.Errorf("%d changes applied before the restart", n)
		}
		return nil
	})
	stopCtx, cancel := context.WithTimeout(ctx, waitFor)
	defer cancel()
	if err := first.Stop(stopCtx); err != nil {
		t.Fatal(err)
	}
	second := startConsumer()
	t.Cleanup(func() {
		stopCtx, cancel := context.WithTimeout(ctx, waitFor)
		defer cancel()
		_ = second.Stop(stopCtx)
	})
	testenv.Eventually(t, 6*waitFor, func() error {
		c, err := js.Consumer(ctx, bus.StreamIngest, consumer.Durable)
		if err != nil {
			return err
		}
		info, err := c.Info(ctx)
		if err != nil {
			return err
		}
		if info.NumPending > 0 || info.NumAckPending > 0 {
			return fmt.Errorf("%d deliveries pending, %d unacknowledged", info.NumPending, info.NumAckPending)
		}
		return nil
	})

	total := 0
	for i, svc := range svcs {
		got, err := st.GetService(ctx, "org_a", svc.ID)
		if err != nil {
			t.Fatal(err)
		}
		w := want[i]
		total += w.changes
		if string(got.Status) != domainStatus(w.status) || got.Version != svc.Version+int64(w.changes) {
			t.Errorf("%s: %s v%d, want %s v%d", svc.Name, got.Status, got.Version, domainStatus(w.status), svc.Version+int64(w.changes))
		}
		h, err := st.ListHistory(ctx, "org_a", svc.ID, 0, deliveries)
		if err != nil {
			t.Fatal(err)
		}
		for j, c := range h { // newest first, versions contiguous
			if c.Version != got.Version-int64(j) {
				t.Errorf("%s: history version %d at %d, want %d", svc.Name, c.Version, j, got.Version-int64(j))
				break
			}
		}
	}
	var outbox int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM status.outbox`).Scan(&outbox); err != nil {
		t.Fatal(err)
	}
	if outbox != total {
		t.Errorf("%d StatusChanged events in the outbox, want one per change, %d", outbox, total)
	}
}

// sent is a delivery as published, with the index of its receiver.
type sent struct {
	ev   *ingestv1.IngestEvent
	recv int
}

func domainStatus(s statusv1.Status) string {
	switch s {
	case statusv1.Status_STATUS_DEGRADED:
		return string(domain.Degraded)
	case statusv1.Status_STATUS_DOWN:
		return string(domain.Down)
	}
	return string(domain.Operational)
}

// awaitPublished waits until JetStream has acknowledged every asynchronous
// publish of js.
func awaitPublished(t testing.TB, js jetstream.JetStream) {
	t.Helper()
	select {
	case <-js.PublishAsyncComplete():
	case <-time.After(waitFor):
		t.Fatal("publishing did not complete")
	}
}
