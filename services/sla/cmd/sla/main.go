// Command sla runs the SLA service: uptime over any window, daily
// history and SLOs with error budgets and burn-rate events, from the
// STATUS stream, served over gRPC to the edge and the other services.
package main

import (
	"github.com/upstatehq/upstate/pkg/service"
	"github.com/upstatehq/upstate/services/sla/app"
)

func main() {
	service.Main("sla service", func(c Config) service.Unit {
		return app.Unit(c.Config, c.GRPCAddr, c.StatusGRPCTarget)
	})
}
