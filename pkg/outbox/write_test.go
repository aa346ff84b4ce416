package outbox

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/upstatehq/upstate/pkg/bus"
	"github.com/upstatehq/upstate/pkg/testenv"
)

// Events written together, in a schema's table, are relayed in the order
// they were given.
func TestWriteKeepsOrder(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := testenv.NewPool(t, testenv.NewDatabase(t))
	if _, err := pool.Exec(ctx, `CREATE SCHEMA svc; CREATE TABLE svc.outbox (
		id bigserial PRIMARY KEY, subject text NOT NULL, msg_id text NOT NULL, ce_type text NOT NULL,
		ce_source text NOT NULL, ce_time timestamptz NOT NULL, payload bytea NOT NULL,
		trace_parent text NOT NULL DEFAULT '', trace_state text NOT NULL DEFAULT '')`); err != nil {
		t.Fatal(err)
	}
	o := New(pool, "svc.outbox")
	var want []string
	var events []bus.Event
	for i := range 50 {
		e := bus.Event{Subject: "upstate.status.org_1.svc_1", ID: fmt.Sprintf("svc_1:%d", 50-i), Type: "t", Source: "s",
			Time: time.Now(), Data: []byte{byte(i)}}
		events, want = append(events, e), append(want, e.ID)
	}
	for _, batch := range [][]bus.Event{events[:1], events[1:]} {
		if err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error { return o.Write(ctx, tx, batch...) }); err != nil {
			t.Fatal(err)
		}
	}
	var got []string
	if _, err := o.RelayBatch(ctx, 100, func(_ context.Context, evs []bus.Event) error {
		for _, e := range evs {
			got = append(got, e.ID)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got, want) {
		t.Errorf("relayed %v, want %v", got, want)
	}
}
