// Package app assembles the status service from its parts so that the
// service's own binary, the all-in-one binary and integration tests run the
// same code: New wires it, Start brings it up, Stop drains it.
package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/upstatehq/upstate/pkg/bus"
	"github.com/upstatehq/upstate/pkg/grpcx"
	"github.com/upstatehq/upstate/pkg/lifecycle"
	"github.com/upstatehq/upstate/pkg/outbox"
	"github.com/upstatehq/upstate/pkg/pgdb"
	statusv1 "github.com/upstatehq/upstate/proto/gen/upstate/status/v1"
	"github.com/upstatehq/upstate/services/status/internal/consumer"
	"github.com/upstatehq/upstate/services/status/internal/events"
	"github.com/upstatehq/upstate/services/status/internal/grpcapi"
	"github.com/upstatehq/upstate/services/status/internal/store"
	"github.com/upstatehq/upstate/services/status/migrations"
)

// Config is what the status service needs beyond its dependencies.
type Config struct {
	// GRPCAddr is the gRPC listen address; port 0 picks a free port.
	GRPCAddr string
	// StreamReplicas is the replica count of the streams it creates.
	StreamReplicas int
	// RelayInterval is how often the outbox is polled besides the
	// notification after each commit (default 1s).
	RelayInterval time.Duration
	// IngestConcurrency is how many webhook deliveries are applied at once
	// (default 4; those of one receiver one at a time).
	IngestConcurrency int
}

// Deps are the connections the service uses; the caller owns and closes them.
type Deps struct {
	Pool *pgxpool.Pool
	JS   jetstream.JetStream
	// NC is the connection JS runs on, for core NATS publishes: receiver
	// changes and replies to gateways waiting for a delivery's outcome.
	NC       *nats.Conn
	Logger   *slog.Logger
	Registry prometheus.Registerer
}

// App is a running (or ready to run) status service.
type App struct {
	cfg      Config
	deps     Deps
	grpc     *grpcx.Server
	store    *store.Store
	relay    *outbox.Relay
	consumer *consumer.Consumer
	lis      net.Listener
	workers  *lifecycle.Workers
}

// New wires the service; it does no I/O.
func New(cfg Config, deps Deps) *App {
	if cfg.RelayInterval <= 0 {
		cfg.RelayInterval = time.Second
	}
	logger := deps.Logger.With("service", "status")
	deps.Logger = logger
	st := store.New(deps.Pool)
	relay := outbox.NewRelay(st.Outbox, deps.JS, logger, cfg.RelayInterval)
	srv := grpcx.NewServer(logger, deps.Registry)
	statusv1.RegisterServiceRegistryServiceServer(srv, grpcapi.New(st, relay.Notify))
	statusv1.RegisterReceiverServiceServer(srv, grpcapi.NewReceivers(st, func(id string) {
		if err := events.ReceiverChanged(deps.NC, id); err != nil {
			logger.Warn("receiver change not announced; gateways see it when their cache expires", "receiver_id", id, "err", err)
		}
	}))
	return &App{cfg: cfg, deps: deps, grpc: srv, store: st, relay: relay}
}

// Start migrates the schema, makes sure the streams exist, and starts
// serving gRPC, applying webhook deliveries and relaying events.
func (a *App) Start(ctx context.Context) error {
	if a.deps.NC == nil {
		return errors.New("start status service: Deps.NC is required")
	}
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
	c, err := consumer.Start(workers.Context(), a.deps.JS, a.deps.NC, a.store, a.relay.Notify, a.deps.Logger,
		consumer.Config{Concurrency: a.cfg.IngestConcurrency})
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
	a.deps.Logger.Info("status service started", "grpc_addr", lis.Addr().String())
	return nil
}

// GRPCAddr is the address gRPC listens on, once started.
func (a *App) GRPCAddr() string { return a.lis.Addr().String() }

// Ready reports whether the service's database answers.
func (a *App) Ready(ctx context.Context) error { return a.deps.Pool.Ping(ctx) }

// Stop stops taking calls, finishes the ones in flight, drains the ingest
// consumer (the deliveries it holds are applied), publishes what the outbox
// still holds and returns when everything has stopped or ctx ends.
// Stopping again does nothing.
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
		return fmt.Errorf("stop status service: %w", err)
	}
	return consumerErr
}
