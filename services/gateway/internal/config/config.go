// Package config reads bin/gateway's configuration from the environment.
package config

import (
	"errors"
	"net/netip"

	"github.com/upstatehq/upstate/pkg/config"
	"github.com/upstatehq/upstate/services/gateway/internal/proxies"
)

// Config of the gateway process. It needs no database.
type Config struct {
	config.Common
	// HTTPAddr serves the webhook endpoint and /healthz, /readyz, /metrics.
	HTTPAddr string `env:"UPSTATE_HTTP_ADDR" envDefault:"127.0.0.1:8090"`
	// StatusGRPCTarget is the status service's gRPC address.
	StatusGRPCTarget string `env:"UPSTATE_STATUS_GRPC_TARGET" envDefault:"127.0.0.1:9101"`
	// TrustedProxies are the CIDRs (or single addresses) of reverse proxies
	// whose X-Forwarded-For is believed; by default none, and the source of a
	// delivery is the address of the direct peer.
	TrustedProxies []string `env:"UPSTATE_TRUSTED_PROXIES" envSeparator:","`
	// WebhookRateLimit is the sustained rate of deliveries per token, per
	// second and per gateway replica.
	WebhookRateLimit float64 `env:"UPSTATE_WEBHOOK_RATE_LIMIT" envDefault:"20"`
	// WebhookRateBurst is how many deliveries a token may send at once.
	WebhookRateBurst int `env:"UPSTATE_WEBHOOK_RATE_BURST" envDefault:"40"`
}

// Load reads and validates the configuration.
func Load() (Config, error) {
	cfg, err := config.Load[Config]()
	if err != nil {
		return cfg, err
	}
	return cfg, cfg.Validate()
}

// Validate checks every setting and reports all problems at once.
func (c Config) Validate() error {
	errs := []error{c.Common.Validate(false)}
	if c.StatusGRPCTarget == "" {
		errs = append(errs, errors.New("UPSTATE_STATUS_GRPC_TARGET is required"))
	}
	if _, err := c.Proxies(); err != nil {
		errs = append(errs, err)
	}
	if c.WebhookRateLimit <= 0 {
		errs = append(errs, errors.New("UPSTATE_WEBHOOK_RATE_LIMIT must be positive"))
	}
	if c.WebhookRateBurst < 1 {
		errs = append(errs, errors.New("UPSTATE_WEBHOOK_RATE_BURST must be at least 1"))
	}
	return errors.Join(errs...)
}

// Proxies parses TrustedProxies; a bare address means that one host.
func (c Config) Proxies() ([]netip.Prefix, error) {
	return proxies.Parse(c.TrustedProxies)
}
