// Package app assembles the incidents service from its parts. Unit is how
// every binary and the integration tests run it on the service runtime
// (pkg/service); New wires it from connections already open.
package app

import (
	"context"
	"errors"
	"time"

	"google.golang.org/grpc"

	"github.com/upstatehq/upstate/pkg/bus"
	"github.com/upstatehq/upstate/pkg/lifecycle"
	"github.com/upstatehq/upstate/pkg/outbox"
	"github.com/upstatehq/upstate/pkg/service"
	incidentsv1 "github.com/upstatehq/upstate/proto/gen/upstate/incidents/v1"
	statusv1 "github.com/upstatehq/upstate/proto/gen/upstate/status/v1"
	"github.com/upstatehq/upstate/services/incidents/internal/consumer"
	"github.com/upstatehq/upstate/services/incidents/internal/grpcapi"
	"github.com/upstatehq/upstate/services/incidents/internal/metrics"
	"github.com/upstatehq/upstate/services/incidents/internal/scheduler"
	"github.com/upstatehq/upstate/services/incidents/internal/store"
	"github.com/upstatehq/upstate/services/incidents/migrations"
)

// Name is the incidents service's name in logs, metrics and connections.
const Name = "incidents"

// Streams are the streams whose definitions the incidents service keeps
// current: INCIDENTS, which it publishes.
var Streams = []string{bus.StreamIncidents}

// Config is the incidents service's settings, read from the environment
// by bin/incidents and bin/upstate alike.
type Config struct {
	// Concurrency is how many status changes are applied at once.
	Concurrency int `env:"UPSTATE_INCIDENTS_CONCURRENCY" envDefault:"4" doc:"status changes applied at once (those of one service in order)"`
	// SchedulerInterval is how often maintenance windows are checked for a
	// start or end that is due: the most a window starts or ends late.
	SchedulerInterval time.Duration `env:"UPSTATE_MAINTENANCE_INTERVAL" envDefault:"1s" doc:"how often due maintenance windows are looked for: the most a window starts or ends late"`
	// RelayInterval is how often the outbox is polled besides the
	// notification after each commit (default 1s).
	RelayInterval time.Duration
}

// Validate checks the settings.
func (c Config) Validate() error {
	var errs []error
	if c.Concurrency < 1 || c.Concurrency > 64 {
		errs = append(errs, errors.New("UPSTATE_INCIDENTS_CONCURRENCY must be between 1 and 64"))
	}
	if c.SchedulerInterval < 100*time.Millisecond || c.SchedulerInterval > time.Minute {
		errs = append(errs, errors.New("UPSTATE_MAINTENANCE_INTERVAL must be between 100ms and 1m"))
	}
	return errors.Join(errs...)
}

// Unit runs the incidents service with its gRPC API on grpcAddr, calling
// the status service at statusTarget.
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
	// Status is a connection to the status service's gRPC API, which
	// checks service ids and sets the status of services in maintenance.
	Status grpc.ClientConnInterface
}

// App is a running (or ready to run) incidents service.
type App struct {
	cfg        Config
	deps       Deps
	store      *store.Store
	registry   statusv1.ServiceRegistryServiceClient
	relay      *outbox.Relay
	scheduler  *scheduler.Scheduler
	metrics    *metrics.Metrics
	background *service.Background
}

// New wires the service; it does no I/O.
func New(cfg Config, deps Deps) *App {
	if cfg.RelayInterval <= 0 {
		cfg.RelayInterval = time.Second
	}
	if cfg.SchedulerInterval <= 0 {
		cfg.SchedulerInterval = time.Second
	}
	st := store.New(deps.Pool)
	relay := outbox.NewRelay(st.Outbox, deps.JS, deps.Logger, cfg.RelayInterval)
	registry := statusv1.NewServiceRegistryServiceClient(deps.Status)
	m := metrics.New(deps.Registry)
	sched := scheduler.New(st, registry, relay.Notify, m, deps.Clock, deps.Logger, cfg.SchedulerInterval)
	return &App{cfg: cfg, deps: deps, store: st, registry: registry, relay: relay, scheduler: sched, metrics: m,
		background: service.NewBackground(Name)}
}

// RegisterGRPC registers the incidents and maintenance APIs on s.
func (a *App) RegisterGRPC(s *grpc.Server) {
	incidentsv1.RegisterIncidentServiceServer(s, grpcapi.NewIncidents(a.store, a.registry, a.relay.Notify, a.deps.Clock))
	incidentsv1.RegisterMaintenanceServiceServer(s, grpcapi.NewMaintenances(a.store, a.registry, a.scheduler, a.relay.Notify, a.deps.Clock, a.deps.Logger))
}

// Start starts consuming status changes, running maintenance windows and
// relaying events.
func (a *App) Start(ctx context.Context) error {
	return a.background.Start(ctx, func(workers *lifecycle.Workers) error {
		c, err := consumer.Start(workers.Context(), a.deps.JS, a.store, a.relay.Notify, a.metrics, a.deps.Logger,
			consumer.Config{Concurrency: a.cfg.Concurrency})
		if err != nil {
			return err
		}
		workers.DrainFirst(c.Stop)
		workers.Go(a.relay.Run)
		workers.Go(a.scheduler.Run)
		a.deps.CollectLag(workers, bus.StreamStatus, consumer.Durable)
		return nil
	})
}

// Stop drains the status consumer, stops the scheduler, publishes what
// the outbox still holds and returns when everything has stopped or ctx
// ends. Stopping again does nothing.
func (a *App) Stop(ctx context.Context) error { return a.background.Stop(ctx) }
