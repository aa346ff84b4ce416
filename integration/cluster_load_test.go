package integration

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// Webhook senders as monitoring tools behave: each service's sender posts
// its reports one after the other, each under its own idempotency key and
// each a change of status; it retries a delivery under the same key when
// the answer was lost, or was 503 with Retry-After, or (as a sender that
// timed out does) for no reason at all.
const (
	// retryShare of deliveries are sent again at once with the same key.
	retryShare = 0.10
	// lateShare of deliveries are sent again with the same key only after
	// the sender's next delivery: out of order, an older report arriving
	// after a newer one, which must not undo it.
	lateShare = 0.10
)

// target is a service with a webhook receiver that opens incidents, and
// what its sender got accepted, in the order it sent it.
type target struct {
	svc, receiver, path string
	accepted            []string // statuses, one per distinct delivery
}

// load is what the senders of a scenario did.
type load struct {
	t        *testing.T
	c        *cluster
	targets  []*target
	accepted atomic.Int64 // distinct deliveries answered 202
	sent     atomic.Int64 // requests, retries included
	// unanswered requests got no HTTP answer and were sent again, as a
	// load balancer or the sender does; notListening of them found no
	// gateway listening (one stopped, not yet started again), which a
	// load balancer would not have sent them to.
	unanswered, notListening atomic.Int64
	// unavailable requests were answered 503 with Retry-After.
	unavailable atomic.Int64
	// refused requests got any other answer: a failure.
	refused   atomic.Int64
	mu        sync.Mutex
	latencies []time.Duration // of requests answered 202
	gw        atomic.Uint64   // round-robin over the gateways
}

// newLoad creates n services, each with a receiver that opens an
// incident of its own when the service goes down or degraded.
func (c *cluster) newLoad(t *testing.T, scenario string, n int) *load {
	t.Helper()
	l := &load{t: t, c: c}
	for i := range n {
		svc := c.api.createService(bootstrapKey, fmt.Sprintf("%s %d", scenario, i))
		rid, path := c.api.autoReceiver(fmt.Sprintf("%s monitor %d", scenario, i), svc, "major")
		l.targets = append(l.targets, &target{svc: svc, receiver: rid, path: path})
	}
	return l
}

// run runs a sender per service. Each sends perService deliveries as fast
// as they are accepted; or, when until is not nil, one every pace until
// until is closed, and at least perService.
func (l *load) run(perService int, pace time.Duration, until <-chan struct{}) {
	var wg sync.WaitGroup
	for i, tg := range l.targets {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(i), uint64(len(tg.svc))))
			status, late := "operational", ""
			for n := 0; n < perService || (!closed(until) && n < clusterMaxPerService); n++ {
				if until != nil && n > 0 {
					time.Sleep(pace)
				}
				status = nextStatus(rng, status)
				key := fmt.Sprintf("%s-%d", tg.svc, n)
				body := fmt.Sprintf(`{"status":%q,"message":"delivery %d"}`, status, n)
				id := l.deliver(tg, key, body)
				if id == "" {
					return
				}
				tg.accepted = append(tg.accepted, status)
				l.accepted.Add(1)
				if late != "" {
					l.retry(tg, late)
					late = ""
				}
				switch r := rng.Float64(); {
				case r < retryShare:
					l.retry(tg, key+"\x00"+body+"\x00"+id)
				case r < retryShare+lateShare:
					late = key + "\x00" + body + "\x00" + id
				}
			}
			if late != "" {
				l.retry(tg, late)
			}
		})
	}
	wg.Wait()
}

// closed says whether ch is closed; a nil ch is.
func closed(ch <-chan struct{}) bool {
	if ch == nil {
		return true
	}
	select {
	case <-ch:
		return true
	default:
		return false
	}
}

// nextStatus is a status other than current: every delivery is a change.
func nextStatus(rng *rand.Rand, current string) string {
	others := slices.DeleteFunc([]string{"operational", "degraded", "down"}, func(s string) bool { return s == current })
	return others[rng.IntN(len(others))]
}

// retry sends a delivery again under its key; the gateway must answer
// with the delivery's first id.
func (l *load) retry(tg *target, sent string) {
	parts := strings.SplitN(sent, "\x00", 3)
	if id := l.deliver(tg, parts[0], parts[1]); id != "" && id != parts[2] {
		l.t.Errorf("retry of %s answered delivery %s, first answered %s", parts[0], id, parts[2])
	}
}

// deliver posts until the delivery is accepted and returns its id; "" when
// it is refused (reported) or never answered within a minute.
func (l *load) deliver(tg *target, key, body string) string {
	deadline := time.Now().Add(time.Minute)
	for time.Now().Before(deadline) {
		gws := l.c.of("gateway")
		gw := gws[l.gw.Add(1)%uint64(len(gws))]
		req, err := http.NewRequest(http.MethodPost, "http://"+gw.httpAddr+tg.path, strings.NewReader(body))
		if err != nil {
			l.t.Error(err)
			return ""
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Idempotency-Key", key)
		start := time.Now()
		l.sent.Add(1)
		res, err := l.c.client.Do(req)
		if err != nil {
			l.unanswered.Add(1)
			if errors.Is(err, syscall.ECONNREFUSED) {
				l.notListening.Add(1)
			}
			time.Sleep(20 * time.Millisecond)
			continue
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		switch {
		case res.StatusCode == http.StatusAccepted:
			l.mu.Lock()
			l.latencies = append(l.latencies, time.Since(start))
			l.mu.Unlock()
			var a struct {
				DeliveryID string `json:"delivery_id"`
			}
			if err := json.Unmarshal(b, &a); err != nil || a.DeliveryID == "" {
				l.t.Errorf("202 without a delivery id: %s", b)
				return ""
			}
			return a.DeliveryID
		case res.StatusCode == http.StatusServiceUnavailable && res.Header.Get("Retry-After") != "":
			l.unavailable.Add(1)
			time.Sleep(100 * time.Millisecond)
		default:
			l.refused.Add(1)
			l.t.Errorf("%s refused a delivery: %d %s", gw.name, res.StatusCode, b)
			return ""
		}
	}
	l.t.Errorf("delivery %s not accepted within a minute", key)
	return ""
}

// p99 is the 99th percentile of the accepted requests' latency.
func (l *load) p99() time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.latencies) == 0 {
		return 0
	}
	s := slices.Clone(l.latencies)
	slices.Sort(s)
	return s[len(s)*99/100]
}
