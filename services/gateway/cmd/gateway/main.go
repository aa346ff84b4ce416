// Command gateway runs the ingest gateway: it takes webhook deliveries on
// POST /api/webhooks/incoming/{token} and publishes them to the INGEST
// stream. It keeps no state and needs no database.
package main

import (
	"github.com/upstatehq/upstate/pkg/service"
	"github.com/upstatehq/upstate/services/gateway/app"
)

func main() {
	service.Main("gateway", func(c Config) service.Unit { return app.Unit(c.Config, c.StatusGRPCTarget) })
}
