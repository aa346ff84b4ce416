// Package app assembles the alerting service from its parts. Unit is how
// every binary and the integration tests run it on the service runtime
// (pkg/service); New wires it from connections already open.
package app

import (
	"context"
	"errors"
	"time"

	"github.com/jonboulle/clockwork"
	"google.golang.org/grpc"

	"github.com/upstatehq/upstate/pkg/bus"
	"github.com/upstatehq/upstate/pkg/ids"
	"github.com/upstatehq/upstate/pkg/lifecycle"
	"github.com/upstatehq/upstate/pkg/outbox"
	"github.com/upstatehq/upstate/pkg/service"
	alertingv1 "github.com/upstatehq/upstate/proto/gen/upstate/alerting/v1"
	statusv1 "github.com/upstatehq/upstate/proto/gen/upstate/status/v1"
	"github.com/upstatehq/upstate/services/alerting/internal/consumer"
	"github.com/upstatehq/upstate/services/alerting/internal/events"
	"github.com/upstatehq/upstate/services/alerting/internal/grpcapi"
	"github.com/upstatehq/upstate/services/alerting/internal/metrics"
	"github.com/upstatehq/upstate/services/alerting/internal/scheduler"
	"github.com/upstatehq/upstate/services/alerting/internal/store"
	"github.com/upstatehq/upstate/services/alerting/migrations"
)

// Name is the alerting service's name in logs, metrics and connections.
const Name = "alerting"

// Streams are the streams whose definitions the alerting service keeps
// current: ALERTS, which it publishes.
var Streams = []string{bus.StreamAlerts}

// The alerting service's durable consumers, for the lag metrics and the
// NATS permissions of bin/upstate.
const (
	StatusDurable    = consumer.StatusDurable
	IncidentsDurable = consumer.IncidentsDurable
	SLODurable       = consumer.SLODurable
)

// Config is the alerting service's settings, read from the environment
// by bin/alerting and bin/upstate alike.
type Config struct {
	// Concurrency is how many batches of events are applied at once.
	Concurrency int `env:"UPSTATE_ALERTING_CONCURRENCY" envDefault:"4" doc:"batches of status events applied at once (those of one service in order)"`
	// SchedulerInterval is how often due alerts and notification groups
	// are looked for: the most an alert fires, or a group notifies, late.
	SchedulerInterval time.Duration `env:"UPSTATE_ALERTING_INTERVAL" envDefault:"1s" doc:"how often alerts whose {for} elapsed and due notifications are looked for: the most they are late"`
	// RelayInterval is how often the outbox is polled besides the
	// notification after each commit (default 1s).
	RelayInterval time.Duration
}

// Validate checks the settings.
func (c Config) Validate() error {
	var errs []error
	if c.Concurrency < 1 || c.Concurrency > 64 {
		errs = append(errs, errors.New("UPSTATE_ALERTING_CONCURRENCY must be between 1 and 64"))
	}
	if c.SchedulerInterval < 100*time.Millisecond || c.SchedulerInterval > time.Minute {
		errs = append(errs, errors.New("UPSTATE_ALERTING_INTERVAL must be between 100ms and 1m"))
	}
	return errors.Join(errs...)
}

// Unit runs the alerting service with its gRPC API on grpcAddr, calling
// the status service at statusTarget.
func Unit(cfg Config, grpcAddr, statusTarget string) service.Unit {
	return service.Unit{Name: Name, GRPCAddr: grpcAddr, Streams: Streams, Build: func(ctx context.Context, in *service.Infra) (service.Service, error) {
		conns, clients, err := in.Conns(ctx, migrations.Schema, migrations.FS, statusTarget)
		if err != nil {
			return nil, err
		}
		return New(cfg, Deps{Conns: conns, Status: clients[0]}), nil
	}}
}

// Deps are the connections the service uses; the caller owns and closes
// them, and has migrated the schema and created the streams.
type Deps struct {
	service.Conns
	// Status is a connection to the status service's gRPC API, which
	// checks the service ids of rules and dependencies.
	Status grpc.ClientConnInterface
}

// App is a running (or ready to run) alerting service.
type App struct {
	cfg        Config
	deps       Deps
	store      *store.Store
	registry   statusv1.ServiceRegistryServiceClient
	relay      *outbox.Relay
	scheduler  *scheduler.Scheduler
	metrics    *metrics.Metrics
	background *service.Background
}

// New wires the service; it does no I/O.
func New(cfg Config, deps Deps) *App {
	if cfg.RelayInterval <= 0 {
		cfg.RelayInterval = time.Second
	}
	if cfg.SchedulerInterval <= 0 {
		cfg.SchedulerInterval = time.Second
	}
	if deps.Clock == nil {
		deps.Clock = clockwork.NewRealClock()
	}
	st := store.New(deps.Pool, events.Announcer{}, ids.New)
	relay := outbox.NewRelay(st.Outbox, deps.JS, deps.Logger, cfg.RelayInterval)
	m := metrics.New(deps.Registry)
	sched := scheduler.New(st, relay.Notify, m, deps.Clock, deps.Logger, cfg.SchedulerInterval)
	return &App{cfg: cfg, deps: deps, store: st, registry: statusv1.NewServiceRegistryServiceClient(deps.Status),
		relay: relay, scheduler: sched, metrics: m, background: service.NewBackground(Name)}
}

// changed tells the relay and the scheduler that a commit may have
// written events or scheduled work.
func (a *App) changed() {
	a.relay.Notify()
	a.scheduler.Notify()
}

// RegisterGRPC registers the rule, alert, silence and dependency APIs on s.
func (a *App) RegisterGRPC(s *grpc.Server) {
	alertingv1.RegisterRuleServiceServer(s, grpcapi.NewRules(a.store, a.registry, a.changed, a.deps.Clock))
	alertingv1.RegisterAlertServiceServer(s, grpcapi.NewAlerts(a.store, a.changed, a.deps.Clock))
	silences := grpcapi.NewSilences(a.store, a.registry, a.changed, a.deps.Clock)
	alertingv1.RegisterSilenceServiceServer(s, silences)
	alertingv1.RegisterDependencyServiceServer(s, silences)
}

// Start starts consuming STATUS, INCIDENTS and SLA, running the scheduler
// and relaying events.
func (a *App) Start(ctx context.Context) error {
	return a.background.Start(ctx, func(workers *lifecycle.Workers) error {
		d := consumer.Deps{Store: a.store, Changed: a.changed, Metrics: a.metrics, Clock: a.deps.Clock, Logger: a.deps.Logger}
		cfg := consumer.Config{Concurrency: a.cfg.Concurrency}
		status, err := consumer.StartStatus(workers.Context(), a.deps.JS, d, cfg)
		if err != nil {
			return err
		}
		workers.DrainFirst(status.Stop)
		incidents, err := consumer.StartIncidents(workers.Context(), a.deps.JS, d, consumer.Config{Concurrency: 1})
		if err != nil {
			return err
		}
		workers.DrainFirst(incidents.Stop)
		slo, err := consumer.StartSLO(workers.Context(), a.deps.JS, d, consumer.Config{Concurrency: 1})
		if err != nil {
			return err
		}
		workers.DrainFirst(slo.Stop)
		a.deps.CollectLag(workers, bus.StreamStatus, consumer.StatusDurable)
		a.deps.CollectLag(workers, bus.StreamIncidents, consumer.IncidentsDurable)
		a.deps.CollectLag(workers, bus.StreamSLA, consumer.SLODurable)
		workers.Go(a.relay.Run)
		workers.Go(a.scheduler.Run)
		return nil
	})
}

// Stop drains the consumers, stops the scheduler, publishes what the
// outbox still holds and returns when everything has stopped or ctx ends.
// Stopping again does nothing.
func (a *App) Stop(ctx context.Context) error { return a.background.Stop(ctx) }
