package main

import (
	"errors"

	"github.com/upstatehq/upstate/pkg/config"
	"github.com/upstatehq/upstate/services/gateway/app"
)

// Config of the gateway process: the settings every one-service binary
// shares, its addresses and the gateway's own settings (shared with
// bin/upstate). It needs no database.
type Config struct {
	config.Common
	HTTPAddr         string `env:"UPSTATE_HTTP_ADDR" envDefault:"127.0.0.1:8090" doc:"the webhook endpoint, {/healthz}, {/readyz}, {/metrics}"`
	StatusGRPCTarget string `env:"UPSTATE_STATUS_GRPC_TARGET" envDefault:"127.0.0.1:9101" doc:"where the status service's gRPC API is"`
	app.Config
}

// HTTPListen is where webhooks are taken.
func (c Config) HTTPListen() string { return c.HTTPAddr }

// Validate checks every setting and reports all problems at once.
func (c Config) Validate() error {
	var errs []error
	if c.StatusGRPCTarget == "" {
		errs = append(errs, errors.New("UPSTATE_STATUS_GRPC_TARGET is required"))
	}
	return errors.Join(append(errs, c.Common.Validate(false), c.Config.Validate())...)
}
