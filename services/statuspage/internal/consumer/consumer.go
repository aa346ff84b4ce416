// Package consumer feeds the status page service's read model from the
// STATUS stream (services, their statuses and the posts of their
// changes) and the INCIDENTS stream (incidents and maintenance windows).
// Events may arrive duplicated, late or out of order; the store applies
// them by version, so the result is that of applying them in order, and
// a subscriber hears of an event once.
package consumer

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/jonboulle/clockwork"
	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/protobuf/proto"

	"github.com/upstatehq/upstate/pkg/bus"
	"github.com/upstatehq/upstate/pkg/pgdb"
	incidentsv1 "github.com/upstatehq/upstate/proto/gen/upstate/incidents/v1"
	statusv1 "github.com/upstatehq/upstate/proto/gen/upstate/status/v1"
	"github.com/upstatehq/upstate/services/statuspage/internal/domain"
	"github.com/upstatehq/upstate/services/statuspage/internal/metrics"
	"github.com/upstatehq/upstate/services/statuspage/internal/pbconv"
	"github.com/upstatehq/upstate/services/statuspage/internal/store"
)

// Durables of the status page service's consumers; its replicas share
// them. A new deployment starts from the oldest event the streams keep:
// applying an event twice changes nothing.
const (
	StatusDurable    = "statuspage-status"
	IncidentsDurable = "statuspage-incidents"
)

// Config tunes the consumers.
type Config struct {
	// Concurrency is how many batches are applied at once per stream
	// (default 2), each in one transaction, of what has arrived up to
	// MaxBatch (default 256).
	Concurrency int
	MaxBatch    int
	// MaxDeliver and TransientBackoff are those of bus.ConsumerConfig.
	MaxDeliver       int
	TransientBackoff func(attempt int) time.Duration
}

// Hooks are told what a committed batch did.
type Hooks struct {
	// Queued is called when deliveries were queued.
	Queued func()
	// Changed is called with the services whose status changed, whose
	// daily figures are to be fetched again.
	Changed func(serviceIDs []string)
	// Applied is called when a batch changed the read model.
	Applied func()
}

// Consumers apply STATUS and INCIDENTS events to the read model.
type Consumers struct {
	store   *store.Store
	hooks   Hooks
	clock   clockwork.Clock
	metrics *metrics.Metrics
	status  *bus.Consumer
	inc     *bus.Consumer
}

// Start creates or joins both durable consumers and handles events until Stop.
func Start(ctx context.Context, js jetstream.JetStream, st *store.Store, hooks Hooks, clock clockwork.Clock, m *metrics.Metrics, logger *slog.Logger, cfg Config) (*Consumers, error) {
	if cfg.Concurrency <= 0 {
		cfg.Concurrency = 2
	}
	if cfg.MaxBatch <= 0 {
		cfg.MaxBatch = 256
	}
	if hooks.Queued == nil {
		hooks.Queued = func() {}
	}
	if hooks.Changed == nil {
		hooks.Changed = func([]string) {}
	}
	if hooks.Applied == nil {
		hooks.Applied = func() {}
	}
	c := &Consumers{store: st, hooks: hooks, clock: clock, metrics: m}
	conf := func(stream, durable, subjects string) bus.ConsumerConfig {
		return bus.ConsumerConfig{
			Stream: stream, Durable: durable, FilterSubjects: []string{subjects},
			Concurrency: cfg.Concurrency, MaxBatch: cfg.MaxBatch, Start: bus.FromOldest,
			MaxDeliver: cfg.MaxDeliver, TransientBackoff: cfg.TransientBackoff,
			// An event waits out a database outage however long it lasts.
			Unavailable: pgdb.IsUnavailable,
		}
	}
	var err error
	if c.status, err = bus.ConsumeBatch(ctx, js, conf(bus.StreamStatus, StatusDurable, bus.SubjectsStatus), c.handleStatus, logger); err != nil {
		return nil, fmt.Errorf("consume status: %w", err)
	}
	if c.inc, err = bus.ConsumeBatch(ctx, js, conf(bus.StreamIncidents, IncidentsDurable, bus.SubjectsIncidents), c.handleIncidents, logger); err != nil {
		return nil, errors.Join(fmt.Errorf("consume incidents: %w", err), c.status.Stop(ctx))
	}
	return c, nil
}

// Stop stops pulling events and returns once those received are handled
// (or ctx ends).
func (c *Consumers) Stop(ctx context.Context) error {
	return errors.Join(c.status.Stop(ctx), c.inc.Stop(ctx))
}

func name(m proto.Message) string { return string(m.ProtoReflect().Descriptor().FullName()) }

// ce-types of the events the consumers apply.
var (
	typeServiceCreated       = name(&statusv1.ServiceCreated{})
	typeServiceUpdated       = name(&statusv1.ServiceUpdated{})
	typeServiceDeleted       = name(&statusv1.ServiceDeleted{})
	typeStatusChanged        = name(&statusv1.StatusChanged{})
	typeIncidentOpened       = name(&incidentsv1.IncidentOpened{})
	typeIncidentUpdated      = name(&incidentsv1.IncidentUpdated{})
	typeIncidentResolved     = name(&incidentsv1.IncidentResolved{})
	typeMaintenanceScheduled = name(&incidentsv1.MaintenanceScheduled{})
	typeMaintenanceUpdated   = name(&incidentsv1.MaintenanceUpdated{})
	typeMaintenanceCancelled = name(&incidentsv1.MaintenanceCancelled{})
	typeMaintenanceStarted   = name(&incidentsv1.MaintenanceStarted{})
	typeMaintenanceEnded     = name(&incidentsv1.MaintenanceEnded{})
)

func decode(msg jetstream.Msg, m proto.Message) error {
	if err := proto.Unmarshal(msg.Data(), m); err != nil {
		return bus.Permanent(fmt.Errorf("decode %s: %w", msg.Headers().Get(bus.HeaderCEType), err))
	}
	return nil
}

// DecodeStatus turns a STATUS message into what the store applies; ok is
// false for a type the service does not use, acknowledged without effect.
// A message that cannot be decoded or lacks its identity is a permanent
// error: it is dead-lettered.
func DecodeStatus(msg jetstream.Msg) (ev domain.ServiceEvent, ok bool, err error) {
	typ := msg.Headers().Get(bus.HeaderCEType)
	switch typ {
	case typeServiceCreated:
		var m statusv1.ServiceCreated
		if err := decode(msg, &m); err != nil {
			return ev, false, err
		}
		ev, ok = pbconv.ServiceCreated(m.GetService())
	case typeStatusChanged:
		var m statusv1.StatusChanged
		if err := decode(msg, &m); err != nil {
			return ev, false, err
		}
		ev, ok = pbconv.StatusChanged(&m)
	case typeServiceUpdated:
		var m statusv1.ServiceUpdated
		if err := decode(msg, &m); err != nil {
			return ev, false, err
		}
		ev, ok = pbconv.ServiceUpdated(m.GetService()), true
	case typeServiceDeleted:
		var m statusv1.ServiceDeleted
		if err := decode(msg, &m); err != nil {
			return ev, false, err
		}
		ev, ok = pbconv.ServiceDeleted(&m), true
	default:
		return ev, false, nil
	}
	if !ok || ev.OrgID == "" || ev.ServiceID == "" || ev.Version < 0 {
		return ev, false, bus.Permanent(fmt.Errorf("%s on %s lacks org, service, version, status or time", typ, msg.Subject()))
	}
	return ev, true, nil
}

// DecodeIncidents turns an INCIDENTS message into an incident or a
// window event; both are zero for a type the service does not use.
func DecodeIncidents(msg jetstream.Msg) (*domain.IncidentEvent, *domain.WindowEvent, error) {
	typ := msg.Headers().Get(bus.HeaderCEType)
	var inc *incidentsv1.Incident
	var win *incidentsv1.Maintenance
	notify := false
	switch typ {
	case typeIncidentOpened:
		var m incidentsv1.IncidentOpened
		if err := decode(msg, &m); err != nil {
			return nil, nil, err
		}
		inc = m.GetIncident()
	case typeIncidentUpdated:
		var m incidentsv1.IncidentUpdated
		if err := decode(msg, &m); err != nil {
			return nil, nil, err
		}
		inc = m.GetIncident()
	case typeIncidentResolved:
		var m incidentsv1.IncidentResolved
		if err := decode(msg, &m); err != nil {
			return nil, nil, err
		}
		inc = m.GetIncident()
	case typeMaintenanceScheduled:
		var m incidentsv1.MaintenanceScheduled
		if err := decode(msg, &m); err != nil {
			return nil, nil, err
		}
		win, notify = m.GetMaintenance(), true
	case typeMaintenanceStarted:
		var m incidentsv1.MaintenanceStarted
		if err := decode(msg, &m); err != nil {
			return nil, nil, err
		}
		win, notify = m.GetMaintenance(), true
	case typeMaintenanceEnded:
		var m incidentsv1.MaintenanceEnded
		if err := decode(msg, &m); err != nil {
			return nil, nil, err
		}
		win, notify = m.GetMaintenance(), true
	case typeMaintenanceUpdated:
		var m incidentsv1.MaintenanceUpdated
		if err := decode(msg, &m); err != nil {
			return nil, nil, err
		}
		win = m.GetMaintenance()
	case typeMaintenanceCancelled:
		var m incidentsv1.MaintenanceCancelled
		if err := decode(msg, &m); err != nil {
			return nil, nil, err
		}
		win = m.GetMaintenance()
	default:
		return nil, nil, nil
	}
	if inc != nil {
		i, ok := pbconv.Incident(inc)
		if !ok {
			return nil, nil, bus.Permanent(fmt.Errorf("%s on %s lacks its id, organisation or times", typ, msg.Subject()))
		}
		return &domain.IncidentEvent{Incident: i}, nil, nil
	}
	w, ok := pbconv.Window(win)
	if !ok {
		return nil, nil, bus.Permanent(fmt.Errorf("%s on %s lacks its id, organisation, status or times", typ, msg.Subject()))
	}
	return nil, &domain.WindowEvent{Window: w, Notify: notify}, nil
}

// handleStatus applies a batch of STATUS events in one transaction. An
// event that cannot be decoded fails the batch as Permanent, so that the
// bus applies the batch's events one by one and dead-letters that one
// alone.
func (c *Consumers) handleStatus(ctx context.Context, msgs []jetstream.Msg) error {
	evs := make([]domain.ServiceEvent, 0, len(msgs))
	for _, msg := range msgs {
		ev, ok, err := DecodeStatus(msg)
		if err != nil {
			return err
		}
		if ok {
			evs = append(evs, ev)
		}
	}
	var res store.ApplyResult
	if len(evs) > 0 {
		var err error
		if res, err = c.store.ApplyServices(ctx, pgdb.Now(c.clock), evs...); err != nil {
			return err
		}
	}
	c.done("status", len(msgs)-len(evs), res)
	return nil
}

// handleIncidents applies a batch of INCIDENTS events in one transaction.
func (c *Consumers) handleIncidents(ctx context.Context, msgs []jetstream.Msg) error {
	var incs []domain.IncidentEvent
	var wins []domain.WindowEvent
	for _, msg := range msgs {
		inc, win, err := DecodeIncidents(msg)
		if err != nil {
			return err
		}
		if inc != nil {
			incs = append(incs, *inc)
		}
		if win != nil {
			wins = append(wins, *win)
		}
	}
	var res store.ApplyResult
	if len(incs)+len(wins) > 0 {
		var err error
		if res, err = c.store.ApplyIncidents(ctx, pgdb.Now(c.clock), incs, wins); err != nil {
			return err
		}
	}
	c.done("incidents", len(msgs)-len(incs)-len(wins), res)
	return nil
}

// done counts a committed batch, so that a batch retried is not counted
// twice, and tells the hooks.
func (c *Consumers) done(stream string, ignored int, res store.ApplyResult) {
	c.metrics.Events(stream, "ignored", ignored)
	c.metrics.Events(stream, "stale", res.Stale)
	c.metrics.Events(stream, "applied", res.Applied)
	if res.Applied > 0 {
		c.hooks.Applied()
	}
	if res.Deliveries > 0 {
		c.hooks.Queued()
	}
	if len(res.Services) > 0 {
		c.hooks.Changed(res.Services)
	}
}
