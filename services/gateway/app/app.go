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

	"github.com/jonboulle/clockwork"
	"github.com/labstack/echo/v4"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/grpc"

	"github.com/upstatehq/upstate/pkg/bus"
	"github.com/upstatehq/upstate/pkg/config"
	"github.com/upstatehq/upstate/pkg/service"
	statusv1 "github.com/upstatehq/upstate/proto/gen/upstate/status/v1"
	"github.com/upstatehq/upstate/services/gateway/internal/httpapi"
	"github.com/upstatehq/upstate/services/gateway/internal/idempotency"
	"github.com/upstatehq/upstate/services/gateway/internal/metrics"
	"github.com/upstatehq/upstate/services/gateway/internal/ratelimit"
	"github.com/upstatehq/upstate/services/gateway/internal/receivers"
)

// Name is the gateway's name in logs, metrics and connections.
const Name = "gateway"

// Streams are the streams whose definitions the gateway service keeps
// current: INGEST, which it publishes.
var Streams = []string{bus.StreamIngest}

// Config is the gateway's settings. The tagged ones are read from the
// environment by bin/gateway and bin/upstate alike; zero values of the
// others take their defaults.
type Config struct {
	// TrustedProxies are the reverse proxies whose X-Forwarded-For gives a
	// delivery's source address (default none: the direct peer's address).
	TrustedProxies Proxies `env:"UPSTATE_TRUSTED_PROXIES" doc:"CIDRs or addresses (comma-separated) of reverse proxies whose {X-Forwarded-For} gives a delivery's source IP; empty: the direct peer"`
	// RateLimit is the sustained deliveries per second allowed per token on
	// each replica; RateBurst how many may come at once.
	RateLimit float64 `env:"UPSTATE_WEBHOOK_RATE_LIMIT" envDefault:"20" doc:"sustained webhook deliveries per second per receiver token (per gateway replica)"`
	RateBurst int     `env:"UPSTATE_WEBHOOK_RATE_BURST" envDefault:"40" doc:"deliveries a token may send at once"`
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
	// StreamReplicas is the replica count of the idempotency bucket
	// (default 1; the runtime's when run as a Unit).
	StreamReplicas int
	// PublishWindow is how many deliveries may await JetStream's
	// acknowledgement at once (default 256). A delivery finding the
	// window full waits up to 200 ms for room, then is answered 503.
	PublishWindow int
	// PublishTimeout is how long a delivery waits for JetStream's
	// acknowledgement before it is answered 503 (default 5s).
	PublishTimeout time.Duration
}

// Defaults of the publish settings.
const (
	defaultPublishWindow  = 256
	defaultPublishTimeout = 5 * time.Second
)

// Validate checks the settings.
func (c Config) Validate() error {
	var errs []error
	if c.RateLimit <= 0 {
		errs = append(errs, errors.New("UPSTATE_WEBHOOK_RATE_LIMIT must be positive"))
	}
	if c.RateBurst < 1 {
		errs = append(errs, errors.New("UPSTATE_WEBHOOK_RATE_BURST must be at least 1"))
	}
	return errors.Join(errs...)
}

// Unit runs the gateway, resolving tokens through the status service at
// statusTarget. It serves HTTP only, on the host's listener.
func Unit(cfg Config, statusTarget string) service.Unit {
	return service.Unit{Name: Name, RedactPath: RedactPath, Streams: Streams, Build: func(ctx context.Context, in *service.Infra) (service.Service, error) {
		nc, js, err := in.NATS(ctx)
		if err != nil {
			return nil, err
		}
		status, err := in.Dial(statusTarget)
		if err != nil {
			return nil, err
		}
		cfg.StreamReplicas = in.StreamReplicas()
		return New(cfg, Deps{StatusConn: status, NC: nc, JS: js, Logger: in.Logger(), Registry: in.Registry(), Clock: in.Clock()}), nil
	}}
}

// Deps are the connections the gateway uses; the caller owns and closes them.
type Deps struct {
	// StatusConn is a connection to the status service's gRPC API.
	StatusConn grpc.ClientConnInterface
	NC         *nats.Conn
	JS         jetstream.JetStream
	Logger     *slog.Logger
	Registry   prometheus.Registerer
	// Clock gives deliveries' received time and drives the receiver cache
	// and the rate limit (default: the wall clock).
	Clock clockwork.Clock
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
	if cfg.RateLimit <= 0 || cfg.RateBurst <= 0 {
		// The defaults are the environment's (the tags above), in one place.
		d, _ := config.LoadFrom[Config](nil)
		cfg.RateLimit, cfg.RateBurst = d.RateLimit, d.RateBurst
	}
	if deps.Logger == nil {
		deps.Logger = slog.New(slog.DiscardHandler)
	}
	if deps.Clock == nil {
		deps.Clock = clockwork.NewRealClock()
	}
	m := metrics.New(deps.Registry)
	resolver := receivers.New(statusv1.NewReceiverServiceClient(deps.StatusConn), receivers.Options{
		TTL:         cfg.CacheTTL,
		NegativeTTL: cfg.NegativeCacheTTL,
		MaxStale:    cfg.CacheMaxStale,
		BreakerOpen: cfg.BreakerOpen,
	}, deps.Clock, deps.Logger, m)
	idem := idempotency.New(deps.JS, cfg.IdempotencyTTL, cfg.StreamReplicas)
	limiter := ratelimit.New(cfg.RateLimit, cfg.RateBurst, maxLimitedTokens)
	h := httpapi.New(resolver, limiter, idem, deps.NC, publisher(cfg, deps), httpapi.Options{
		TrustedProxies: cfg.TrustedProxies,
		WaitTimeout:    cfg.WaitTimeout,
	}, deps.Clock, deps.Logger, m)
	return &App{cfg: cfg, deps: deps, resolver: resolver, idempotency: idem, handler: h}
}

// publisher returns the JetStream handle deliveries are published on: its
// own, on the gateway's connection, so that its window of publishes
// awaiting acknowledgement is the gateway's alone, and with an
// acknowledgement timeout, so that a publish JetStream never answers
// leaves the window instead of holding a place in it for good.
func publisher(cfg Config, deps Deps) jetstream.JetStream {
	if cfg.PublishWindow <= 0 {
		cfg.PublishWindow = defaultPublishWindow
	}
	if cfg.PublishTimeout <= 0 {
		cfg.PublishTimeout = defaultPublishTimeout
	}
	js, err := jetstream.New(deps.NC,
		jetstream.WithPublishAsyncMaxPending(cfg.PublishWindow),
		jetstream.WithPublishAsyncTimeout(cfg.PublishTimeout))
	if err != nil {
		// Unreachable: only invalid options fail, and these are made
		// valid above. The shared handle has no acknowledgement timeout.
		deps.Logger.Error("create the gateway's JetStream publisher; publishing on the shared handle", "err", err)
		return deps.JS
	}
	return js
}

// maxLimitedTokens bounds the rate limiter's memory (about 100 bytes a token).
const maxLimitedTokens = 100_000

// Start makes sure the idempotency bucket exists and starts listening for
// receiver changes. Call it before serving requests; the INGEST stream
// must exist.
func (a *App) Start(ctx context.Context) error {
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

// RegisterHTTP mounts POST /api/webhooks/incoming/{token} on e.
func (a *App) RegisterHTTP(e *echo.Echo) { a.handler.Register(e) }

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

// Proxies are the reverse proxies trusted to say where a delivery came
// from.
type Proxies []netip.Prefix

// UnmarshalText parses UPSTATE_TRUSTED_PROXIES: comma-separated CIDRs, or
// single addresses, each meaning that one host. Empty entries are skipped.
func (p *Proxies) UnmarshalText(text []byte) error {
	var out Proxies
	for s := range strings.SplitSeq(string(text), ",") {
		s = strings.TrimSpace(s)
		if s == "" {
			continue
		}
		if !strings.Contains(s, "/") {
			addr, err := netip.ParseAddr(s)
			if err != nil {
				return fmt.Errorf("%q is neither an address nor a CIDR", s)
			}
			out = append(out, netip.PrefixFrom(addr, addr.BitLen()))
			continue
		}
		prefix, err := netip.ParsePrefix(s)
		if err != nil {
			return fmt.Errorf("%q is neither an address nor a CIDR", s)
		}
		out = append(out, prefix.Masked())
	}
	*p = out
	return nil
}
