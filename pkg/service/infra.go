package service

import (
	"context"
	"errors"
	"io/fs"
	"log/slog"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jonboulle/clockwork"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"
	"go.opentelemetry.io/otel/trace"
	"google.golang.org/grpc"

	"github.com/upstatehq/upstate/pkg/bus"
	"github.com/upstatehq/upstate/pkg/lifecycle"
	"github.com/upstatehq/upstate/pkg/pgdb"
)

// Infra opens what one unit's Build asks for and remembers how to close
// it and how to tell whether it still answers.
type Infra struct {
	host    *Host
	name    string
	streams []string // the streams the unit owns
	logger  *slog.Logger
	closes  *lifecycle.Stack
	checks  []check

	pool *pgxpool.Pool
	nc   *nats.Conn
	js   jetstream.JetStream
	// tracer traces the unit's gRPC clients (nil: tracing off).
	tracer trace.TracerProvider
}

type check struct {
	name string
	fn   func(context.Context) error
}

// Logger is the unit's logger, tagged with its name.
func (in *Infra) Logger() *slog.Logger { return in.logger }

// Registry is the process's metrics registry.
func (in *Infra) Registry() prometheus.Registerer { return in.host.registry }

// Clock is the time every time-based behaviour of the unit follows; tests
// give the host a fake one and move it.
func (in *Infra) Clock() clockwork.Clock { return in.host.clock }

// StreamReplicas is the replica count for the streams and buckets the
// unit creates.
func (in *Infra) StreamReplicas() int { return in.host.env.StreamReplicas }

// Postgres opens a pool on the process's database, named after the unit,
// and applies the unit's migrations (schema and its files) before
// returning it. Readiness then includes the database.
func (in *Infra) Postgres(ctx context.Context, schema string, migrations fs.FS) (*pgxpool.Pool, error) {
	if in.pool != nil {
		return in.pool, nil
	}
	if in.host.env.DatabaseURL == "" {
		return nil, errors.New("DATABASE_URL is required")
	}
	pool, err := pgdb.Open(ctx, in.host.env.DatabaseURL, in.name, 0, in.logger)
	if err != nil {
		return nil, err
	}
	in.closes.Push("postgres pool", func(context.Context) error { pool.Close(); return nil })
	if err := pgdb.Migrate(ctx, pool, schema, migrations); err != nil {
		return nil, err
	}
	in.pool = pool
	in.checks = append(in.checks, check{"postgres", func(ctx context.Context) error { return pool.Ping(ctx) }})
	return pool, nil
}

// NATS connects to the process's NATS server, as the unit's user if it
// has one, and makes sure upstate's streams exist. Its reply subjects
// start with InboxPrefix(name) instead of _INBOX, so a server can keep
// other clients from reading them. The connection is drained when the unit stops, after the
// service: what it still publishes while stopping goes out. Readiness
// then includes NATS.
func (in *Infra) NATS(ctx context.Context) (*nats.Conn, jetstream.JetStream, error) {
	if in.nc != nil {
		return in.nc, in.js, nil
	}
	nc, js, err := bus.ConnectAs(ctx, in.host.env.NATSURL, bus.Client{
		Name: "upstate-" + in.name, Auth: in.host.env.natsAuth(in.name), InboxPrefix: InboxPrefix(in.name),
	}, in.logger)
	if err != nil {
		return nil, nil, err
	}
	in.closes.Push("nats connection", func(ctx context.Context) error { return bus.Drain(ctx, nc) })
	if err := bus.EnsureStreams(ctx, js, bus.StreamOptions{Replicas: in.StreamReplicas(), Owned: in.streams}); err != nil {
		return nil, nil, err
	}
	in.nc, in.js = nc, js
	in.checks = append(in.checks, check{"nats", bus.ConnCheck(nc)})
	return nc, js, nil
}

// Fatal reports that the unit cannot recover from err by itself: the
// process's liveness (/healthz) fails from now on, naming the unit, so
// that an orchestrator restarts the process. What recovers by itself (a
// lost database or NATS connection) only fails readiness.
func (in *Infra) Fatal(err error) {
	in.logger.Error("cannot recover; liveness fails", "err", err)
	in.host.health.SetFatal(in.name, err)
}

// InboxPrefix is the prefix of the reply subjects of the unit name's NATS
// connection: _INBOX_<name>, outside _INBOX.> where other clients'
// replies go.
func InboxPrefix(name string) string { return "_INBOX_" + name }

// Dial returns a client of another service's gRPC API at target, with the
// process's credentials, closed when the unit stops. The connection is
// lazy: the other service may start later.
func (in *Infra) Dial(target string) (grpc.ClientConnInterface, error) {
	conn, err := in.host.dial(target, in.tracer)
	if err != nil {
		return nil, err
	}
	in.closes.Push("grpc client "+target, func(context.Context) error { return conn.Close() })
	return conn, nil
}

// ready reports the first dependency of the unit that does not answer.
func (in *Infra) ready(ctx context.Context) error {
	for _, c := range in.checks {
		if err := c.fn(ctx); err != nil {
			return errors.New(c.name + ": " + err.Error())
		}
	}
	return nil
}

// Conns are what a service with a schema and events is built from: the
// connections the unit opened for it (and closes when it stops) and the
// unit's logger, metrics registry and clock. A service's Deps embed them
// beside what is its own.
type Conns struct {
	Pool *pgxpool.Pool
	// NC is the connection JS runs on, for core NATS.
	NC       *nats.Conn
	JS       jetstream.JetStream
	Logger   *slog.Logger
	Registry prometheus.Registerer
	Clock    clockwork.Clock
}

// Conns opens the unit's pool on its migrated schema (Postgres), its NATS
// connection (NATS), and a client of the gRPC API at each of targets
// (Dial), returned in the order of targets.
func (in *Infra) Conns(ctx context.Context, schema string, migrations fs.FS, targets ...string) (Conns, []grpc.ClientConnInterface, error) {
	pool, err := in.Postgres(ctx, schema, migrations)
	if err != nil {
		return Conns{}, nil, err
	}
	nc, js, err := in.NATS(ctx)
	if err != nil {
		return Conns{}, nil, err
	}
	clients := make([]grpc.ClientConnInterface, len(targets))
	for i, target := range targets {
		if clients[i], err = in.Dial(target); err != nil {
			return Conns{}, nil, err
		}
	}
	return Conns{Pool: pool, NC: nc, JS: js, Logger: in.Logger(), Registry: in.Registry(), Clock: in.Clock()}, clients, nil
}

// CollectLag reports on /metrics, while w runs, how far the durable
// consumer on stream is behind.
func (c Conns) CollectLag(w *lifecycle.Workers, stream, durable string) {
	w.Collect(c.Registry, bus.NewLagCollector(c.JS, stream, durable, c.Logger))
}
