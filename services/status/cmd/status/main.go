// Command status runs the status service: services, their status and
// history, webhook receivers and their delivery logs, and the
// StatusChanged events on the STATUS stream.
package main

import (
	"context"

	"github.com/upstatehq/upstate/pkg/bus"
	"github.com/upstatehq/upstate/pkg/httpx"
	"github.com/upstatehq/upstate/pkg/lifecycle"
	"github.com/upstatehq/upstate/pkg/logging"
	"github.com/upstatehq/upstate/pkg/pgdb"
	"github.com/upstatehq/upstate/services/status/app"
	"github.com/upstatehq/upstate/services/status/internal/config"
)

func main() { lifecycle.Main("status service", run) }

func run(ctx context.Context) error {
	cfg, err := config.Load()
	if err != nil {
		return err
	}
	p := lifecycle.NewProcess("status service", logging.Options{Level: cfg.LogLevel, Format: cfg.LogFormat}, cfg)
	defer p.Shutdown(ctx, cfg.ShutdownTimeout)

	pool, err := pgdb.Open(ctx, cfg.DatabaseURL.Reveal(), "status", 0, p.Logger)
	if err != nil {
		return err
	}
	p.Push("postgres", func(context.Context) error { pool.Close(); return nil })

	nc, js, err := bus.Connect(ctx, cfg.NATSURL, "upstate-status", p.Logger)
	if err != nil {
		return err
	}
	p.Push("nats", func(ctx context.Context) error { return bus.Drain(ctx, nc) })

	svc := app.New(app.Config{GRPCAddr: cfg.GRPCAddr, StreamReplicas: cfg.StreamReplicas, IngestConcurrency: cfg.IngestConcurrency},
		app.Deps{Pool: pool, JS: js, NC: nc, Logger: p.Logger, Registry: p.Registry})
	if err := svc.Start(ctx); err != nil {
		return err
	}
	p.Push("status service", svc.Stop)

	health := httpx.NewHealth(p.Registry)
	health.AddCheck("postgres", svc.Ready)
	health.AddCheck("nats", bus.ConnCheck(nc))
	e := httpx.NewEcho(p.Logger, p.Registry, httpx.Options{})
	health.Register(e)
	addr, err := httpx.Serve(cfg.HTTPAddr, e, health, p.Stack, p.Logger)
	if err != nil {
		return err
	}

	p.Logger.Info("status service ready", "grpc_addr", svc.GRPCAddr(), "http_addr", addr.String())
	<-ctx.Done()
	p.Logger.Info("shutting down")
	return nil
}
