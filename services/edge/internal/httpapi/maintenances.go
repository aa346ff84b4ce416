package httpapi

import (
	"net/http"

	"github.com/labstack/echo/v4"

	incidentsv1 "github.com/upstatehq/upstate/proto/gen/upstate/incidents/v1"
)

// listMaintenancesRequest reads the query of GET /maintenances (a
// listQuery): status (absent lists all) and service.
func listMaintenancesRequest(c echo.Context, size int32, token string) (*incidentsv1.ListMaintenancesRequest, error) {
	req := &incidentsv1.ListMaintenancesRequest{
		OrgId: principal(c).OrgID, ServiceId: c.QueryParam("service"), PageSize: size, PageToken: token,
	}
	if s := c.QueryParam("status"); s != "" {
		var err error
		if req.Status, err = parseMaintenanceStatus(s); err != nil {
			return nil, err
		}
	}
	return req, nil
}

func (h *Handler) listMaintenances(c echo.Context) error {
	return listPage(h, c, h.maintenances.ListMaintenances, listMaintenancesRequest,
		(*incidentsv1.ListMaintenancesResponse).GetMaintenances, toMaintenanceJSON)
}

func (h *Handler) createMaintenance(c echo.Context) error {
	return create(h, c, "/api/v1/maintenances/", h.maintenances.CreateMaintenance, func(b createMaintenanceBody) (*incidentsv1.CreateMaintenanceRequest, error) {
		return b.request(principal(c).OrgID)
	}, (*incidentsv1.CreateMaintenanceResponse).GetMaintenance, toMaintenanceJSON)
}

func (h *Handler) getMaintenance(c echo.Context) error {
	req := &incidentsv1.GetMaintenanceRequest{OrgId: principal(c).OrgID, MaintenanceId: c.Param("id")}
	return reply(h, c, http.StatusOK, h.maintenances.GetMaintenance, req, (*incidentsv1.GetMaintenanceResponse).GetMaintenance, toMaintenanceJSON)
}

func (h *Handler) updateMaintenance(c echo.Context) error {
	return apply(h, c, http.StatusOK, h.maintenances.UpdateMaintenance, func(b updateMaintenanceBody) (*incidentsv1.UpdateMaintenanceRequest, error) {
		return b.request(principal(c).OrgID, c.Param("id"))
	}, (*incidentsv1.UpdateMaintenanceResponse).GetMaintenance, toMaintenanceJSON)
}

// cancelMaintenance answers 200 with the window rather than 204, unlike the
// other DELETEs: the window is kept, cancelled or (if it was in progress)
// completed now, and which one is news to the client.
func (h *Handler) cancelMaintenance(c echo.Context) error {
	req := &incidentsv1.CancelMaintenanceRequest{OrgId: principal(c).OrgID, MaintenanceId: c.Param("id")}
	return reply(h, c, http.StatusOK, h.maintenances.CancelMaintenance, req, (*incidentsv1.CancelMaintenanceResponse).GetMaintenance, toMaintenanceJSON)
}
