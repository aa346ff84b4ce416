// Package consumer consumes the webhook deliveries the gateway puts on the
// INGEST stream: each is applied to its service and recorded in its
// receiver's delivery log, once, however often it is delivered.
package consumer

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/jonboulle/clockwork"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/protobuf/proto"

	"github.com/upstatehq/upstate/pkg/bus"
	"github.com/upstatehq/upstate/pkg/pgdb"
	ingestv1 "github.com/upstatehq/upstate/proto/gen/upstate/ingest/v1"
	"github.com/upstatehq/upstate/services/status/internal/domain"
	"github.com/upstatehq/upstate/services/status/internal/events"
	"github.com/upstatehq/upstate/services/status/internal/pbconv"
	"github.com/upstatehq/upstate/services/status/internal/store"
)

// Durable is the name of the status service's consumer on INGEST; its
// replicas share it.
const Durable = "status-ingest"

// Config tunes the consumer.
type Config struct {
	// Concurrency is how many batches of deliveries are applied at once
	// (default 4). Within one process a receiver's deliveries go to one
	// handler, in order (bus.ConsumerConfig.Concurrency assigns handlers by
	// subject); across replicas and retries they may not, and the store
	// then refuses to let an older delivery undo a newer one.
	Concurrency int
	// MaxBatch is the most deliveries applied in one transaction (default
	// 256): what has arrived, up to this.
	MaxBatch int
	// MaxDeliver and TransientBackoff are those of bus.ConsumerConfig
	// (default the bus's): how often a delivery may fail on its own before
	// it is dead-lettered, and how long to wait before retrying one that
	// failed because the database was unavailable.
	MaxDeliver       int
	TransientBackoff func(attempt int) time.Duration
}

// Consumer applies IngestEvents.
type Consumer struct {
	store *store.Store
	nc    *nats.Conn
	// changed is called after a commit that wrote an outbox event.
	changed func()
	logger  *slog.Logger
	clock   clockwork.Clock
	c       *bus.Consumer
}

// Start creates or joins the durable consumer and handles deliveries until
// Stop. nc carries the core NATS replies to waiting gateways; changed
// notifies the outbox relay.
func Start(ctx context.Context, js jetstream.JetStream, nc *nats.Conn, st *store.Store, changed func(), clock clockwork.Clock, logger *slog.Logger, cfg Config) (*Consumer, error) {
	if cfg.Concurrency <= 0 {
		cfg.Concurrency = 4
	}
	if cfg.MaxBatch <= 0 {
		cfg.MaxBatch = 256
	}
	c := &Consumer{
		store: st, nc: nc, changed: changed, clock: clock, logger: logger,
	}
	bc, err := bus.ConsumeBatch(ctx, js, bus.ConsumerConfig{
		Stream:         bus.StreamIngest,
		Durable:        Durable,
		FilterSubjects: []string{bus.SubjectsIngest},
		Concurrency:    cfg.Concurrency,
		MaxBatch:       cfg.MaxBatch,
		// A receiver's deliveries are applied in the order they were
		// received, across replicas too: one pulled by another replica
		// ahead of an older one would have the older one ignored as out
		// of order, its change never recorded.
		Pinned: true,
		// Enough buffered for every handler to find a full batch waiting.
		MaxDeliver:       cfg.MaxDeliver,
		TransientBackoff: cfg.TransientBackoff,
		// A delivery the gateway accepted waits out a database outage
		// however long it lasts.
		Unavailable: pgdb.IsUnavailable,
	}, c.handle, logger)
	if err != nil {
		return nil, fmt.Errorf("consume ingest: %w", err)
	}
	c.c = bc
	return c, nil
}

// Stop stops pulling deliveries and returns once those received are
// handled (or ctx ends).
func (c *Consumer) Stop(ctx context.Context) error { return c.c.Stop(ctx) }

// handle applies a batch of IngestEvents in one transaction. A message
// that cannot be decoded, or whose event cannot be located, fails the
// batch as Permanent, and so does a forged one, whose subject's
// organisation does not own its receiver (whoever can publish on INGEST
// must not reach another organisation's services): the bus then applies
// the batch's messages one by one and dead-letters that one alone. Any
// other failure is retried (bus.ConsumeBatch), for as long as it takes if
// the database is unavailable. The outbox relay is notified once the
// changes are committed, and waiting gateways get their logged deliveries.
func (c *Consumer) handle(ctx context.Context, msgs []jetstream.Msg) error {
	now := pgdb.Now(c.clock)
	ins := make([]domain.Ingest, len(msgs))
	replies := make([]string, len(msgs))
	for i, msg := range msgs {
		var ev ingestv1.IngestEvent
		if err := proto.Unmarshal(msg.Data(), &ev); err != nil {
			return bus.Permanent(fmt.Errorf("decode IngestEvent: %w", err))
		}
		in := pbconv.Ingest(&ev, now)
		if err := in.Check(); err != nil {
			return bus.Permanent(err)
		}
		if want := bus.IngestSubject(in.OrgID, in.ReceiverID); msg.Subject() != want {
			return bus.Permanent(fmt.Errorf("forged delivery %s: of %s, published to %s", in.DeliveryID, want, msg.Subject()))
		}
		ins[i], replies[i] = in, ev.GetReplySubject()
	}
	res, err := c.store.ApplyIngestBatch(ctx, ins, now, events.StatusChanged)
	if errors.Is(err, domain.ErrForeignReceiver) {
		// Dead-lettered, and logged there with this error.
		return bus.Permanent(fmt.Errorf("forged delivery: %w", err))
	}
	if err != nil {
		return err
	}
	changed := false
	for i, r := range res {
		if r.Orphan {
			// The receiver was deleted after the gateway accepted the
			// delivery; its log went with it, so there is nothing to record.
			c.logger.InfoContext(ctx, "delivery for a deleted receiver dropped",
				"delivery_id", ins[i].DeliveryID, "receiver_id", ins[i].ReceiverID)
		}
		changed = changed || r.Change != nil
		c.reply(ctx, replies[i], r.Delivery)
	}
	if changed {
		c.changed()
	}
	return nil
}

// reply answers a gateway waiting for the outcome (core NATS, best effort:
// the gateway stops waiting after a timeout anyway).
func (c *Consumer) reply(ctx context.Context, subject string, d domain.Delivery) {
	if subject == "" {
		return
	}
	// The reply subject comes from the gateway; one that is not a valid
	// publish subject must not fail the delivery.
	if strings.ContainsAny(subject, " \t\r\n*>") {
		c.logger.WarnContext(ctx, "invalid reply subject", "delivery_id", d.ID)
		return
	}
	data, err := proto.Marshal(&ingestv1.DeliveryOutcome{Delivery: pbconv.Delivery(d)})
	if err == nil {
		err = c.nc.Publish(subject, data)
	}
	if err != nil {
		c.logger.WarnContext(ctx, "reply with delivery outcome", "delivery_id", d.ID, "err", err)
	}
}
