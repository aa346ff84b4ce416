package main

import (
	"errors"

	"github.com/upstatehq/upstate/pkg/config"
	"github.com/upstatehq/upstate/services/statuspage/app"
)

// Config of the status page service process: the settings every
// one-service binary shares, its addresses and the service's own settings
// (shared with bin/upstate).
type Config struct {
	config.Common
	GRPCAddr         string `env:"UPSTATE_STATUSPAGE_GRPC_ADDR" envDefault:"127.0.0.1:9141" doc:"gRPC listen address"`
	HTTPAddr         string `env:"UPSTATE_STATUSPAGE_HTTP_ADDR" envDefault:"127.0.0.1:9142" doc:"the public pages ({/status/…}, custom domains), {/healthz}, {/readyz}, {/metrics}"`
	StatusGRPCTarget string `env:"UPSTATE_STATUS_GRPC_TARGET" envDefault:"127.0.0.1:9101" doc:"where the status service's gRPC API is (services not yet seen on STATUS)"`
	SLAGRPCTarget    string `env:"UPSTATE_SLA_GRPC_TARGET" envDefault:"127.0.0.1:9121" doc:"where the SLA service's gRPC API is (daily bars and uptime)"`
	app.Config
}

// HTTPListen is where the pages, health and metrics are served.
func (c Config) HTTPListen() string { return c.HTTPAddr }

// Validate checks every setting and reports all problems at once.
func (c Config) Validate() error {
	return errors.Join(c.Common.Validate(true), c.Config.Validate())
}
