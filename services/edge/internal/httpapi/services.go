package httpapi

import (
	"context"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/upstatehq/upstate/pkg/httpx"
	statusv1 "github.com/upstatehq/upstate/proto/gen/upstate/status/v1"
	"github.com/upstatehq/upstate/services/edge/internal/auth"
)

// serviceJSON is the REST representation of a service.
type serviceJSON struct {
	ID                string            `json:"id"`
	OrgID             string            `json:"org_id"`
	Name              string            `json:"name"`
	Description       string            `json:"description"`
	Status            string            `json:"status"`
	StatusDescription string            `json:"status_description"`
	StatusChangedAt   time.Time         `json:"status_changed_at"`
	CreatedAt         time.Time         `json:"created_at"`
	UpdatedAt         time.Time         `json:"updated_at"`
	Version           int64             `json:"version"`
	Tags              map[string]string `json:"tags"`
}

func toServiceJSON(s *statusv1.Service) serviceJSON {
	return serviceJSON{
		ID: s.GetId(), OrgID: s.GetOrgId(), Name: s.GetName(), Description: s.GetDescription(),
		Status: statusName(s.GetStatus()), StatusDescription: s.GetStatusDescription(),
		StatusChangedAt: s.GetStatusChangedAt().AsTime(), CreatedAt: s.GetCreatedAt().AsTime(),
		UpdatedAt: s.GetUpdatedAt().AsTime(), Version: s.GetVersion(), Tags: nonNilMap(s.GetTags()),
	}
}

// changeJSON is the REST representation of a status history entry.
type changeJSON struct {
	Version        int64     `json:"version"`
	PreviousStatus string    `json:"previous_status"`
	Status         string    `json:"status"`
	Description    string    `json:"description"`
	Source         string    `json:"source"`
	Actor          string    `json:"actor"`
	ChangedAt      time.Time `json:"changed_at"`
}

func toChangeJSON(ch *statusv1.StatusChange) changeJSON {
	return changeJSON{
		Version: ch.GetVersion(), PreviousStatus: statusName(ch.GetPrevious()), Status: statusName(ch.GetStatus()),
		Description: ch.GetDescription(), Source: sourceNames[ch.GetSource()], Actor: ch.GetActor(),
		ChangedAt: ch.GetChangedAt().AsTime(),
	}
}

var statusNames = map[statusv1.Status]string{
	statusv1.Status_STATUS_OPERATIONAL: "operational",
	statusv1.Status_STATUS_DEGRADED:    "degraded",
	statusv1.Status_STATUS_DOWN:        "down",
	statusv1.Status_STATUS_MAINTENANCE: "maintenance",
}

var sourceNames = map[statusv1.Source]string{
	statusv1.Source_SOURCE_API:         "api",
	statusv1.Source_SOURCE_WEBHOOK:     "webhook",
	statusv1.Source_SOURCE_MAINTENANCE: "maintenance",
}

func statusName(s statusv1.Status) string { return statusNames[s] }

// parseStatus accepts a status name in any case.
func parseStatus(s string) (statusv1.Status, error) {
	return parseEnum(statusNames, "status", s, "operational, degraded, down, maintenance")
}

// parseEnum finds value, in any case, among the names of an enum, or
// answers 422 naming the field and its valid values.
func parseEnum[E comparable](names map[E]string, field, value, valid string) (E, error) {
	want := strings.ToLower(strings.TrimSpace(value))
	for v, name := range names {
		if name == want {
			return v, nil
		}
	}
	var zero E
	return zero, httpx.Errorf(http.StatusUnprocessableEntity, httpx.CodeInvalidValue,
		"%s %q is invalid; valid values are %s", field, value, valid)
}

func (h *Handler) call(c echo.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(c.Request().Context(), h.callTimeout)
}

func (h *Handler) listServices(c echo.Context) error {
	limit, cursor, err := pageParams(c)
	if err != nil {
		return err
	}
	ctx, cancel := h.call(c)
	defer cancel()
	resp, err := h.status.ListServices(ctx, &statusv1.ListServicesRequest{
		OrgId: principal(c).OrgID, PageSize: int32(limit), PageToken: cursor,
	})
	if err != nil {
		return fromGRPC(err)
	}
	out := list[serviceJSON]{Data: []serviceJSON{}, NextCursor: resp.GetNextPageToken()}
	for _, s := range resp.GetServices() {
		out.Data = append(out.Data, toServiceJSON(s))
	}
	return c.JSON(http.StatusOK, out)
}

type createServiceBody struct {
	Name        string  `json:"name"`
	Description string  `json:"description"`
	Status      *string `json:"status"`
}

func (h *Handler) createService(c echo.Context) error {
	var body createServiceBody
	if err := httpx.DecodeJSON(c, &body); err != nil {
		return err
	}
	req := &statusv1.CreateServiceRequest{OrgId: principal(c).OrgID, Name: body.Name, Description: body.Description}
	if body.Status != nil {
		st, err := parseStatus(*body.Status)
		if err != nil {
			return err
		}
		req.Status = st
	}
	ctx, cancel := h.call(c)
	defer cancel()
	resp, err := h.status.CreateService(ctx, req)
	if err != nil {
		return fromGRPC(err)
	}
	c.Response().Header().Set(echo.HeaderLocation, "/api/v1/services/"+resp.GetService().GetId())
	return c.JSON(http.StatusCreated, toServiceJSON(resp.GetService()))
}

func (h *Handler) getService(c echo.Context) error {
	ctx, cancel := h.call(c)
	defer cancel()
	resp, err := h.status.GetService(ctx, &statusv1.GetServiceRequest{OrgId: principal(c).OrgID, ServiceId: c.Param("id")})
	if err != nil {
		return fromGRPC(err)
	}
	return c.JSON(http.StatusOK, toServiceJSON(resp.GetService()))
}

type setStatusBody struct {
	Status      *string `json:"status"`
	Description *string `json:"description"`
}

// request turns the body into a SetStatusRequest of service id, made by
// the key p (the console's status form is the same request).
func (b setStatusBody) request(p auth.Principal, id string) (*statusv1.SetStatusRequest, error) {
	if b.Status == nil {
		return nil, httpx.Errorf(http.StatusUnprocessableEntity, httpx.CodeInvalidValue,
			"status is required; valid values are operational, degraded, down, maintenance")
	}
	st, err := parseStatus(*b.Status)
	if err != nil {
		return nil, err
	}
	return &statusv1.SetStatusRequest{
		OrgId: p.OrgID, ServiceId: id, Status: st, Description: b.Description,
		Source: statusv1.Source_SOURCE_API, Actor: p.KeyID,
	}, nil
}

func (h *Handler) setStatus(c echo.Context) error {
	var body setStatusBody
	if err := httpx.DecodeJSON(c, &body); err != nil {
		return err
	}
	req, err := body.request(principal(c), c.Param("id"))
	if err != nil {
		return err
	}
	ctx, cancel := h.call(c)
	defer cancel()
	resp, err := h.status.SetStatus(ctx, req)
	if err != nil {
		return fromGRPC(err)
	}
	return c.JSON(http.StatusOK, toServiceJSON(resp.GetService()))
}

type updateServiceBody struct {
	Name        *string            `json:"name"`
	Description *string            `json:"description"`
	Tags        *map[string]string `json:"tags"`
}

func (h *Handler) updateService(c echo.Context) error {
	var body updateServiceBody
	if err := httpx.DecodeJSON(c, &body); err != nil {
		return err
	}
	if body.Name == nil && body.Description == nil && body.Tags == nil {
		return httpx.Errorf(http.StatusUnprocessableEntity, httpx.CodeInvalidValue,
			"give name, description or tags to change; to report a status use PUT")
	}
	req := &statusv1.UpdateServiceRequest{
		OrgId: principal(c).OrgID, ServiceId: c.Param("id"), Name: body.Name, Description: body.Description,
	}
	if body.Tags != nil {
		req.Tags = &statusv1.ServiceTags{Tags: *body.Tags}
	}
	ctx, cancel := h.call(c)
	defer cancel()
	resp, err := h.status.UpdateService(ctx, req)
	if err != nil {
		return fromGRPC(err)
	}
	return c.JSON(http.StatusOK, toServiceJSON(resp.GetService()))
}

func (h *Handler) deleteService(c echo.Context) error {
	ctx, cancel := h.call(c)
	defer cancel()
	if _, err := h.status.DeleteService(ctx, &statusv1.DeleteServiceRequest{OrgId: principal(c).OrgID, ServiceId: c.Param("id")}); err != nil {
		return fromGRPC(err)
	}
	return c.NoContent(http.StatusNoContent)
}

func (h *Handler) listHistory(c echo.Context) error {
	limit, cursor, err := pageParams(c)
	if err != nil {
		return err
	}
	ctx, cancel := h.call(c)
	defer cancel()
	resp, err := h.status.ListStatusHistory(ctx, &statusv1.ListStatusHistoryRequest{
		OrgId: principal(c).OrgID, ServiceId: c.Param("id"), PageSize: int32(limit), PageToken: cursor,
	})
	if err != nil {
		return fromGRPC(err)
	}
	out := list[changeJSON]{Data: []changeJSON{}, NextCursor: resp.GetNextPageToken()}
	for _, ch := range resp.GetChanges() {
		out.Data = append(out.Data, toChangeJSON(ch))
	}
	return c.JSON(http.StatusOK, out)
}
