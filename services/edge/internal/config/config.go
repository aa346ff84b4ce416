// Package config reads bin/edge's configuration from the environment.
package config

import (
	"time"

	"github.com/upstatehq/upstate/pkg/config"
)

// Config of the edge process.
type Config struct {
	config.Common
	// HTTPAddr serves the REST API and /healthz, /readyz, /metrics.
	HTTPAddr string `env:"UPSTATE_HTTP_ADDR" envDefault:"127.0.0.1:8080"`
	// StatusGRPCTarget is the status service's gRPC address.
	StatusGRPCTarget string `env:"UPSTATE_STATUS_GRPC_TARGET" envDefault:"127.0.0.1:9101"`
	// IncidentsGRPCTarget is the incidents service's gRPC address.
	IncidentsGRPCTarget string `env:"UPSTATE_INCIDENTS_GRPC_TARGET" envDefault:"127.0.0.1:9111"`
	// BootstrapAPIKey creates a default organisation holding this key.
	BootstrapAPIKey config.Secret `env:"UPSTATE_BOOTSTRAP_API_KEY"`
	// AuthCacheTTL bounds how long a revoked key keeps working on other replicas.
	AuthCacheTTL time.Duration `env:"UPSTATE_AUTH_CACHE_TTL" envDefault:"10s"`
	// PublicURL is the base of the webhook receiver URLs the API shows;
	// empty means the scheme and host of each request.
	PublicURL string `env:"UPSTATE_PUBLIC_URL"`
}

// Load reads and validates the configuration.
func Load() (Config, error) {
	cfg, err := config.Load[Config]()
	if err != nil {
		return cfg, err
	}
	return cfg, cfg.Validate(true)
}
