package testenv

import (
	"context"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// A watcher sees what the stream stores from its start on, once: not what
// came before, and not a republished copy, which a core subscriber sees.
func TestWatchReadsTheStreamFromNow(t *testing.T) {
	t.Parallel()
	nc, err := nats.Connect(StartNATS(t).ClientURL())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: "EV", Subjects: []string{"ev.>"}}); err != nil {
		t.Fatal(err)
	}
	publish := func(id string) {
		t.Helper()
		msg := nats.NewMsg("ev." + id)
		msg.Header.Set(jetstream.MsgIDHeader, id)
		if _, err := js.PublishMsg(ctx, msg); err != nil {
			t.Fatal(err)
		}
	}
	publish("before")
	w := Watch(t, js, "EV")
	core, err := nc.SubscribeSync("ev.>")
	if err != nil {
		t.Fatal(err)
	}
	publish("a")
	publish("a") // republished: the stream drops it
	publish("b")

	for _, want := range []string{"ev.a", "ev.b"} {
		if got := w.Next(5 * time.Second).Subject(); got != want {
			t.Fatalf("watched %s, want %s", got, want)
		}
	}
	w.None(100 * time.Millisecond)

	// The core subscriber, by contrast, saw the copy.
	var subjects []string
	for range 3 {
		m, err := core.NextMsg(5 * time.Second)
		if err != nil {
			t.Fatal(err)
		}
		subjects = append(subjects, m.Subject)
	}
	if subjects[1] != "ev.a" {
		t.Fatalf("core subscriber saw %v, want the copy second", subjects)
	}
}
