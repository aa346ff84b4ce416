package httpapi

import (
	"net/http"
	"net/url"

	"github.com/labstack/echo/v4"

	statusv1 "github.com/upstatehq/upstate/proto/gen/upstate/status/v1"
	"github.com/upstatehq/upstate/services/edge/internal/auth"
)

// registerConsoleRoutes is the console's page and form table; each route
// needs the scope its REST counterpart needs.
func registerConsoleRoutes(g *echo.Group, cn *Console) {
	page := func(method, path string, fn echo.HandlerFunc, resource string, action auth.Action) {
		g.Add(method, path, cn.wrap(fn), cn.signedIn(resource, action))
	}
	page(http.MethodGet, "/services", cn.services, "services", auth.Read)
	page(http.MethodPost, "/services", cn.createService, "services", auth.Write)
	page(http.MethodGet, "/services/:id", cn.service, "services", auth.Read)
	page(http.MethodPost, "/services/:id/status", cn.setStatus, "services", auth.Write)

	page(http.MethodGet, "/receivers", cn.receivers, "webhook_receivers", auth.Read)
	page(http.MethodPost, "/receivers", cn.createReceiver, "webhook_receivers", auth.Write)
	page(http.MethodGet, "/receivers/:id", cn.receiver, "webhook_receivers", auth.Read)
	page(http.MethodPost, "/receivers/:id", cn.updateReceiver, "webhook_receivers", auth.Write)
	page(http.MethodPost, "/receivers/:id/rotate", cn.rotateReceiver, "webhook_receivers", auth.Write)

	page(http.MethodGet, "/incidents", cn.incidents, "incidents", auth.Read)
	page(http.MethodPost, "/incidents", cn.createIncident, "incidents", auth.Write)
	page(http.MethodGet, "/incidents/:id", cn.incident, "incidents", auth.Read)
	page(http.MethodPost, "/incidents/:id/updates", cn.addIncidentUpdate, "incidents", auth.Write)
	page(http.MethodPost, "/incidents/:id/resolve", cn.resolveIncident, "incidents", auth.Write)

	page(http.MethodGet, "/maintenances", cn.maintenances, "maintenances", auth.Read)
	page(http.MethodPost, "/maintenances", cn.createMaintenance, "maintenances", auth.Write)
	page(http.MethodGet, "/maintenances/:id", cn.maintenance, "maintenances", auth.Read)
	page(http.MethodPost, "/maintenances/:id", cn.updateMaintenance, "maintenances", auth.Write)
	page(http.MethodPost, "/maintenances/:id/cancel", cn.cancelMaintenance, "maintenances", auth.Write)

	page(http.MethodGet, "/api-keys", cn.apiKeys, "api_keys", auth.Read)
	page(http.MethodPost, "/api-keys", cn.createAPIKey, "api_keys", auth.Write)
	page(http.MethodPost, "/api-keys/:id/revoke", cn.revokeAPIKey, "api_keys", auth.Write)

	page(http.MethodGet, "/status-pages", cn.statusPages, "status_pages", auth.Read)
	page(http.MethodGet, "/slos", cn.slos, "sla", auth.Read)
	page(http.MethodGet, "/alerts", cn.alerts, "alerting", auth.Read)
	page(http.MethodPost, "/alerts/:id/ack", cn.ackAlert, "alerting", auth.Write)

	page(http.MethodGet, "/schedules", cn.schedules, "oncall", auth.Read)
	page(http.MethodGet, "/schedules/:id", cn.schedule, "oncall", auth.Read)
	page(http.MethodPost, "/schedules/:id/overrides", cn.createOverride, "oncall", auth.Write)
	page(http.MethodPost, "/schedules/:id/overrides/:override_id/delete", cn.deleteOverride, "oncall", auth.Write)
	page(http.MethodGet, "/users", cn.users, "oncall", auth.Read)
	page(http.MethodPost, "/users", cn.createUser, "oncall", auth.Write)
	page(http.MethodPost, "/users/:id/delete", cn.deleteUser, "oncall", auth.Write)
	page(http.MethodGet, "/escalation-policies", cn.policies, "oncall", auth.Read)
	page(http.MethodGet, "/escalation-policies/:id", cn.policy, "oncall", auth.Read)
	page(http.MethodGet, "/channels", cn.channels, "oncall", auth.Read)
	page(http.MethodPost, "/channels", cn.createChannel, "oncall", auth.Write)
	page(http.MethodPost, "/channels/:id/test", cn.testChannel, "oncall", auth.Write)
	page(http.MethodGet, "/notifications", cn.notifications, "oncall", auth.Read)
	page(http.MethodPost, "/notifications/:id/retry", cn.retryNotification, "oncall", auth.Write)
}

// consoleListSize is how many rows a console list shows at most; longer
// lists page with the REST API's cursors.
const consoleListSize = maxLimit

// servicesPage is the services list.
type servicesPage struct {
	Services []serviceJSON
	Next     string
}

// serviceList lists a page of the organisation's services; the forms that
// pick services (receivers, incidents, maintenance) offer the first one.
func (cn *Console) serviceList(c echo.Context, cursor string) (servicesPage, error) {
	resp, err := invoke(cn.h, c, cn.h.status.ListServices, &statusv1.ListServicesRequest{
		OrgId: principal(c).OrgID, PageSize: consoleListSize, PageToken: cursor,
	})
	if err != nil {
		return servicesPage{}, err
	}
	out := servicesPage{Next: resp.GetNextPageToken()}
	for _, s := range resp.GetServices() {
		out.Services = append(out.Services, toServiceJSON(s))
	}
	return out, nil
}

func (cn *Console) services(c echo.Context) error {
	list, err := cn.serviceList(c, c.QueryParam("cursor"))
	if err != nil {
		return err
	}
	return cn.render(c, http.StatusOK, "services", view{Title: "Services", Section: "/console/services", Live: true, Data: list})
}

func (cn *Console) createService(c echo.Context) error {
	id, err := cn.submitCreate(c, "/services", createServiceBody{Name: form(c, "name"), Description: form(c, "description")})
	if err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/console/services/"+id)
}

// servicePage is one service with its history.
type servicePage struct {
	Service  serviceJSON
	History  []changeJSON
	Statuses []string
}

// statusChoices are the statuses a person may set, in order of severity.
var statusChoices = []string{"operational", "degraded", "down", "maintenance"}

func (cn *Console) service(c echo.Context) error {
	p := principal(c)
	ctx, cancel := cn.h.call(c)
	defer cancel()
	svc, err := cn.h.status.GetService(ctx, &statusv1.GetServiceRequest{OrgId: p.OrgID, ServiceId: c.Param("id")})
	if err != nil {
		return fromGRPC(err)
	}
	hist, err := cn.h.status.ListStatusHistory(ctx, &statusv1.ListStatusHistoryRequest{
		OrgId: p.OrgID, ServiceId: c.Param("id"), PageSize: defaultLimit,
	})
	if err != nil {
		return fromGRPC(err)
	}
	out := servicePage{Service: toServiceJSON(svc.GetService()), Statuses: statusChoices}
	for _, ch := range hist.GetChanges() {
		out.History = append(out.History, toChangeJSON(ch))
	}
	return cn.render(c, http.StatusOK, "service", view{Title: out.Service.Name, Section: "/console/services", Live: true, Data: out})
}

func (cn *Console) setStatus(c echo.Context) error {
	body := setStatusBody{Status: formPtr(c, "status")}
	if d := form(c, "description"); d != "" {
		body.Description = &d
	}
	if _, err := cn.submit(c, http.MethodPut, "/services/"+url.PathEscape(c.Param("id")), body); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/console/services/"+c.Param("id"))
}
