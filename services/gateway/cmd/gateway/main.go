// Command gateway runs the ingest gateway: it takes webhook deliveries on
// POST /api/webhooks/incoming/{token} and publishes them to the INGEST
// stream. It keeps no state and needs no database.
package main

import (
	"context"

	"github.com/upstatehq/upstate/pkg/bus"
	"github.com/upstatehq/upstate/pkg/grpcx"
	"github.com/upstatehq/upstate/pkg/httpx"
	"github.com/upstatehq/upstate/pkg/lifecycle"
	"github.com/upstatehq/upstate/pkg/logging"
	"github.com/upstatehq/upstate/services/gateway/app"
	"github.com/upstatehq/upstate/services/gateway/internal/config"
)

func main() { lifecycle.Main("gateway", run) }

func run(ctx context.Context) error {
	cfg, err := config.Load()
	if err != nil {
		return err
	}
	proxies, err := cfg.Proxies()
	if err != nil {
		return err
	}
	p := lifecycle.NewProcess("gateway", logging.Options{Level: cfg.LogLevel, Format: cfg.LogFormat}, cfg)
	defer p.Shutdown(ctx, cfg.ShutdownTimeout)

	nc, js, err := bus.Connect(ctx, cfg.NATSURL, "upstate-gateway", p.Logger)
	if err != nil {
		return err
	}
	p.Push("nats", func(ctx context.Context) error { return bus.Drain(ctx, nc) })

	statusConn, err := grpcx.Dial(cfg.StatusGRPCTarget)
	if err != nil {
		return err
	}
	p.Push("status client", func(context.Context) error { return statusConn.Close() })

	gw := app.New(app.Config{
		StreamReplicas: cfg.StreamReplicas,
		RateLimit:      cfg.WebhookRateLimit,
		RateBurst:      cfg.WebhookRateBurst,
		TrustedProxies: proxies,
	}, app.Deps{StatusConn: statusConn, NC: nc, JS: js, Logger: p.Logger, Registry: p.Registry})
	if err := gw.Start(ctx); err != nil {
		return err
	}
	p.Push("gateway", gw.Stop)

	health := httpx.NewHealth(p.Registry)
	health.AddCheck("nats", gw.Ready)
	e := httpx.NewEcho(p.Logger, p.Registry, httpx.Options{RedactPath: app.RedactPath})
	health.Register(e)
	gw.Register(e)
	addr, err := httpx.Serve(cfg.HTTPAddr, e, health, p.Stack, p.Logger)
	if err != nil {
		return err
	}

	p.Logger.Info("gateway ready", "http_addr", addr.String())
	<-ctx.Done()
	p.Logger.Info("shutting down")
	return nil
}
