// Package app assembles the status page service from its parts. Unit is
// how every binary and the integration tests run it on the service
// runtime (pkg/service); New wires it from connections already open.
package app

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/url"
	"time"

	"github.com/jonboulle/clockwork"
	"github.com/labstack/echo/v4"
	"google.golang.org/grpc"

	"github.com/upstatehq/upstate/pkg/bus"
	"github.com/upstatehq/upstate/pkg/config"
	"github.com/upstatehq/upstate/pkg/lifecycle"
	"github.com/upstatehq/upstate/pkg/mail"
	"github.com/upstatehq/upstate/pkg/service"
	notificationv1 "github.com/upstatehq/upstate/proto/gen/upstate/notification/v1"
	slav1 "github.com/upstatehq/upstate/proto/gen/upstate/sla/v1"
	statusv1 "github.com/upstatehq/upstate/proto/gen/upstate/status/v1"
	statuspagev1 "github.com/upstatehq/upstate/proto/gen/upstate/statuspage/v1"
	"github.com/upstatehq/upstate/services/notification"
	"github.com/upstatehq/upstate/services/statuspage/internal/consumer"
	"github.com/upstatehq/upstate/services/statuspage/internal/deliver"
	"github.com/upstatehq/upstate/services/statuspage/internal/figures"
	"github.com/upstatehq/upstate/services/statuspage/internal/grpcapi"
	"github.com/upstatehq/upstate/services/statuspage/internal/metrics"
	"github.com/upstatehq/upstate/services/statuspage/internal/public"
	"github.com/upstatehq/upstate/services/statuspage/internal/store"
	"github.com/upstatehq/upstate/services/statuspage/migrations"
)

// Name is the status page service's name in logs, metrics and connections.
const Name = "statuspage"

// Streams are the streams whose definitions the service keeps current:
// none, it publishes nothing.
var Streams []string

// Durables of the service's consumers, for the NATS permissions of its user.
const (
	StatusDurable    = consumer.StatusDurable
	IncidentsDurable = consumer.IncidentsDurable
)

// Config is the status page service's settings, read from the environment
// by bin/statuspage and bin/upstate alike.
type Config struct {
	// PublicURL is the base URL the pages are reached at.
	PublicURL string `env:"UPSTATE_STATUSPAGE_PUBLIC_URL" doc:"base URL of the public pages (https://status.example.com), used in feeds, v2 documents and subscribers' messages; empty: each request's scheme and host (bin/upstate: http:// and its HTTP address in messages)"`
	// Concurrency is how many batches of events are applied at once per stream.
	Concurrency int `env:"UPSTATE_STATUSPAGE_CONCURRENCY" envDefault:"2" doc:"batches of STATUS and INCIDENTS events applied at once, per stream"`
	// FiguresInterval is how often every shown service's uptime figures
	// are fetched from the SLA service.
	FiguresInterval time.Duration `env:"UPSTATE_STATUSPAGE_FIGURES_INTERVAL" envDefault:"5m" doc:"how often the daily bars and uptime of every service on a page are fetched from the SLA service (and a changed service's shortly after its change)"`
	// MessageURL is the base of the pages' addresses in subscribers'
	// messages when PublicURL is empty (bin/upstate: its HTTP address).
	MessageURL string
	// SMTPURL is the mail server email subscribers are written through.
	SMTPURL config.Secret `env:"UPSTATE_SMTP_URL" doc:"the mail server upstate sends email through (status page subscribers, email channels): {smtp://user:password@host:587} (STARTTLS when offered, required to authenticate) or {smtps://…:465}; empty: email subscriptions are refused and email notifications fail"`
	// SMTPFrom is the sender of those emails.
	SMTPFrom string `env:"UPSTATE_SMTP_FROM" envDefault:"upstate <status@localhost>" doc:"the From address of upstate's emails"`
	// ChangeDelay is how long after a status change its figures are
	// fetched: the SLA service applies the same event meanwhile.
	ChangeDelay time.Duration
	// LookupTTL is how long a page's revision is trusted without asking
	// Postgres (default 500ms): how late another replica's change shows.
	LookupTTL time.Duration
	// DeliveryPoll is how often due deliveries are looked for (default 1s).
	DeliveryPoll time.Duration
}

// Validate checks the settings.
func (c Config) Validate() error {
	var errs []error
	if c.PublicURL != "" {
		u, err := url.Parse(c.PublicURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
			errs = append(errs, fmt.Errorf("UPSTATE_STATUSPAGE_PUBLIC_URL: %q is not an http(s) base URL such as https://status.example.com", c.PublicURL))
		}
	}
	if c.Concurrency < 1 || c.Concurrency > 64 {
		errs = append(errs, errors.New("UPSTATE_STATUSPAGE_CONCURRENCY must be between 1 and 64"))
	}
	if c.FiguresInterval < time.Second || c.FiguresInterval > 24*time.Hour {
		errs = append(errs, errors.New("UPSTATE_STATUSPAGE_FIGURES_INTERVAL must be between 1s and 24h"))
	}
	if c.SMTPURL != "" {
		if _, err := mail.New(c.SMTPURL.Reveal(), c.SMTPFrom); err != nil {
			errs = append(errs, fmt.Errorf("UPSTATE_SMTP_URL and UPSTATE_SMTP_FROM: %w", err))
		}
	}
	return errors.Join(errs...)
}

// Unit runs the status page service with its gRPC API on grpcAddr,
// calling the status service at statusTarget and the SLA service at
// slaTarget. Its public pages are on the host's HTTP listener.
func Unit(cfg Config, grpcAddr, statusTarget, slaTarget string) service.Unit {
	return service.Unit{Name: Name, GRPCAddr: grpcAddr, Streams: Streams, Build: func(ctx context.Context, in *service.Infra) (service.Service, error) {
		conns, clients, err := in.Conns(ctx, migrations.Schema, migrations.FS, statusTarget, slaTarget)
		if err != nil {
			return nil, err
		}
		deps := Deps{Conns: conns, Status: clients[0], SLA: clients[1]}
		if cfg.SMTPURL != "" {
			if deps.Mailer, err = mail.New(cfg.SMTPURL.Reveal(), cfg.SMTPFrom); err != nil {
				return nil, fmt.Errorf("UPSTATE_SMTP_URL: %w", err)
			}
		}
		return New(cfg, deps), nil
	}}
}

// Deps are the connections the service uses; the caller owns and closes
// them, and has migrated the schema and created the streams.
type Deps struct {
	service.Conns
	// Status is a connection to the status service's gRPC API: services
	// the read model has no event of yet.
	Status grpc.ClientConnInterface
	// SLA is a connection to the SLA service's gRPC API: daily figures.
	SLA grpc.ClientConnInterface
	// Mailer writes to email subscribers their confirmation link, at
	// once (nil: email subscriptions are refused); their notifications go
	// through the delivery queue like the webhooks'.
	Mailer *mail.Mailer
}

// App is a running (or ready to run) status page service.
type App struct {
	cfg        Config
	deps       Deps
	store      *store.Store
	metrics    *metrics.Metrics
	public     *public.Handler
	figures    *figures.Refresher
	deliverer  *deliver.Deliverer
	background *service.Background
}

// New wires the service; it does no I/O.
func New(cfg Config, deps Deps) *App {
	if cfg.FiguresInterval <= 0 {
		cfg.FiguresInterval = 5 * time.Minute
	}
	if cfg.ChangeDelay <= 0 {
		cfg.ChangeDelay = 2 * time.Second
	}
	if cfg.LookupTTL <= 0 {
		cfg.LookupTTL = 500 * time.Millisecond
	}
	if deps.Clock == nil {
		deps.Clock = clockwork.NewRealClock()
	}
	st := store.New(deps.Pool)
	m := metrics.New(deps.Registry)
	publicURL := cmp.Or(cfg.PublicURL, cfg.MessageURL, "http://127.0.0.1:8080")
	a := &App{
		cfg: cfg, deps: deps, store: st, metrics: m, background: service.NewBackground("status page"),
		public:  public.New(st, public.Options{PublicURL: cfg.PublicURL, Mailer: mailer(deps.Mailer), LookupTTL: cfg.LookupTTL}, deps.Clock, m, deps.Logger),
		figures: figures.New(st, slav1.NewSLAServiceClient(deps.SLA), deps.Clock, deps.Logger, cfg.FiguresInterval, cfg.ChangeDelay),
		deliverer: deliver.New(st, func(ctx context.Context, n *notificationv1.Notification) error {
			_, err := notification.Enqueue(ctx, deps.JS, n)
			return err
		}, deliver.Config{PublicURL: publicURL, PollInterval: cfg.DeliveryPoll}, deps.Clock, m, deps.Logger),
	}
	a.figures.Stored = a.public.Forget
	return a
}

// mailer keeps a nil *mail.Mailer a nil interface.
func mailer(m *mail.Mailer) public.Mailer {
	if m == nil {
		return nil
	}
	return m
}

// RegisterGRPC registers the StatusPageService on s.
func (a *App) RegisterGRPC(s *grpc.Server) {
	changed := func(ids []string) {
		a.public.Forget()
		a.figures.Changed(ids)
		// A new or changed custom domain is served at once by this replica.
		if err := a.public.RefreshDomains(context.Background()); err != nil {
			a.deps.Logger.Warn("reload custom domains", "err", err)
		}
	}
	statuspagev1.RegisterStatusPageServiceServer(s, grpcapi.New(a.store, statusv1.NewServiceRegistryServiceClient(a.deps.Status), changed, a.deps.Clock, a.cfg.PublicURL))
}

// RegisterHTTP mounts the public pages (/status/…, and custom domains).
func (a *App) RegisterHTTP(e *echo.Echo) { a.public.Register(e) }

// Start starts consuming STATUS and INCIDENTS, fetching figures, reloading
// custom domains and sending subscriber deliveries.
func (a *App) Start(ctx context.Context) error {
	return a.background.Start(ctx, func(workers *lifecycle.Workers) error {
		c, err := consumer.Start(workers.Context(), a.deps.JS, a.store, consumer.Hooks{Queued: a.deliverer.Notify, Changed: a.figures.Changed, Applied: a.public.Forget},
			a.deps.Clock, a.metrics, a.deps.Logger, consumer.Config{Concurrency: a.cfg.Concurrency})
		if err != nil {
			return err
		}
		workers.DrainFirst(c.Stop)
		a.deps.CollectLag(workers, bus.StreamStatus, consumer.StatusDurable)
		a.deps.CollectLag(workers, bus.StreamIncidents, consumer.IncidentsDurable)
		workers.Go(a.figures.Run)
		workers.Go(a.deliverer.Run)
		workers.Go(func(ctx context.Context) { a.public.RunDomains(ctx, 10*time.Second) })
		return nil
	})
}

// Stop drains the consumers, stops the background work and returns when
// everything has stopped or ctx ends. Stopping again does nothing.
func (a *App) Stop(ctx context.Context) error { return a.background.Stop(ctx) }

// Deliver sends the deliveries due now, for tests that move the clock.
func (a *App) Deliver(ctx context.Context) (int, error) { return a.deliverer.Once(ctx) }
