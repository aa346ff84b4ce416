// Package consumer consumes the STATUS stream: each StatusChanged event
// caused by a webhook receiver may open, note or resolve that receiver's
// automatic incident for the service, once, however often and in whatever
// order the events are delivered, and a ServiceDeleted event resolves the
// service's open automatic incidents. The stream's other event types are
// acknowledged without effect.
package consumer

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/protobuf/proto"

	"github.com/upstatehq/upstate/pkg/bus"
	"github.com/upstatehq/upstate/pkg/ids"
	"github.com/upstatehq/upstate/pkg/pgdb"
	statusv1 "github.com/upstatehq/upstate/proto/gen/upstate/status/v1"
	"github.com/upstatehq/upstate/services/incidents/internal/domain"
	"github.com/upstatehq/upstate/services/incidents/internal/events"
	"github.com/upstatehq/upstate/services/incidents/internal/metrics"
	"github.com/upstatehq/upstate/services/incidents/internal/pbconv"
	"github.com/upstatehq/upstate/services/incidents/internal/store"
)

// Durable is the name of the incidents service's consumer on STATUS; its
// replicas share it. A new deployment starts from the oldest event the
// stream keeps (bus.FromOldest), so incidents reflect the recent past too:
// replaying is safe here, as applying an event twice changes nothing.
const Durable = "incidents-status"

// Config tunes the consumer.
type Config struct {
	// Concurrency is how many batches of events are applied at once
	// (default 4), each in one transaction, of what has arrived up to
	// MaxBatch (default 256); those of one service in order, within a process
	// (bus.ConsumerConfig.Concurrency assigns handlers by subject). Across
	// replicas and retries the store's per-service version keeps them
	// apart.
	Concurrency int
	MaxBatch    int
	// MaxDeliver and TransientBackoff are those of bus.ConsumerConfig
	// (default the bus's): how often an event may fail on its own before
	// it is dead-lettered, and how long to wait before retrying one that
	// failed because the database was unavailable.
	MaxDeliver       int
	TransientBackoff func(attempt int) time.Duration
}

// Consumer applies StatusChanged events to automatic incidents.
type Consumer struct {
	store *store.Store
	// changed is called after a commit that wrote an outbox event.
	changed func()
	metrics *metrics.Metrics
	logger  *slog.Logger
	c       *bus.Consumer
}

// Start creates or joins the durable consumer and handles events until Stop.
func Start(ctx context.Context, js jetstream.JetStream, st *store.Store, changed func(), m *metrics.Metrics, logger *slog.Logger, cfg Config) (*Consumer, error) {
	if cfg.Concurrency <= 0 {
		cfg.Concurrency = 4
	}
	if cfg.MaxBatch <= 0 {
		cfg.MaxBatch = 256
	}
	c := &Consumer{store: st, changed: changed, metrics: m, logger: logger}
	bc, err := bus.ConsumeBatch(ctx, js, bus.ConsumerConfig{
		Stream:         bus.StreamStatus,
		Durable:        Durable,
		FilterSubjects: []string{bus.SubjectsStatus},
		Concurrency:    cfg.Concurrency,
		MaxBatch:       cfg.MaxBatch,
		// A service's events are applied in order across replicas too:
		// one pulled by another replica ahead of an older one has the
		// older one ignored as overtaken, and an outage it began would
		// never have its incident.
		Pinned:           true,
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

// The ce-types of the STATUS events the consumer applies: like every
// event's, the full name of its protobuf message.
var (
	typeStatusChanged  = string((*statusv1.StatusChanged)(nil).ProtoReflect().Descriptor().FullName())
	typeServiceDeleted = string((*statusv1.ServiceDeleted)(nil).ProtoReflect().Descriptor().FullName())
)

// handle applies a batch of StatusChanged events in one transaction, then
// resolves the automatic incidents of the services the batch deleted. The
// stream's other events (a service created or edited) are acknowledged
// and left alone: automatic incidents follow status changes a receiver
// caused, and those events share the service's versions without being
// one. An event that cannot be decoded or lacks its identity fails
// the batch as Permanent, so that the bus applies the batch's events one by
// one and dead-letters that one alone; any other failure is retried, for
// as long as it takes if the database is unavailable.
func (c *Consumer) handle(ctx context.Context, msgs []jetstream.Msg) error {
	changes := make([]domain.StatusChange, 0, len(msgs))
	var deletions []domain.ServiceDeletion
	for _, msg := range msgs {
		typ := msg.Headers().Get(bus.HeaderCEType)
		if typ == typeServiceDeleted {
			var ev statusv1.ServiceDeleted
			if err := proto.Unmarshal(msg.Data(), &ev); err != nil {
				return bus.Permanent(fmt.Errorf("decode ServiceDeleted: %w", err))
			}
			d := pbconv.ServiceDeletion(&ev)
			if d.OrgID == "" || d.ServiceID == "" || ev.GetDeletedAt() == nil {
				return bus.Permanent(fmt.Errorf("ServiceDeleted on %s lacks org, service or time", msg.Subject()))
			}
			deletions = append(deletions, d)
			continue
		}
		if typ != typeStatusChanged {
			c.logger.DebugContext(ctx, "event not applied to incidents", "type", typ, "subject", msg.Subject())
			continue
		}
		var ev statusv1.StatusChanged
		if err := proto.Unmarshal(msg.Data(), &ev); err != nil {
			return bus.Permanent(fmt.Errorf("decode StatusChanged: %w", err))
		}
		ch := pbconv.StatusChange(&ev)
		if ch.OrgID == "" || ch.ServiceID == "" || ch.Version <= 0 || ch.Status == "" || ev.GetChangedAt() == nil {
			return bus.Permanent(fmt.Errorf("StatusChanged on %s lacks org, service, version, status or time", msg.Subject()))
		}
		changes = append(changes, ch)
	}
	res, err := c.store.ApplyStatusChanges(ctx, changes, func() string { return ids.New(ids.Incident) }, events.IncidentChanged)
	if err != nil {
		return err
	}
	// After the batch's changes, which cannot follow a deletion of their
	// service: a deleted service's open automatic incidents are resolved,
	// as no receiver will report it operational again.
	changed := false
	for _, d := range deletions {
		resolved, err := c.store.ResolveDeletedService(ctx, d, events.IncidentChanged)
		if err != nil {
			return err
		}
		for _, i := range resolved {
			changed = true
			c.logger.InfoContext(ctx, "automatic incident resolved: service deleted", "incident_id", i.ID, "service_id", d.ServiceID)
		}
	}
	// Counted once committed, so that a batch retried is not counted twice.
	for range len(msgs) - len(changes) - len(deletions) {
		c.metrics.StatusChange("ignored")
	}
	for range deletions {
		c.metrics.StatusChange("deleted")
	}
	for i, r := range res {
		ch := changes[i]
		if r.Stale {
			c.metrics.StatusChange("stale")
			c.logger.DebugContext(ctx, "status change already applied or overtaken", "service_id", ch.ServiceID, "version", ch.Version)
			continue
		}
		c.metrics.StatusChange(actionName[r.Action])
		if r.Incident != nil {
			changed = true
			c.logger.InfoContext(ctx, "automatic incident "+actionName[r.Action],
				"incident_id", r.Incident.ID, "service_id", ch.ServiceID, "receiver_id", ch.ReceiverID, "version", ch.Version)
		}
	}
	if changed {
		c.changed()
	}
	return nil
}

var actionName = map[domain.AutoAction]string{
	domain.AutoNone:    "none",
	domain.AutoOpen:    "opened",
	domain.AutoNote:    "noted",
	domain.AutoResolve: "resolved",
}
