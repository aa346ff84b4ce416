package bus

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/upstatehq/upstate/pkg/natsd"
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

// ConnectAs authenticates with the credentials it is given, uses its own
// inbox prefix (JetStream replies included), and a server that refuses
// the credentials leaves the connection closed, not retrying for ever.
func TestConnectAsAuthenticates(t *testing.T) {
	t.Parallel()
	subjects := &natsd.Subjects{Allow: []string{"$JS.API.>", "upstate.>", "_INBOX_svc.>"}}
	srv, err := natsd.Start(natsd.Config{Port: -1, StoreDir: t.TempDir(), Users: []natsd.User{
		{Name: "svc", Password: "right", Publish: subjects, Subscribe: subjects},
	}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Shutdown)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()

	nc, js, err := ConnectAs(ctx, srv.ClientURL(), Client{Name: "svc", Auth: Auth{User: "svc", Password: "right"}, InboxPrefix: "_INBOX_svc"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	testenv.Eventually(t, 5*time.Second, func() error { return ConnCheck(nc)(ctx) })
	if err := EnsureStreams(ctx, js, StreamOptions{}); err != nil {
		t.Fatalf("jetstream through the own inbox: %v", err)
	}

	for name, auth := range map[string]Auth{"no credentials": {}, "wrong password": {User: "svc", Password: "wrong"}} {
		nc, _, err := ConnectAs(ctx, srv.ClientURL(), Client{Name: "svc", Auth: auth}, nil)
		if err != nil {
			t.Fatal(err)
		}
		testenv.Eventually(t, 10*time.Second, func() error {
			if !nc.IsClosed() {
				return errors.New(name + ": connection " + nc.Status().String())
			}
			return nil
		})
		if !errors.Is(nc.LastError(), nats.ErrAuthorization) {
			t.Errorf("%s: last error %v, want an authorization error", name, nc.LastError())
		}
	}
}
