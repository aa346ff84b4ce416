// Package app assembles the notification service from its parts. Unit is
// how every binary and the integration tests run it on the service
// runtime (pkg/service); New wires it from connections already open.
package app

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jonboulle/clockwork"
	"google.golang.org/grpc"

	"github.com/upstatehq/upstate/pkg/bus"
	"github.com/upstatehq/upstate/pkg/config"
	"github.com/upstatehq/upstate/pkg/lifecycle"
	"github.com/upstatehq/upstate/pkg/mail"
	"github.com/upstatehq/upstate/pkg/netguard"
	"github.com/upstatehq/upstate/pkg/outbox"
	"github.com/upstatehq/upstate/pkg/service"
	notificationv1 "github.com/upstatehq/upstate/proto/gen/upstate/notification/v1"
	statusv1 "github.com/upstatehq/upstate/proto/gen/upstate/status/v1"
	"github.com/upstatehq/upstate/services/notification"
	"github.com/upstatehq/upstate/services/notification/internal/channelapi"
	"github.com/upstatehq/upstate/services/notification/internal/channelstore"
	"github.com/upstatehq/upstate/services/notification/internal/consumer"
	"github.com/upstatehq/upstate/services/notification/internal/delivery"
	"github.com/upstatehq/upstate/services/notification/internal/grpcapi"
	"github.com/upstatehq/upstate/services/notification/internal/scheduler"
	"github.com/upstatehq/upstate/services/notification/internal/store"
	"github.com/upstatehq/upstate/services/notification/migrations"
)

// Name is the notification service's name in logs, metrics and
// connections.
const Name = "notification"

// Streams are the streams whose definitions the notification service
// keeps current: those it publishes.
var Streams = []string{bus.StreamNotify}

// The notification service's durable consumers, for the NATS
// permissions of the service's user.
const (
	// DeliveryDurable is the delivery workers' consumer on NOTIFY.
	DeliveryDurable = delivery.Durable
	// AlertsDurable is the escalation engine's consumer on ALERTS.
	AlertsDurable = consumer.AlertsDurable
	// IncidentsDurable is the routes' consumer on INCIDENTS.
	IncidentsDurable = consumer.IncidentsDurable
)

// Config is the notification service's settings, read from the
// environment by bin/notification and bin/upstate alike.
type Config struct {
	// SMTPURL is the mail server email notifications go through (the
	// status page's setting too).
	SMTPURL config.Secret `env:"UPSTATE_SMTP_URL" doc:"the mail server upstate sends email through (status page subscribers, email channels): {smtp://user:password@host:587} (STARTTLS when offered, required to authenticate) or {smtps://…:465}; empty: email subscriptions are refused and email notifications fail"`
	// SMTPFrom is the sender of those emails.
	SMTPFrom string `env:"UPSTATE_SMTP_FROM" envDefault:"upstate <status@localhost>" doc:"the From address of upstate's emails"`
	// AllowPrivate lists the inside ranges deliveries may reach.
	AllowPrivate string `env:"UPSTATE_NOTIFY_ALLOW_PRIVATE" doc:"comma-separated CIDR ranges (or addresses) that channels and webhook recipients may be in although they are loopback, private, link-local or metadata addresses, refused otherwise ({127.0.0.0/8,::1/128} for a laptop, {10.0.0.0/8} for a receiver on premises)"`
	// Concurrency is how many deliveries run at once per process.
	Concurrency int `env:"UPSTATE_NOTIFY_CONCURRENCY" envDefault:"64" doc:"deliveries of notifications running at once per process"`
	// HistoryRetention is how long delivered and dead notifications are
	// kept.
	HistoryRetention time.Duration `env:"UPSTATE_NOTIFY_HISTORY_RETENTION" envDefault:"720h" doc:"how long delivered and dead notifications and their attempts stay in the history (finished escalations stay 7 days); at least {24h}"`
	// EscalationInterval is how often due escalation steps are looked
	// for besides after each alert event (default 1s): the most a step
	// is late.
	EscalationInterval time.Duration
	// Delivery tunes the delivery workers beyond the environment (tests:
	// short backoffs and breaker times).
	Delivery delivery.Config
}

// Validate checks the settings.
func (c Config) Validate() error {
	var errs []error
	if c.SMTPURL != "" {
		if _, err := mail.New(c.SMTPURL.Reveal(), c.SMTPFrom); err != nil {
			errs = append(errs, fmt.Errorf("UPSTATE_SMTP_URL and UPSTATE_SMTP_FROM: %w", err))
		}
	}
	if _, err := netguard.ParseAllow(c.AllowPrivate); err != nil {
		errs = append(errs, fmt.Errorf("UPSTATE_NOTIFY_ALLOW_PRIVATE: %w", err))
	}
	if c.Concurrency < 1 || c.Concurrency > 1024 {
		errs = append(errs, errors.New("UPSTATE_NOTIFY_CONCURRENCY must be between 1 and 1024"))
	}
	if c.HistoryRetention < 24*time.Hour {
		errs = append(errs, errors.New("UPSTATE_NOTIFY_HISTORY_RETENTION must be at least 24h"))
	}
	return errors.Join(errs...)
}

// Unit runs the notification service with its gRPC API on grpcAddr,
// calling the status service at statusTarget.
func Unit(cfg Config, grpcAddr, statusTarget string) service.Unit {
	return service.Unit{Name: Name, GRPCAddr: grpcAddr, Streams: Streams, Build: func(ctx context.Context, in *service.Infra) (service.Service, error) {
		conns, clients, err := in.Conns(ctx, migrations.Schema, migrations.FS, statusTarget)
		if err != nil {
			return nil, err
		}
		deps := Deps{Conns: conns, Status: clients[0]}
		if cfg.SMTPURL != "" {
			if deps.Mailer, err = mail.New(cfg.SMTPURL.Reveal(), cfg.SMTPFrom); err != nil {
				return nil, fmt.Errorf("UPSTATE_SMTP_URL: %w", err)
			}
		}
		allow, err := netguard.ParseAllow(cfg.AllowPrivate)
		if err != nil {
			return nil, fmt.Errorf("UPSTATE_NOTIFY_ALLOW_PRIVATE: %w", err)
		}
		cfg.Delivery.AllowPrivate = append(cfg.Delivery.AllowPrivate, allow...)
		return New(cfg, deps), nil
	}}
}

// Deps are the connections the service uses; the caller owns and closes
// them, and has migrated the schema and created the streams.
type Deps struct {
	service.Conns
	// Status is a connection to the status service's gRPC API, which
	// checks the service ids of routes.
	Status grpc.ClientConnInterface
	// Mailer sends email notifications; nil: they fail (no
	// UPSTATE_SMTP_URL).
	Mailer *mail.Mailer
}

// App is a running (or ready to run) notification service.
type App struct {
	cfg         Config
	deps        Deps
	store       *store.Store
	channels    *channelapi.Server
	worker      *delivery.Worker
	escalations *store.Escalations
	relay       *outbox.Relay
	scheduler   *scheduler.Scheduler
	background  *service.Background
}

// New wires the service; it does no I/O.
func New(cfg Config, deps Deps) *App {
	if deps.Clock == nil {
		deps.Clock = clockwork.NewRealClock()
	}
	st := channelstore.New(deps.Pool)
	dcfg := cfg.Delivery
	if dcfg.Concurrency == 0 {
		dcfg.Concurrency = cfg.Concurrency
	}
	if cfg.EscalationInterval <= 0 {
		cfg.EscalationInterval = time.Second
	}
	if cfg.HistoryRetention <= 0 {
		// Configured in code (tests, embedding): the variable's default.
		cfg.HistoryRetention = 30 * 24 * time.Hour
	}
	people := store.New(deps.Pool)
	// Users without personal channels are written to only when email can
	// be sent.
	esc := store.NewEscalations(people, notification.Event, deps.Mailer != nil)
	relay := outbox.NewRelay(esc.Outbox, deps.JS, deps.Logger, time.Second)
	return &App{
		cfg: cfg, deps: deps, background: service.NewBackground(Name),
		store:       people,
		channels:    channelapi.New(st, deps.JS, deps.Clock),
		worker:      delivery.New(dcfg, st, mailer(deps.Mailer), deps.Clock, deps.Registry, deps.Logger),
		escalations: esc,
		relay:       relay,
		scheduler:   scheduler.New(esc, st, cfg.HistoryRetention, relay.Notify, deps.Clock, deps.Logger, cfg.EscalationInterval),
	}
}

// mailer keeps a nil *mail.Mailer a nil interface.
func mailer(m *mail.Mailer) delivery.Mailer {
	if m == nil {
		return nil
	}
	return m
}

// RegisterGRPC registers the service's gRPC APIs on s: users, teams,
// schedules, escalation policies, routes, channels and notifications.
func (a *App) RegisterGRPC(s *grpc.Server) {
	people := grpcapi.NewPeople(a.store, a.deps.Clock)
	notificationv1.RegisterUserServiceServer(s, people)
	notificationv1.RegisterTeamServiceServer(s, people)
	notificationv1.RegisterScheduleServiceServer(s, grpcapi.NewSchedules(a.store, a.deps.Clock))
	notificationv1.RegisterEscalationPolicyServiceServer(s, grpcapi.NewPolicies(a.store, a.deps.Clock))
	notificationv1.RegisterRouteServiceServer(s, grpcapi.NewRoutes(a.store, statusv1.NewServiceRegistryServiceClient(a.deps.Status), a.deps.Clock))
	notificationv1.RegisterChannelServiceServer(s, a.channels)
	notificationv1.RegisterNotificationServiceServer(s, a.channels)
}

// Start starts the service's background work: the delivery workers and
// their consumer's lag on /metrics, the escalation engine (its ALERTS
// consumer, scheduler and outbox relay) and the routing of INCIDENTS to
// channels.
func (a *App) Start(ctx context.Context) error {
	return a.background.Start(ctx, func(workers *lifecycle.Workers) error {
		if err := a.worker.Start(workers.Context(), a.deps.JS); err != nil {
			return err
		}
		workers.DrainFirst(a.worker.Stop)
		a.deps.CollectLag(workers, bus.StreamNotify, delivery.Durable)
		alerts, err := consumer.StartAlerts(workers.Context(), a.deps.JS, a.escalations, a.scheduler.Notify, a.deps.Clock, a.deps.Logger)
		if err != nil {
			return err
		}
		workers.DrainFirst(alerts.Stop)
		enqueue := func(ctx context.Context, n *notificationv1.Notification) error {
			_, err := notification.Enqueue(ctx, a.deps.JS, n)
			return err
		}
		incidents, err := consumer.StartIncidents(workers.Context(), a.deps.JS, a.store, statusv1.NewServiceRegistryServiceClient(a.deps.Status),
			enqueue, a.deps.Clock, a.deps.Logger)
		if err != nil {
			return err
		}
		workers.DrainFirst(incidents.Stop)
		a.deps.CollectLag(workers, bus.StreamAlerts, consumer.AlertsDurable)
		a.deps.CollectLag(workers, bus.StreamIncidents, consumer.IncidentsDurable)
		workers.Go(a.relay.Run)
		workers.Go(a.scheduler.Run)
		return nil
	})
}

// Stop drains the consumers, stops the scheduler, relays what the outbox
// still holds and lets deliveries in flight finish, until ctx ends;
// stopping again does nothing.
func (a *App) Stop(ctx context.Context) error { return a.background.Stop(ctx) }
