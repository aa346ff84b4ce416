package main

import (
	"errors"

	"github.com/upstatehq/upstate/pkg/config"
	"github.com/upstatehq/upstate/services/status/app"
)

// Config of the status service process: the settings every one-service binary shares,
// its addresses and the service's own settings (shared with bin/upstate).
type Config struct {
	config.Common
	GRPCAddr string `env:"UPSTATE_STATUS_GRPC_ADDR" envDefault:"127.0.0.1:9101" doc:"gRPC listen address"`
	HTTPAddr string `env:"UPSTATE_STATUS_HTTP_ADDR" envDefault:"127.0.0.1:9102" doc:"{/healthz}, {/readyz}, {/metrics}"`
	app.Config
}

// HTTPListen is where health and metrics are served.
func (c Config) HTTPListen() string { return c.HTTPAddr }

// Validate checks every setting and reports all problems at once.
func (c Config) Validate() error {
	return errors.Join(c.Common.Validate(true), c.Config.Validate())
}
