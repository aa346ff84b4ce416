package integration

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/upstatehq/upstate/cmd/upstate/standalone"
	"github.com/upstatehq/upstate/pkg/bus"
	"github.com/upstatehq/upstate/pkg/testenv"
)

// deliveriesPerScenario is how many webhook deliveries each scenario sends.
const deliveriesPerScenario = 1000

// tally is what became of a scenario's deliveries. Applied ones changed
// the service (a history row each); overtaken ones were handled after a
// newer delivery of their receiver and, by the rule that an older report
// never undoes a newer one, changed nothing: there must be none, as
// deliveries are applied in order.
type tally struct {
	accepted, applied, overtaken, lost, deadLettered, duplicated int
}

var (
	reportMu sync.Mutex
	report   = map[string]tally{}
)

// writeReliabilityReport writes the scenarios' tallies as a table to the
// file UPSTATE_RELIABILITY_REPORT names (make test prints it).
func writeReliabilityReport() {
	path := os.Getenv("UPSTATE_RELIABILITY_REPORT")
	reportMu.Lock()
	defer reportMu.Unlock()
	if path == "" || len(report) == 0 {
		return
	}
	names := make([]string, 0, len(report))
	for n := range report {
		names = append(names, n)
	}
	sort.Strings(names)
	var b strings.Builder
	fmt.Fprintf(&b, "%-30s %9s %8s %10s %5s %14s %11s\n", "reliability scenario", "accepted", "applied", "overtaken", "lost", "dead-lettered", "duplicated")
	for _, n := range names {
		r := report[n]
		fmt.Fprintf(&b, "%-30s %9d %8d %10d %5d %14d %11d\n", n, r.accepted, r.applied, r.overtaken, r.lost, r.deadLettered, r.duplicated)
	}
	_ = os.WriteFile(path, []byte(b.String()), 0o644)
}

// A delivery answered 202 is applied once, in order, whatever happens to
// what the status service depends on while it waits: the database refusing
// connections, the status service itself stopped, NATS restarted. Each
// outage lasts longer than the consumer's whole retry budget for a
// message's own failures, so nothing it causes may be dead-lettered.
func TestReliability(t *testing.T) {
	t.Parallel()
	// Runs once every scenario (parallel subtests) has finished.
	t.Cleanup(writeReliabilityReport)
	for _, sc := range []struct {
		name string
		// outage starts the outage and returns what ends it.
		outage func(s *stack) (end func())
		// failing says whether the consumer fails while it lasts (rather
		// than not running at all, or running on).
		failing bool
	}{
		{"database refuses connections", func(s *stack) func() { return testenv.RefuseConnections(s.t, s.dsn) }, true},
		{"status service stopped", func(s *stack) func() {
			stopUnit(s.t, s.svc.Status)
			return s.startStatus
		}, false},
		// The first half is sent before the restart, the second after.
		{"NATS restarted", func(s *stack) func() { return s.restartNATS }, false},
	} {
		t.Run(sc.name, func(t *testing.T) {
			t.Parallel()
			got := reliabilityScenario(t, sc.outage, sc.failing)
			reportMu.Lock()
			report[sc.name] = got
			reportMu.Unlock()
			if got.lost != 0 || got.duplicated != 0 || got.deadLettered != 0 || got.overtaken != 0 {
				t.Fatalf("%+v", got)
			}
		})
	}
}

func reliabilityScenario(t *testing.T, outage func(*stack) func(), failing bool) tally {
	const maxDeliver = 3
	var tries atomic.Int64
	s := startStackWith(t, nil, func(c *standalone.Config) {
		c.Gateway.RateLimit, c.Gateway.RateBurst = 1e6, 1_000_000
		c.Status.MaxDeliver = maxDeliver
		c.Status.TransientBackoff = func(int) time.Duration {
			tries.Add(1)
			return 20 * time.Millisecond
		}
	})
	svc := s.createService(bootstrapKey, "API")
	_, path := s.createWebhookReceiver(fmt.Sprintf(`{"name":"monitor","service_id":%q}`, svc))
	s.report(path, "down") // the gateway now has the receiver cached
	history := func() int {
		return s.count(`SELECT count(*) FROM status.status_history WHERE service_id = $1 AND source = 'webhook'`, svc)
	}
	before := history()

	end := outage(s)
	var got tally
	statuses := []string{"operational", "down"}
	last := ""
	send := func(i int) {
		r := s.post(path, fmt.Sprintf(`{"status":%q}`, statuses[i%2]))
		if r.Status == http.StatusAccepted {
			got.accepted++
			last = statuses[i%2]
		}
	}
	for i := range deliveriesPerScenario / 2 {
		send(i)
	}
	// Outlast the retry budget many times over: were each try a failure
	// of the deliveries held, they would all be dead-lettered.
	if failing {
		testenv.Eventually(t, time.Minute, func() error {
			if n := tries.Load(); n < maxDeliver*10 {
				return fmt.Errorf("%d tries during the outage", n)
			}
			return nil
		})
	}
	end()
	for i := deliveriesPerScenario / 2; i < deliveriesPerScenario; i++ {
		send(i)
	}
	if got.accepted < deliveriesPerScenario/2 {
		t.Fatalf("only %d of %d deliveries were accepted", got.accepted, deliveriesPerScenario)
	}

	// Lost is what the consumer never finished with: settled means every
	// accepted delivery was acknowledged (applied, overtaken) or
	// dead-lettered.
	var settled *jetstream.ConsumerInfo
	testenv.Eventually(t, 2*time.Minute, func() error {
		settled = ingestInfo(t, s)
		if settled.NumPending > 0 || settled.NumAckPending > 0 {
			return fmt.Errorf("the ingest consumer has %d deliveries pending, %d unacknowledged", settled.NumPending, settled.NumAckPending)
		}
		return nil
	})
	got.deadLettered = streamCount(t, s, bus.StreamDLQ)
	got.applied = history() - before
	got.duplicated = max(0, got.applied-got.accepted)
	got.overtaken = max(0, got.accepted-got.applied-got.deadLettered)
	// +1: the warm-up delivery before the outage.
	if handled := int(settled.AckFloor.Stream); handled < got.accepted+1 {
		got.lost = got.accepted + 1 - handled
	}
	if st, _ := s.statusOf(svc); st != last {
		t.Errorf("service is %s after the last accepted %s", st, last)
	}
	return got
}

// ingestInfo is the state of the status service's consumer on INGEST.
func ingestInfo(t *testing.T, s *stack) *jetstream.ConsumerInfo {
	t.Helper()
	c, err := s.js.Consumer(context.Background(), bus.StreamIngest, "status-ingest")
	if err != nil {
		t.Fatal(err)
	}
	info, err := c.Info(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return info
}
