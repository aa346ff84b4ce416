package integration

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/upstatehq/upstate/pkg/bus"
	"github.com/upstatehq/upstate/pkg/testenv"
)

// clusterDeliveries is how many webhook deliveries the main scenario
// sends over clusterTargets services; UPSTATE_CLUSTER_DELIVERIES changes
// it.
const (
	clusterDeliveries = 10_000
	clusterTargets    = 50
)

// clusterScenario is a load of webhook deliveries and what breaks while
// it runs.
type clusterScenario struct {
	name string
	// perService deliveries are sent per service at least.
	perService int
	// fault, when set, breaks something once the load is under way and
	// returns once it is repaired; the senders then send one delivery
	// every clusterPace each, so that the load lasts as long as the fault.
	fault func(t *testing.T, c *cluster)
}

// clusterPace is how often each sender sends while a fault lasts: 50
// senders make 50 deliveries a second. A sender sends at most
// clusterMaxPerService then, fewer than the 50 deliveries a receiver's
// log keeps, so that the log accounts for each one.
const (
	clusterPace          = time.Second
	clusterMaxPerService = 45
)

// figures are what a scenario measured, as make test prints them.
//
// An overtaken delivery was handled after a newer one of its receiver and,
// by the rule that an older report never undoes a newer one, logged as
// ignored rather than applied: not lost, but its change is missing from
// the history.
type figures struct {
	accepted, applied, lost, duplicated, redelivered, overtaken int
	p99, recovery                                               time.Duration
}

func (f figures) String() string {
	return fmt.Sprintf("accepted=%d applied=%d lost=%d duplicated=%d redelivered=%d p99_ms=%d recovery_s=%.1f overtaken=%d",
		f.accepted, f.applied, f.lost, f.duplicated, f.redelivered, f.p99.Milliseconds(), f.recovery.Seconds(), f.overtaken)
}

// Upstate as it runs in production, each service replicated as its own
// processes over a three-node JetStream cluster and one Postgres, under
// webhook load while its parts fail: every delivery the gateway accepted
// is applied exactly once, in order, whatever breaks.
func TestCluster(t *testing.T) {
	deliveries := clusterDeliveries
	if v := os.Getenv("UPSTATE_CLUSTER_DELIVERIES"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < clusterTargets {
			t.Fatalf("UPSTATE_CLUSTER_DELIVERIES=%q: want a number of at least %d", v, clusterTargets)
		}
		deliveries = n
	}
	c := startCluster(t)
	var lines []string
	t.Cleanup(func() { writeClusterReport(t, lines) })

	scenarios := []clusterScenario{
		{name: "deliveries", perService: deliveries / clusterTargets},
		{name: "kill-replicas", perService: 10, fault: func(t *testing.T, c *cluster) {
			// The replicas applying: the others only stand by.
			status := c.pinned(t, "status", bus.StreamIngest, "status-ingest")
			incidents := c.pinned(t, "incidents", bus.StreamStatus, "incidents-status")
			status.proc.kill()
			incidents.proc.kill()
			time.Sleep(2 * time.Second) // the load goes on without them
			status.start()
			incidents.start()
			status.awaitReady(t)
			incidents.awaitReady(t)
		}},
		{name: "nats-node-restart", perService: 10, fault: func(t *testing.T, c *cluster) {
			// The node the replica applying webhook deliveries is
			// connected to: what was in flight to it is lost.
			n := c.natsNodeOf(t, c.pinned(t, "status", bus.StreamIngest, "status-ingest"))
			n.proc.kill()
			time.Sleep(3 * time.Second)
			n.start()
			c.awaitNATSNode(t, n)
		}},
		{name: "postgres-restart", perService: 10, fault: func(t *testing.T, c *cluster) {
			start := testenv.StopPostgres(t)
			c.awaitReadiness(t, false)
			start()
			c.awaitReadiness(t, true)
		}},
		{name: "rolling-restart", perService: 10, fault: func(t *testing.T, c *cluster) {
			for _, r := range c.replicas {
				r.restart(t)
			}
		}},
	}
	for i, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			f := c.runScenario(t, sc)
			lines = append(lines, fmt.Sprintf("cluster: scenario=%s %s", sc.name, f))
			t.Log(lines[len(lines)-1])
			if f.lost != 0 || f.duplicated != 0 || f.overtaken != 0 {
				t.Errorf("%s: %s", sc.name, f)
			}
		})
		if i == 0 {
			lines = append(lines, c.grpcSpread(t, "status"))
		}
		if t.Failed() {
			break
		}
	}
}

// pinned returns the replica of service that holds the pin of its
// consumer durable on stream, which it logs with the pin's id.
func (c *cluster) pinned(t *testing.T, service, stream, durable string) *replica {
	t.Helper()
	var found *replica
	testenv.Eventually(t, time.Minute, func() error {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		cons, err := c.js.Consumer(ctx, stream, durable)
		if err != nil {
			return err
		}
		for _, g := range cons.CachedInfo().PriorityGroups {
			if g.PinnedClientID == "" {
				continue
			}
			for _, r := range c.of(service) {
				if strings.Contains(r.proc.log(), `"pin_id":"`+g.PinnedClientID+`"`) {
					found = r
					return nil
				}
			}
			return fmt.Errorf("no %s replica logged the pin %s", service, g.PinnedClientID)
		}
		return fmt.Errorf("%s on %s is pinned to no replica", durable, stream)
	})
	return found
}

// natsNodeOf returns the NATS node a replica is connected to, from the
// URL it last logged connecting to.
func (c *cluster) natsNodeOf(t *testing.T, r *replica) *natsNode {
	t.Helper()
	lines := strings.Split(r.proc.log(), "\n")
	for i := len(lines) - 1; i >= 0; i-- {
		if !strings.Contains(lines[i], `"msg":"nats connected"`) && !strings.Contains(lines[i], `"msg":"nats reconnected"`) {
			continue
		}
		for _, n := range c.nats {
			if strings.Contains(lines[i], fmt.Sprintf(`127.0.0.1:%d"`, n.port)) {
				return n
			}
		}
	}
	t.Fatalf("%s logged no connection to a NATS node", r.name)
	return nil
}

// writeClusterReport writes the scenarios' lines to the file
// UPSTATE_CLUSTER_REPORT names (make test prints it) and to the log.
func writeClusterReport(t *testing.T, lines []string) {
	for _, l := range lines {
		t.Log(l)
	}
	if path := os.Getenv("UPSTATE_CLUSTER_REPORT"); path != "" && len(lines) > 0 {
		if err := os.WriteFile(path, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
			t.Error(err)
		}
	}
}

// grpcSpread checks that the gRPC calls to a service were balanced over
// its replicas (the edge's and other services' clients round-robin per
// call), and returns the spread as a report line.
func (c *cluster) grpcSpread(t *testing.T, service string) string {
	t.Helper()
	var counts []string
	total, least := 0, -1
	for _, r := range c.of(service) {
		n := c.grpcCalls(r)
		counts = append(counts, strconv.Itoa(n))
		total += n
		if least < 0 || n < least {
			least = n
		}
	}
	replicas := len(counts)
	if total < 10*replicas || least < total/replicas/2 {
		t.Errorf("gRPC calls to %s per replica: %s; want them spread over every replica", service, strings.Join(counts, ","))
	}
	return fmt.Sprintf("cluster: grpc service=%s calls_per_replica=%s", service, strings.Join(counts, ","))
}

// runScenario sends the scenario's load, breaks what it breaks, waits
// until every accepted delivery has had its effects and checks them.
func (c *cluster) runScenario(t *testing.T, sc clusterScenario) figures {
	l := c.newLoad(t, sc.name, clusterTargets)
	pool := testenv.NewPool(t, c.dsn)
	before := c.deliveryCounts(t)
	events := c.statusEvents(t)

	var until chan struct{}
	if sc.fault != nil {
		until = make(chan struct{})
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		l.run(sc.perService, clusterPace, until)
	}()
	stopLoad := func() {
		if until != nil {
			select {
			case <-until:
			default:
				close(until)
			}
		}
		<-done
	}
	// Senders must be done before the test ends, whatever fails.
	defer stopLoad()

	repaired := time.Time{}
	if sc.fault != nil {
		// Strike once every sender is well under way, and keep the load
		// on for as long again after the repair.
		warm := int64(clusterTargets * 5)
		awaitAccepted(t, l, warm)
		sc.fault(t, c)
		repaired = time.Now()
		awaitAccepted(t, l, l.accepted.Load()+warm)
	}
	stopLoad()
	if repaired.IsZero() {
		repaired = time.Now()
	}
	c.settle(t, pool)
	f := figures{p99: l.p99(), recovery: time.Since(repaired)}
	after := c.deliveryCounts(t)
	f.redelivered = after.redelivered(before)
	c.check(t, pool, l, events, &f)
	if n := l.refused.Load(); n != 0 {
		t.Errorf("%d deliveries refused otherwise than 503 with Retry-After", n)
	}
	t.Logf("%s: %d requests, %d unanswered (resent; %d found no gateway listening), %d answered 503 with Retry-After",
		sc.name, l.sent.Load(), l.unanswered.Load(), l.notListening.Load(), l.unavailable.Load())
	return f
}

func awaitAccepted(t *testing.T, l *load, n int64) {
	t.Helper()
	testenv.Eventually(t, time.Minute, func() error {
		if got := l.accepted.Load(); got < n {
			return fmt.Errorf("%d deliveries accepted, waiting for %d", got, n)
		}
		return nil
	})
}

// check compares what every service became with what its sender got
// accepted, and counts the figures.
func (c *cluster) check(t *testing.T, pool *pgxpool.Pool, l *load, eventsBefore map[string]uint64, f *figures) {
	t.Helper()
	ctx := context.Background()
	events := c.statusEvents(t)
	for _, tg := range l.targets {
		failedBefore, lostBefore, duplicatedBefore, overtakenBefore := t.Failed(), f.lost, f.duplicated, f.overtaken
		want := len(tg.accepted)
		f.accepted += want
		var rows, webhookRows, minVersion, maxVersion int
		if err := pool.QueryRow(ctx, `SELECT count(*), count(*) FILTER (WHERE source = 'webhook'),
			coalesce(min(version), 0), coalesce(max(version), 0) FROM status.status_history WHERE service_id = $1`,
			tg.svc).Scan(&rows, &webhookRows, &minVersion, &maxVersion); err != nil {
			t.Fatal(err)
		}
		var overtaken int
		if err := pool.QueryRow(ctx, `SELECT count(*) FROM status.deliveries WHERE receiver_id = $1 AND result = 'ignored'`,
			tg.receiver).Scan(&overtaken); err != nil {
			t.Fatal(err)
		}
		f.applied += webhookRows
		f.overtaken += overtaken
		f.lost += max(0, want-webhookRows-overtaken)
		f.duplicated += max(0, webhookRows+overtaken-want)
		if rows != maxVersion-minVersion+1 {
			t.Errorf("service %s: %d history rows for versions %d to %d", tg.svc, rows, minVersion, maxVersion)
		}
		var status string
		var version int
		if err := pool.QueryRow(ctx, `SELECT status, version FROM status.services WHERE id = $1`, tg.svc).Scan(&status, &version); err != nil {
			t.Fatal(err)
		}
		if last := tg.accepted[len(tg.accepted)-1]; status != last || version != maxVersion {
			t.Errorf("service %s is %s at version %d, want %s (the last delivery) at %d", tg.svc, status, version, last, maxVersion)
		}
		if n := int(events[tg.svc] - eventsBefore[tg.svc]); n != webhookRows {
			f.duplicated += max(0, n-webhookRows)
			t.Errorf("service %s: %d StatusChanged events for %d changes", tg.svc, n, webhookRows)
		}
		outages, open := expectedOutages(tg.accepted)
		var incidents, opened int
		if err := pool.QueryRow(ctx, `SELECT count(*), count(*) FILTER (WHERE resolved_at IS NULL)
			FROM incidents.incidents WHERE auto_service_id = $1`, tg.svc).Scan(&incidents, &opened); err != nil {
			t.Fatal(err)
		}
		if incidents != outages || opened != open {
			f.duplicated += max(0, incidents-outages)
			t.Errorf("service %s: %d automatic incidents (%d open) for %d outages (%d ongoing)", tg.svc, incidents, opened, outages, open)
		}
		if t.Failed() != failedBefore || f.lost != lostBefore || f.duplicated != duplicatedBefore || f.overtaken != overtakenBefore {
			describe(t, pool, tg)
		}
	}
}

// describe logs what a service's sender got accepted and what its
// receiver's delivery log says became of each delivery, for a failure.
func describe(t *testing.T, pool *pgxpool.Pool, tg *target) {
	t.Helper()
	rows, err := pool.Query(context.Background(), `SELECT id, result, mapped_status, previous_status, new_status, error
		FROM status.deliveries WHERE receiver_id = $1 ORDER BY received_at, id`, tg.receiver)
	if err != nil {
		t.Error(err)
		return
	}
	defer rows.Close()
	var log []string
	for rows.Next() {
		var id, result, mapped, prev, next, reason string
		if err := rows.Scan(&id, &result, &mapped, &prev, &next, &reason); err != nil {
			t.Error(err)
			return
		}
		log = append(log, fmt.Sprintf("%s %s %s (%s→%s) %s", id, result, mapped, prev, next, reason))
	}
	if err := rows.Err(); err != nil {
		t.Error(err)
	}
	t.Logf("service %s: sender got accepted %s; delivery log in received order:\n%s",
		tg.svc, strings.Join(tg.accepted, ","), strings.Join(log, "\n"))
}

// expectedOutages counts the outages in a sequence of statuses starting
// from operational (each a move from operational to degraded or down),
// and whether one is ongoing at its end.
func expectedOutages(statuses []string) (outages, ongoing int) {
	prev := "operational"
	for _, s := range statuses {
		if prev == "operational" && s != "operational" {
			outages++
		}
		prev = s
	}
	if prev != "operational" {
		ongoing = 1
	}
	return outages, ongoing
}

// statusEvents counts the StatusChanged events on STATUS per service.
func (c *cluster) statusEvents(t *testing.T) map[string]uint64 {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	st, err := c.js.Stream(ctx, bus.StreamStatus)
	if err != nil {
		t.Fatal(err)
	}
	info, err := st.Info(ctx, jetstream.WithSubjectFilter(bus.SubjectsStatus))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]uint64{}
	for subject, n := range info.State.Subjects {
		out[subject[strings.LastIndexByte(subject, '.')+1:]] = n
	}
	return out
}

// deliveryCounts are the messages stored on the streams webhook
// deliveries flow through and how many times their consumers were
// delivered one.
type deliveryCounts struct {
	stored    map[string]uint64 // by stream
	delivered map[string]uint64 // by stream/consumer
}

var deliveryStreams = []string{bus.StreamIngest, bus.StreamStatus}

func (c *cluster) deliveryCounts(t *testing.T) deliveryCounts {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	d := deliveryCounts{stored: map[string]uint64{}, delivered: map[string]uint64{}}
	for _, name := range deliveryStreams {
		st, err := c.js.Stream(ctx, name)
		if err != nil {
			t.Fatal(err)
		}
		d.stored[name] = st.CachedInfo().State.LastSeq
		for ci := range st.ListConsumers(ctx).Info() {
			d.delivered[name+"/"+ci.Name] = ci.Delivered.Consumer
		}
	}
	return d
}

// redelivered is how many deliveries the consumers had again since
// before: each consumer reads its whole stream, so what it was delivered
// beyond the messages stored meanwhile was delivered again (after a
// crash, an AckWait, a nak).
func (d deliveryCounts) redelivered(before deliveryCounts) int {
	n := 0
	for key, delivered := range d.delivered {
		stream := key[:strings.IndexByte(key, '/')]
		n += int(delivered-before.delivered[key]) - int(d.stored[stream]-before.stored[stream])
	}
	return n
}

// settle waits until every accepted delivery has had its effects: no
// outbox holds an event, and every consumer has acknowledged everything.
func (c *cluster) settle(t *testing.T, pool *pgxpool.Pool) {
	t.Helper()
	testenv.Eventually(t, 3*time.Minute, func() error {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		rows, err := pool.Query(ctx, `SELECT table_schema FROM information_schema.tables WHERE table_name = 'outbox'`)
		if err != nil {
			return err
		}
		var schemas []string
		for rows.Next() {
			var s string
			if err := rows.Scan(&s); err != nil {
				return err
			}
			schemas = append(schemas, s)
		}
		if err := rows.Err(); err != nil {
			return err
		}
		for _, s := range schemas {
			var n int
			if err := pool.QueryRow(ctx, `SELECT count(*) FROM `+s+`.outbox`).Scan(&n); err != nil {
				return err
			}
			if n > 0 {
				return fmt.Errorf("%s.outbox holds %d events", s, n)
			}
		}
		for name := range c.js.StreamNames(ctx).Name() {
			st, err := c.js.Stream(ctx, name)
			if err != nil {
				return err
			}
			for ci := range st.ListConsumers(ctx).Info() {
				if ci.NumPending > 0 || ci.NumAckPending > 0 {
					return fmt.Errorf("consumer %s of %s: %d pending, %d unacknowledged", ci.Name, name, ci.NumPending, ci.NumAckPending)
				}
			}
		}
		if n := streamMsgs(ctx, c.js, bus.StreamDLQ); n != 0 {
			return fmt.Errorf("%d dead letters", n)
		}
		return nil
	})
}

func streamMsgs(ctx context.Context, js jetstream.JetStream, name string) uint64 {
	st, err := js.Stream(ctx, name)
	if err != nil {
		return 0
	}
	return st.CachedInfo().State.Msgs
}

// awaitReadiness waits until every replica that uses Postgres reports
// ready (or not ready) on /readyz.
func (c *cluster) awaitReadiness(t *testing.T, want bool) {
	t.Helper()
	testenv.Eventually(t, time.Minute, func() error {
		for _, r := range c.replicas {
			if r.service == "gateway" {
				continue // no database
			}
			if got := c.ready(r); got != want {
				return fmt.Errorf("%s ready=%t, want %t", r.name, got, want)
			}
		}
		return nil
	})
}

// awaitNATSNode waits until a restarted node has caught up with the
// streams it holds a replica of.
func (c *cluster) awaitNATSNode(t *testing.T, n *natsNode) {
	t.Helper()
	testenv.Eventually(t, time.Minute, func() error {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		for _, name := range deliveryStreams {
			st, err := c.js.Stream(ctx, name)
			if err != nil {
				return err
			}
			cl := st.CachedInfo().Cluster
			if cl == nil {
				return fmt.Errorf("%s has no cluster info", name)
			}
			for _, p := range cl.Replicas {
				if p.Name == n.name && (!p.Current || p.Offline) {
					return fmt.Errorf("%s on %s is not current", name, n.name)
				}
			}
		}
		return nil
	})
}
