// Command notification runs the notification service: users, teams,
// on-call schedules, escalation policies, routes, channels and the
// delivery of every outbound message, served over gRPC to the edge.
package main

import (
	"github.com/upstatehq/upstate/pkg/service"
	"github.com/upstatehq/upstate/services/notification/app"
)

func main() {
	service.Main("notification service", func(c Config) service.Unit {
		return app.Unit(c.Config, c.GRPCAddr, c.StatusGRPCTarget)
	})
}
