package service

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"time"

	"github.com/jonboulle/clockwork"
	"github.com/labstack/echo/v4"
	"github.com/nats-io/nats.go"
	"github.com/prometheus/client_golang/prometheus"
	"go.opentelemetry.io/otel/trace"
	"google.golang.org/grpc"

	"github.com/upstatehq/upstate/pkg/bus"
	"github.com/upstatehq/upstate/pkg/grpcx"
	"github.com/upstatehq/upstate/pkg/httpx"
	"github.com/upstatehq/upstate/pkg/lifecycle"
	"github.com/upstatehq/upstate/pkg/tracing"
)

// Env is where a host's units find their infrastructure.
type Env struct {
	// DatabaseURL is the Postgres every unit with a schema uses.
	DatabaseURL string
	// NATSURL is the NATS server (or cluster seed).
	NATSURL string
	// StreamReplicas is the replica count of the streams units create.
	StreamReplicas int
	// GRPC is how units' gRPC servers authenticate callers and how their
	// clients (Infra.Dial) authenticate to other services. The zero value
	// authenticates nothing: configurations refuse it unless
	// UPSTATE_GRPC_INSECURE is set (see GRPCAuth).
	GRPC grpcx.Auth
	// NATSAuth is how units authenticate to NATS.
	NATSAuth bus.Auth
	// NATSUsers gives units a NATS user of their own, by unit name, in
	// place of NATSAuth (bin/upstate's embedded server has one per
	// service, each allowed only what its service uses).
	NATSUsers map[string]bus.Auth
	// Tracing traces the host's HTTP requests and each unit's gRPC calls,
	// consumers and events, under the unit's name (nil: tracing off).
	Tracing *tracing.Tracing
}

// natsAuth is how the unit name authenticates to NATS.
func (e Env) natsAuth(name string) bus.Auth {
	if a, ok := e.NATSUsers[name]; ok {
		return a
	}
	return e.NATSAuth
}

// Options configure a host.
type Options struct {
	Logger   *slog.Logger
	Registry *prometheus.Registry
	// Stack is where the host pushes the stops of what it starts (a
	// process's stack), so they unwind with the rest of the process.
	Stack *lifecycle.Stack
	Env   Env
	// Clock is the units' clock (default: the wall clock), and the one
	// the access log's budget for refused requests goes by.
	Clock clockwork.Clock
	// HealthInterval is how often each unit's infrastructure is checked
	// to set its gRPC health (default 2s).
	HealthInterval time.Duration
	// RedactPath hides secrets in logged request paths (webhook tokens).
	RedactPath func(string) string
	// Health serves the host's /healthz and /readyz (default: a new one),
	// for a process whose own components, started before the host, report
	// in it too.
	Health *httpx.Health
	// Name is the service name of the host's HTTP spans (default
	// upstate); its units' spans carry their own.
	Name string
}

// Host runs units in one process behind one HTTP listener.
type Host struct {
	logger         *slog.Logger
	registry       *prometheus.Registry
	stack          *lifecycle.Stack
	env            Env
	clock          clockwork.Clock
	healthInterval time.Duration
	echo           *echo.Echo
	health         *httpx.Health
	// tracer traces the host's own HTTP routes and its Dial's calls;
	// routes traces its units' routes (both nil: tracing off).
	tracer trace.TracerProvider
	routes *routeTracers
}

// NewHost returns a host; it starts nothing.
func NewHost(o Options) *Host {
	if o.Clock == nil {
		o.Clock = clockwork.NewRealClock()
	}
	if o.HealthInterval <= 0 {
		o.HealthInterval = 2 * time.Second
	}
	if o.Env.StreamReplicas < 1 {
		o.Env.StreamReplicas = 1
	}
	if o.Health == nil {
		o.Health = httpx.NewHealth(o.Registry)
	}
	if o.Name == "" {
		o.Name = "upstate"
	}
	// The access log is written off the request path. Its stop, pushed
	// before anything the host starts, runs after the HTTP listener has
	// drained, and writes what is still buffered.
	access := httpx.NewAccessLog(o.Logger, o.Registry, 0)
	o.Stack.Push("access log", access.Close)
	h := &Host{
		logger: o.Logger, registry: o.Registry, stack: o.Stack, env: o.Env, clock: o.Clock,
		healthInterval: o.HealthInterval, tracer: o.Env.Tracing.Provider(o.Name),
		health: o.Health,
	}
	var tracers httpx.Tracers
	if h.tracer != nil {
		h.routes = newRouteTracers(h.tracer)
		tracers = h.routes.tracer
	}
	h.echo = httpx.NewEcho(o.Logger, o.Registry, httpx.Options{
		RedactPath: o.RedactPath, Clock: o.Clock, AccessLog: access, Tracers: tracers,
	})
	h.health.Register(h.echo)
	return h
}

// Start builds, starts and serves u, and pushes its stop on the host's
// stack. The unit's routes are on the host's HTTP handler and its
// readiness in /readyz. What Build opened is closed again when any step
// fails.
func (h *Host) Start(ctx context.Context, u Unit) (*Running, error) {
	logger := h.logger.With("service", u.Name)
	tp := h.env.Tracing.Provider(u.Name)
	// What the unit starts with ctx (its consumers) traces with its
	// provider.
	ctx = tracing.ContextWithProvider(ctx, tp)
	// Never nil: a unit that names no streams owns none.
	in := &Infra{host: h, name: u.Name, streams: append([]string{}, u.Streams...), logger: logger, closes: lifecycle.NewStack(logger), tracer: tp}
	r := &Running{name: u.Name, in: in}
	fail := func(err error) (*Running, error) {
		stopCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		return nil, errors.Join(fmt.Errorf("start %s: %w", u.Name, err), r.stop(stopCtx))
	}
	svc, err := u.Build(ctx, in)
	if err != nil {
		return fail(err)
	}
	// Listening comes before Start, so a taken address fails before the
	// service has started anything.
	g, hasGRPC := svc.(GRPCService)
	var lis net.Listener
	if hasGRPC {
		if lis, err = net.Listen("tcp", u.GRPCAddr); err != nil {
			return fail(fmt.Errorf("listen grpc on %s: %w", u.GRPCAddr, err))
		}
	}
	if err := svc.Start(ctx); err != nil {
		if lis != nil {
			_ = lis.Close()
		}
		return fail(err)
	}
	r.svc = svc
	if hasGRPC {
		r.grpc = newGRPC(g, lis, logger, h.registry, h.env.GRPC, tp)
		r.grpc.serve(in.ready, h.healthInterval)
	}
	if hs, ok := svc.(HTTPService); ok {
		if h.routes != nil {
			h.routes.register(h.echo, tp, hs.RegisterHTTP)
		} else {
			hs.RegisterHTTP(h.echo)
		}
	}
	h.health.AddCheck(u.Name, in.ready)
	h.stack.Push(u.Name, r.Stop)
	logger.Info("service started", "grpc_addr", r.GRPCAddr())
	return r, nil
}

// Dial returns a client of a gRPC API at target with the host's
// credentials, as its units' clients have; the caller closes it.
func (h *Host) Dial(target string) (*grpc.ClientConn, error) {
	return h.dial(target, h.tracer)
}

// dial is Dial tracing its calls with tp (nil: untraced).
func (h *Host) dial(target string, tp trace.TracerProvider) (*grpc.ClientConn, error) {
	return grpcx.Dial(target, h.env.GRPC, grpcx.ClientTracing(tp)...)
}

// Handler is the HTTP handler of every unit's routes, /healthz, /readyz
// and /metrics, for a caller that serves it itself.
func (h *Host) Handler() *echo.Echo { return h.echo }

// ServeHTTP listens on addr and serves the units' routes and health. Its
// stop, pushed last, runs first: readiness fails, then requests drain,
// before any unit stops.
func (h *Host) ServeHTTP(addr string) (net.Addr, error) {
	return httpx.Serve(addr, h.echo, h.health, h.stack, h.logger)
}

// Running is a started unit.
type Running struct {
	name string
	in   *Infra
	svc  Service
	grpc *grpcServer

	once    sync.Once
	stopErr error
}

// Service is the running service, for tests that reach into it.
func (r *Running) Service() Service { return r.svc }

// GRPCAddr is where its gRPC API listens ("" without one).
func (r *Running) GRPCAddr() string {
	if r.grpc == nil {
		return ""
	}
	return r.grpc.addr()
}

// NATS is the unit's NATS connection (nil if it has none), for tests that
// cut a service off NATS.
func (r *Running) NATS() *nats.Conn { return r.in.nc }

// Stop stops the unit as SIGTERM would: its gRPC API (health
// NOT_SERVING, calls in flight finish), the service, then its NATS
// connection (drained) and its pool. Stopping again does nothing.
func (r *Running) Stop(ctx context.Context) error {
	r.once.Do(func() { r.stopErr = r.stop(ctx) })
	return r.stopErr
}

func (r *Running) stop(ctx context.Context) error {
	var errs []error
	if r.grpc != nil {
		r.grpc.stop(ctx)
	}
	if r.svc != nil {
		if err := r.svc.Stop(ctx); err != nil {
			errs = append(errs, fmt.Errorf("stop %s: %w", r.name, err))
		}
	}
	if err := r.in.closes.Unwind(ctx); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}
