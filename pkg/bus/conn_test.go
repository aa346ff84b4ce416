package bus

import (
	"context"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/upstatehq/upstate/pkg/testenv"
)

func TestDrainWaitsUntilClosed(t *testing.T) {
	srv := testenv.StartNATS(t)
	nc, _, err := Connect(context.Background(), srv.ClientURL(), "drain-test", nil)
	if err != nil {
		t.Fatal(err)
	}
	got := make(chan struct{}, 10)
	if _, err := nc.Subscribe("x", func(*nats.Msg) { time.Sleep(50 * time.Millisecond); got <- struct{}{} }); err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if err := nc.Publish("x", nil); err != nil {
			t.Fatal(err)
		}
	}
	if err := nc.Flush(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := Drain(ctx, nc); err != nil {
		t.Fatal(err)
	}
	if !nc.IsClosed() {
		t.Fatal("connection not closed after Drain returned")
	}
	if len(got) != 3 {
		t.Fatalf("handled %d of 3 pending messages before close", len(got))
	}
}
