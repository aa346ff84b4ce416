// Command incidents runs the incidents service: automatic incidents from
// status changes, incidents by hand and scheduled maintenance, served over
// gRPC to the edge and the other services.
package main

import (
	"context"

	"github.com/upstatehq/upstate/pkg/bus"
	"github.com/upstatehq/upstate/pkg/grpcx"
	"github.com/upstatehq/upstate/pkg/httpx"
	"github.com/upstatehq/upstate/pkg/lifecycle"
	"github.com/upstatehq/upstate/pkg/logging"
	"github.com/upstatehq/upstate/pkg/pgdb"
	"github.com/upstatehq/upstate/services/incidents/app"
	"github.com/upstatehq/upstate/services/incidents/internal/config"
)

func main() { lifecycle.Main("incidents service", run) }

func run(ctx context.Context) error {
	cfg, err := config.Load()
	if err != nil {
		return err
	}
	p := lifecycle.NewProcess("incidents service", logging.Options{Level: cfg.LogLevel, Format: cfg.LogFormat}, cfg)
	defer p.Shutdown(ctx, cfg.ShutdownTimeout)

	pool, err := pgdb.Open(ctx, cfg.DatabaseURL.Reveal(), "incidents", 0, p.Logger)
	if err != nil {
		return err
	}
	p.Push("postgres", func(context.Context) error { pool.Close(); return nil })

	nc, js, err := bus.Connect(ctx, cfg.NATSURL, "upstate-incidents", p.Logger)
	if err != nil {
		return err
	}
	p.Push("nats", func(ctx context.Context) error { return bus.Drain(ctx, nc) })

	statusConn, err := grpcx.Dial(cfg.StatusGRPCTarget)
	if err != nil {
		return err
	}
	p.Push("status client", func(context.Context) error { return statusConn.Close() })

	svc := app.New(app.Config{
		GRPCAddr: cfg.GRPCAddr, StreamReplicas: cfg.StreamReplicas,
		SchedulerInterval: cfg.SchedulerInterval, Concurrency: cfg.Concurrency,
	}, app.Deps{Pool: pool, JS: js, Status: statusConn, Logger: p.Logger, Registry: p.Registry})
	if err := svc.Start(ctx); err != nil {
		return err
	}
	p.Push("incidents service", svc.Stop)

	health := httpx.NewHealth(p.Registry)
	health.AddCheck("postgres", svc.Ready)
	health.AddCheck("nats", bus.ConnCheck(nc))
	e := httpx.NewEcho(p.Logger, p.Registry, httpx.Options{})
	health.Register(e)
	addr, err := httpx.Serve(cfg.HTTPAddr, e, health, p.Stack, p.Logger)
	if err != nil {
		return err
	}

	p.Logger.Info("incidents service ready", "grpc_addr", svc.GRPCAddr(), "http_addr", addr.String())
	<-ctx.Done()
	p.Logger.Info("shutting down")
	return nil
}
