package main

import (
	"errors"
	"net"
	"strconv"
	"time"

	"github.com/upstatehq/upstate/pkg/config"
	gateway "github.com/upstatehq/upstate/services/gateway/app"
)

// Config of the all-in-one binary. Unlike the per-service binaries, an
// empty DATABASE_URL or UPSTATE_NATS_URL means "run it myself".
type Config struct {
	// HTTPAddr is the one listener for /api/v1, /healthz, /readyz, /metrics.
	HTTPAddr string `env:"UPSTATE_HTTP_ADDR" envDefault:"127.0.0.1:8080"`
	// DataDir holds the embedded Postgres and JetStream data.
	DataDir string `env:"UPSTATE_DATA_DIR" envDefault:"./.data"`
	// DatabaseURL points at an existing Postgres; empty runs one in DataDir.
	DatabaseURL config.Secret `env:"DATABASE_URL"`
	// NATSURL points at an existing NATS server; empty embeds one.
	NATSURL string `env:"UPSTATE_NATS_URL"`
	// NATSListen is where the embedded NATS server takes clients, so other
	// programs can subscribe to upstate.status.> (port 0: any free port).
	NATSListen string `env:"UPSTATE_NATS_LISTEN" envDefault:"127.0.0.1:4222"`
	// NATSSyncAlways makes the embedded JetStream fsync every message.
	NATSSyncAlways bool `env:"UPSTATE_NATS_SYNC_ALWAYS" envDefault:"false"`
	// BootstrapAPIKey creates a default organisation holding this key.
	BootstrapAPIKey config.Secret `env:"UPSTATE_BOOTSTRAP_API_KEY"`
	// PublicURL is the base URL webhook senders reach (receiver URLs are
	// built from it); empty derives it from each API request.
	PublicURL string `env:"UPSTATE_PUBLIC_URL"`
	// WebhookRateLimit is the sustained deliveries per second per receiver
	// token; WebhookRateBurst how many may come at once.
	WebhookRateLimit float64 `env:"UPSTATE_WEBHOOK_RATE_LIMIT" envDefault:"20"`
	WebhookRateBurst int     `env:"UPSTATE_WEBHOOK_RATE_BURST" envDefault:"40"`
	// TrustedProxies are the CIDRs (or addresses) of reverse proxies in
	// front of upstate whose X-Forwarded-For gives a webhook delivery's
	// source address; empty: the direct peer's address.
	TrustedProxies []string `env:"UPSTATE_TRUSTED_PROXIES" envSeparator:","`
	// StatusGRPCAddr is where the status service's gRPC API listens
	// in-process; the other services call it there.
	StatusGRPCAddr string `env:"UPSTATE_STATUS_GRPC_ADDR" envDefault:"127.0.0.1:0"`
	// IncidentsGRPCAddr is where the incidents service's gRPC API listens
	// in-process; the edge calls it there.
	IncidentsGRPCAddr string        `env:"UPSTATE_INCIDENTS_GRPC_ADDR" envDefault:"127.0.0.1:0"`
	LogLevel          string        `env:"UPSTATE_LOG_LEVEL" envDefault:"info"`
	LogFormat         string        `env:"UPSTATE_LOG_FORMAT" envDefault:"auto"`
	ShutdownTimeout   time.Duration `env:"UPSTATE_SHUTDOWN_TIMEOUT" envDefault:"25s"`
}

func loadConfig() (Config, error) {
	cfg, err := config.Load[Config]()
	if err != nil {
		return cfg, err
	}
	var errs []error
	if cfg.DataDir == "" {
		errs = append(errs, errors.New("UPSTATE_DATA_DIR must not be empty"))
	}
	if _, _, err := natsHostPort(cfg.NATSListen); err != nil {
		errs = append(errs, err)
	}
	if cfg.WebhookRateLimit <= 0 || cfg.WebhookRateBurst < 1 {
		errs = append(errs, errors.New("UPSTATE_WEBHOOK_RATE_LIMIT must be positive and UPSTATE_WEBHOOK_RATE_BURST at least 1"))
	}
	if _, err := gateway.ParseTrustedProxies(cfg.TrustedProxies); err != nil {
		errs = append(errs, err)
	}
	if cfg.ShutdownTimeout <= 0 {
		errs = append(errs, errors.New("UPSTATE_SHUTDOWN_TIMEOUT must be positive"))
	}
	return cfg, errors.Join(errs...)
}

// natsHostPort splits UPSTATE_NATS_LISTEN; port 0 becomes -1, the embedded
// server's "any free port".
func natsHostPort(addr string) (string, int, error) {
	host, portStr, err := net.SplitHostPort(addr)
	if err != nil {
		return "", 0, errors.New("UPSTATE_NATS_LISTEN must be host:port")
	}
	port, err := strconv.Atoi(portStr)
	if err != nil || port < 0 || port > 65535 {
		return "", 0, errors.New("UPSTATE_NATS_LISTEN has an invalid port")
	}
	if port == 0 {
		port = -1
	}
	return host, port, nil
}
