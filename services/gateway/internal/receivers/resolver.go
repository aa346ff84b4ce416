// Package receivers resolves webhook tokens to receivers through the status
// service's ResolveReceiver, behind a circuit breaker and a small cache:
// a busy token costs no call, an unknown one is remembered briefly, a
// changed receiver is dropped when the status service announces it, and a
// known receiver keeps working while the status service is unreachable.
package receivers

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/jonboulle/clockwork"
	"github.com/sony/gobreaker/v2"
	"golang.org/x/sync/singleflight"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	statusv1 "github.com/upstatehq/upstate/proto/gen/upstate/status/v1"
	"github.com/upstatehq/upstate/services/gateway/internal/domain"
	"github.com/upstatehq/upstate/services/gateway/internal/metrics"
	"github.com/upstatehq/upstate/services/gateway/internal/pbconv"
)

var (
	// ErrNotFound means no receiver has the token.
	ErrNotFound = errors.New("no receiver has this token")
	// ErrUnavailable means the status service could not be asked (breaker
	// open, unreachable, too slow) and nothing usable was cached.
	ErrUnavailable = errors.New("status service unavailable")
)

// Options tune the cache and the breaker; zero values take the defaults.
type Options struct {
	// TTL is how long a receiver is used without asking again (default 30s).
	TTL time.Duration
	// NegativeTTL is how long an unknown token is remembered (default 5s).
	NegativeTTL time.Duration
	// MaxStale is how long past its TTL a receiver is still served while the
	// status service is unreachable (default 1h).
	MaxStale time.Duration
	// MaxEntries bounds the cache (default 10000).
	MaxEntries int
	// CallTimeout bounds one ResolveReceiver call (default 2s).
	CallTimeout time.Duration
	// BreakerFailures is how many consecutive failed calls open the breaker
	// (default 5).
	BreakerFailures uint32
	// BreakerOpen is how long the breaker stays open before letting one
	// call through to test the status service (default 5s).
	BreakerOpen time.Duration
}

func (o *Options) defaults() {
	if o.TTL <= 0 {
		o.TTL = 30 * time.Second
	}
	if o.NegativeTTL <= 0 {
		o.NegativeTTL = 5 * time.Second
	}
	if o.MaxStale <= 0 {
		o.MaxStale = time.Hour
	}
	if o.MaxEntries <= 0 {
		o.MaxEntries = 10000
	}
	if o.CallTimeout <= 0 {
		o.CallTimeout = 2 * time.Second
	}
	if o.BreakerFailures == 0 {
		o.BreakerFailures = 5
	}
	if o.BreakerOpen <= 0 {
		o.BreakerOpen = 5 * time.Second
	}
}

// Resolver finds the receiver of a token.
type Resolver struct {
	client  statusv1.ReceiverServiceClient
	opts    Options
	clock   clockwork.Clock
	logger  *slog.Logger
	metrics *metrics.Metrics

	cache   *cache[*domain.Receiver]
	breaker *gobreaker.CircuitBreaker[*statusv1.Receiver]
	// flight makes concurrent misses of one token share one call.
	flight singleflight.Group
	// generation grows with every invalidation; a call that started before
	// one does not cache its (possibly outdated) answer.
	generation atomic.Uint64
	// beforeStore, when set (by tests), runs between the generation check
	// and caching an answer.
	beforeStore func()
}

// New returns a resolver calling client, whose cache ages on clock.
func New(client statusv1.ReceiverServiceClient, opts Options, clock clockwork.Clock, logger *slog.Logger, m *metrics.Metrics) *Resolver {
	opts.defaults()
	r := &Resolver{client: client, opts: opts, clock: clock, logger: logger, metrics: m, cache: newCache[*domain.Receiver](opts.MaxEntries)}
	r.breaker = gobreaker.NewCircuitBreaker[*statusv1.Receiver](gobreaker.Settings{
		Name:        "status.ResolveReceiver",
		MaxRequests: 1,
		Timeout:     opts.BreakerOpen,
		ReadyToTrip: func(c gobreaker.Counts) bool { return c.ConsecutiveFailures >= opts.BreakerFailures },
		// Answers such as NotFound prove the status service is up.
		IsSuccessful: func(err error) bool { return !unreachable(err) },
		OnStateChange: func(name string, from, to gobreaker.State) {
			m.BreakerState(int(to))
			logger.Warn("circuit breaker changed state", "breaker", name, "from", from.String(), "to", to.String())
		},
	})
	return r
}

// Resolve returns the receiver of token, whose SHA-256 is key: from the
// cache while fresh, else from the status service, else (status service
// unreachable) from the cache however old. Errors are ErrNotFound,
// ErrUnavailable, or unexpected.
func (r *Resolver) Resolve(ctx context.Context, key Key, token string) (*domain.Receiver, error) {
	now := r.clock.Now()
	if e, ok := r.cache.get(key); ok && now.Before(e.expires) {
		if e.negative {
			r.metrics.Lookup(metrics.LookupNegativeHit)
			return nil, ErrNotFound
		}
		r.metrics.Lookup(metrics.LookupHit)
		return e.value, nil
	}
	r.metrics.Lookup(metrics.LookupMiss)
	v, err, _ := r.flight.Do(string(key[:]), func() (any, error) { return r.fetch(ctx, key, token) })
	if err == nil {
		return v.(*domain.Receiver), nil
	}
	if errors.Is(err, ErrUnavailable) {
		// Read again: an invalidation may have dropped the entry meanwhile.
		if e, ok := r.cache.get(key); ok && !e.negative && r.clock.Since(e.stored) <= r.opts.TTL+r.opts.MaxStale {
			r.metrics.Lookup(metrics.LookupStale)
			return e.value, nil
		}
		r.metrics.Lookup(metrics.LookupUnavailable)
	}
	return nil, err
}

// fetch asks the status service and caches its answer.
func (r *Resolver) fetch(ctx context.Context, key Key, token string) (*domain.Receiver, error) {
	gen := r.generation.Load()
	// The call is shared by every request waiting on this token, so one
	// client hanging up must not cancel it for the others; the request id
	// still travels with the context's values.
	callCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), r.opts.CallTimeout)
	defer cancel()
	pb, err := r.breaker.Execute(func() (*statusv1.Receiver, error) {
		resp, err := r.client.ResolveReceiver(callCtx, &statusv1.ResolveReceiverRequest{Token: token})
		if err != nil {
			return nil, err
		}
		if resp.GetReceiver() == nil {
			return nil, status.Error(codes.Internal, "ResolveReceiver answered no receiver")
		}
		return resp.GetReceiver(), nil
	})
	now := r.clock.Now()
	// Checked again under the cache shard's lock: Invalidate bumps the
	// generation before it deletes, so an entry stored while the check
	// holds is deleted by it, and none is stored once the check fails.
	current := func() bool { return r.generation.Load() == gen }
	switch {
	case err == nil:
		rcv := domain.Compile(pbconv.Receiver(pb))
		r.store(key, entry[*domain.Receiver]{value: rcv, owner: rcv.ID, stored: now, expires: now.Add(r.opts.TTL)}, now, current)
		return rcv, nil
	case status.Code(err) == codes.NotFound:
		r.store(key, entry[*domain.Receiver]{negative: true, stored: now, expires: now.Add(r.opts.NegativeTTL)}, now, current)
		return nil, ErrNotFound
	case unreachable(err):
		return nil, fmt.Errorf("%w: resolve receiver: %w", ErrUnavailable, err)
	default:
		return nil, fmt.Errorf("resolve receiver: %w", err)
	}
}

// store caches an answer unless an invalidation happened since its call
// started.
func (r *Resolver) store(key Key, e entry[*domain.Receiver], now time.Time, current func() bool) {
	if !current() {
		return
	}
	if r.beforeStore != nil {
		r.beforeStore()
	}
	r.cache.put(key, e, now, r.opts.TTL+r.opts.MaxStale, current)
}

// Invalidate drops the cached entries of a receiver, so its next delivery
// asks the status service again.
func (r *Resolver) Invalidate(receiverID string) {
	r.generation.Add(1)
	if n := r.cache.deleteOwner(receiverID); n > 0 {
		r.logger.Debug("receiver dropped from cache", "receiver_id", receiverID)
	}
}

// BreakerOpen reports whether calls to the status service are refused.
func (r *Resolver) BreakerOpen() bool { return r.breaker.State() == gobreaker.StateOpen }

// Cached returns how many tokens are in the cache, known or not.
func (r *Resolver) Cached() int { return r.cache.len() }

// unreachable reports whether err means the status service could not
// answer, as opposed to answering no.
func unreachable(err error) bool {
	if err == nil {
		return false
	}
	if errors.Is(err, gobreaker.ErrOpenState) || errors.Is(err, gobreaker.ErrTooManyRequests) {
		return true
	}
	switch status.Code(err) {
	case codes.Unavailable, codes.DeadlineExceeded, codes.Canceled,
		codes.ResourceExhausted, codes.Internal, codes.Unknown:
		return true
	}
	return false
}
