package delivery_test

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/upstatehq/upstate/pkg/bus"
	"github.com/upstatehq/upstate/pkg/mail"
	"github.com/upstatehq/upstate/pkg/mail/mailtest"
	"github.com/upstatehq/upstate/pkg/testenv"
	"github.com/upstatehq/upstate/services/notification/internal/channel"
	"github.com/upstatehq/upstate/services/notification/internal/channelstore"
	"github.com/upstatehq/upstate/services/notification/internal/delivery"
	"github.com/upstatehq/upstate/webhook"
)

// A receiver that answers 503 for its first 30 minutes (on the test's
// clock) then 200 gets every notification, each once, signed.
func TestOutageThenEveryNotificationOnce(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	recovery := t0.Add(30 * time.Minute)
	s := newSink(t, e.clock, func(*http.Request, int) (int, http.Header) {
		if e.clock.Now().Before(recovery) {
			return http.StatusServiceUnavailable, nil
		}
		return http.StatusOK, nil
	})
	s.movingClock = true
	e.start(delivery.Config{BreakerOpen: 50 * time.Millisecond}, nil)
	ids := e.enqueue(s.srv.URL+"/hook", 40)

	testenv.Eventually(t, waitFor, func() error {
		if e.clock.Now().Before(recovery.Add(time.Minute)) {
			e.clock.Advance(time.Minute)
		}
		if _, d, _ := s.stats(); len(d) != len(ids) {
			return fmt.Errorf("%d of %d delivered (clock at +%s)", len(d), len(ids), e.clock.Since(t0))
		}
		return nil
	})
	e.waitStatus(channelstore.Delivered, len(ids))
	requests, delivered, badSig := s.stats()
	for _, id := range ids {
		if delivered[id] != 1 {
			t.Errorf("%s delivered %d times, want once", id, delivered[id])
		}
	}
	if badSig != 0 {
		t.Errorf("%d requests with a bad signature", badSig)
	}
	if requests <= len(ids) {
		t.Errorf("%d requests for %d notifications: the outage was not exercised", requests, len(ids))
	}
	list, err := e.store.ListNotifications(context.Background(), "org_a", channelstore.Filter{}, "", 200)
	if err != nil {
		t.Fatal(err)
	}
	retried := 0
	for _, n := range list {
		last := n.Attempts[len(n.Attempts)-1]
		if last.StatusCode != 200 || last.Error != "" || n.Destination != channel.MaskURL(s.srv.URL+"/hook") {
			t.Errorf("history %+v", n)
		}
		if len(n.Attempts) > 1 && n.Attempts[0].StatusCode == 503 {
			retried++
		}
	}
	if retried == 0 {
		t.Error("no notification's history shows a 503 before its delivery")
	}
	testenv.Eventually(t, waitFor, func() error {
		if m := e.streamMsgs(bus.StreamNotify); m != 0 {
			return fmt.Errorf("%d messages left in NOTIFY", m)
		}
		return nil
	})
}

// A delivery whose claim waits (here on a locked table) while the clock
// moves past the signature's tolerance is signed when it is sent, not
// when it arrived: the receiver's clock accepts it.
func TestSignedWhenSent(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	s := newSink(t, e.clock, func(*http.Request, int) (int, http.Header) { return http.StatusOK, nil })
	ctx := context.Background()
	tx, err := e.db.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = tx.Rollback(ctx) }()
	if _, err := tx.Exec(ctx, "LOCK TABLE notification.notifications IN EXCLUSIVE MODE"); err != nil {
		t.Fatal(err)
	}
	e.start(delivery.Config{}, nil)
	e.enqueue(s.srv.URL, 1)
	testenv.Eventually(t, waitFor, func() error {
		var waiting int
		if err := e.db.QueryRow(ctx, `SELECT count(*) FROM pg_stat_activity
			WHERE datname = current_database() AND wait_event_type = 'Lock'`).Scan(&waiting); err != nil {
			return err
		}
		if waiting == 0 {
			return errors.New("the claim is not waiting on the lock yet")
		}
		return nil
	})
	e.clock.Advance(webhook.StandardWebhooksTolerance + time.Minute)
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	e.waitStatus(channelstore.Delivered, 1)
	if _, _, bad := s.stats(); bad != 0 {
		t.Errorf("%d requests with a bad signature", bad)
	}
}

// A receiver that always fails: the notification is retried until its
// time is up, then dead and dead-lettered; once the receiver is fixed, a
// retry by hand delivers it.
func TestAlwaysFailingIsDeadThenRetried(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	var mu sync.Mutex
	fixed := false
	s := newSink(t, e.clock, func(*http.Request, int) (int, http.Header) {
		mu.Lock()
		defer mu.Unlock()
		if fixed {
			return http.StatusNoContent, nil
		}
		return http.StatusBadGateway, nil
	})
	e.start(delivery.Config{BreakerOpen: 20 * time.Millisecond, MaxAge: time.Hour}, nil)
	ids := e.enqueue(s.srv.URL, 1)
	testenv.Eventually(t, waitFor, func() error {
		e.clock.Advance(5 * time.Minute)
		if got := e.statuses(); got[channelstore.Dead] != 1 {
			return fmt.Errorf("statuses %v", got)
		}
		return nil
	})
	testenv.Eventually(t, waitFor, func() error {
		if n := e.streamMsgs(bus.StreamDLQ); n != 1 {
			return fmt.Errorf("%d dead letters", n)
		}
		return nil
	})
	n, err := e.store.GetNotification(context.Background(), "org_a", ids[0])
	if err != nil {
		t.Fatal(err)
	}
	if last := n.Attempts[len(n.Attempts)-1]; last.StatusCode != 502 || !strings.Contains(last.Error, "given up after 1h0m0s") {
		t.Errorf("last attempt %+v", last)
	}

	mu.Lock()
	fixed = true
	mu.Unlock()
	retryByHand(t, e, ids[0])
	e.waitStatus(channelstore.Delivered, 1)
	if _, d, _ := s.stats(); d[ids[0]] != 1 {
		t.Errorf("delivered %d times after the retry", d[ids[0]])
	}
}

// A 4xx other than 408 and 429 is final at once; an address inside the
// network is refused without a request.
func TestFinalRefusals(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	s := newSink(t, e.clock, func(*http.Request, int) (int, http.Header) { return http.StatusGone, nil })
	e.start(delivery.Config{}, nil)
	e.enqueue(s.srv.URL, 1)
	e.waitStatus(channelstore.Dead, 1)
	if r, _, _ := s.stats(); r != 1 {
		t.Errorf("%d requests, want 1", r)
	}

	guarded := newEnv(t)
	guarded.start(delivery.Config{AllowPrivate: []netip.Prefix{}}, nil)
	ids := guarded.enqueue(s.srv.URL, 1)
	guarded.waitStatus(channelstore.Dead, 1)
	n, err := guarded.store.GetNotification(context.Background(), "org_a", ids[0])
	if err != nil {
		t.Fatal(err)
	}
	if r, _, _ := s.stats(); r != 1 || !strings.Contains(n.Attempts[0].Error, "refused") || strings.Contains(n.Attempts[0].Error, "127.0.0.1") {
		t.Errorf("%d requests reached the loopback; attempt %+v", r, n.Attempts)
	}
}

// Retry-After is waited out even when the backoff is shorter.
func TestRetryAfterHonoured(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	s := newSink(t, e.clock, func(_ *http.Request, n int) (int, http.Header) {
		if n == 1 {
			return http.StatusTooManyRequests, http.Header{"Retry-After": {"1"}}
		}
		return http.StatusOK, nil
	})
	e.start(delivery.Config{Backoff: func(int) time.Duration { return time.Millisecond }}, nil)
	e.enqueue(s.srv.URL, 1)
	e.waitStatus(channelstore.Delivered, 1)
	s.mu.Lock()
	defer s.mu.Unlock()
	if gap := s.times[1].Sub(s.times[0]); len(s.times) != 2 || gap < 900*time.Millisecond {
		t.Errorf("%d requests, the second %s after the first; want 2, a second apart", len(s.times), gap)
	}
}

// The breaker opens after BreakerFailures failures in a row: nothing is
// sent while it is open; then one attempt goes through (half-open), which
// reopens it while the far side still fails and closes it once it works.
func TestBreakerOpensAndHalfOpens(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	const open = 400 * time.Millisecond
	var mu sync.Mutex
	healthy := false
	s := newSink(t, e.clock, func(*http.Request, int) (int, http.Header) {
		mu.Lock()
		defer mu.Unlock()
		if healthy {
			return http.StatusOK, nil
		}
		return http.StatusInternalServerError, nil
	})
	e.start(delivery.Config{Concurrency: 1, BreakerFailures: 3, BreakerOpen: open}, nil)
	ids := e.enqueue(s.srv.URL, 10)
	testenv.Eventually(t, waitFor, func() error {
		if r, _, _ := s.stats(); r < 3 {
			return fmt.Errorf("%d requests", r)
		}
		return nil
	})
	s.mu.Lock()
	tripped := s.times[2]
	s.mu.Unlock()
	testenv.Eventually(t, waitFor, func() error {
		if r, _, _ := s.stats(); r < 4 {
			return fmt.Errorf("%d requests, waiting for the half-open attempt", r)
		}
		return nil
	})
	s.mu.Lock()
	probe, r := s.times[3], s.requests
	s.mu.Unlock()
	if gap := probe.Sub(tripped); gap < open-50*time.Millisecond {
		t.Errorf("a request came %s after the breaker opened, want none for %s", gap, open)
	}
	if r != 4 {
		t.Errorf("%d requests when the half-open attempt came, want 4", r)
	}
	if e.counter("breaker_open") == 0 {
		t.Error("no delivery was deferred by the open breaker")
	}
	mu.Lock()
	healthy = true
	mu.Unlock()
	e.waitStatus(channelstore.Delivered, len(ids))
	if _, d, _ := s.stats(); len(d) != len(ids) {
		t.Errorf("%d delivered", len(d))
	}
}

// Email goes through a real SMTP server (STARTTLS, PLAIN); a refused
// login (a transient 454 reply) is retried until the notification's time
// is up, each reply recorded in the history.
func TestEmailThroughSMTP(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	srv := mailtest.Start(t, "upstate", "s3cret")
	m, err := mail.New(srv.URL, "upstate <alerts@upstate.example>")
	if err != nil {
		t.Fatal(err)
	}
	m.TLS = &tls.Config{RootCAs: srv.CA}
	e.start(delivery.Config{}, m)
	ctx := context.Background()
	ch := channel.Channel{ID: "chn_01jdq000000000000000000001", OrgID: "org_a", Name: "ops mail", Type: channel.Email,
		Config: channel.Config{To: "ops@example.com"}, Template: "{{.Title}} — {{.Severity}}", CreatedAt: t0, UpdatedAt: t0}
	if err := e.store.CreateChannel(ctx, ch); err != nil {
		t.Fatal(err)
	}
	enqueueToChannel(t, e, ch.ID, "mail:1")
	e.waitStatus(channelstore.Delivered, 1)
	msgs := srv.Messages()
	if len(msgs) != 1 || msgs[0].To[0] != "ops@example.com" || !strings.Contains(msgs[0].Parsed.Header.Get("Subject"), "API is down") ||
		!strings.Contains(msgs[0].Body, "API is down — critical") {
		t.Fatalf("messages %+v", msgs)
	}

	bad, _ := mail.New(strings.Replace(srv.URL, "s3cret", "wrong", 1), "alerts@upstate.example")
	bad.TLS = &tls.Config{RootCAs: srv.CA}
	e2 := newEnv(t)
	e2.start(delivery.Config{MaxAge: time.Hour}, bad)
	if err := e2.store.CreateChannel(ctx, ch); err != nil {
		t.Fatal(err)
	}
	enqueueToChannel(t, e2, ch.ID, "mail:2")
	testenv.Eventually(t, waitFor, func() error {
		e2.clock.Advance(10 * time.Minute)
		if got := e2.statuses(); got[channelstore.Dead] != 1 {
			return fmt.Errorf("statuses %v", got)
		}
		return nil
	})
	list, _ := e2.store.ListNotifications(ctx, "org_a", channelstore.Filter{}, "", 1)
	for _, a := range list[0].Attempts {
		if a.StatusCode != 454 || !strings.Contains(a.Error, "invalid credentials") || strings.Contains(a.Error, "wrong") {
			t.Errorf("attempt %+v", a)
		}
	}
}

// A worker stopped in the middle of a delivery (the request cut short,
// unanswered) leaves it to the next worker, which delivers it once.
func TestWorkerStoppedMidDelivery(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	arrived := make(chan struct{})
	var once sync.Once
	s := newSink(t, e.clock, func(r *http.Request, n int) (int, http.Header) {
		if n == 1 {
			once.Do(func() { close(arrived) })
			<-r.Context().Done() // hangs until the worker gives up
			return http.StatusServiceUnavailable, nil
		}
		return http.StatusOK, nil
	})
	stop := e.start(delivery.Config{}, nil)
	ids := e.enqueue(s.srv.URL, 1)
	select {
	case <-arrived:
	case <-time.After(waitFor):
		t.Fatal("the delivery never arrived")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	if err := stop(ctx); err == nil {
		t.Fatal("the stop did not cut the delivery short")
	}
	if got := e.statuses(); got[channelstore.Pending] != 1 {
		t.Fatalf("statuses after the stop %v, want it pending", got)
	}
	e.start(delivery.Config{}, nil)
	e.waitStatus(channelstore.Delivered, 1)
	if r, d, _ := s.stats(); d[ids[0]] != 1 || r != 2 {
		t.Errorf("%d requests, delivered %d times; want 2 requests, delivered once", r, d[ids[0]])
	}
}
