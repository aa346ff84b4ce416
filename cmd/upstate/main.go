// Command upstate runs every upstate service in one process: an embedded
// NATS JetStream server, its own Postgres (unless DATABASE_URL is set), the
// status and incidents services, the webhook gateway and the REST edge
// behind one HTTP listener. The services still talk to each other over gRPC and JetStream,
// exactly as they do when deployed one per container.
package main

import (
	"context"
	"fmt"
	"os"

	"github.com/upstatehq/upstate/pkg/bus"
	"github.com/upstatehq/upstate/pkg/grpcx"
	"github.com/upstatehq/upstate/pkg/httpx"
	"github.com/upstatehq/upstate/pkg/lifecycle"
	"github.com/upstatehq/upstate/pkg/logging"
	"github.com/upstatehq/upstate/pkg/pgdb"
	edge "github.com/upstatehq/upstate/services/edge/app"
	gateway "github.com/upstatehq/upstate/services/gateway/app"
	incidents "github.com/upstatehq/upstate/services/incidents/app"
	status "github.com/upstatehq/upstate/services/status/app"
)

func main() { lifecycle.Main("upstate", run) }

func run(ctx context.Context) error {
	cfg, err := loadConfig()
	if err != nil {
		return err
	}
	p := lifecycle.NewProcess("upstate", logging.Options{Level: cfg.LogLevel, Format: cfg.LogFormat}, cfg)
	defer p.Shutdown(ctx, cfg.ShutdownTimeout)
	logger, reg, stack := p.Logger, p.Registry, p.Stack
	if err := os.MkdirAll(cfg.DataDir, 0o755); err != nil {
		return fmt.Errorf("create data dir: %w", err)
	}

	dsn, err := startPostgres(ctx, cfg, stack, logger)
	if err != nil {
		return err
	}
	natsURL, err := startNATS(cfg, stack, logger)
	if err != nil {
		return err
	}

	// Each service gets its own pool and NATS connection, as it would in its
	// own process.
	statusPool, err := pgdb.Open(ctx, dsn, "status", 0, logger)
	if err != nil {
		return err
	}
	stack.Push("status postgres pool", func(context.Context) error { statusPool.Close(); return nil })
	edgePool, err := pgdb.Open(ctx, dsn, "edge", 0, logger)
	if err != nil {
		return err
	}
	stack.Push("edge postgres pool", func(context.Context) error { edgePool.Close(); return nil })
	statusNC, statusJS, err := bus.Connect(ctx, natsURL, "upstate-status", logger)
	if err != nil {
		return err
	}
	stack.Push("status nats connection", func(ctx context.Context) error { return bus.Drain(ctx, statusNC) })

	statusSvc := status.New(status.Config{GRPCAddr: cfg.StatusGRPCAddr, StreamReplicas: 1},
		status.Deps{Pool: statusPool, JS: statusJS, NC: statusNC, Logger: logger, Registry: reg})
	if err := statusSvc.Start(ctx); err != nil {
		return err
	}
	stack.Push("status service", statusSvc.Stop)

	statusConn, err := grpcx.Dial(statusSvc.GRPCAddr())
	if err != nil {
		return err
	}
	stack.Push("status client", func(context.Context) error { return statusConn.Close() })

	incidentsPool, err := pgdb.Open(ctx, dsn, "incidents", 0, logger)
	if err != nil {
		return err
	}
	stack.Push("incidents postgres pool", func(context.Context) error { incidentsPool.Close(); return nil })
	incidentsNC, incidentsJS, err := bus.Connect(ctx, natsURL, "upstate-incidents", logger)
	if err != nil {
		return err
	}
	stack.Push("incidents nats connection", func(ctx context.Context) error { return bus.Drain(ctx, incidentsNC) })
	incidentsSvc := incidents.New(incidents.Config{GRPCAddr: cfg.IncidentsGRPCAddr, StreamReplicas: 1},
		incidents.Deps{Pool: incidentsPool, JS: incidentsJS, Status: statusConn, Logger: logger, Registry: reg})
	if err := incidentsSvc.Start(ctx); err != nil {
		return err
	}
	stack.Push("incidents service", incidentsSvc.Stop)
	incidentsConn, err := grpcx.Dial(incidentsSvc.GRPCAddr())
	if err != nil {
		return err
	}
	stack.Push("incidents client", func(context.Context) error { return incidentsConn.Close() })

	edgeSvc := edge.New(edge.Config{BootstrapAPIKey: cfg.BootstrapAPIKey.Reveal(), PublicURL: cfg.PublicURL},
		edge.Deps{Pool: edgePool, Status: statusConn, Incidents: incidentsConn, Logger: logger})
	if err := edgeSvc.Start(ctx); err != nil {
		return err
	}

	gatewayNC, gatewayJS, err := bus.Connect(ctx, natsURL, "upstate-gateway", logger)
	if err != nil {
		return err
	}
	stack.Push("gateway nats connection", func(ctx context.Context) error { return bus.Drain(ctx, gatewayNC) })
	proxies, err := gateway.ParseTrustedProxies(cfg.TrustedProxies)
	if err != nil {
		return err
	}
	gatewaySvc := gateway.New(gateway.Config{StreamReplicas: 1, RateLimit: cfg.WebhookRateLimit, RateBurst: cfg.WebhookRateBurst, TrustedProxies: proxies},
		gateway.Deps{StatusConn: statusConn, NC: gatewayNC, JS: gatewayJS, Logger: logger, Registry: reg})
	if err := gatewaySvc.Start(ctx); err != nil {
		return err
	}
	stack.Push("gateway", gatewaySvc.Stop)

	health := httpx.NewHealth(reg)
	health.AddCheck("status", statusSvc.Ready)
	health.AddCheck("incidents", incidentsSvc.Ready)
	health.AddCheck("edge", edgeSvc.Ready)
	health.AddCheck("nats", bus.ConnCheck(statusNC))
	health.AddCheck("gateway", gatewaySvc.Ready)
	e := httpx.NewEcho(logger, reg, httpx.Options{RedactPath: gateway.RedactPath})
	health.Register(e)
	edgeSvc.Register(e)
	gatewaySvc.Register(e)
	addr, err := httpx.Serve(cfg.HTTPAddr, e, health, stack, logger)
	if err != nil {
		return err
	}

	logger.Info("upstate ready", "http_addr", "http://"+addr.String(), "nats_url", natsURL, "data_dir", cfg.DataDir)
	<-ctx.Done()
	logger.Info("shutting down")
	return nil
}
