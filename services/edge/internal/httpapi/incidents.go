package httpapi

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/upstatehq/upstate/pkg/httpx"
	incidentsv1 "github.com/upstatehq/upstate/proto/gen/upstate/incidents/v1"
)

// listIncidentsRequest reads the query of GET /incidents: status (open or
// resolved; absent lists all), service, limit and cursor.
func listIncidentsRequest(c echo.Context) (*incidentsv1.ListIncidentsRequest, error) {
	limit, cursor, err := pageParams(c)
	if err != nil {
		return nil, err
	}
	req := &incidentsv1.ListIncidentsRequest{
		OrgId: principal(c).OrgID, ServiceId: c.QueryParam("service"), PageSize: int32(limit), PageToken: cursor,
	}
	if s := c.QueryParam("status"); s != "" {
		if req.Filter, err = parseIncidentFilter(s); err != nil {
			return nil, err
		}
	}
	return req, nil
}

func (h *Handler) listIncidents(c echo.Context) error {
	req, err := listIncidentsRequest(c)
	if err != nil {
		return err
	}
	ctx, cancel := h.call(c)
	defer cancel()
	resp, err := h.incidents.ListIncidents(ctx, req)
	if err != nil {
		return fromGRPC(err)
	}
	out := list[incidentJSON]{Data: []incidentJSON{}, NextCursor: resp.GetNextPageToken()}
	for _, in := range resp.GetIncidents() {
		out.Data = append(out.Data, toIncidentJSON(in))
	}
	return c.JSON(http.StatusOK, out)
}

func (h *Handler) createIncident(c echo.Context) error {
	var body createIncidentBody
	if err := httpx.DecodeJSON(c, &body); err != nil {
		return err
	}
	req, err := body.request(principal(c))
	if err != nil {
		return err
	}
	ctx, cancel := h.call(c)
	defer cancel()
	resp, err := h.incidents.CreateIncident(ctx, req)
	if err != nil {
		return fromGRPC(err)
	}
	c.Response().Header().Set(echo.HeaderLocation, "/api/v1/incidents/"+resp.GetIncident().GetId())
	return c.JSON(http.StatusCreated, toIncidentJSON(resp.GetIncident()))
}

func (h *Handler) getIncident(c echo.Context) error {
	ctx, cancel := h.call(c)
	defer cancel()
	resp, err := h.incidents.GetIncident(ctx, &incidentsv1.GetIncidentRequest{OrgId: principal(c).OrgID, IncidentId: c.Param("id")})
	if err != nil {
		return fromGRPC(err)
	}
	return c.JSON(http.StatusOK, toIncidentJSON(resp.GetIncident()))
}

func (h *Handler) updateIncident(c echo.Context) error {
	var body updateIncidentBody
	if err := httpx.DecodeJSON(c, &body); err != nil {
		return err
	}
	req, err := body.request(principal(c), c.Param("id"))
	if err != nil {
		return err
	}
	ctx, cancel := h.call(c)
	defer cancel()
	resp, err := h.incidents.UpdateIncident(ctx, req)
	if err != nil {
		return fromGRPC(err)
	}
	return c.JSON(http.StatusOK, toIncidentJSON(resp.GetIncident()))
}

// addIncidentUpdate answers 201 with the whole incident: a timeline entry
// has no URL of its own, and clients want the status it led to.
func (h *Handler) addIncidentUpdate(c echo.Context) error {
	var body addIncidentUpdateBody
	if err := httpx.DecodeJSON(c, &body); err != nil {
		return err
	}
	req, err := body.request(principal(c), c.Param("id"))
	if err != nil {
		return err
	}
	ctx, cancel := h.call(c)
	defer cancel()
	resp, err := h.incidents.AddIncidentUpdate(ctx, req)
	if err != nil {
		return fromGRPC(err)
	}
	return c.JSON(http.StatusCreated, toIncidentJSON(resp.GetIncident()))
}
