package testenv

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// Watcher reads the messages a stream stores from the moment it was made,
// the way a consumer does. Tests watch events with it instead of a core
// NATS subscription: a core subscriber also sees every copy a publisher
// sends again (an outbox relay republishing after a restart), which the
// stream drops by Nats-Msg-Id and no consumer ever receives.
type Watcher struct {
	t    testing.TB
	cons jetstream.Consumer
}

// Watch starts watching what stream stores on subjects (all of it when
// none are given) from now on. The consumer is ordered and ephemeral: it
// acknowledges nothing and goes away with the connection.
func Watch(t testing.TB, js jetstream.JetStream, stream string, subjects ...string) *Watcher {
	t.Helper()
	ctx := context.Background()
	// The ordered consumer is created on the first Next, so "now" is fixed
	// here as a sequence rather than left to DeliverNew.
	st, err := js.Stream(ctx, stream)
	if err != nil {
		t.Fatalf("watch %s: %v", stream, err)
	}
	info, err := st.Info(ctx)
	if err != nil {
		t.Fatalf("watch %s: %v", stream, err)
	}
	cons, err := st.OrderedConsumer(ctx, jetstream.OrderedConsumerConfig{
		FilterSubjects: subjects,
		DeliverPolicy:  jetstream.DeliverByStartSequencePolicy,
		OptStartSeq:    info.State.LastSeq + 1,
	})
	if err != nil {
		t.Fatalf("watch %s: %v", stream, err)
	}
	return &Watcher{t: t, cons: cons}
}

// Next waits up to timeout for the next message and fails the test when
// none comes.
func (w *Watcher) Next(timeout time.Duration) jetstream.Msg {
	w.t.Helper()
	msg, err := w.next(timeout)
	if err != nil {
		w.t.Fatalf("no message on the stream within %s: %v", timeout, err)
	}
	return msg
}

// None fails the test when a message arrives within d.
func (w *Watcher) None(d time.Duration) {
	w.t.Helper()
	msg, err := w.next(d)
	if err == nil {
		w.t.Fatalf("unexpected message on %s", msg.Subject())
	}
	if !errors.Is(err, jetstream.ErrNoMessages) && !errors.Is(err, context.DeadlineExceeded) {
		w.t.Fatalf("watch: %v", err)
	}
}

func (w *Watcher) next(timeout time.Duration) (jetstream.Msg, error) {
	batch, err := w.cons.Fetch(1, jetstream.FetchMaxWait(timeout))
	if err != nil {
		return nil, err
	}
	for msg := range batch.Messages() {
		return msg, nil
	}
	if err := batch.Error(); err != nil {
		return nil, err
	}
	return nil, jetstream.ErrNoMessages
}
