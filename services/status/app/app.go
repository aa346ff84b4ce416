// Package app assembles the status service from its parts. Unit is how
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
	statusv1 "github.com/upstatehq/upstate/proto/gen/upstate/status/v1"
	"github.com/upstatehq/upstate/services/status/internal/consumer"
	"github.com/upstatehq/upstate/services/status/internal/events"
	"github.com/upstatehq/upstate/services/status/internal/grpcapi"
	"github.com/upstatehq/upstate/services/status/internal/store"
	"github.com/upstatehq/upstate/services/status/migrations"
)

// Name is the status service's name in logs, metrics and connections.
const Name = "status"

// Streams are the streams whose definitions the status service keeps
// current: STATUS and, as the first consumer, the dead letters and the
// consumers' failure counts.
var Streams = []string{bus.StreamStatus, bus.StreamDLQ, bus.FailuresBucketStream}

// Config is the status service's settings, read from the environment by
// bin/status and bin/upstate alike.
type Config struct {
	// IngestConcurrency is how many webhook deliveries are applied at once.
	IngestConcurrency int `env:"UPSTATE_STATUS_INGEST_CONCURRENCY" envDefault:"4" doc:"batches of webhook deliveries applied at once (those of one receiver in order; an older delivery never undoes a newer one)"`
	// IngestBatch is the most deliveries applied in one transaction.
	IngestBatch int `env:"UPSTATE_STATUS_INGEST_BATCH" envDefault:"256" doc:"most webhook deliveries applied in one transaction (what has arrived, up to this; 1 applies each alone)"`
	// RelayInterval is how often the outbox is polled besides the
	// notification after each commit (default 1s).
	RelayInterval time.Duration
	// MaxDeliver and TransientBackoff tune the ingest consumer's retries
	// (bus.ConsumerConfig's defaults when zero); tests shorten them.
	MaxDeliver       int
	TransientBackoff func(attempt int) time.Duration
}

// Validate checks the settings.
func (c Config) Validate() error {
	if c.IngestConcurrency < 1 || c.IngestConcurrency > 64 {
		return errors.New("UPSTATE_STATUS_INGEST_CONCURRENCY must be between 1 and 64")
	}
	if c.IngestBatch < 1 || c.IngestBatch > 1000 {
		return errors.New("UPSTATE_STATUS_INGEST_BATCH must be between 1 and 1000")
	}
	return nil
}

// Unit runs the status service with its gRPC API on grpcAddr.
func Unit(cfg Config, grpcAddr string) service.Unit {
	return service.Unit{Name: Name, GRPCAddr: grpcAddr, Streams: Streams, Build: func(ctx context.Context, in *service.Infra) (service.Service, error) {
		conns, _, err := in.Conns(ctx, migrations.Schema, migrations.FS)
		if err != nil {
			return nil, err
		}
		return New(cfg, Deps{Conns: conns}), nil
	}}
}

// Deps are the connections the service uses; the caller owns and closes
// them, and has migrated the schema and created the streams. NC serves
// core NATS publishes: receiver changes and replies to gateways waiting
// for a delivery's outcome; Registry gets the ingest consumer's lag (nil:
// not reported).
type Deps struct {
	service.Conns
}

// App is a running (or ready to run) status service.
type App struct {
	cfg        Config
	deps       Deps
	store      *store.Store
	relay      *outbox.Relay
	background *service.Background
}

// New wires the service; it does no I/O.
func New(cfg Config, deps Deps) *App {
	if cfg.RelayInterval <= 0 {
		cfg.RelayInterval = time.Second
	}
	st := store.New(deps.Pool)
	relay := outbox.NewRelay(st.Outbox, deps.JS, deps.Logger, cfg.RelayInterval)
	return &App{cfg: cfg, deps: deps, store: st, relay: relay, background: service.NewBackground(Name)}
}

// RegisterGRPC registers the service registry and receiver APIs on s.
func (a *App) RegisterGRPC(s *grpc.Server) {
	statusv1.RegisterServiceRegistryServiceServer(s, grpcapi.New(a.store, a.relay.Notify, a.deps.Clock))
	statusv1.RegisterReceiverServiceServer(s, grpcapi.NewReceivers(a.store, func(id string) {
		if err := events.ReceiverChanged(a.deps.NC, id); err != nil {
			a.deps.Logger.Warn("receiver change not announced; gateways see it when their cache expires", "receiver_id", id, "err", err)
		}
	}, a.deps.Clock))
}

// Start starts applying webhook deliveries and relaying events.
func (a *App) Start(ctx context.Context) error {
	return a.background.Start(ctx, func(workers *lifecycle.Workers) error {
		c, err := consumer.Start(workers.Context(), a.deps.JS, a.deps.NC, a.store, a.relay.Notify, a.deps.Clock, a.deps.Logger,
			consumer.Config{Concurrency: a.cfg.IngestConcurrency, MaxBatch: a.cfg.IngestBatch, MaxDeliver: a.cfg.MaxDeliver, TransientBackoff: a.cfg.TransientBackoff})
		if err != nil {
			return err
		}
		workers.DrainFirst(c.Stop)
		workers.Go(a.relay.Run)
		a.deps.CollectLag(workers, bus.StreamIngest, consumer.Durable)
		return nil
	})
}

// Stop drains the ingest consumer (the deliveries it holds are applied),
// publishes what the outbox still holds and returns when everything has
// stopped or ctx ends. Stopping again does nothing.
func (a *App) Stop(ctx context.Context) error { return a.background.Stop(ctx) }
