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
	return listPage(h, c, h.status.ListServices, func(c echo.Context, size int32, token string) (*statusv1.ListServicesRequest, error) {
		return &statusv1.ListServicesRequest{OrgId: principal(c).OrgID, PageSize: size, PageToken: token}, nil
	}, (*statusv1.ListServicesResponse).GetServices, toServiceJSON)
}

type createServiceBody struct {
	Name        string  `json:"name"`
	Description string  `json:"description"`
	Status      *string `json:"status"`
}

// request turns the body into a CreateServiceRequest of organisation orgID.
func (b createServiceBody) request(orgID string) (*statusv1.CreateServiceRequest, error) {
	req := &statusv1.CreateServiceRequest{OrgId: orgID, Name: b.Name, Description: b.Description}
	if b.Status != nil {
		st, err := parseStatus(*b.Status)
		if err != nil {
			return nil, err
		}
		req.Status = st
	}
	return req, nil
}

func (h *Handler) createService(c echo.Context) error {
	return create(h, c, "/api/v1/services/", h.status.CreateService, func(b createServiceBody) (*statusv1.CreateServiceRequest, error) {
		return b.request(principal(c).OrgID)
	}, (*statusv1.CreateServiceResponse).GetService, toServiceJSON)
}

func (h *Handler) getService(c echo.Context) error {
	req := &statusv1.GetServiceRequest{OrgId: principal(c).OrgID, ServiceId: c.Param("id")}
	return reply(h, c, http.StatusOK, h.status.GetService, req, (*statusv1.GetServiceResponse).GetService, toServiceJSON)
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
	return apply(h, c, http.StatusOK, h.status.SetStatus, func(b setStatusBody) (*statusv1.SetStatusRequest, error) {
		return b.request(principal(c), c.Param("id"))
	}, (*statusv1.SetStatusResponse).GetService, toServiceJSON)
}

type updateServiceBody struct {
	Name        *string            `json:"name"`
	Description *string            `json:"description"`
	Tags        *map[string]string `json:"tags"`
}

// request turns the body into an UpdateServiceRequest of service id in
// organisation orgID.
func (b updateServiceBody) request(orgID, id string) (*statusv1.UpdateServiceRequest, error) {
	if b.Name == nil && b.Description == nil && b.Tags == nil {
		return nil, httpx.Errorf(http.StatusUnprocessableEntity, httpx.CodeInvalidValue,
			"give name, description or tags to change; to report a status use PUT")
	}
	req := &statusv1.UpdateServiceRequest{OrgId: orgID, ServiceId: id, Name: b.Name, Description: b.Description}
	if b.Tags != nil {
		req.Tags = &statusv1.ServiceTags{Tags: *b.Tags}
	}
	return req, nil
}

func (h *Handler) updateService(c echo.Context) error {
	return apply(h, c, http.StatusOK, h.status.UpdateService, func(b updateServiceBody) (*statusv1.UpdateServiceRequest, error) {
		return b.request(principal(c).OrgID, c.Param("id"))
	}, (*statusv1.UpdateServiceResponse).GetService, toServiceJSON)
}

func (h *Handler) deleteService(c echo.Context) error {
	return replyEmpty(h, c, h.status.DeleteService, &statusv1.DeleteServiceRequest{OrgId: principal(c).OrgID, ServiceId: c.Param("id")})
}

func (h *Handler) listHistory(c echo.Context) error {
	return listPage(h, c, h.status.ListStatusHistory, func(c echo.Context, size int32, token string) (*statusv1.ListStatusHistoryRequest, error) {
		return &statusv1.ListStatusHistoryRequest{OrgId: principal(c).OrgID, ServiceId: c.Param("id"), PageSize: size, PageToken: token}, nil
	}, (*statusv1.ListStatusHistoryResponse).GetChanges, toChangeJSON)
}
