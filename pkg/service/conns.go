package service

import (
	"context"
	"io/fs"
	"log/slog"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jonboulle/clockwork"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/grpc"

	"github.com/upstatehq/upstate/pkg/bus"
	"github.com/upstatehq/upstate/pkg/lifecycle"
)

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
