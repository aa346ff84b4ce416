package httpapi

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/upstatehq/upstate/pkg/httpx"
	incidentsv1 "github.com/upstatehq/upstate/proto/gen/upstate/incidents/v1"
)

// listMaintenancesRequest reads the query of GET /maintenances: status
// (absent lists all), service, limit and cursor.
func listMaintenancesRequest(c echo.Context) (*incidentsv1.ListMaintenancesRequest, error) {
	limit, cursor, err := pageParams(c)
	if err != nil {
		return nil, err
	}
	req := &incidentsv1.ListMaintenancesRequest{
		OrgId: principal(c).OrgID, ServiceId: c.QueryParam("service"), PageSize: int32(limit), PageToken: cursor,
	}
	if s := c.QueryParam("status"); s != "" {
		if req.Status, err = parseMaintenanceStatus(s); err != nil {
			return nil, err
		}
	}
	return req, nil
}

func (h *Handler) listMaintenances(c echo.Context) error {
	req, err := listMaintenancesRequest(c)
	if err != nil {
		return err
	}
	ctx, cancel := h.call(c)
	defer cancel()
	resp, err := h.maintenances.ListMaintenances(ctx, req)
	if err != nil {
		return fromGRPC(err)
	}
	out := list[maintenanceJSON]{Data: []maintenanceJSON{}, NextCursor: resp.GetNextPageToken()}
	for _, m := range resp.GetMaintenances() {
		out.Data = append(out.Data, toMaintenanceJSON(m))
	}
	return c.JSON(http.StatusOK, out)
}

func (h *Handler) createMaintenance(c echo.Context) error {
	var body createMaintenanceBody
	if err := httpx.DecodeJSON(c, &body); err != nil {
		return err
	}
	req, err := body.request(principal(c).OrgID)
	if err != nil {
		return err
	}
	ctx, cancel := h.call(c)
	defer cancel()
	resp, err := h.maintenances.CreateMaintenance(ctx, req)
	if err != nil {
		return fromGRPC(err)
	}
	c.Response().Header().Set(echo.HeaderLocation, "/api/v1/maintenances/"+resp.GetMaintenance().GetId())
	return c.JSON(http.StatusCreated, toMaintenanceJSON(resp.GetMaintenance()))
}

func (h *Handler) getMaintenance(c echo.Context) error {
	ctx, cancel := h.call(c)
	defer cancel()
	resp, err := h.maintenances.GetMaintenance(ctx, &incidentsv1.GetMaintenanceRequest{
		OrgId: principal(c).OrgID, MaintenanceId: c.Param("id"),
	})
	if err != nil {
		return fromGRPC(err)
	}
	return c.JSON(http.StatusOK, toMaintenanceJSON(resp.GetMaintenance()))
}

func (h *Handler) updateMaintenance(c echo.Context) error {
	var body updateMaintenanceBody
	if err := httpx.DecodeJSON(c, &body); err != nil {
		return err
	}
	req, err := body.request(principal(c).OrgID, c.Param("id"))
	if err != nil {
		return err
	}
	ctx, cancel := h.call(c)
	defer cancel()
	resp, err := h.maintenances.UpdateMaintenance(ctx, req)
	if err != nil {
		return fromGRPC(err)
	}
	return c.JSON(http.StatusOK, toMaintenanceJSON(resp.GetMaintenance()))
}

// cancelMaintenance answers 200 with the window rather than 204, unlike the
// other DELETEs: the window is kept, cancelled or (if it was in progress)
// completed now, and which one is news to the client.
func (h *Handler) cancelMaintenance(c echo.Context) error {
	ctx, cancel := h.call(c)
	defer cancel()
	resp, err := h.maintenances.CancelMaintenance(ctx, &incidentsv1.CancelMaintenanceRequest{
		OrgId: principal(c).OrgID, MaintenanceId: c.Param("id"),
	})
	if err != nil {
		return fromGRPC(err)
	}
	return c.JSON(http.StatusOK, toMaintenanceJSON(resp.GetMaintenance()))
}
