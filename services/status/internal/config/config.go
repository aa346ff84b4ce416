// Package config reads bin/status's configuration from the environment.
package config

import (
	"github.com/upstatehq/upstate/pkg/config"
)

// Config of the status service process.
type Config struct {
	config.Common
	// GRPCAddr is where the status service's gRPC API listens.
	GRPCAddr string `env:"UPSTATE_STATUS_GRPC_ADDR" envDefault:"127.0.0.1:9101"`
	// HTTPAddr serves /healthz, /readyz and /metrics.
	HTTPAddr string `env:"UPSTATE_STATUS_HTTP_ADDR" envDefault:"127.0.0.1:9102"`
}

// Load reads and validates the configuration.
func Load() (Config, error) {
	cfg, err := config.Load[Config]()
	if err != nil {
		return cfg, err
	}
	return cfg, cfg.Validate(true)
}
