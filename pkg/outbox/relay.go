package outbox

import (
	"context"
	"log/slog"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/upstatehq/upstate/pkg/bus"
)

// Relay publishes outbox events to JetStream. It runs when notified of a
// commit and on a timer, so events written by another replica or left by a
// crash between commit and publish go out too.
type Relay struct {
	outbox   *Outbox
	js       jetstream.JetStream
	logger   *slog.Logger
	kick     chan struct{}
	interval time.Duration
	// backoff is the pause after a failed run, times the failures in a
	// row, up to interval.
	backoff time.Duration
	batch   int
}

// NewRelay returns a relay polling every interval at the latest.
func NewRelay(outbox *Outbox, js jetstream.JetStream, logger *slog.Logger, interval time.Duration) *Relay {
	return &Relay{outbox: outbox, js: js, logger: logger, kick: make(chan struct{}, 1), interval: interval,
		backoff: 100 * time.Millisecond, batch: 500}
}

// Notify asks the relay to run soon; it never blocks.
func (r *Relay) Notify() {
	select {
	case r.kick <- struct{}{}:
	default:
	}
}

// Run relays until ctx ends, then makes one last attempt to publish what
// is pending so a graceful stop leaves the outbox empty when NATS is up.
func (r *Relay) Run(ctx context.Context) {
	ticker := time.NewTicker(r.interval)
	defer ticker.Stop()
	failures := 0
	for {
		if err := r.drain(ctx); err != nil && ctx.Err() == nil {
			failures++
			r.logger.WarnContext(ctx, "outbox relay failed", "err", err, "failures", failures)
		} else {
			failures = 0
		}
		select {
		case <-ctx.Done():
			final, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
			defer cancel()
			if err := r.drain(final); err != nil {
				r.logger.Warn("outbox relay stopped with events pending; they go out on next start", "err", err)
			}
			return
		case <-r.kick:
		case <-ticker.C:
		}
		if failures > 0 {
			// Back off while NATS or Postgres is unavailable, up to the
			// poll interval; a stop does not wait for the pause to end.
			pause := time.NewTimer(min(time.Duration(failures)*r.backoff, r.interval))
			select {
			case <-ctx.Done():
			case <-pause.C:
			}
			pause.Stop()
		}
	}
}

// drain relays batches until the outbox is empty.
func (r *Relay) drain(ctx context.Context) error {
	for {
		n, err := r.outbox.RelayBatch(ctx, r.batch, r.publish)
		if err != nil || n < r.batch {
			return err
		}
	}
}

// publish publishes a batch keeping each subject's order: when a publish
// fails, the subject's later events are held back with it (see
// bus.PublishOrdered), so that consumers do not see a version overtaken
// by the next ones once it goes out.
func (r *Relay) publish(ctx context.Context, events []bus.Event) error {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	return bus.PublishOrdered(ctx, r.js, events)
}
