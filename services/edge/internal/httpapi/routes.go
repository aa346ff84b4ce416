package httpapi

import (
	"github.com/labstack/echo/v4"

	"github.com/upstatehq/upstate/services/edge/internal/auth"
)

// registerRoutes is the REST API's route table; the OpenAPI document is
// tested against it.
func registerRoutes(g *echo.Group, h *Handler) {
	g.GET("/openapi.json", serveOpenAPI)

	g.GET("/services", h.listServices, h.require("services", auth.Read))
	g.POST("/services", h.createService, h.require("services", auth.Write))
	g.GET("/services/:id", h.getService, h.require("services", auth.Read))
	g.PUT("/services/:id", h.setStatus, h.require("services", auth.Write))
	g.PATCH("/services/:id", h.updateService, h.require("services", auth.Write))
	g.DELETE("/services/:id", h.deleteService, h.require("services", auth.Write))
	g.GET("/services/:id/history", h.listHistory, h.require("services", auth.Read))

	g.GET("/api-keys", h.listKeys, h.require("api_keys", auth.Read))
	g.POST("/api-keys", h.createKey, h.require("api_keys", auth.Write))
	g.DELETE("/api-keys/:id", h.revokeKey, h.require("api_keys", auth.Write))
}
