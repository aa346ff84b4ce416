// Package app assembles the edge (the public REST API) so that its own
// binary, the all-in-one binary and integration tests run the same code.
package app

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jonboulle/clockwork"
	"github.com/labstack/echo/v4"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/grpc"

	"github.com/upstatehq/upstate/pkg/bus"
	"github.com/upstatehq/upstate/pkg/config"
	"github.com/upstatehq/upstate/pkg/ids"
	"github.com/upstatehq/upstate/pkg/lifecycle"
	"github.com/upstatehq/upstate/pkg/outbox"
	"github.com/upstatehq/upstate/pkg/pgdb"
	"github.com/upstatehq/upstate/pkg/service"
	alertingv1 "github.com/upstatehq/upstate/proto/gen/upstate/alerting/v1"
	incidentsv1 "github.com/upstatehq/upstate/proto/gen/upstate/incidents/v1"
	notificationv1 "github.com/upstatehq/upstate/proto/gen/upstate/notification/v1"
	slav1 "github.com/upstatehq/upstate/proto/gen/upstate/sla/v1"
	statusv1 "github.com/upstatehq/upstate/proto/gen/upstate/status/v1"
	statuspagev1 "github.com/upstatehq/upstate/proto/gen/upstate/statuspage/v1"
	"github.com/upstatehq/upstate/services/edge/internal/audit"
	"github.com/upstatehq/upstate/services/edge/internal/auth"
	"github.com/upstatehq/upstate/services/edge/internal/domain"
	"github.com/upstatehq/upstate/services/edge/internal/httpapi"
	"github.com/upstatehq/upstate/services/edge/internal/live"
	"github.com/upstatehq/upstate/services/edge/internal/session"
	"github.com/upstatehq/upstate/services/edge/internal/store"
	"github.com/upstatehq/upstate/services/edge/migrations"
)

// Name is the edge's name in logs, metrics and connections.
const Name = "edge"

// Streams are the streams whose definitions the edge keeps current:
// AUDIT, which it publishes.
var Streams = []string{bus.StreamAudit}

// auditGrace is how long an audit intent may stay unfinished before the
// sweeper records it as unknown: longer than any request takes (each call
// to a backing service is bounded to 10 s).
const auditGrace = 5 * time.Minute

// sweepEvery is how often unfinished audit intents are looked for.
const sweepEvery = time.Minute

// Config is the edge's settings, read from the environment by bin/edge
// and bin/upstate alike.
type Config struct {
	// BootstrapAPIKey, when set (ak_live_…), is created at start in a default
	// organisation with every scope, if it does not exist yet.
	BootstrapAPIKey config.Secret `env:"UPSTATE_BOOTSTRAP_API_KEY" doc:"{ak_live_…}: create a default organisation holding this key with every scope (idempotent)"`
	// AuthCacheTTL is how long a verified key is trusted without asking the
	// database again, and so how long a revocation takes to reach other
	// replicas.
	AuthCacheTTL time.Duration `env:"UPSTATE_AUTH_CACHE_TTL" envDefault:"10s" doc:"how long a verified key is cached; a revoked key keeps working on other edge replicas for at most this long"`
	// PublicURL is the base URL webhook senders reach upstate at
	// (https://status.example.com), used in the webhook receiver URLs the
	// API shows. Empty means the scheme and host of each API request.
	PublicURL string `env:"UPSTATE_PUBLIC_URL" doc:"base of the receiver URLs the API shows (the gateway's public address); empty: derived from each request"`
	// ConsoleSessionTTL is how long a console sign-in lasts.
	ConsoleSessionTTL time.Duration `env:"UPSTATE_CONSOLE_SESSION_TTL" envDefault:"12h" doc:"how long a sign-in to the console (/console) lasts"`
}

// Validate checks the settings.
func (c Config) Validate() error {
	var errs []error
	if err := validatePublicURL(c.PublicURL); err != nil {
		errs = append(errs, fmt.Errorf("UPSTATE_PUBLIC_URL: %w", err))
	}
	if c.BootstrapAPIKey != "" {
		if err := auth.ValidateSecret(c.BootstrapAPIKey.Reveal()); err != nil {
			errs = append(errs, fmt.Errorf("UPSTATE_BOOTSTRAP_API_KEY: %w", err))
		}
	}
	if c.AuthCacheTTL < 0 {
		errs = append(errs, errors.New("UPSTATE_AUTH_CACHE_TTL must not be negative"))
	}
	if c.ConsoleSessionTTL < 0 {
		errs = append(errs, errors.New("UPSTATE_CONSOLE_SESSION_TTL must not be negative"))
	}
	return errors.Join(errs...)
}

// Targets are where the gRPC APIs of the services the edge calls are.
type Targets struct {
	Status, Incidents, SLA, Alerting, StatusPage, Notification string
}

// Unit runs the edge, calling the status, incidents, SLA, alerting,
// status page and notification services at their gRPC targets. It serves
// HTTP only, on the host's listener.
func Unit(cfg Config, t Targets) service.Unit {
	return service.Unit{Name: Name, Streams: Streams, Build: func(ctx context.Context, in *service.Infra) (service.Service, error) {
		pool, err := in.Postgres(ctx, migrations.Schema, migrations.FS)
		if err != nil {
			return nil, err
		}
		deps := Deps{Pool: pool, Logger: in.Logger(), Clock: in.Clock()}
		for _, c := range []struct {
			conn   *grpc.ClientConnInterface
			target string
		}{
			{&deps.Status, t.Status}, {&deps.Incidents, t.Incidents}, {&deps.SLA, t.SLA}, {&deps.Alerting, t.Alerting},
			{&deps.StatusPages, t.StatusPage}, {&deps.Notification, t.Notification},
		} {
			if *c.conn, err = in.Dial(c.target); err != nil {
				return nil, err
			}
		}
		// JetStream carries the audit log's events; NATS feeds the
		// console's live updates.
		if deps.NATS, deps.JS, err = in.NATS(ctx); err != nil {
			return nil, err
		}
		return New(cfg, deps)
	}}
}

// Deps are the connections the edge uses; the caller owns and closes
// them, and has migrated the schema and created the streams.
type Deps struct {
	Pool *pgxpool.Pool
	// JS publishes the audit log's events (AUDIT).
	JS jetstream.JetStream
	// Status is a connection to the status service's gRPC API.
	Status grpc.ClientConnInterface
	// Incidents is a connection to the incidents service's gRPC API
	// (incidents and maintenance windows).
	Incidents grpc.ClientConnInterface
	// SLA is a connection to the SLA service's gRPC API (uptime, SLOs).
	SLA grpc.ClientConnInterface
	// Alerting is a connection to the alerting service's gRPC API (rules,
	// alerts, silences, dependencies).
	Alerting grpc.ClientConnInterface
	// StatusPages is a connection to the status page service's gRPC API.
	StatusPages grpc.ClientConnInterface
	// Notification is a connection to the notification service's gRPC API
	// (users, teams, schedules, escalation policies, routes, channels).
	Notification grpc.ClientConnInterface
	// NATS, when not nil, feeds the console's live updates (its pages
	// still work without).
	NATS   *nats.Conn
	Logger *slog.Logger
	// Clock gives the time of API keys' timestamps, of their expiry, of
	// the key cache's and of audit entries (default: the wall clock).
	Clock clockwork.Clock
}

// App is the edge.
type App struct {
	cfg     Config
	deps    Deps
	store   *store.Store
	relay   *outbox.Relay
	handler *httpapi.Handler
	console *httpapi.Console
	workers *lifecycle.Workers
}

// New wires the edge; it does no I/O.
func New(cfg Config, deps Deps) (*App, error) {
	if cfg.AuthCacheTTL <= 0 {
		cfg.AuthCacheTTL = 10 * time.Second
	}
	if cfg.ConsoleSessionTTL <= 0 {
		cfg.ConsoleSessionTTL = 12 * time.Hour
	}
	if deps.Clock == nil {
		deps.Clock = clockwork.NewRealClock()
	}
	st := store.New(deps.Pool)
	authn := httpapi.NewAuthenticator(st, cfg.AuthCacheTTL, deps.Clock, deps.Logger)
	backends := httpapi.Backends{
		Services:      statusv1.NewServiceRegistryServiceClient(deps.Status),
		Receivers:     statusv1.NewReceiverServiceClient(deps.Status),
		Incidents:     incidentsv1.NewIncidentServiceClient(deps.Incidents),
		Maintenances:  incidentsv1.NewMaintenanceServiceClient(deps.Incidents),
		SLA:           slav1.NewSLAServiceClient(deps.SLA),
		Rules:         alertingv1.NewRuleServiceClient(deps.Alerting),
		Alerts:        alertingv1.NewAlertServiceClient(deps.Alerting),
		Silences:      alertingv1.NewSilenceServiceClient(deps.Alerting),
		Dependencies:  alertingv1.NewDependencyServiceClient(deps.Alerting),
		StatusPages:   statuspagev1.NewStatusPageServiceClient(deps.StatusPages),
		Users:         notificationv1.NewUserServiceClient(deps.Notification),
		Teams:         notificationv1.NewTeamServiceClient(deps.Notification),
		Schedules:     notificationv1.NewScheduleServiceClient(deps.Notification),
		Policies:      notificationv1.NewEscalationPolicyServiceClient(deps.Notification),
		Routes:        notificationv1.NewRouteServiceClient(deps.Notification),
		Channels:      notificationv1.NewChannelServiceClient(deps.Notification),
		Notifications: notificationv1.NewNotificationServiceClient(deps.Notification),
	}
	relay := outbox.NewRelay(st.Outbox, deps.JS, deps.Logger, time.Second)
	h := httpapi.NewHandler(backends, st, notifyingAudits{Store: st, notify: relay.Notify}, authn, cfg.PublicURL, deps.Clock, deps.Logger)
	var hub *live.Hub
	if deps.NATS != nil {
		hub = live.NewHub(deps.NATS, deps.Logger)
	}
	console, err := httpapi.NewConsole(h, hub, cfg.ConsoleSessionTTL)
	if err != nil {
		return nil, fmt.Errorf("console: %w", err)
	}
	return &App{cfg: cfg, deps: deps, store: st, relay: relay, handler: h, console: console}, nil
}

// notifyingAudits wakes the relay when an audit entry is stored.
type notifyingAudits struct {
	*store.Store
	notify func()
}

func (n notifyingAudits) FinishAudit(ctx context.Context, e audit.Entry) (bool, error) {
	ok, err := n.Store.FinishAudit(ctx, e)
	if ok {
		n.notify()
	}
	return ok, err
}

// Start checks the configuration, reads the console's session secret
// (creating it on the first start), creates the bootstrap key and starts
// the relay of audit events and the sweeper of unfinished audit intents.
func (a *App) Start(ctx context.Context) error {
	if err := a.cfg.Validate(); err != nil {
		return err
	}
	candidate := make([]byte, session.SecretLen)
	_, _ = rand.Read(candidate) // crypto/rand.Read never fails.
	secret, err := a.store.ConsoleSecret(ctx, candidate, pgdb.Now(a.deps.Clock))
	if err != nil {
		return err
	}
	codec, err := session.NewCodec(secret)
	if err != nil {
		return err
	}
	a.console.SetCodec(codec)
	if err := a.bootstrap(ctx); err != nil {
		return err
	}
	a.workers = lifecycle.NewWorkers(ctx)
	a.workers.Go(a.relay.Run)
	a.workers.Go(a.sweepAudit)
	return nil
}

// sweepAudit records as unknown, at start and every sweepEvery, the audit
// intents that no edge finished within auditGrace: their edge stopped, or
// lost its database, after the change may have been made.
func (a *App) sweepAudit(ctx context.Context) {
	ticker := a.deps.Clock.NewTicker(sweepEvery)
	defer ticker.Stop()
	for {
		n, err := a.store.SweepAudit(ctx, pgdb.Now(a.deps.Clock).Add(-auditGrace))
		switch {
		case err != nil && ctx.Err() == nil:
			a.deps.Logger.WarnContext(ctx, "sweep audit intents", "err", err)
		case n > 0:
			a.deps.Logger.WarnContext(ctx, "recorded unfinished changes in the audit log with outcome unknown", "entries", n)
			a.relay.Notify()
		}
		select {
		case <-ctx.Done():
			return
		case <-ticker.Chan():
		}
	}
}

// bootstrap creates the bootstrap key, if one is configured.
func (a *App) bootstrap(ctx context.Context) error {
	if a.cfg.BootstrapAPIKey == "" {
		return nil
	}
	key := auth.KeyFromSecret(a.cfg.BootstrapAPIKey.Reveal())
	orgID, err := a.store.Bootstrap(ctx, key, pgdb.Now(a.deps.Clock))
	if err != nil {
		return err
	}
	if len(a.cfg.BootstrapAPIKey) < len(auth.KeyPrefix)+32 {
		a.deps.Logger.Warn("the bootstrap API key is short; use a long random one outside a laptop")
	}
	a.deps.Logger.Info("bootstrap API key ready", "org_id", orgID, "key_prefix", key.Prefix)
	return nil
}

// Stop stops the sweeper and the relay, which first publishes what the
// outbox still holds. The host has drained the HTTP requests before.
// Stopping again does nothing.
func (a *App) Stop(ctx context.Context) error {
	if a.workers == nil {
		return nil
	}
	err := a.workers.Stop(ctx)
	a.workers = nil
	if err != nil {
		return fmt.Errorf("stop edge: %w", err)
	}
	return nil
}

// RegisterHTTP mounts the REST API (/api/v1/…) and the console
// (/console) on e.
func (a *App) RegisterHTTP(e *echo.Echo) {
	httpapi.Register(e, a.handler)
	httpapi.RegisterConsole(e, a.console)
}

// CreateOrg creates an organisation with a first API key holding scopes and
// returns the organisation's id and the key's secret, which is not stored.
func (a *App) CreateOrg(ctx context.Context, name string, scopes []string) (orgID, secret string, err error) {
	parsed, err := auth.ParseScopes(scopes)
	if err != nil {
		return "", "", err
	}
	now := pgdb.Now(a.deps.Clock)
	orgID, err = a.store.CreateOrg(ctx, name, now)
	if err != nil {
		return "", "", err
	}
	key := auth.NewKey()
	err = a.store.CreateKey(ctx, domain.APIKey{
		ID: ids.New(ids.APIKey), OrgID: orgID, Name: "initial", Prefix: key.Prefix, Scopes: parsed, CreatedAt: now,
	}, key.Hash)
	if err != nil {
		return "", "", err
	}
	return orgID, key.Secret, nil
}

// validatePublicURL accepts an empty URL or an absolute http(s) URL without
// query or fragment, to which webhook paths are appended.
func validatePublicURL(s string) error {
	if s == "" {
		return nil
	}
	u, err := url.Parse(s)
	if err != nil {
		return err
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return fmt.Errorf("%q is not an http(s) base URL such as https://status.example.com", s)
	}
	return nil
}
