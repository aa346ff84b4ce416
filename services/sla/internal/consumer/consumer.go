// Package consumer consumes the STATUS stream into the SLA service's
// intervals: a service's creation, status changes and deletion are its
// transitions, its edits carry its name. Events may arrive duplicated,
// late or out of order; the store applies them by version, so the result
// is that of applying them in order.
package consumer

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/jonboulle/clockwork"
	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/protobuf/proto"

	"github.com/upstatehq/upstate/pkg/bus"
	"github.com/upstatehq/upstate/pkg/pgdb"
	statusv1 "github.com/upstatehq/upstate/proto/gen/upstate/status/v1"
	"github.com/upstatehq/upstate/services/sla/internal/domain"
	"github.com/upstatehq/upstate/services/sla/internal/metrics"
	"github.com/upstatehq/upstate/services/sla/internal/pbconv"
	"github.com/upstatehq/upstate/services/sla/internal/store"
)

// Durable is the name of the SLA service's consumer on STATUS; its
// replicas share it. A new deployment starts from the oldest event the
// stream keeps (and fills what is older from the status service's
// history): applying an event twice changes nothing.
const Durable = "sla-status"

// Config tunes the consumer.
type Config struct {
	// Concurrency is how many batches of events are applied at once
	// (default 4), each in one transaction, of what has arrived up to
	// MaxBatch (default 256); those of one service in order.
	Concurrency int
	MaxBatch    int
	// MaxDeliver and TransientBackoff are those of bus.ConsumerConfig.
	MaxDeliver       int
	TransientBackoff func(attempt int) time.Duration
}

// Consumer applies STATUS events to the SLA service's intervals.
type Consumer struct {
	store *store.Store
	// due is called after a commit that made an SLO due for evaluation.
	due     func()
	clock   clockwork.Clock
	metrics *metrics.Metrics
	logger  *slog.Logger
	c       *bus.Consumer
}

// Start creates or joins the durable consumer and handles events until Stop.
func Start(ctx context.Context, js jetstream.JetStream, st *store.Store, due func(), clock clockwork.Clock, m *metrics.Metrics, logger *slog.Logger, cfg Config) (*Consumer, error) {
	if cfg.Concurrency <= 0 {
		cfg.Concurrency = 4
	}
	if cfg.MaxBatch <= 0 {
		cfg.MaxBatch = 256
	}
	c := &Consumer{store: st, due: due, clock: clock, metrics: m, logger: logger}
	bc, err := bus.ConsumeBatch(ctx, js, bus.ConsumerConfig{
		Stream:           bus.StreamStatus,
		Durable:          Durable,
		FilterSubjects:   []string{bus.SubjectsStatus},
		Concurrency:      cfg.Concurrency,
		MaxBatch:         cfg.MaxBatch,
		Start:            bus.FromOldest,
		MaxDeliver:       cfg.MaxDeliver,
		TransientBackoff: cfg.TransientBackoff,
		// An event waits out a database outage however long it lasts.
		Unavailable: pgdb.IsUnavailable,
	}, c.handle, logger)
	if err != nil {
		return nil, fmt.Errorf("consume status: %w", err)
	}
	c.c = bc
	return c, nil
}

// Stop stops pulling events and returns once those received are handled
// (or ctx ends).
func (c *Consumer) Stop(ctx context.Context) error { return c.c.Stop(ctx) }

// ce-types of the STATUS events the consumer applies: like every
// event's, the full name of its protobuf message.
var (
	typeServiceCreated = name(&statusv1.ServiceCreated{})
	typeServiceUpdated = name(&statusv1.ServiceUpdated{})
	typeServiceDeleted = name(&statusv1.ServiceDeleted{})
	typeStatusChanged  = name(&statusv1.StatusChanged{})
)

func name(m proto.Message) string { return string(m.ProtoReflect().Descriptor().FullName()) }

// Decode turns a STATUS message into what the store applies; ok is false
// for a type the SLA service does not use, acknowledged without effect. A
// message that cannot be decoded or lacks its identity is a permanent
// error: it is dead-lettered.
func Decode(msg jetstream.Msg) (ev domain.ServiceEvent, ok bool, err error) {
	typ := msg.Headers().Get(bus.HeaderCEType)
	switch typ {
	case typeServiceCreated:
		var m statusv1.ServiceCreated
		if err := proto.Unmarshal(msg.Data(), &m); err != nil {
			return ev, false, bus.Permanent(fmt.Errorf("decode %s: %w", typ, err))
		}
		ev, ok = pbconv.ServiceCreated(m.GetService())
	case typeStatusChanged:
		var m statusv1.StatusChanged
		if err := proto.Unmarshal(msg.Data(), &m); err != nil {
			return ev, false, bus.Permanent(fmt.Errorf("decode %s: %w", typ, err))
		}
		ev, ok = pbconv.StatusChanged(&m)
	case typeServiceUpdated:
		var m statusv1.ServiceUpdated
		if err := proto.Unmarshal(msg.Data(), &m); err != nil {
			return ev, false, bus.Permanent(fmt.Errorf("decode %s: %w", typ, err))
		}
		ev, ok = pbconv.ServiceUpdated(m.GetService()), true
	case typeServiceDeleted:
		var m statusv1.ServiceDeleted
		if err := proto.Unmarshal(msg.Data(), &m); err != nil {
			return ev, false, bus.Permanent(fmt.Errorf("decode %s: %w", typ, err))
		}
		ev, ok = pbconv.ServiceDeleted(&m), m.GetDeletedAt() != nil
	default:
		return ev, false, nil
	}
	if !ok || ev.OrgID == "" || ev.ServiceID == "" || ev.Version < 0 {
		return ev, false, bus.Permanent(fmt.Errorf("%s on %s lacks org, service, version, status or time", typ, msg.Subject()))
	}
	return ev, true, nil
}

// handle applies a batch of events in one transaction. An event that
// cannot be decoded fails the batch as Permanent, so that the bus applies
// the batch's events one by one and dead-letters that one alone.
func (c *Consumer) handle(ctx context.Context, msgs []jetstream.Msg) error {
	evs := make([]domain.ServiceEvent, 0, len(msgs))
	for _, msg := range msgs {
		ev, ok, err := Decode(msg)
		if err != nil {
			return err
		}
		if ok {
			evs = append(evs, ev)
		}
	}
	res := store.ApplyResult{}
	if len(evs) > 0 {
		var err error
		if res, err = c.store.Apply(ctx, pgdb.Now(c.clock), evs...); err != nil {
			return err
		}
	}
	// Counted once committed, so that a batch retried is not counted twice.
	for range len(msgs) - len(evs) {
		c.metrics.StatusEvent("ignored")
	}
	for range res.Stale {
		c.metrics.StatusEvent("stale")
	}
	for range res.Applied {
		c.metrics.StatusEvent("applied")
	}
	if res.Due {
		c.due()
	}
	return nil
}
