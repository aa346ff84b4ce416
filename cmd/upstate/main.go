// Command upstate runs every upstate service in one process: an embedded
// NATS JetStream server, its own Postgres (unless DATABASE_URL is set;
// restarted if it dies), and the services assembled by package standalone
// behind one HTTP listener.
// The services still talk to each other over gRPC and JetStream, exactly
// as they do when deployed one per container.
package main

import (
	"context"
	"fmt"
	"os"

	"github.com/upstatehq/upstate/cmd/upstate/standalone"
	"github.com/upstatehq/upstate/pkg/config"
	"github.com/upstatehq/upstate/pkg/grpcx"
	"github.com/upstatehq/upstate/pkg/httpx"
	"github.com/upstatehq/upstate/pkg/lifecycle"
	"github.com/upstatehq/upstate/pkg/logging"
	"github.com/upstatehq/upstate/pkg/pgserver"
	"github.com/upstatehq/upstate/pkg/service"
)

func main() {
	if len(os.Args) > 1 && os.Args[1] == "nats-config" {
		if err := standalone.NATSConfig(os.Stdout); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		return
	}
	if len(os.Args) > 1 && os.Args[1] == "dead-letters" {
		ctx, stop := lifecycle.SignalContext(context.Background())
		err := deadLetters(ctx, os.Args[2:], os.Stdout)
		stop()
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		return
	}
	var cfg Config
	lifecycle.Main("upstate", func() (lifecycle.Options, error) {
		c, err := config.Load[Config]()
		if err == nil {
			err = c.Validate()
		}
		cfg = c
		return lifecycle.Options{
			Log:             logging.Options{Level: c.LogLevel, Format: c.LogFormat},
			ShutdownTimeout: c.ShutdownTimeout,
			Config:          c,
		}, err
	}, func(ctx context.Context, p *lifecycle.Process) error { return run(ctx, cfg, p) })
}

// grpcAuth is how the in-process services authenticate each other: the
// configured token, or one generated for this process's lifetime (their
// gRPC APIs are on loopback, only they need it), unless told to run
// insecure.
func grpcAuth(g config.GRPC) (grpcx.Auth, error) {
	auth, err := service.GRPCAuth(g)
	if err != nil || auth.Token != "" || g.Insecure {
		return auth, err
	}
	auth.Token, err = grpcx.NewToken()
	return auth, err
}

func run(ctx context.Context, cfg Config, p *lifecycle.Process) error {
	if err := os.MkdirAll(cfg.DataDir, 0o755); err != nil {
		return fmt.Errorf("create data dir: %w", err)
	}
	// Postgres starts before the host and reports in the host's health.
	health := httpx.NewHealth(p.Registry)
	dsn, err := startPostgres(ctx, cfg, p.Stack, health, pgserver.Restart{}, p.Logger)
	if err != nil {
		return err
	}
	natsURL, env, err := startNATS(cfg, p.Stack, p.Logger)
	if err != nil {
		return err
	}
	auth, err := grpcAuth(cfg.GRPC)
	if err != nil {
		return err
	}
	tr, err := service.StartTracing(ctx, cfg.Tracing, p.Stack)
	if err != nil {
		return err
	}
	env.DatabaseURL, env.StreamReplicas, env.GRPC, env.Tracing = dsn, cfg.StreamReplicas, auth, tr
	h := service.NewHost(service.Options{
		Logger: p.Logger, Registry: p.Registry, Stack: p.Stack, RedactPath: standalone.RedactPath, Health: health,
		Env: env,
	})
	cfg.StatusPage.MessageURL = "http://" + cfg.HTTPAddr
	// Only this machine can subscribe to pages served on the loopback: let
	// its webhook subscribers be there too (make run, a laptop), and
	// channels too: a webhook catcher on this machine.
	if loopbackOnly(cfg.HTTPAddr) {
		if cfg.Notification.AllowPrivate == "" {
			cfg.Notification.AllowPrivate = "127.0.0.0/8,::1/128"
		}
	}
	if _, err := standalone.Start(ctx, h, cfg.Config); err != nil {
		return err
	}
	addr, err := h.ServeHTTP(cfg.HTTPAddr)
	if err != nil {
		return err
	}
	p.Logger.Info("upstate ready", "http_addr", "http://"+addr.String(), "nats_url", natsURL, "data_dir", cfg.DataDir)
	<-ctx.Done()
	p.Logger.Info("shutting down")
	return nil
}
