// Package consumer applies the events the alerting service follows, each
// batch in one transaction: the STATUS stream's (services, their tags and
// statuses, which rules are evaluated on), the INCIDENTS stream's
// maintenance windows (which silence their services), and the SLA
// stream's SLO events (which rules with include_slo_events follow). Every
// durable consumer here starts from now (bus.FromNow) when first created,
// so that a first deployment pages nobody for the stream's month of
// history.
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
	incidentsv1 "github.com/upstatehq/upstate/proto/gen/upstate/incidents/v1"
	statusv1 "github.com/upstatehq/upstate/proto/gen/upstate/status/v1"
	"github.com/upstatehq/upstate/services/alerting/internal/domain"
	"github.com/upstatehq/upstate/services/alerting/internal/metrics"
	"github.com/upstatehq/upstate/services/alerting/internal/pbconv"
	"github.com/upstatehq/upstate/services/alerting/internal/store"
)

// The alerting service's durable consumers; its replicas share them.
const (
	// StatusDurable consumes STATUS.
	StatusDurable = "alerting-status"
	// IncidentsDurable consumes the maintenance windows of INCIDENTS.
	IncidentsDurable = "alerting-incidents"
	// SLODurable consumes the SLO events of SLA.
	SLODurable = "alerting-slo"
)

// Config tunes the consumers.
type Config struct {
	// Concurrency is how many batches are applied at once (default 4),
	// each in one transaction of what has arrived up to MaxBatch (default
	// 256); those of one subject in order within a process.
	Concurrency int
	MaxBatch    int
	// MaxDeliver and TransientBackoff are those of bus.ConsumerConfig.
	MaxDeliver       int
	TransientBackoff func(attempt int) time.Duration
}

// Deps are what the consumers apply events with.
type Deps struct {
	Store *store.Store
	// Changed is called after a commit that may have written outbox
	// events or scheduled an alert (the relay's and the scheduler's Notify).
	Changed func()
	Metrics *metrics.Metrics
	Clock   clockwork.Clock
	Logger  *slog.Logger
}

// Consumer is a running consumer.
type Consumer struct{ c *bus.Consumer }

// Stop stops pulling and returns once what was received is applied.
func (c *Consumer) Stop(ctx context.Context) error { return c.c.Stop(ctx) }

func start(ctx context.Context, js jetstream.JetStream, stream, durable string, subjects []string, cfg Config, h bus.BatchHandler, logger *slog.Logger) (*Consumer, error) {
	if cfg.Concurrency <= 0 {
		cfg.Concurrency = 4
	}
	if cfg.MaxBatch <= 0 {
		cfg.MaxBatch = 256
	}
	bc, err := bus.ConsumeBatch(ctx, js, bus.ConsumerConfig{
		Stream: stream, Durable: durable, FilterSubjects: subjects,
		Concurrency: cfg.Concurrency, MaxBatch: cfg.MaxBatch, BatchSize: cfg.MaxBatch * cfg.Concurrency,
		// Alerts page people: a first deployment must not replay the
		// stream's history, only what happens from now on.
		Start:      bus.FromNow,
		MaxDeliver: cfg.MaxDeliver, TransientBackoff: cfg.TransientBackoff,
		Unavailable: pgdb.IsUnavailable,
	}, h, logger)
	if err != nil {
		return nil, fmt.Errorf("consume %s: %w", stream, err)
	}
	return &Consumer{c: bc}, nil
}

func typeOf(m proto.Message) string { return string(m.ProtoReflect().Descriptor().FullName()) }

var (
	typeServiceCreated = typeOf((*statusv1.ServiceCreated)(nil))
	typeServiceUpdated = typeOf((*statusv1.ServiceUpdated)(nil))
	typeServiceDeleted = typeOf((*statusv1.ServiceDeleted)(nil))
	typeStatusChanged  = typeOf((*statusv1.StatusChanged)(nil))
)

// StartStatus consumes STATUS: every event of a service tells its name,
// tags and a version of its timeline (store.ServiceEvent); a batch is
// applied in one transaction and each service it touched is evaluated
// once.
func StartStatus(ctx context.Context, js jetstream.JetStream, d Deps, cfg Config) (*Consumer, error) {
	return start(ctx, js, bus.StreamStatus, StatusDurable, []string{bus.SubjectsStatus}, cfg, func(ctx context.Context, msgs []jetstream.Msg) error {
		evs := make([]store.ServiceEvent, 0, len(msgs))
		for _, msg := range msgs {
			ev, ok, err := decodeStatus(msg)
			if err != nil {
				return bus.Permanent(err)
			}
			if ok {
				evs = append(evs, ev)
			}
		}
		n, err := d.Store.ApplyServiceEvents(ctx, evs, pgdb.Now(d.Clock))
		if err != nil {
			return err
		}
		d.Metrics.StatusEvents(len(msgs), n)
		if n > 0 {
			d.Changed()
		}
		return nil
	}, d.Logger)
}

// decodeStatus reads a STATUS event; ok is false for types it does not
// know (acknowledged without effect).
func decodeStatus(msg jetstream.Msg) (ev store.ServiceEvent, ok bool, err error) {
	typ := msg.Headers().Get(bus.HeaderCEType)
	var svc *statusv1.Service
	switch typ {
	case typeServiceCreated:
		var m statusv1.ServiceCreated
		if err = proto.Unmarshal(msg.Data(), &m); err == nil {
			svc = m.GetService()
			ev = serviceEvent(svc)
			ev.Entries = []domain.Change{{Version: svc.GetStatusVersion(), Kind: domain.Created, Status: status(svc.GetStatus()), At: svc.GetStatusChangedAt().AsTime()}}
		}
	case typeServiceUpdated:
		var m statusv1.ServiceUpdated
		if err = proto.Unmarshal(msg.Data(), &m); err == nil {
			svc = m.GetService()
			ev = serviceEvent(svc)
			ev.Entries = []domain.Change{{Version: svc.GetVersion(), Kind: domain.Edited, At: svc.GetUpdatedAt().AsTime()}}
			if svc.GetStatusVersion() > 0 {
				ev.Entries = append(ev.Entries, domain.Change{Version: svc.GetStatusVersion(), Kind: domain.Observed,
					Status: status(svc.GetStatus()), At: svc.GetStatusChangedAt().AsTime()})
			}
		}
	case typeStatusChanged:
		var m statusv1.StatusChanged
		if err = proto.Unmarshal(msg.Data(), &m); err == nil {
			ev = store.ServiceEvent{OrgID: m.GetOrgId(), ServiceID: m.GetServiceId(), Version: m.GetVersion(), Name: m.GetServiceName(), Tags: m.GetTags(),
				Entries: []domain.Change{{Version: m.GetVersion(), Kind: domain.Changed, Status: status(m.GetStatus()), Previous: status(m.GetPrevious()), At: m.GetChangedAt().AsTime()}}}
		}
	case typeServiceDeleted:
		var m statusv1.ServiceDeleted
		if err = proto.Unmarshal(msg.Data(), &m); err == nil {
			ev = store.ServiceEvent{OrgID: m.GetOrgId(), ServiceID: m.GetServiceId(), Version: m.GetVersion(), Deleted: true,
				Entries: []domain.Change{{Version: m.GetVersion(), Kind: domain.Edited, At: m.GetDeletedAt().AsTime()}}}
		}
	default:
		return ev, false, nil
	}
	if err != nil {
		return ev, false, fmt.Errorf("decode %s: %w", typ, err)
	}
	if ev.OrgID == "" || ev.ServiceID == "" || ev.Version <= 0 {
		return ev, false, fmt.Errorf("%s on %s lacks org, service or version", typ, msg.Subject())
	}
	for _, c := range ev.Entries {
		if c.Kind != domain.Edited && !c.Status.Valid() {
			return ev, false, fmt.Errorf("%s on %s has no valid status", typ, msg.Subject())
		}
	}
	return ev, true, nil
}

func serviceEvent(s *statusv1.Service) store.ServiceEvent {
	return store.ServiceEvent{OrgID: s.GetOrgId(), ServiceID: s.GetId(), Version: s.GetVersion(), Name: s.GetName(), Tags: s.GetTags()}
}

func status(s statusv1.Status) domain.Status {
	d, _ := pbconv.DomainStatus(s)
	return d
}

var (
	typeMaintenanceScheduled = typeOf((*incidentsv1.MaintenanceScheduled)(nil))
	typeMaintenanceUpdated   = typeOf((*incidentsv1.MaintenanceUpdated)(nil))
	typeMaintenanceCancelled = typeOf((*incidentsv1.MaintenanceCancelled)(nil))
	typeMaintenanceStarted   = typeOf((*incidentsv1.MaintenanceStarted)(nil))
	typeMaintenanceEnded     = typeOf((*incidentsv1.MaintenanceEnded)(nil))
)

// maintenanceOf reads the window of a maintenance event; ok is false for
// the stream's other events (incidents).
func maintenanceOf(msg jetstream.Msg) (m *incidentsv1.Maintenance, ok bool, err error) {
	var holder interface {
		proto.Message
		GetMaintenance() *incidentsv1.Maintenance
	}
	switch msg.Headers().Get(bus.HeaderCEType) {
	case typeMaintenanceScheduled:
		holder = &incidentsv1.MaintenanceScheduled{}
	case typeMaintenanceUpdated:
		holder = &incidentsv1.MaintenanceUpdated{}
	case typeMaintenanceCancelled:
		holder = &incidentsv1.MaintenanceCancelled{}
	case typeMaintenanceStarted:
		holder = &incidentsv1.MaintenanceStarted{}
	case typeMaintenanceEnded:
		holder = &incidentsv1.MaintenanceEnded{}
	default:
		return nil, false, nil
	}
	if err := proto.Unmarshal(msg.Data(), holder); err != nil {
		return nil, false, fmt.Errorf("decode maintenance event: %w", err)
	}
	m = holder.GetMaintenance()
	if m.GetId() == "" || m.GetOrgId() == "" || m.GetVersion() <= 0 || m.GetStartsAt() == nil || m.GetEndsAt() == nil {
		return nil, false, fmt.Errorf("maintenance event on %s lacks id, org, version or times", msg.Subject())
	}
	return m, true, nil
}

// StartIncidents consumes the maintenance windows of INCIDENTS: each
// window's silence follows its newest version (store.ApplyWindows).
func StartIncidents(ctx context.Context, js jetstream.JetStream, d Deps, cfg Config) (*Consumer, error) {
	return start(ctx, js, bus.StreamIncidents, IncidentsDurable, []string{bus.SubjectsIncidents}, cfg, func(ctx context.Context, msgs []jetstream.Msg) error {
		ws := make([]domain.Window, 0, len(msgs))
		for _, msg := range msgs {
			m, ok, err := maintenanceOf(msg)
			if err != nil {
				return bus.Permanent(err)
			}
			if !ok {
				continue
			}
			w := domain.Window{
				ID: m.GetId(), OrgID: m.GetOrgId(), Title: m.GetTitle(), ServiceIDs: m.GetServiceIds(),
				StartsAt: m.GetStartsAt().AsTime(), EndsAt: m.GetEndsAt().AsTime(), Version: m.GetVersion(),
				Cancelled: m.GetStatus() == incidentsv1.MaintenanceStatus_MAINTENANCE_STATUS_CANCELLED,
			}
			if m.GetEndedAt() != nil {
				w.EndedAt = m.GetEndedAt().AsTime()
			}
			ws = append(ws, w)
		}
		if len(ws) == 0 {
			return nil
		}
		n, err := d.Store.ApplyWindows(ctx, ws, pgdb.Now(d.Clock))
		if err != nil {
			return err
		}
		if n > 0 {
			d.Logger.InfoContext(ctx, "maintenance silences changed", "silences", n)
		}
		return nil
	}, d.Logger)
}
