// Command status runs the status service: services, their status and
// history, and the StatusChanged events on the STATUS stream.
package main

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"os"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/upstatehq/upstate/pkg/bus"
	"github.com/upstatehq/upstate/pkg/httpx"
	"github.com/upstatehq/upstate/pkg/lifecycle"
	"github.com/upstatehq/upstate/pkg/logging"
	"github.com/upstatehq/upstate/pkg/pgdb"
	"github.com/upstatehq/upstate/services/status/app"
	"github.com/upstatehq/upstate/services/status/internal/config"
)

func main() {
	ctx, stop := lifecycle.SignalContext(context.Background())
	defer stop()
	if err := run(ctx); err != nil {
		slog.Error("status service failed", "err", err)
		os.Exit(1)
	}
}

func run(ctx context.Context) error {
	cfg, err := config.Load()
	if err != nil {
		return err
	}
	logger := logging.New(os.Stderr, logging.Options{Level: cfg.LogLevel, Format: cfg.LogFormat})
	logger.Info("starting status service", "config", cfg)
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))

	stack := lifecycle.NewStack(logger)
	defer func() {
		shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cfg.ShutdownTimeout)
		defer cancel()
		_ = stack.Unwind(shutdownCtx)
	}()

	pool, err := pgdb.Open(ctx, cfg.DatabaseURL.Reveal(), "status", 0, logger)
	if err != nil {
		return err
	}
	stack.Push("postgres", func(context.Context) error { pool.Close(); return nil })

	nc, js, err := bus.Connect(ctx, cfg.NATSURL, "upstate-status", logger)
	if err != nil {
		return err
	}
	stack.Push("nats", func(ctx context.Context) error { return bus.Drain(ctx, nc) })

	svc := app.New(app.Config{GRPCAddr: cfg.GRPCAddr, StreamReplicas: cfg.StreamReplicas, IngestConcurrency: cfg.IngestConcurrency},
		app.Deps{Pool: pool, JS: js, NC: nc, Logger: logger, Registry: reg})
	if err := svc.Start(ctx); err != nil {
		return err
	}
	stack.Push("status service", svc.Stop)

	health := httpx.NewHealth(reg)
	health.AddCheck("postgres", svc.Ready)
	health.AddCheck("nats", bus.ConnCheck(nc))
	e := httpx.NewEcho(logger, reg, httpx.Options{})
	health.Register(e)
	lis, err := net.Listen("tcp", cfg.HTTPAddr)
	if err != nil {
		return fmt.Errorf("listen http on %s: %w", cfg.HTTPAddr, err)
	}
	srv := httpx.NewServer(e)
	go func() {
		if err := srv.Serve(lis); err != nil {
			logger.Error("http server stopped", "err", err)
		}
	}()
	stack.Push("http", func(ctx context.Context) error { health.SetDraining(); return srv.Shutdown(ctx) })

	logger.Info("status service ready", "grpc_addr", svc.GRPCAddr(), "http_addr", lis.Addr().String())
	<-ctx.Done()
	logger.Info("shutting down")
	return nil
}
