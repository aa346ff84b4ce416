// Command edge serves the public REST API (/api/v1), calling the owning
// services over gRPC.
package main

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"os"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/upstatehq/upstate/pkg/grpcx"
	"github.com/upstatehq/upstate/pkg/httpx"
	"github.com/upstatehq/upstate/pkg/lifecycle"
	"github.com/upstatehq/upstate/pkg/logging"
	"github.com/upstatehq/upstate/pkg/pgdb"
	"github.com/upstatehq/upstate/services/edge/app"
	"github.com/upstatehq/upstate/services/edge/internal/config"
)

func main() {
	ctx, stop := lifecycle.SignalContext(context.Background())
	defer stop()
	if err := run(ctx); err != nil {
		slog.Error("edge failed", "err", err)
		os.Exit(1)
	}
}

func run(ctx context.Context) error {
	cfg, err := config.Load()
	if err != nil {
		return err
	}
	logger := logging.New(os.Stderr, logging.Options{Level: cfg.LogLevel, Format: cfg.LogFormat})
	logger.Info("starting edge", "config", cfg)
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))

	stack := lifecycle.NewStack(logger)
	defer func() {
		shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cfg.ShutdownTimeout)
		defer cancel()
		_ = stack.Unwind(shutdownCtx)
	}()

	pool, err := pgdb.Open(ctx, cfg.DatabaseURL.Reveal(), "edge", 0, logger)
	if err != nil {
		return err
	}
	stack.Push("postgres", func(context.Context) error { pool.Close(); return nil })

	statusConn, err := grpcx.Dial(cfg.StatusGRPCTarget)
	if err != nil {
		return err
	}
	stack.Push("status client", func(context.Context) error { return statusConn.Close() })

	edge := app.New(app.Config{BootstrapAPIKey: cfg.BootstrapAPIKey.Reveal(), AuthCacheTTL: cfg.AuthCacheTTL, PublicURL: cfg.PublicURL},
		app.Deps{Pool: pool, Status: statusConn, Logger: logger})
	if err := edge.Start(ctx); err != nil {
		return err
	}

	health := httpx.NewHealth(reg)
	health.AddCheck("postgres", edge.Ready)
	e := httpx.NewEcho(logger, reg, httpx.Options{})
	health.Register(e)
	edge.Register(e)
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

	logger.Info("edge ready", "http_addr", lis.Addr().String())
	<-ctx.Done()
	logger.Info("shutting down")
	return nil
}
