package httpapi

import (
	"github.com/labstack/echo/v4"

	"github.com/upstatehq/upstate/services/edge/internal/auth"
)

// registerRoutes is the REST API's route table; the OpenAPI document is
// tested against it. Every route that requires a write scope is audited
// (require).
func registerRoutes(g *echo.Group, h *Handler) {
	g.GET("/openapi.json", serveOpenAPI)

	g.GET("/services", h.listServices, h.require("services", auth.Read))
	g.POST("/services", h.createService, h.require("services", auth.Write))
	g.GET("/services/:id", h.getService, h.require("services", auth.Read))
	g.PUT("/services/:id", h.setStatus, h.require("services", auth.Write))
	g.PATCH("/services/:id", h.updateService, h.require("services", auth.Write))
	g.DELETE("/services/:id", h.deleteService, h.require("services", auth.Write))
	g.GET("/services/:id/history", h.listHistory, h.require("services", auth.Read))
	g.GET("/services/:id/dependencies", h.getDependencies, h.require("alerting", auth.Read))
	g.PUT("/services/:id/dependencies", h.setDependencies, h.require("alerting", auth.Write))
	g.GET("/services/:id/uptime", h.getUptime, h.require("sla", auth.Read))
	g.GET("/services/:id/uptime/daily", h.getDailyUptime, h.require("sla", auth.Read))
	g.GET("/uptime", h.listUptime, h.require("sla", auth.Read))

	g.GET("/slos", h.listSLOs, h.require("sla", auth.Read))
	g.POST("/slos", h.createSLO, h.require("sla", auth.Write))
	g.GET("/slos/:id", h.getSLO, h.require("sla", auth.Read))
	g.PATCH("/slos/:id", h.updateSLO, h.require("sla", auth.Write))
	g.DELETE("/slos/:id", h.deleteSLO, h.require("sla", auth.Write))

	g.GET("/status-pages", h.listStatusPages, h.require("status_pages", auth.Read))
	g.POST("/status-pages", h.createStatusPage, h.require("status_pages", auth.Write))
	g.GET("/status-pages/:id", h.getStatusPage, h.require("status_pages", auth.Read))
	g.PATCH("/status-pages/:id", h.updateStatusPage, h.require("status_pages", auth.Write))
	g.DELETE("/status-pages/:id", h.deleteStatusPage, h.require("status_pages", auth.Write))
	g.GET("/status-pages/:id/subscribers", h.listSubscribers, h.require("status_pages", auth.Read))
	g.DELETE("/status-pages/:id/subscribers/:subscriber_id", h.deleteSubscriber, h.require("status_pages", auth.Write))

	g.GET("/webhook-receivers", h.listReceivers, h.require("webhook_receivers", auth.Read))
	g.POST("/webhook-receivers", h.createReceiver, h.require("webhook_receivers", auth.Write))
	g.GET("/webhook-receivers/:id", h.getReceiver, h.require("webhook_receivers", auth.Read))
	g.PATCH("/webhook-receivers/:id", h.updateReceiver, h.require("webhook_receivers", auth.Write))
	g.DELETE("/webhook-receivers/:id", h.deleteReceiver, h.require("webhook_receivers", auth.Write))
	g.POST("/webhook-receivers/:id/rotate-token", h.rotateReceiverToken, h.require("webhook_receivers", auth.Write))
	g.GET("/webhook-receivers/:id/deliveries", h.listDeliveries, h.require("webhook_receivers", auth.Read))
	g.GET("/webhook-receivers/:id/deliveries/:delivery_id", h.getDelivery, h.require("webhook_receivers", auth.Read))

	g.GET("/incidents", h.listIncidents, h.require("incidents", auth.Read))
	g.POST("/incidents", h.createIncident, h.require("incidents", auth.Write))
	g.GET("/incidents/:id", h.getIncident, h.require("incidents", auth.Read))
	g.PATCH("/incidents/:id", h.updateIncident, h.require("incidents", auth.Write))
	g.POST("/incidents/:id/updates", h.addIncidentUpdate, h.require("incidents", auth.Write))

	g.GET("/maintenances", h.listMaintenances, h.require("maintenances", auth.Read))
	g.POST("/maintenances", h.createMaintenance, h.require("maintenances", auth.Write))
	g.GET("/maintenances/:id", h.getMaintenance, h.require("maintenances", auth.Read))
	g.PATCH("/maintenances/:id", h.updateMaintenance, h.require("maintenances", auth.Write))
	g.DELETE("/maintenances/:id", h.cancelMaintenance, h.require("maintenances", auth.Write))

	g.GET("/alert-rules", h.listRules, h.require("alerting", auth.Read))
	g.POST("/alert-rules", h.createRule, h.require("alerting", auth.Write))
	g.GET("/alert-rules/:id", h.getRule, h.require("alerting", auth.Read))
	g.PATCH("/alert-rules/:id", h.updateRule, h.require("alerting", auth.Write))
	g.DELETE("/alert-rules/:id", h.deleteRule, h.require("alerting", auth.Write))
	g.GET("/alerts", h.listAlerts, h.require("alerting", auth.Read))
	g.GET("/alerts/:id", h.getAlert, h.require("alerting", auth.Read))
	g.POST("/alerts/:id/ack", h.ackAlert, h.require("alerting", auth.Write))
	g.POST("/alerts/:id/unack", h.unackAlert, h.require("alerting", auth.Write))
	g.GET("/silences", h.listSilences, h.require("alerting", auth.Read))
	g.POST("/silences", h.createSilence, h.require("alerting", auth.Write))
	g.GET("/silences/:id", h.getSilence, h.require("alerting", auth.Read))
	g.DELETE("/silences/:id", h.deleteSilence, h.require("alerting", auth.Write))

	g.GET("/api-keys", h.listKeys, h.require("api_keys", auth.Read))
	g.POST("/api-keys", h.createKey, h.require("api_keys", auth.Write))
	g.GET("/api-keys/:id", h.getKey, h.require("api_keys", auth.Read))
	g.DELETE("/api-keys/:id", h.revokeKey, h.require("api_keys", auth.Write))

	g.GET("/audit-log", h.listAuditLog, h.require("audit", auth.Read))
}
