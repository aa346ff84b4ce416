package httpapi

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/upstatehq/upstate/pkg/httpx"
	incidentsv1 "github.com/upstatehq/upstate/proto/gen/upstate/incidents/v1"
	statusv1 "github.com/upstatehq/upstate/proto/gen/upstate/status/v1"
	statuspagev1 "github.com/upstatehq/upstate/proto/gen/upstate/statuspage/v1"
	"github.com/upstatehq/upstate/services/edge/internal/auth"
)

// compatPrefix is where the Statuspage-compatible management API is
// mounted: a script written for api.statuspage.io works after changing
// the host.
const compatPrefix = "/v1"

// registerCompatRoutes is the route table of the Statuspage-compatible
// management API (docs/statuspage-compat.md). Its writes are write routes
// like any other: audited.
func registerCompatRoutes(g *echo.Group, h *Handler) {
	g.GET("/pages/:page_id/components", h.spListComponents, h.require("status_pages", auth.Read))
	g.GET("/pages/:page_id/components/:component_id", h.spGetComponent, h.require("status_pages", auth.Read))
	g.PATCH("/pages/:page_id/components/:component_id", h.spUpdateComponent, h.require("services", auth.Write))
	g.PUT("/pages/:page_id/components/:component_id", h.spUpdateComponent, h.require("services", auth.Write))
	g.GET("/pages/:page_id/incidents", h.spListIncidents, h.require("incidents", auth.Read))
	g.GET("/pages/:page_id/incidents/unresolved", h.spListUnresolved, h.require("incidents", auth.Read))
	g.POST("/pages/:page_id/incidents", h.spCreateIncident, h.require("incidents", auth.Write))
	g.GET("/pages/:page_id/incidents/:incident_id", h.spGetIncident, h.require("incidents", auth.Read))
	g.PATCH("/pages/:page_id/incidents/:incident_id", h.spUpdateIncident, h.require("incidents", auth.Write))
	g.PUT("/pages/:page_id/incidents/:incident_id", h.spUpdateIncident, h.require("incidents", auth.Write))
}

// spErrors answers errors as Statuspage does, {"error":"…"}, with
// "message" too, as its API description names it, and the status the
// rest of the API would answer; failures are logged as the error handler
// logs them.
func (h *Handler) spErrors(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		err := next(c)
		if err == nil || c.Response().Committed {
			return err
		}
		e := httpx.ToError(err)
		if e.Status >= 500 {
			h.logger.ErrorContext(c.Request().Context(), "request failed",
				"method", c.Request().Method, "route", c.Path(), "status", e.Status, "err", err)
		}
		if e.RetryAfter > 0 {
			c.Response().Header().Set("Retry-After", strconv.Itoa(e.RetryAfter))
		}
		return c.JSON(e.Status, map[string]string{"error": e.Message, "message": e.Message})
	}
}

// spPage loads the page of the path's page_id.
func (h *Handler) spPage(c echo.Context) (spView, error) {
	resp, err := invoke(h, c, h.pages.GetPage, &statuspagev1.GetPageRequest{OrgId: principal(c).OrgID, PageId: c.Param("page_id")})
	if err != nil {
		return spView{}, err
	}
	return newSPView(resp.GetPage(), h.pagesBase(c)), nil
}

// spComponentOf finds the path's component on the page (404 otherwise).
func spComponentOf(v spView, id string) (*statuspagev1.Component, error) {
	comp, ok := v.componentByID(id)
	if !ok {
		return nil, httpx.Errorf(http.StatusNotFound, httpx.CodeNotFound, "component %s is not on page %s", id, v.page.GetId())
	}
	return comp, nil
}

// spListComponents answers the page's components as a bare array, as
// Statuspage does.
func (h *Handler) spListComponents(c echo.Context) error {
	v, err := h.spPage(c)
	if err != nil {
		return err
	}
	var services []string
	for _, comp := range v.page.GetComponents() {
		services = append(services, comp.GetServiceId())
	}
	if err := h.spLive(c, &v, services); err != nil {
		return err
	}
	out := []spComponent{}
	for _, comp := range v.page.GetComponents() {
		out = append(out, v.component(comp))
	}
	return c.JSON(http.StatusOK, out)
}

// spLive reads the current status of services into v: the page's copy
// follows the STATUS stream and may not show a change made a moment ago,
// which a script reading after its write expects to see.
func (h *Handler) spLive(c echo.Context, v *spView, serviceIDs []string) error {
	ctx, cancel := h.call(c)
	defer cancel()
	for _, id := range serviceIDs {
		resp, err := h.status.GetService(ctx, &statusv1.GetServiceRequest{OrgId: principal(c).OrgID, ServiceId: id})
		if err != nil {
			return fromGRPC(err)
		}
		v.live[id] = resp.GetService()
	}
	return nil
}

func (h *Handler) spGetComponent(c echo.Context) error {
	v, err := h.spPage(c)
	if err != nil {
		return err
	}
	comp, err := spComponentOf(v, c.Param("component_id"))
	if err != nil {
		return err
	}
	if err := h.spLive(c, &v, []string{comp.GetServiceId()}); err != nil {
		return err
	}
	return c.JSON(http.StatusOK, v.component(comp))
}

// spComponentBody is the body of a component update; only its status can
// change here.
type spComponentBody struct {
	Component *struct {
		Status *string `json:"status"`
	} `json:"component"`
}

// spUpdateComponent sets the status of the service the component
// follows.
func (h *Handler) spUpdateComponent(c echo.Context) error {
	var body spComponentBody
	if err := spDecode(c, &body); err != nil {
		return err
	}
	if body.Component == nil || body.Component.Status == nil {
		return httpx.Errorf(http.StatusUnprocessableEntity, httpx.CodeInvalidValue, "component[status] is required; valid values are %s", spStatusValid)
	}
	st, err := parseSPStatus("component[status]", *body.Component.Status)
	if err != nil {
		return err
	}
	v, err := h.spPage(c)
	if err != nil {
		return err
	}
	comp, err := spComponentOf(v, c.Param("component_id"))
	if err != nil {
		return err
	}
	svc, err := h.spSetStatus(c, comp.GetServiceId(), st)
	if err != nil {
		return err
	}
	v.live[svc.GetId()] = svc
	return c.JSON(http.StatusOK, v.component(comp))
}

// spSetStatus sets a service's status as PUT /api/v1/services/{id} does,
// keeping its description.
func (h *Handler) spSetStatus(c echo.Context, serviceID string, st statusv1.Status) (*statusv1.Service, error) {
	p := principal(c)
	resp, err := invoke(h, c, h.status.SetStatus, &statusv1.SetStatusRequest{
		OrgId: p.OrgID, ServiceId: serviceID, Status: st,
		Source: statusv1.Source_SOURCE_API, Actor: p.KeyID,
	})
	if err != nil {
		return nil, err
	}
	return resp.GetService(), nil
}

// spIncidentBody is the body of an incident's creation or update.
type spIncidentBody struct {
	Incident *struct {
		Name                 *string           `json:"name"`
		Status               *string           `json:"status"`
		ImpactOverride       *string           `json:"impact_override"`
		Body                 *string           `json:"body"`
		ComponentIDs         *[]string         `json:"component_ids"`
		Components           map[string]string `json:"components"`
		DeliverNotifications *spBool           `json:"deliver_notifications"`
	} `json:"incident"`
}

// spBool is a boolean sent as JSON or, form-encoded, as "true"/"false".
type spBool bool

func (b *spBool) UnmarshalJSON(raw []byte) error {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		raw = []byte(s)
	}
	v, err := strconv.ParseBool(string(raw))
	if err != nil {
		return fmt.Errorf("%s is not a boolean", raw)
	}
	*b = spBool(v)
	return nil
}

// spStatusChange is a component status an incident sets.
type spStatusChange struct {
	serviceID string
	status    statusv1.Status
}

// spIncidentServices resolves the components an incident names
// (component_ids and the keys of components) to the page's services, and
// the statuses it sets.
func spIncidentServices(v spView, ids *[]string, statuses map[string]string) ([]string, []spStatusChange, error) {
	var services []string
	seen := map[string]bool{}
	add := func(compID string) (string, error) {
		comp, ok := v.componentByID(compID)
		if !ok {
			return "", httpx.Errorf(http.StatusUnprocessableEntity, httpx.CodeInvalidValue,
				"incident: component %s is not on page %s", compID, v.page.GetId())
		}
		if !seen[comp.GetServiceId()] {
			seen[comp.GetServiceId()] = true
			services = append(services, comp.GetServiceId())
		}
		return comp.GetServiceId(), nil
	}
	if ids != nil {
		for _, id := range *ids {
			if _, err := add(id); err != nil {
				return nil, nil, err
			}
		}
	}
	var changes []spStatusChange
	compIDs := make([]string, 0, len(statuses))
	for id := range statuses {
		compIDs = append(compIDs, id)
	}
	slices.Sort(compIDs)
	for _, id := range compIDs {
		s := statuses[id]
		svc, err := add(id)
		if err != nil {
			return nil, nil, err
		}
		st, err := parseSPStatus("incident[components]["+id+"]", s)
		if err != nil {
			return nil, nil, err
		}
		changes = append(changes, spStatusChange{serviceID: svc, status: st})
	}
	return services, changes, nil
}

// spApplyStatuses sets the component statuses an incident names, each
// as its own write (PUT /api/v1/services/{id}, through the API so that
// each is audited like any other status change).
func (h *Handler) spApplyStatuses(c echo.Context, changes []spStatusChange, why string) error {
	for _, ch := range changes {
		req := map[string]string{"status": statusName(ch.status)}
		if why != "" {
			req["description"] = why
		}
		body, _ := json.Marshal(req)
		if _, _, err := serveInternal(c, http.MethodPut, "/api/v1/services/"+url.PathEscape(ch.serviceID), body, nil); err != nil {
			return err
		}
	}
	return nil
}

func (h *Handler) spCreateIncident(c echo.Context) error {
	var body spIncidentBody
	if err := spDecode(c, &body); err != nil {
		return err
	}
	in := body.Incident
	if in == nil || in.Name == nil || strings.TrimSpace(*in.Name) == "" {
		return httpx.Errorf(http.StatusUnprocessableEntity, httpx.CodeInvalidValue, "incident[name] is required")
	}
	v, err := h.spPage(c)
	if err != nil {
		return err
	}
	services, changes, err := spIncidentServices(v, in.ComponentIDs, in.Components)
	if err != nil {
		return err
	}
	p := principal(c)
	req := &incidentsv1.CreateIncidentRequest{OrgId: p.OrgID, Title: *in.Name, ServiceIds: services, Author: p.KeyID}
	if req.Severity, err = spSeverity(in.ImpactOverride, in.Components); err != nil {
		return err
	}
	if in.Status != nil {
		if req.Status, err = parseSPIncidentStatus(*in.Status); err != nil {
			return err
		}
		if req.Status == incidentsv1.IncidentStatus_INCIDENT_STATUS_RESOLVED {
			return httpx.Errorf(http.StatusUnprocessableEntity, httpx.CodeInvalidValue,
				"incident[status] resolved: an incident is opened first and resolved afterwards (historical incidents are not supported)")
		}
	}
	if in.Body != nil {
		req.Message = *in.Body
	}
	if err := h.spApplyStatuses(c, changes, *in.Name); err != nil {
		return err
	}
	resp, err := invoke(h, c, h.incidents.CreateIncident, req)
	if err != nil {
		return err
	}
	return h.spAnswerIncident(c, http.StatusCreated, v, resp.GetIncident())
}

// spSeverity is impact_override, else what the component statuses say.
func spSeverity(override *string, statuses map[string]string) (statusv1.Severity, error) {
	if override != nil {
		return parseSPImpact(*override)
	}
	all := make([]string, 0, len(statuses))
	for _, s := range statuses {
		all = append(all, s)
	}
	return spImpactOf(all), nil
}

func (h *Handler) spGetIncident(c echo.Context) error {
	v, err := h.spPage(c)
	if err != nil {
		return err
	}
	resp, err := invoke(h, c, h.incidents.GetIncident, &incidentsv1.GetIncidentRequest{OrgId: principal(c).OrgID, IncidentId: c.Param("incident_id")})
	if err != nil {
		return err
	}
	return h.spAnswerIncident(c, http.StatusOK, v, resp.GetIncident())
}

// spUpdateIncident changes an incident: name, impact and components
// replace its title, severity and services; a status adds a timeline
// entry with body as its text; a body alone adds a note.
func (h *Handler) spUpdateIncident(c echo.Context) error {
	var body spIncidentBody
	if err := spDecode(c, &body); err != nil {
		return err
	}
	in := body.Incident
	if in == nil || (in.Name == nil && in.Status == nil && in.ImpactOverride == nil && in.Body == nil && in.ComponentIDs == nil && in.Components == nil) {
		return httpx.Errorf(http.StatusUnprocessableEntity, httpx.CodeInvalidValue,
			"give incident[name], incident[status], incident[body], incident[impact_override], incident[component_ids] or incident[components]")
	}
	v, err := h.spPage(c)
	if err != nil {
		return err
	}
	p := principal(c)
	id := c.Param("incident_id")
	req := &incidentsv1.UpdateIncidentRequest{OrgId: p.OrgID, IncidentId: id, Author: p.KeyID}
	changed := false
	if in.Name != nil {
		req.Title, changed = in.Name, true
	}
	if in.ImpactOverride != nil {
		if req.Severity, err = parseSPImpact(*in.ImpactOverride); err != nil {
			return err
		}
		changed = true
	}
	services, changes, err := spIncidentServices(v, in.ComponentIDs, in.Components)
	if err != nil {
		return err
	}
	if in.ComponentIDs != nil {
		req.ServiceIds, changed = &incidentsv1.ServiceIDs{Ids: services}, true
	}
	if in.Status != nil {
		if req.Status, err = parseSPIncidentStatus(*in.Status); err != nil {
			return err
		}
		changed = true
		if in.Body != nil {
			req.Message = *in.Body
		}
	}
	if err := h.spApplyStatuses(c, changes, ""); err != nil {
		return err
	}
	ctx, cancel := h.call(c)
	defer cancel()
	var incident *incidentsv1.Incident
	if changed {
		resp, err := h.incidents.UpdateIncident(ctx, req)
		if err != nil {
			return fromGRPC(err)
		}
		incident = resp.GetIncident()
	}
	if in.Body != nil && in.Status == nil {
		resp, err := h.incidents.AddIncidentUpdate(ctx, &incidentsv1.AddIncidentUpdateRequest{
			OrgId: p.OrgID, IncidentId: id, Message: *in.Body, Author: p.KeyID,
		})
		if err != nil {
			return fromGRPC(err)
		}
		incident = resp.GetIncident()
	}
	if incident == nil {
		resp, err := h.incidents.GetIncident(ctx, &incidentsv1.GetIncidentRequest{OrgId: p.OrgID, IncidentId: id})
		if err != nil {
			return fromGRPC(err)
		}
		incident = resp.GetIncident()
	}
	return h.spAnswerIncident(c, http.StatusOK, v, incident)
}

// spAnswerIncident answers an incident with its components' current
// statuses.
func (h *Handler) spAnswerIncident(c echo.Context, status int, v spView, in *incidentsv1.Incident) error {
	if err := h.spLive(c, &v, in.GetServiceIds()); err != nil {
		return err
	}
	return c.JSON(status, v.incident(in))
}

// Listing incidents: Statuspage pages them with page and per_page (at
// most 100); the incidents service lists an organisation's, newest first,
// and the page's are those affecting one of its components, as on the
// page itself. spMaxScanned bounds how many are looked at for one answer.
const (
	spPerPage    = 100
	spMaxScanned = 2000
)

func (h *Handler) spListIncidents(c echo.Context) error {
	return h.spIncidents(c, incidentsv1.IncidentFilter_INCIDENT_FILTER_UNSPECIFIED)
}

func (h *Handler) spListUnresolved(c echo.Context) error {
	return h.spIncidents(c, incidentsv1.IncidentFilter_INCIDENT_FILTER_OPEN)
}

// spIncidents answers the page's incidents matching filter as a bare
// array, newest first.
func (h *Handler) spIncidents(c echo.Context, filter incidentsv1.IncidentFilter) error {
	page, err := spPageParam(c, "page", 1, spMaxScanned)
	if err != nil {
		return err
	}
	perPage, err := spPageParam(c, "per_page", spPerPage, spPerPage)
	if err != nil {
		return err
	}
	v, err := h.spPage(c)
	if err != nil {
		return err
	}
	onPage := map[string]bool{}
	for _, comp := range v.page.GetComponents() {
		onPage[comp.GetServiceId()] = true
	}
	skip := (page - 1) * perPage
	var found []*incidentsv1.Incident
	ctx, cancel := h.call(c)
	defer cancel()
	token := ""
	for scanned := 0; len(found) < perPage && scanned < spMaxScanned; {
		resp, err := h.incidents.ListIncidents(ctx, &incidentsv1.ListIncidentsRequest{
			OrgId: principal(c).OrgID, Filter: filter, PageSize: maxLimit, PageToken: token,
		})
		if err != nil {
			return fromGRPC(err)
		}
		for _, in := range resp.GetIncidents() {
			if !slices.ContainsFunc(in.GetServiceIds(), func(id string) bool { return onPage[id] }) {
				continue
			}
			if skip > 0 {
				skip--
				continue
			}
			if len(found) < perPage {
				found = append(found, in)
			}
		}
		scanned += len(resp.GetIncidents())
		if token = resp.GetNextPageToken(); token == "" {
			break
		}
	}
	var shown []string
	for _, in := range found {
		for _, id := range in.GetServiceIds() {
			if onPage[id] && !slices.Contains(shown, id) {
				shown = append(shown, id)
			}
		}
	}
	if err := h.spLive(c, &v, shown); err != nil {
		return err
	}
	out := make([]spIncident, 0, len(found))
	for _, in := range found {
		out = append(out, v.incident(in))
	}
	return c.JSON(http.StatusOK, out)
}

// spPageParam reads a positive integer query parameter, at most max.
func spPageParam(c echo.Context, name string, def, max int) (int, error) {
	s := c.QueryParam(name)
	if s == "" {
		return def, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > max {
		return 0, httpx.Errorf(http.StatusUnprocessableEntity, httpx.CodeInvalidValue, "%s must be an integer between 1 and %d", name, max)
	}
	return n, nil
}
