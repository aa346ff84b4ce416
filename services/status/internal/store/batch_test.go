package store_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/upstatehq/upstate/pkg/bus"
	"github.com/upstatehq/upstate/services/status/internal/domain"
	"github.com/upstatehq/upstate/services/status/internal/events"
	"github.com/upstatehq/upstate/services/status/internal/store"
)

func applyBatch(t *testing.T, st *store.Store, ins ...domain.Ingest) []domain.Ingested {
	t.Helper()
	res, err := st.ApplyIngestBatch(context.Background(), ins, time.Now().UTC().Truncate(time.Microsecond), events.StatusChanged)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// A batch that mixes receivers and services, with a delivery repeated
// inside it, does what applying its deliveries one by one does: each
// receiver's in order, the copy as a duplicate, one history row and one
// event per real change.
func TestApplyIngestBatchMixesReceiversAndServices(t *testing.T) {
	t.Parallel()
	st, count := newStore(t)
	ctx := context.Background()
	api, web := newService(t, st, "org_a", "API"), newService(t, st, "org_a", "Web")
	fixed, _ := newReceiver(t, st, "org_a", domain.ReceiverSpec{Name: "CI", Enabled: true, ServiceID: api.ID})
	named, _ := newReceiver(t, st, "org_a", domain.ReceiverSpec{Name: "monitor", Enabled: true, ServiceNameField: "service"})
	byName := func(name string, s domain.Status) domain.Ingest {
		in := ingest(named, s, "")
		in.ServiceName = name
		return in
	}
	down := ingest(fixed, domain.Down, "db down")
	batch := []domain.Ingest{
		down,
		byName("web", domain.Degraded),
		down, // a copy inside the batch
		byName("API", domain.Maintenance),
		ingest(fixed, domain.Operational, ""),
		byName("nope", domain.Down),
	}
	res := applyBatch(t, st, batch...)
	want := []struct {
		change    bool
		duplicate bool
		result    domain.DeliveryResult
	}{
		{true, false, domain.Processed},
		{true, false, domain.Processed},
		{false, true, domain.Processed},
		{true, false, domain.Processed},
		{true, false, domain.Processed},
		{false, false, domain.Ignored},
	}
	for i, w := range want {
		if (res[i].Change != nil) != w.change || res[i].Duplicate != w.duplicate || res[i].Delivery.Result != w.result {
			t.Errorf("delivery %d = %+v, want change %v duplicate %v result %s", i, res[i], w.change, w.duplicate, w.result)
		}
	}
	gotAPI, _ := st.GetService(ctx, "org_a", api.ID)
	gotWeb, _ := st.GetService(ctx, "org_a", web.ID)
	if gotAPI.Status != domain.Operational || gotAPI.Version != api.Version+3 || gotWeb.Status != domain.Degraded || gotWeb.Version != web.Version+1 {
		t.Fatalf("API %s v%d, Web %s v%d; want operational v%d, degraded v%d",
			gotAPI.Status, gotAPI.Version, gotWeb.Status, gotWeb.Version, api.Version+3, web.Version+1)
	}
	// down → maintenance → operational on API: versions contiguous.
	if n := count(fmt.Sprintf(`SELECT count(*) FROM status.status_history WHERE service_id = '%s'`, api.ID)); n != 3 {
		t.Errorf("API history rows = %d, want 3", n)
	}
	if n := count(`SELECT count(*) FROM status.outbox`); n != 4 {
		t.Errorf("outbox rows = %d, want one per change, 4", n)
	}
	if n := count(`SELECT count(*) FROM status.deliveries`); n != 5 {
		t.Errorf("log entries = %d, want 5 (the copy once)", n)
	}
}

// A batch with a forged delivery (its receiver of another organisation)
// writes nothing at all: the bus then applies its deliveries one by one.
func TestApplyIngestBatchWithForeignReceiverWritesNothing(t *testing.T) {
	t.Parallel()
	st, count := newStore(t)
	svc := newService(t, st, "org_a", "API")
	r, _ := newReceiver(t, st, "org_a", domain.ReceiverSpec{Name: "CI", Enabled: true, ServiceID: svc.ID})
	forged := ingest(r, domain.Down, "")
	forged.OrgID = "org_b"
	_, err := st.ApplyIngestBatch(context.Background(), []domain.Ingest{ingest(r, domain.Down, ""), forged},
		time.Now(), events.StatusChanged)
	if !errors.Is(err, domain.ErrForeignReceiver) {
		t.Fatalf("err = %v, want ErrForeignReceiver", err)
	}
	for _, table := range []string{"deliveries", "status_history", "outbox", "applied_deliveries"} {
		if n := count(`SELECT count(*) FROM status.` + table); n != 0 {
			t.Errorf("%d rows in %s after a refused batch", n, table)
		}
	}
}

// Applied in batches of random sizes, with copies and reordering, a stream
// of deliveries ends exactly where applying each alone, in the same order,
// does: same statuses and versions, same history, same logs.
func TestApplyIngestBatchEqualsOneByOne(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(7, 11))
	const services, deliveries = 10, 2000
	statuses := []domain.Status{domain.Operational, domain.Degraded, domain.Down, domain.Maintenance}
	type world struct {
		st    *store.Store
		count func(string) int
		svcs  []domain.Service
		recvs []domain.Receiver
	}
	newWorld := func() world {
		st, count := newStore(t)
		w := world{st: st, count: count}
		for i := range services {
			svc := newService(t, st, "org_a", fmt.Sprintf("svc-%d", i))
			r, _ := newReceiver(t, st, "org_a", domain.ReceiverSpec{Name: svc.Name, Enabled: true, ServiceID: svc.ID})
			w.svcs, w.recvs = append(w.svcs, svc), append(w.recvs, r)
		}
		return w
	}
	one, batched := newWorld(), newWorld()
	// The same deliveries for both worlds, by receiver index.
	base := time.Now().UTC().Truncate(time.Microsecond)
	type plan struct {
		recv   int
		status domain.Status
		id     string
		at     time.Time
	}
	var plans []plan
	for i := range deliveries {
		p := plan{recv: rng.IntN(services), status: statuses[rng.IntN(len(statuses))],
			id: fmt.Sprintf("dlv_%06d", i), at: base.Add(time.Duration(i) * time.Millisecond)}
		plans = append(plans, p)
		if rng.IntN(5) == 0 { // 20 % copies
			plans = append(plans, p)
		}
	}
	for i := range plans { // 10 % swapped with their successor
		if i+1 < len(plans) && rng.IntN(10) == 0 {
			plans[i], plans[i+1] = plans[i+1], plans[i]
		}
	}
	ingestOf := func(w world, p plan) domain.Ingest {
		in := ingest(w.recvs[p.recv], p.status, "")
		in.DeliveryID, in.ReceivedAt = p.id, p.at
		return in
	}
	at := base.Add(time.Hour)
	for _, p := range plans {
		if _, err := one.st.ApplyIngest(context.Background(), ingestOf(one, p), at, events.StatusChanged); err != nil {
			t.Fatal(err)
		}
	}
	for rest := plans; len(rest) > 0; {
		n := min(len(rest), 1+rng.IntN(300))
		ins := make([]domain.Ingest, n)
		for i, p := range rest[:n] {
			ins[i] = ingestOf(batched, p)
		}
		if _, err := batched.st.ApplyIngestBatch(context.Background(), ins, at, events.StatusChanged); err != nil {
			t.Fatal(err)
		}
		rest = rest[n:]
	}
	for i := range services {
		a, _ := one.st.GetService(context.Background(), "org_a", one.svcs[i].ID)
		b, _ := batched.st.GetService(context.Background(), "org_a", batched.svcs[i].ID)
		if a.Status != b.Status || a.Version != b.Version {
			t.Errorf("service %d: one by one %s v%d, batched %s v%d", i, a.Status, a.Version, b.Status, b.Version)
		}
		ha, _ := one.st.ListHistory(context.Background(), "org_a", one.svcs[i].ID, 0, 10000)
		hb, _ := batched.st.ListHistory(context.Background(), "org_a", batched.svcs[i].ID, 0, 10000)
		if len(ha) != len(hb) {
			t.Errorf("service %d: %d history rows one by one, %d batched", i, len(ha), len(hb))
			continue
		}
		for j := range ha {
			if ha[j].Version != hb[j].Version || ha[j].Status != hb[j].Status || ha[j].Previous != hb[j].Previous {
				t.Errorf("service %d history %d: %+v vs %+v", i, j, ha[j], hb[j])
			}
		}
		la, _ := one.st.ListDeliveries(context.Background(), "org_a", one.recvs[i].ID)
		lb, _ := batched.st.ListDeliveries(context.Background(), "org_a", batched.recvs[i].ID)
		if len(la) != len(lb) {
			t.Errorf("receiver %d: log of %d one by one, %d batched", i, len(la), len(lb))
			continue
		}
		for j := range la {
			if la[j].ID != lb[j].ID || la[j].Result != lb[j].Result || la[j].NewStatus != lb[j].NewStatus {
				t.Errorf("receiver %d log %d: %s %s %s vs %s %s %s", i, j, la[j].ID, la[j].Result, la[j].NewStatus, lb[j].ID, lb[j].Result, lb[j].NewStatus)
			}
		}
	}
	for _, q := range []string{`SELECT count(*) FROM status.outbox`, `SELECT count(*) FROM status.status_history`, `SELECT count(*) FROM status.deliveries`} {
		if a, b := one.count(q), batched.count(q); a != b {
			t.Errorf("%s: %d one by one, %d batched", q, a, b)
		}
	}
}

// Reports applied together keep their order per service, and one that is
// refused (another organisation's service, a stale expected version) fails
// alone while the others are written.
func TestSetStatusesFailsOnlyTheRefusedReport(t *testing.T) {
	t.Parallel()
	st, count := newStore(t)
	api, web := newService(t, st, "org_a", "API"), newService(t, st, "org_a", "Web")
	other := newService(t, st, "org_b", "Other")
	at := time.Now().UTC().Truncate(time.Microsecond)
	report := func(s domain.Status) domain.Report {
		return domain.Report{Status: s, Source: domain.SourceAPI, Actor: "ak_1", At: at}
	}
	stale := report(domain.Down)
	stale.ExpectedVersion = new(int64)
	res, err := st.SetStatuses(context.Background(), []store.StatusRequest{
		{OrgID: "org_a", ServiceID: api.ID, Report: report(domain.Down)},
		{OrgID: "org_a", ServiceID: other.ID, Report: report(domain.Down)}, // not org_a's
		{OrgID: "org_a", ServiceID: web.ID, Report: stale},
		{OrgID: "org_a", ServiceID: api.ID, Report: report(domain.Degraded)},
		{OrgID: "org_a", ServiceID: web.ID, Report: report(domain.Operational)}, // unchanged
	}, events.StatusChanged)
	if err != nil {
		t.Fatal(err)
	}
	if !errors.Is(res[1].Err, domain.ErrNotFound) || !errors.Is(res[2].Err, domain.ErrVersionMismatch) {
		t.Errorf("refused reports: %v, %v; want not found, version mismatch", res[1].Err, res[2].Err)
	}
	first, second := res[0].Value, res[3].Value
	if res[0].Err != nil || res[3].Err != nil || first.Change == nil || second.Change == nil ||
		first.Change.Version != api.Version+1 || second.Change.Version != api.Version+2 ||
		second.Before.Status != domain.Down || second.After.Status != domain.Degraded {
		t.Errorf("API's reports: %+v, %+v", res[0], res[3])
	}
	if res[4].Err != nil || res[4].Value.Change != nil {
		t.Errorf("repeated status: %+v", res[4])
	}
	if got, _ := st.GetService(context.Background(), "org_a", api.ID); got.Status != domain.Degraded || got.Version != api.Version+2 {
		t.Errorf("API is %s v%d, want degraded v%d", got.Status, got.Version, api.Version+2)
	}
	if got, _ := st.GetService(context.Background(), "org_b", other.ID); got.Status != domain.Operational {
		t.Errorf("another organisation's service became %s", got.Status)
	}
	if n := count(`SELECT count(*) FROM status.status_history`); n != 2 {
		t.Errorf("history rows = %d, want 2", n)
	}
	if n := count(`SELECT count(*) FROM status.outbox`); n != 2 {
		t.Errorf("outbox rows = %d, want 2", n)
	}
}

// A batch cut short half-way (here its third event cannot be built; a
// crash or a lost connection rolls back the same way) leaves nothing
// half-applied: no service, log entry, history row or event of it.
func TestApplyIngestBatchInterruptedWritesNothing(t *testing.T) {
	t.Parallel()
	st, count := newStore(t)
	svc := newService(t, st, "org_a", "API")
	r, _ := newReceiver(t, st, "org_a", domain.ReceiverSpec{Name: "CI", Enabled: true, ServiceID: svc.ID})
	built := 0
	failThird := func(s domain.Service, c domain.Change) (bus.Event, error) {
		if built++; built == 3 {
			return bus.Event{}, errors.New("interrupted")
		}
		return events.StatusChanged(s, c)
	}
	var batch []domain.Ingest
	for i := range 5 {
		batch = append(batch, ingest(r, []domain.Status{domain.Down, domain.Operational}[i%2], ""))
	}
	if _, err := st.ApplyIngestBatch(context.Background(), batch, time.Now(), failThird); err == nil {
		t.Fatal("interrupted batch reported no error")
	}
	if got, _ := st.GetService(context.Background(), "org_a", svc.ID); got.Version != svc.Version || got.Status != svc.Status {
		t.Errorf("service %s v%d after an interrupted batch, want %s v%d", got.Status, got.Version, svc.Status, svc.Version)
	}
	for _, table := range []string{"deliveries", "status_history", "outbox", "applied_deliveries"} {
		if n := count(`SELECT count(*) FROM status.` + table); n != 0 {
			t.Errorf("%d rows in %s after an interrupted batch", n, table)
		}
	}
	// Applied again, the whole batch goes through once.
	applyBatch(t, st, batch...)
	if n := count(`SELECT count(*) FROM status.status_history`); n != 5 {
		t.Errorf("history rows = %d after the retry, want 5", n)
	}
}
