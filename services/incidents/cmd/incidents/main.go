// Command incidents runs the incidents service: automatic incidents from
// status changes, incidents by hand and scheduled maintenance, served over
// gRPC to the edge and the other services.
package main

import (
	"github.com/upstatehq/upstate/pkg/service"
	"github.com/upstatehq/upstate/services/incidents/app"
)

func main() {
	service.Main("incidents service", func(c Config) service.Unit {
		return app.Unit(c.Config, c.GRPCAddr, c.StatusGRPCTarget)
	})
}
