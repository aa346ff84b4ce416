// Package app assembles the ingest gateway so that its own binary, the
// all-in-one binary and integration tests run the same code: New wires it,
// Start brings it up, Register mounts its endpoint, Stop takes it down.
//
// The gateway is stateless and has no database: it resolves webhook tokens
// through the status service (cached), publishes deliveries to the INGEST
// stream and keeps senders' idempotency keys in a JetStream key-value bucket.
package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/grpc"

	"github.com/upstatehq/upstate/pkg/bus"
	statusv1 "github.com/upstatehq/upstate/proto/gen/upstate/status/v1"
	"github.com/upstatehq/upstate/services/gateway/internal/httpapi"
	"github.com/upstatehq/upstate/services/gateway/internal/idempotency"
	"github.com/upstatehq/upstate/services/gateway/internal/metrics"
	"github.com/upstatehq/upstate/services/gateway/internal/proxies"
	"github.com/upstatehq/upstate/services/gateway/internal/ratelimit"
	"github.com/upstatehq/upstate/services/gateway/internal/receivers"
)

// Config is what the gateway needs beyond its dependencies. Zero values
// take the defaults.
type Config struct {
	// StreamReplicas is the replica count of the streams and the
	// idempotency bucket it creates (default 1).
	StreamReplicas int
	// RateLimit is the sustained deliveries per second allowed per token on
	// each replica (default 20); RateBurst how many may come at once
	// (default 40).
	RateLimit float64
	RateBurst int
	// TrustedProxies are the reverse proxies whose X-Forwarded-For gives a
	// delivery's source address (default none: the direct peer's address).
	TrustedProxies []netip.Prefix
	// CacheTTL is how long a resolved receiver is used before asking the
	// status service again (default 30s), and so how long a receiver change
	// takes at most when its announcement is lost.
	CacheTTL time.Duration
	// NegativeCacheTTL is how long an unknown token is remembered (default 5s).
	NegativeCacheTTL time.Duration
	// CacheMaxStale is how long past CacheTTL a receiver is still served
	// while the status service is unreachable (default 1h).
	CacheMaxStale time.Duration
	// BreakerOpen is how long the breaker in front of the status service
	// stays open before testing it again (default 5s).
	BreakerOpen time.Duration
	// WaitTimeout bounds ?wait=true (default 10s).
	WaitTimeout time.Duration
	// IdempotencyTTL is how long senders' idempotency keys are remembered
	// (default 72h).
	IdempotencyTTL time.Duration
}

// Deps are the connections the gateway uses; the caller owns and closes them.
type Deps struct {
	// StatusConn is a connection to the status service's gRPC API.
	StatusConn grpc.ClientConnInterface
	NC         *nats.Conn
	JS         jetstream.JetStream
	Logger     *slog.Logger
	Registry   prometheus.Registerer
}

// App is the ingest gateway.
type App struct {
	cfg         Config
	deps        Deps
	resolver    *receivers.Resolver
	idempotency *idempotency.Store
	handler     *httpapi.Handler
	sub         *nats.Subscription
}

// New wires the gateway; it does no I/O.
func New(cfg Config, deps Deps) *App {
	if cfg.RateLimit <= 0 {
		cfg.RateLimit = 20
	}
	if cfg.RateBurst <= 0 {
		cfg.RateBurst = 40
	}
	if deps.Logger == nil {
		deps.Logger = slog.New(slog.DiscardHandler)
	}
	deps.Logger = deps.Logger.With("service", "gateway")
	m := metrics.New(deps.Registry)
	resolver := receivers.New(statusv1.NewReceiverServiceClient(deps.StatusConn), receivers.Options{
		TTL:         cfg.CacheTTL,
		NegativeTTL: cfg.NegativeCacheTTL,
		MaxStale:    cfg.CacheMaxStale,
		BreakerOpen: cfg.BreakerOpen,
	}, deps.Logger, m)
	idem := idempotency.New(deps.JS, cfg.IdempotencyTTL, cfg.StreamReplicas)
	limiter := ratelimit.New(cfg.RateLimit, cfg.RateBurst, maxLimitedTokens)
	h := httpapi.New(resolver, limiter, idem, deps.NC, deps.JS, httpapi.Options{
		TrustedProxies: cfg.TrustedProxies,
		WaitTimeout:    cfg.WaitTimeout,
	}, deps.Logger, m)
	return &App{cfg: cfg, deps: deps, resolver: resolver, idempotency: idem, handler: h}
}

// maxLimitedTokens bounds the rate limiter's memory (about 100 bytes a token).
const maxLimitedTokens = 100_000

// Start makes sure the streams and the idempotency bucket exist and starts
// listening for receiver changes. Call it before serving requests.
func (a *App) Start(ctx context.Context) error {
	if err := bus.EnsureStreams(ctx, a.deps.JS, bus.StreamOptions{Replicas: a.cfg.StreamReplicas}); err != nil {
		return err
	}
	if err := a.idempotency.Open(ctx); err != nil {
		return err
	}
	sub, err := a.deps.NC.Subscribe(bus.SubjectReceiverChanged, func(m *nats.Msg) {
		if id := strings.TrimSpace(string(m.Data)); id != "" {
			a.resolver.Invalidate(id)
		}
	})
	if err != nil {
		return fmt.Errorf("subscribe to %s: %w", bus.SubjectReceiverChanged, err)
	}
	// The server has the subscription once the flush returns, so no change
	// announced after Start is missed.
	if err := a.deps.NC.FlushTimeout(5 * time.Second); err != nil {
		_ = sub.Unsubscribe()
		return fmt.Errorf("subscribe to %s: %w", bus.SubjectReceiverChanged, err)
	}
	a.sub = sub
	a.deps.Logger.Info("gateway started", "rate_limit", a.cfg.RateLimit, "rate_burst", a.cfg.RateBurst,
		"trusted_proxies", len(a.cfg.TrustedProxies))
	return nil
}

// Register mounts POST /api/webhooks/incoming/{token} on e.
func (a *App) Register(e *echo.Echo) { a.handler.Register(e) }

// Ready reports whether the gateway can accept deliveries: it needs NATS.
// The status service being down is not a reason to refuse traffic, since
// cached receivers keep working.
func (a *App) Ready(ctx context.Context) error { return bus.ConnCheck(a.deps.NC)(ctx) }

// Stop stops listening for receiver changes. Stop taking HTTP requests
// first; the caller drains the NATS connection afterwards.
func (a *App) Stop(context.Context) error {
	if a.sub == nil {
		return nil
	}
	err := a.sub.Unsubscribe()
	a.sub = nil
	if err != nil && !errors.Is(err, nats.ErrConnectionClosed) {
		return fmt.Errorf("unsubscribe from %s: %w", bus.SubjectReceiverChanged, err)
	}
	return nil
}

// RedactPath hides webhook tokens in logged request paths; pass it as
// httpx.Options.RedactPath on every listener that serves the gateway.
func RedactPath(path string) string { return httpapi.RedactPath(path) }

// ParseTrustedProxies parses UPSTATE_TRUSTED_PROXIES: CIDRs, or single
// addresses, each meaning that one host. Empty entries are skipped.
func ParseTrustedProxies(list []string) ([]netip.Prefix, error) { return proxies.Parse(list) }
