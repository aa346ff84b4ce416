// Package config reads bin/status's configuration from the environment.
package config

import (
	"errors"

	"github.com/upstatehq/upstate/pkg/config"
)

// Config of the status service process.
type Config struct {
	config.Common
	// GRPCAddr is where the status service's gRPC API listens.
	GRPCAddr string `env:"UPSTATE_STATUS_GRPC_ADDR" envDefault:"127.0.0.1:9101"`
	// HTTPAddr serves /healthz, /readyz and /metrics.
	HTTPAddr string `env:"UPSTATE_STATUS_HTTP_ADDR" envDefault:"127.0.0.1:9102"`
	// IngestConcurrency is how many webhook deliveries are applied at once
	// (those of one receiver are applied one at a time regardless).
	IngestConcurrency int `env:"UPSTATE_STATUS_INGEST_CONCURRENCY" envDefault:"4"`
}

// Load reads and validates the configuration.
func Load() (Config, error) {
	cfg, err := config.Load[Config]()
	if err != nil {
		return cfg, err
	}
	var errs []error
	if err := cfg.Validate(true); err != nil {
		errs = append(errs, err)
	}
	if cfg.IngestConcurrency < 1 || cfg.IngestConcurrency > 64 {
		errs = append(errs, errors.New("UPSTATE_STATUS_INGEST_CONCURRENCY must be between 1 and 64"))
	}
	return cfg, errors.Join(errs...)
}
