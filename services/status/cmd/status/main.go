// Command status runs the status service: services, their status and
// history, webhook receivers and their delivery logs, and the
// StatusChanged events on the STATUS stream.
package main

import (
	"github.com/upstatehq/upstate/pkg/service"
	"github.com/upstatehq/upstate/services/status/app"
)

func main() {
	service.Main("status service", func(c Config) service.Unit { return app.Unit(c.Config, c.GRPCAddr) })
}
