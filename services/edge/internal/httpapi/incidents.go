package httpapi

import (
	"net/http"

	"github.com/labstack/echo/v4"

	incidentsv1 "github.com/upstatehq/upstate/proto/gen/upstate/incidents/v1"
)

// listIncidentsRequest reads the query of GET /incidents (a listQuery):
// status (open or resolved; absent lists all) and service.
func listIncidentsRequest(c echo.Context, size int32, token string) (*incidentsv1.ListIncidentsRequest, error) {
	req := &incidentsv1.ListIncidentsRequest{
		OrgId: principal(c).OrgID, ServiceId: c.QueryParam("service"), PageSize: size, PageToken: token,
	}
	if s := c.QueryParam("status"); s != "" {
		var err error
		if req.Filter, err = parseIncidentFilter(s); err != nil {
			return nil, err
		}
	}
	return req, nil
}

func (h *Handler) listIncidents(c echo.Context) error {
	return listPage(h, c, h.incidents.ListIncidents, listIncidentsRequest, (*incidentsv1.ListIncidentsResponse).GetIncidents, toIncidentJSON)
}

func (h *Handler) createIncident(c echo.Context) error {
	return create(h, c, "/api/v1/incidents/", h.incidents.CreateIncident, func(b createIncidentBody) (*incidentsv1.CreateIncidentRequest, error) {
		return b.request(principal(c))
	}, (*incidentsv1.CreateIncidentResponse).GetIncident, toIncidentJSON)
}

func (h *Handler) getIncident(c echo.Context) error {
	req := &incidentsv1.GetIncidentRequest{OrgId: principal(c).OrgID, IncidentId: c.Param("id")}
	return reply(h, c, http.StatusOK, h.incidents.GetIncident, req, (*incidentsv1.GetIncidentResponse).GetIncident, toIncidentJSON)
}

func (h *Handler) updateIncident(c echo.Context) error {
	return apply(h, c, http.StatusOK, h.incidents.UpdateIncident, func(b updateIncidentBody) (*incidentsv1.UpdateIncidentRequest, error) {
		return b.request(principal(c), c.Param("id"))
	}, (*incidentsv1.UpdateIncidentResponse).GetIncident, toIncidentJSON)
}

// addIncidentUpdate answers 201 with the whole incident: a timeline entry
// has no URL of its own, and clients want the status it led to.
func (h *Handler) addIncidentUpdate(c echo.Context) error {
	return apply(h, c, http.StatusCreated, h.incidents.AddIncidentUpdate, func(b addIncidentUpdateBody) (*incidentsv1.AddIncidentUpdateRequest, error) {
		return b.request(principal(c), c.Param("id"))
	}, (*incidentsv1.AddIncidentUpdateResponse).GetIncident, toIncidentJSON)
}
