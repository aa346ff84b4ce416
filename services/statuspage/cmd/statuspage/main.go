// Command statuspage runs the status page service: public status pages,
// Statuspage-compatible JSON, feeds, badges and subscribers, from its read
// model of the STATUS and INCIDENTS streams, with its gRPC API for the
// edge.
package main

import (
	"github.com/upstatehq/upstate/pkg/service"
	"github.com/upstatehq/upstate/services/statuspage/app"
)

func main() {
	service.Main("status page service", func(c Config) service.Unit {
		return app.Unit(c.Config, c.GRPCAddr, c.StatusGRPCTarget, c.SLAGRPCTarget)
	})
}
