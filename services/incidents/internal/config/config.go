// Package config reads bin/incidents' configuration from the environment.
package config

import (
	"errors"
	"time"

	"github.com/upstatehq/upstate/pkg/config"
)

// Config of the incidents service process.
type Config struct {
	config.Common
	// GRPCAddr is where the incidents service's gRPC API listens.
	GRPCAddr string `env:"UPSTATE_INCIDENTS_GRPC_ADDR" envDefault:"127.0.0.1:9111"`
	// HTTPAddr serves /healthz, /readyz and /metrics.
	HTTPAddr string `env:"UPSTATE_INCIDENTS_HTTP_ADDR" envDefault:"127.0.0.1:9112"`
	// StatusGRPCTarget is the status service's gRPC address.
	StatusGRPCTarget string `env:"UPSTATE_STATUS_GRPC_TARGET" envDefault:"127.0.0.1:9101"`
	// Concurrency is how many status changes are applied at once (those of
	// one service one at a time regardless).
	Concurrency int `env:"UPSTATE_INCIDENTS_CONCURRENCY" envDefault:"4"`
	// SchedulerInterval bounds how late a maintenance window starts or ends.
	SchedulerInterval time.Duration `env:"UPSTATE_MAINTENANCE_INTERVAL" envDefault:"1s"`
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
	if cfg.Concurrency < 1 || cfg.Concurrency > 64 {
		errs = append(errs, errors.New("UPSTATE_INCIDENTS_CONCURRENCY must be between 1 and 64"))
	}
	if cfg.SchedulerInterval < 100*time.Millisecond || cfg.SchedulerInterval > time.Minute {
		errs = append(errs, errors.New("UPSTATE_MAINTENANCE_INTERVAL must be between 100ms and 1m"))
	}
	return cfg, errors.Join(errs...)
}
