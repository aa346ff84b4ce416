package main

import (
	"errors"

	"github.com/upstatehq/upstate/pkg/config"
	"github.com/upstatehq/upstate/services/edge/app"
)

// Config of the edge process: the settings every one-service binary shares,
// its addresses and the service's own settings (shared with bin/upstate).
type Config struct {
	config.Common
	HTTPAddr               string `env:"UPSTATE_HTTP_ADDR" envDefault:"127.0.0.1:8080" doc:"the REST API, the console {/console}, {/healthz}, {/readyz}, {/metrics}"`
	StatusGRPCTarget       string `env:"UPSTATE_STATUS_GRPC_TARGET" envDefault:"127.0.0.1:9101" doc:"where the status service's gRPC API is"`
	IncidentsGRPCTarget    string `env:"UPSTATE_INCIDENTS_GRPC_TARGET" envDefault:"127.0.0.1:9111" doc:"where the incidents service's gRPC API is"`
	SLAGRPCTarget          string `env:"UPSTATE_SLA_GRPC_TARGET" envDefault:"127.0.0.1:9121" doc:"where the SLA service's gRPC API is"`
	AlertingGRPCTarget     string `env:"UPSTATE_ALERTING_GRPC_TARGET" envDefault:"127.0.0.1:9131" doc:"where the alerting service's gRPC API is"`
	StatusPageGRPCTarget   string `env:"UPSTATE_STATUSPAGE_GRPC_TARGET" envDefault:"127.0.0.1:9141" doc:"where the status page service's gRPC API is"`
	NotificationGRPCTarget string `env:"UPSTATE_NOTIFICATION_GRPC_TARGET" envDefault:"127.0.0.1:9151" doc:"where the notification service's gRPC API is"`
	app.Config
}

// HTTPListen is where the REST API is served.
func (c Config) HTTPListen() string { return c.HTTPAddr }

// Validate checks every setting and reports all problems at once.
func (c Config) Validate() error {
	return errors.Join(c.Common.Validate(true), c.Config.Validate())
}
