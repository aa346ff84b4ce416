// Package app assembles the notification service from its parts. Unit is
// how every binary and the integration tests run it on the service
// runtime (pkg/service); New wires it from connections already open.
package app

import (
	"context"
	"log/slog"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jonboulle/clockwork"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/grpc"

	"github.com/upstatehq/upstate/pkg/service"
	"github.com/upstatehq/upstate/services/notification/migrations"
)

// Name is the notification service's name in logs, metrics and
// connections.
const Name = "notification"

// Streams are the streams whose definitions the notification service
// keeps current: those it publishes.
var Streams []string

// Config is the notification service's settings, read from the
// environment by bin/notification and bin/upstate alike.
type Config struct{}

// Validate checks the settings.
func (c Config) Validate() error { return nil }

// Unit runs the notification service with its gRPC API on grpcAddr,
// calling the status service at statusTarget.
func Unit(cfg Config, grpcAddr, statusTarget string) service.Unit {
	return service.Unit{Name: Name, GRPCAddr: grpcAddr, Streams: Streams, Build: func(ctx context.Context, in *service.Infra) (service.Service, error) {
		pool, err := in.Postgres(ctx, migrations.Schema, migrations.FS)
		if err != nil {
			return nil, err
		}
		_, js, err := in.NATS(ctx)
		if err != nil {
			return nil, err
		}
		status, err := in.Dial(statusTarget)
		if err != nil {
			return nil, err
		}
		return New(cfg, Deps{Pool: pool, JS: js, Status: status, Logger: in.Logger(), Registry: in.Registry(), Clock: in.Clock()}), nil
	}}
}

// Deps are the connections the service uses; the caller owns and closes
// them, and has migrated the schema and created the streams.
type Deps struct {
	Pool *pgxpool.Pool
	JS   jetstream.JetStream
	// Status is a connection to the status service's gRPC API, which
	// checks the service ids of routes.
	Status   grpc.ClientConnInterface
	Logger   *slog.Logger
	Registry prometheus.Registerer
	Clock    clockwork.Clock
}

// App is a running (or ready to run) notification service.
type App struct {
	cfg  Config
	deps Deps
}

// New wires the service; it does no I/O.
func New(cfg Config, deps Deps) *App {
	if deps.Clock == nil {
		deps.Clock = clockwork.NewRealClock()
	}
	return &App{cfg: cfg, deps: deps}
}

// RegisterGRPC registers the service's gRPC APIs on s.
func (a *App) RegisterGRPC(s *grpc.Server) {}

// Start starts the service's background work.
func (a *App) Start(ctx context.Context) error { return nil }

// Stop stops the background work; stopping again does nothing.
func (a *App) Stop(ctx context.Context) error { return nil }
