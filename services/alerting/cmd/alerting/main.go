// Command alerting runs the alerting service: alert rules evaluated on
// status changes, alerts with for-durations, flapping and
// acknowledgement, notification groups, silences and dependencies,
// served over gRPC to the edge, with its events on the ALERTS stream.
package main

import (
	"github.com/upstatehq/upstate/pkg/service"
	"github.com/upstatehq/upstate/services/alerting/app"
)

func main() {
	service.Main("alerting service", func(c Config) service.Unit {
		return app.Unit(c.Config, c.GRPCAddr, c.StatusGRPCTarget)
	})
}
