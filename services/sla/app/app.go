// Package app assembles the SLA service from its parts. Unit is how every
// binary and the integration tests run it on the service runtime
// (pkg/service); New wires it from connections already open.
package app

import (
	"context"
	"errors"
	"time"

	"github.com/jonboulle/clockwork"
	"google.golang.org/grpc"

	"github.com/upstatehq/upstate/pkg/bus"
	"github.com/upstatehq/upstate/pkg/lifecycle"
	"github.com/upstatehq/upstate/pkg/outbox"
	"github.com/upstatehq/upstate/pkg/service"
	slav1 "github.com/upstatehq/upstate/proto/gen/upstate/sla/v1"
	statusv1 "github.com/upstatehq/upstate/proto/gen/upstate/status/v1"
	"github.com/upstatehq/upstate/services/sla/internal/backfill"
	"github.com/upstatehq/upstate/services/sla/internal/consumer"
	"github.com/upstatehq/upstate/services/sla/internal/evaluator"
	"github.com/upstatehq/upstate/services/sla/internal/grpcapi"
	"github.com/upstatehq/upstate/services/sla/internal/metrics"
	"github.com/upstatehq/upstate/services/sla/internal/store"
	"github.com/upstatehq/upstate/services/sla/migrations"
)

// Name is the SLA service's name in logs, metrics and connections.
const Name = "sla"

// Streams are the streams whose definitions the sla service keeps
// current: SLA, which it publishes.
var Streams = []string{bus.StreamSLA}

// Config is the SLA service's settings, read from the environment by
// bin/sla and bin/upstate alike.
type Config struct {
	// Concurrency is how many status events are applied at once.
	Concurrency int `env:"UPSTATE_SLA_CONCURRENCY" envDefault:"4" doc:"status events applied at once (those of one service in order)"`
	// EvaluateInterval is how often SLOs whose service is down, or which
	// burn or are exhausted, are evaluated: the most a burn event is late.
	EvaluateInterval time.Duration `env:"UPSTATE_SLA_EVALUATE_INTERVAL" envDefault:"30s" doc:"how often SLOs of a service that is down, burning or out of budget are evaluated: the most an SLO event is late"`
	// NoBackfill turns off filling the intervals from the status
	// service's history the first time the service starts on a database.
	NoBackfill bool `env:"UPSTATE_SLA_NO_BACKFILL" envDefault:"false" doc:"do not fill a new database's history from the status service's (it is filled once, then STATUS is followed)"`
	// RelayInterval is how often the outbox is polled besides the
	// notification after each commit (default 1s).
	RelayInterval time.Duration
}

// Validate checks the settings.
func (c Config) Validate() error {
	var errs []error
	if c.Concurrency < 1 || c.Concurrency > 64 {
		errs = append(errs, errors.New("UPSTATE_SLA_CONCURRENCY must be between 1 and 64"))
	}
	if c.EvaluateInterval < 100*time.Millisecond || c.EvaluateInterval > 5*time.Minute {
		errs = append(errs, errors.New("UPSTATE_SLA_EVALUATE_INTERVAL must be between 100ms and 5m"))
	}
	return errors.Join(errs...)
}

// Unit runs the SLA service with its gRPC API on grpcAddr, calling the
// status service at statusTarget.
func Unit(cfg Config, grpcAddr, statusTarget string) service.Unit {
	return service.Unit{Name: Name, GRPCAddr: grpcAddr, Streams: Streams, Build: func(ctx context.Context, in *service.Infra) (service.Service, error) {
		conns, clients, err := in.Conns(ctx, migrations.Schema, migrations.FS, statusTarget)
		if err != nil {
			return nil, err
		}
		return New(cfg, Deps{Conns: conns, Status: clients[0]}), nil
	}}
}

// Deps are the connections the service uses; the caller owns and closes
// them, and has migrated the schema and created the streams.
type Deps struct {
	service.Conns
	// Status is a connection to the status service's gRPC API: services
	// the SLA service has no event of yet, and the history it backfills.
	Status grpc.ClientConnInterface
}

// App is a running (or ready to run) SLA service.
type App struct {
	cfg        Config
	deps       Deps
	store      *store.Store
	registry   statusv1.ServiceRegistryServiceClient
	relay      *outbox.Relay
	evaluator  *evaluator.Evaluator
	metrics    *metrics.Metrics
	background *service.Background
}

// New wires the service; it does no I/O.
func New(cfg Config, deps Deps) *App {
	if cfg.RelayInterval <= 0 {
		cfg.RelayInterval = time.Second
	}
	if cfg.EvaluateInterval <= 0 {
		cfg.EvaluateInterval = 30 * time.Second
	}
	if deps.Clock == nil {
		deps.Clock = clockwork.NewRealClock()
	}
	st := store.New(deps.Pool)
	relay := outbox.NewRelay(st.Outbox, deps.JS, deps.Logger, cfg.RelayInterval)
	m := metrics.New(deps.Registry)
	return &App{
		cfg: cfg, deps: deps, store: st, relay: relay, metrics: m, background: service.NewBackground(Name),
		registry:  statusv1.NewServiceRegistryServiceClient(deps.Status),
		evaluator: evaluator.New(st, relay.Notify, deps.Clock, m, deps.Logger, cfg.EvaluateInterval),
	}
}

// RegisterGRPC registers the SLA API on s.
func (a *App) RegisterGRPC(s *grpc.Server) {
	slav1.RegisterSLAServiceServer(s, grpcapi.New(a.store, a.registry, a.evaluator.Notify, a.deps.Clock))
}

// Start starts consuming status events, the backfill (on a new
// database), the burn timer and the relay of SLO events.
func (a *App) Start(ctx context.Context) error {
	return a.background.Start(ctx, func(workers *lifecycle.Workers) error {
		c, err := consumer.Start(workers.Context(), a.deps.JS, a.store, a.evaluator.Notify, a.deps.Clock, a.metrics, a.deps.Logger,
			consumer.Config{Concurrency: a.cfg.Concurrency})
		if err != nil {
			return err
		}
		workers.DrainFirst(c.Stop)
		a.deps.CollectLag(workers, bus.StreamStatus, consumer.Durable)
		if !a.cfg.NoBackfill {
			workers.Go(backfill.New(a.store, a.registry, a.evaluator.Notify, a.deps.Clock, a.deps.Logger).Run)
		}
		workers.Go(a.evaluator.Run)
		workers.Go(a.relay.Run)
		return nil
	})
}

// Stop drains the status consumer, stops the backfill and the timer,
// publishes what the outbox still holds and returns when everything has
// stopped or ctx ends. Stopping again does nothing.
func (a *App) Stop(ctx context.Context) error { return a.background.Stop(ctx) }
