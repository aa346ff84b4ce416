package receivers

import (
	"context"
	"crypto/sha256"
	"errors"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	statusv1 "github.com/upstatehq/upstate/proto/gen/upstate/status/v1"
)

// stubClient answers ResolveReceiver with err, or a receiver when err is nil.
type stubClient struct {
	statusv1.ReceiverServiceClient
	err   atomic.Pointer[error]
	calls atomic.Int64
}

func (s *stubClient) ResolveReceiver(context.Context, *statusv1.ResolveReceiverRequest, ...grpc.CallOption) (*statusv1.ResolveReceiverResponse, error) {
	s.calls.Add(1)
	if p := s.err.Load(); p != nil && *p != nil {
		return nil, *p
	}
	return &statusv1.ResolveReceiverResponse{Receiver: &statusv1.Receiver{Id: "whr_1", OrgId: "org_1", Enabled: true, ServiceId: "svc_1"}}, nil
}

func (s *stubClient) fail(err error) { s.err.Store(&err) }

func resolve(r *Resolver, token string) error {
	_, err := r.Resolve(context.Background(), sha256.Sum256([]byte(token)), token)
	return err
}

func TestBreakerOpensOnUnavailableOnly(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		err       error
		want      error
		wantOpen  bool
		wantCalls int64
	}{
		{"unavailable", status.Error(codes.Unavailable, "down"), ErrUnavailable, true, 3},
		{"deadline", status.Error(codes.DeadlineExceeded, "slow"), ErrUnavailable, true, 3},
		{"not found", status.Error(codes.NotFound, "no"), ErrNotFound, false, 5},
		{"invalid argument", status.Error(codes.InvalidArgument, "bad"), nil, false, 5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := &stubClient{}
			c.fail(tt.err)
			clock := clockwork.NewFakeClock()
			r := New(c, Options{BreakerFailures: 3, BreakerOpen: time.Minute}, clock, slog.New(slog.DiscardHandler), nil)
			for range 5 {
				err := resolve(r, "t")
				if tt.want != nil && !errors.Is(err, tt.want) || tt.want == nil && err == nil {
					t.Fatalf("err %v, want %v", err, tt.want)
				}
				// Past any negative entry: every resolve asks, unless
				// the breaker refuses.
				clock.Advance(time.Hour)
			}
			if r.BreakerOpen() != tt.wantOpen {
				t.Fatalf("breaker open %v, want %v", r.BreakerOpen(), tt.wantOpen)
			}
			if n := c.calls.Load(); n != tt.wantCalls {
				t.Fatalf("%d calls reached the status service, want %d", n, tt.wantCalls)
			}
		})
	}
}

// A receiver is used for TTL on the clock; past it, while the status
// service is unreachable, it is served stale for MaxStale more, and no
// longer once it is invalidated.
func TestStaleServedOnlyWithinMaxStale(t *testing.T) {
	t.Parallel()
	const ttl, maxStale = time.Minute, time.Hour
	c := &stubClient{}
	clock := clockwork.NewFakeClock()
	r := New(c, Options{TTL: ttl, MaxStale: maxStale}, clock, slog.New(slog.DiscardHandler), nil)
	if err := resolve(r, "t"); err != nil {
		t.Fatal(err)
	}
	c.fail(status.Error(codes.Unavailable, "down"))
	steps := []struct {
		advance   time.Duration
		want      error
		wantCalls int64
	}{
		{ttl - time.Nanosecond, nil, 1},      // fresh: not asked
		{time.Nanosecond, nil, 2},            // expired: asked, served stale
		{maxStale, nil, 3},                   // the last moment it is served
		{time.Nanosecond, ErrUnavailable, 4}, // too old
	}
	for i, s := range steps {
		clock.Advance(s.advance)
		if err := resolve(r, "t"); !errors.Is(err, s.want) {
			t.Fatalf("step %d: err %v, want %v", i, err, s.want)
		}
		if n := c.calls.Load(); n != s.wantCalls {
			t.Fatalf("step %d: %d calls, want %d", i, n, s.wantCalls)
		}
	}

	c.fail(nil)
	if err := resolve(r, "t"); err != nil {
		t.Fatal(err)
	}
	c.fail(status.Error(codes.Unavailable, "down"))
	clock.Advance(ttl)
	if err := resolve(r, "t"); err != nil {
		t.Fatalf("stale receiver not served: %v", err)
	}
	r.Invalidate("whr_1")
	if err := resolve(r, "t"); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("err %v after invalidation, want ErrUnavailable", err)
	}
}

func TestInvalidationDuringStoreIsNotCached(t *testing.T) {
	t.Parallel()
	c := &stubClient{}
	r := New(c, Options{TTL: time.Hour}, clockwork.NewFakeClock(), slog.New(slog.DiscardHandler), nil)
	// The receiver changes after the call passed the generation check but
	// before its answer is cached.
	r.beforeStore = func() { r.Invalidate("whr_1") }
	if err := resolve(r, "t"); err != nil {
		t.Fatal(err)
	}
	r.beforeStore = nil
	if n := r.Cached(); n != 0 {
		t.Fatalf("%d entries cached, want 0: the answer predates the invalidation", n)
	}
	if err := resolve(r, "t"); err != nil {
		t.Fatal(err)
	}
	if n := c.calls.Load(); n != 2 {
		t.Fatalf("%d calls, want 2: the outdated receiver was served from the cache", n)
	}
}
