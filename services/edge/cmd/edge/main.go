// Command edge serves the public REST API (/api/v1), calling the owning
// services over gRPC.
package main

import (
	"github.com/upstatehq/upstate/pkg/service"
	"github.com/upstatehq/upstate/services/edge/app"
)

func main() {
	service.Main("edge", func(c Config) service.Unit {
		return app.Unit(c.Config, app.Targets{
			Status: c.StatusGRPCTarget, Incidents: c.IncidentsGRPCTarget, SLA: c.SLAGRPCTarget, Alerting: c.AlertingGRPCTarget,
			StatusPage: c.StatusPageGRPCTarget, Notification: c.NotificationGRPCTarget,
		})
	})
}
