package servicetest

import (
	"context"
	"io/fs"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/upstatehq/upstate/pkg/bus"
	"github.com/upstatehq/upstate/pkg/logging"
	"github.com/upstatehq/upstate/pkg/pgdb"
	"github.com/upstatehq/upstate/pkg/testenv"
)

// Postgres returns a pool on a fresh database with schema migrated from
// migrations, as Infra.Postgres gives a unit; it goes away with the test.
func Postgres(t testing.TB, schema string, migrations fs.FS) *pgxpool.Pool {
	t.Helper()
	pool := testenv.NewPool(t, testenv.NewDatabase(t))
	if err := pgdb.Migrate(context.Background(), pool, schema, migrations); err != nil {
		t.Fatal(err)
	}
	return pool
}

// NATS returns a connection to a fresh JetStream server with upstate's
// streams ensured, as Infra.NATS gives a unit; both go away with the test.
func NATS(t testing.TB) (*nats.Conn, jetstream.JetStream) {
	t.Helper()
	nc, js, err := bus.Connect(context.Background(), testenv.StartNATS(t).ClientURL(), t.Name(), logging.Discard())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	if err := bus.EnsureStreams(context.Background(), js, bus.StreamOptions{}); err != nil {
		t.Fatal(err)
	}
	return nc, js
}
