// Package app assembles the incidents service from its parts so that the
// service's own binary, the all-in-one binary and integration tests run the
// same code: New wires it, Start brings it up, Stop drains it.
package app

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/grpc"

	"github.com/upstatehq/upstate/pkg/bus"
	"github.com/upstatehq/upstate/pkg/grpcx"
	"github.com/upstatehq/upstate/pkg/lifecycle"
	"github.com/upstatehq/upstate/pkg/outbox"
	"github.com/upstatehq/upstate/pkg/pgdb"
	incidentsv1 "github.com/upstatehq/upstate/proto/gen/upstate/incidents/v1"
	statusv1 "github.com/upstatehq/upstate/proto/gen/upstate/status/v1"
	"github.com/upstatehq/upstate/services/incidents/internal/consumer"
	"github.com/upstatehq/upstate/services/incidents/internal/grpcapi"
	"github.com/upstatehq/upstate/services/incidents/internal/metrics"
	"github.com/upstatehq/upstate/services/incidents/internal/scheduler"
	"github.com/upstatehq/upstate/services/incidents/internal/store"
	"github.com/upstatehq/upstate/services/incidents/migrations"
)

// Config is what the incidents service needs beyond its dependencies.
type Config struct {
	// GRPCAddr is the gRPC listen address; port 0 picks a free port.
	GRPCAddr string
	// StreamReplicas is the replica count of the streams it creates.
	StreamReplicas int
	// RelayInterval is how often the outbox is polled besides the
	// notification after each commit (default 1s).
	RelayInterval time.Duration
	// SchedulerInterval is how often maintenance windows are checked for a
	// start or end that is due (default 1s): the most a window starts or
	// ends late.
	SchedulerInterval time.Duration
	// Concurrency is how many status changes are applied at once (default 4).
	Concurrency int
}

// Deps are the connections the service uses; the caller owns and closes them.
type Deps struct {
	Pool *pgxpool.Pool
	JS   jetstream.JetStream
	// Status is a connection to the status service's gRPC API, which
	// checks service ids and sets the status of services in maintenance.
	Status   grpc.ClientConnInterface
	Logger   *slog.Logger
	Registry prometheus.Registerer
}

// App is a running (or ready to run) incidents service.
type App struct {
	cfg       Config
	deps      Deps
	grpc      *grpcx.Server
	store     *store.Store
	relay     *outbox.Relay
	scheduler *scheduler.Scheduler
	consumer  *consumer.Consumer
	metrics   *metrics.Metrics
	lis       net.Listener
	workers   *lifecycle.Workers
}

// New wires the service; it does no I/O.
func New(cfg Config, deps Deps) *App {
	if cfg.RelayInterval <= 0 {
		cfg.RelayInterval = time.Second
	}
	if cfg.SchedulerInterval <= 0 {
		cfg.SchedulerInterval = time.Second
	}
	logger := deps.Logger.With("service", "incidents")
	deps.Logger = logger
	st := store.New(deps.Pool)
	relay := outbox.NewRelay(st.Outbox, deps.JS, logger, cfg.RelayInterval)
	registry := statusv1.NewServiceRegistryServiceClient(deps.Status)
	m := metrics.New(deps.Registry)
	sched := scheduler.New(st, registry, relay.Notify, m, logger, cfg.SchedulerInterval)
	srv := grpcx.NewServer(logger, deps.Registry)
	incidentsv1.RegisterIncidentServiceServer(srv, grpcapi.NewIncidents(st, registry, relay.Notify))
	incidentsv1.RegisterMaintenanceServiceServer(srv, grpcapi.NewMaintenances(st, registry, sched, relay.Notify))
	return &App{cfg: cfg, deps: deps, grpc: srv, store: st, relay: relay, scheduler: sched, metrics: m}
}

// Start migrates the schema, makes sure the streams exist, and starts
// serving gRPC, consuming status changes, running maintenance windows and
// relaying events.
func (a *App) Start(ctx context.Context) error {
	if err := pgdb.Migrate(ctx, a.deps.Pool, migrations.Schema, migrations.FS); err != nil {
		return err
	}
	if err := bus.EnsureStreams(ctx, a.deps.JS, bus.StreamOptions{Replicas: a.cfg.StreamReplicas}); err != nil {
		return err
	}
	lis, err := net.Listen("tcp", a.cfg.GRPCAddr)
	if err != nil {
		return fmt.Errorf("listen grpc on %s: %w", a.cfg.GRPCAddr, err)
	}
	a.lis = lis
	workers := lifecycle.NewWorkers(ctx)
	c, err := consumer.Start(workers.Context(), a.deps.JS, a.store, a.relay.Notify, a.metrics, a.deps.Logger,
		consumer.Config{Concurrency: a.cfg.Concurrency})
	if err != nil {
		_ = workers.Stop(ctx)
		_ = lis.Close()
		return err
	}
	a.consumer, a.workers = c, workers
	workers.Go(func(context.Context) {
		if err := a.grpc.Serve(lis); err != nil {
			a.deps.Logger.Error("grpc server stopped", "err", err)
		}
	})
	workers.Go(a.relay.Run)
	workers.Go(a.scheduler.Run)
	a.deps.Logger.Info("incidents service started", "grpc_addr", lis.Addr().String())
	return nil
}

// GRPCAddr is the address gRPC listens on, once started.
func (a *App) GRPCAddr() string { return a.lis.Addr().String() }

// Ready reports whether the service's database answers.
func (a *App) Ready(ctx context.Context) error { return a.deps.Pool.Ping(ctx) }

// Stop stops taking calls, finishes the ones in flight, drains the status
// consumer, stops the scheduler, publishes what the outbox still holds and
// returns when everything has stopped or ctx ends. Stopping again does
// nothing.
func (a *App) Stop(ctx context.Context) error {
	if a.workers == nil {
		return nil
	}
	a.grpc.Stop(ctx)
	// Before the relay stops, so its last run publishes what the consumer
	// committed.
	consumerErr := a.consumer.Stop(ctx)
	err := a.workers.Stop(ctx)
	a.workers = nil
	if err != nil {
		return fmt.Errorf("stop incidents service: %w", err)
	}
	return consumerErr
}
