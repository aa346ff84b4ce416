// Command gateway runs the ingest gateway: it takes webhook deliveries on
// POST /api/webhooks/incoming/{token} and publishes them to the INGEST
// stream. It keeps no state and needs no database.
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
	"github.com/upstatehq/upstate/pkg/grpcx"
	"github.com/upstatehq/upstate/pkg/httpx"
	"github.com/upstatehq/upstate/pkg/lifecycle"
	"github.com/upstatehq/upstate/pkg/logging"
	"github.com/upstatehq/upstate/services/gateway/app"
	"github.com/upstatehq/upstate/services/gateway/internal/config"
)

func main() {
	ctx, stop := lifecycle.SignalContext(context.Background())
	defer stop()
	if err := run(ctx); err != nil {
		slog.Error("gateway failed", "err", err)
		os.Exit(1)
	}
}

func run(ctx context.Context) error {
	cfg, err := config.Load()
	if err != nil {
		return err
	}
	proxies, err := cfg.Proxies()
	if err != nil {
		return err
	}
	logger := logging.New(os.Stderr, logging.Options{Level: cfg.LogLevel, Format: cfg.LogFormat})
	logger.Info("starting gateway", "config", cfg)
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))

	stack := lifecycle.NewStack(logger)
	defer func() {
		shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cfg.ShutdownTimeout)
		defer cancel()
		_ = stack.Unwind(shutdownCtx)
	}()

	nc, js, err := bus.Connect(ctx, cfg.NATSURL, "upstate-gateway", logger)
	if err != nil {
		return err
	}
	stack.Push("nats", func(ctx context.Context) error { return bus.Drain(ctx, nc) })

	statusConn, err := grpcx.Dial(cfg.StatusGRPCTarget)
	if err != nil {
		return err
	}
	stack.Push("status client", func(context.Context) error { return statusConn.Close() })

	gw := app.New(app.Config{
		StreamReplicas: cfg.StreamReplicas,
		RateLimit:      cfg.WebhookRateLimit,
		RateBurst:      cfg.WebhookRateBurst,
		TrustedProxies: proxies,
	}, app.Deps{StatusConn: statusConn, NC: nc, JS: js, Logger: logger, Registry: reg})
	if err := gw.Start(ctx); err != nil {
		return err
	}
	stack.Push("gateway", gw.Stop)

	health := httpx.NewHealth(reg)
	health.AddCheck("nats", gw.Ready)
	e := httpx.NewEcho(logger, reg, httpx.Options{RedactPath: app.RedactPath})
	health.Register(e)
	gw.Register(e)
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

	logger.Info("gateway ready", "http_addr", lis.Addr().String())
	<-ctx.Done()
	logger.Info("shutting down")
	return nil
}
