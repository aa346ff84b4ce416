// Command edge serves the public REST API (/api/v1), calling the owning
// services over gRPC.
package main

import (
	"context"

	"github.com/upstatehq/upstate/pkg/grpcx"
	"github.com/upstatehq/upstate/pkg/httpx"
	"github.com/upstatehq/upstate/pkg/lifecycle"
	"github.com/upstatehq/upstate/pkg/logging"
	"github.com/upstatehq/upstate/pkg/pgdb"
	"github.com/upstatehq/upstate/services/edge/app"
	"github.com/upstatehq/upstate/services/edge/internal/config"
)

func main() { lifecycle.Main("edge", run) }

func run(ctx context.Context) error {
	cfg, err := config.Load()
	if err != nil {
		return err
	}
	p := lifecycle.NewProcess("edge", logging.Options{Level: cfg.LogLevel, Format: cfg.LogFormat}, cfg)
	defer p.Shutdown(ctx, cfg.ShutdownTimeout)

	pool, err := pgdb.Open(ctx, cfg.DatabaseURL.Reveal(), "edge", 0, p.Logger)
	if err != nil {
		return err
	}
	p.Push("postgres", func(context.Context) error { pool.Close(); return nil })

	statusConn, err := grpcx.Dial(cfg.StatusGRPCTarget)
	if err != nil {
		return err
	}
	p.Push("status client", func(context.Context) error { return statusConn.Close() })

	incidentsConn, err := grpcx.Dial(cfg.IncidentsGRPCTarget)
	if err != nil {
		return err
	}
	p.Push("incidents client", func(context.Context) error { return incidentsConn.Close() })

	edge := app.New(app.Config{BootstrapAPIKey: cfg.BootstrapAPIKey.Reveal(), AuthCacheTTL: cfg.AuthCacheTTL, PublicURL: cfg.PublicURL},
		app.Deps{Pool: pool, Status: statusConn, Incidents: incidentsConn, Logger: p.Logger})
	if err := edge.Start(ctx); err != nil {
		return err
	}

	health := httpx.NewHealth(p.Registry)
	health.AddCheck("postgres", edge.Ready)
	e := httpx.NewEcho(p.Logger, p.Registry, httpx.Options{})
	health.Register(e)
	edge.Register(e)
	addr, err := httpx.Serve(cfg.HTTPAddr, e, health, p.Stack, p.Logger)
	if err != nil {
		return err
	}

	p.Logger.Info("edge ready", "http_addr", addr.String())
	<-ctx.Done()
	p.Logger.Info("shutting down")
	return nil
}
