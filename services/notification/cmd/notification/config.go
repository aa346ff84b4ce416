package main

import (
	"errors"

	"github.com/upstatehq/upstate/pkg/config"
	"github.com/upstatehq/upstate/services/notification/app"
)

// Config of the notification service process: the settings every
// one-service binary shares, its addresses and the service's own settings
// (shared with bin/upstate).
type Config struct {
	config.Common
	GRPCAddr         string `env:"UPSTATE_NOTIFICATION_GRPC_ADDR" envDefault:"127.0.0.1:9151" doc:"gRPC listen address"`
	HTTPAddr         string `env:"UPSTATE_NOTIFICATION_HTTP_ADDR" envDefault:"127.0.0.1:9152" doc:"{/healthz}, {/readyz}, {/metrics}"`
	StatusGRPCTarget string `env:"UPSTATE_STATUS_GRPC_TARGET" envDefault:"127.0.0.1:9101" doc:"where the status service's gRPC API is (service checks of routes)"`
	app.Config
}

// HTTPListen is where health and metrics are served.
func (c Config) HTTPListen() string { return c.HTTPAddr }

// Validate checks every setting and reports all problems at once.
func (c Config) Validate() error {
	return errors.Join(c.Common.Validate(true), c.Config.Validate())
}
