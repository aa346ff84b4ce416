package httpapi

import (
	"net/http"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/upstatehq/upstate/pkg/httpx"
	incidentsv1 "github.com/upstatehq/upstate/proto/gen/upstate/incidents/v1"
)

// maintenanceJSON is the REST representation of a maintenance window.
type maintenanceJSON struct {
	ID         string     `json:"id"`
	OrgID      string     `json:"org_id"`
	Title      string     `json:"title"`
	Message    string     `json:"message"`
	ServiceIDs []string   `json:"service_ids"`
	StartsAt   time.Time  `json:"starts_at"`
	EndsAt     time.Time  `json:"ends_at"`
	Status     string     `json:"status"`
	StartedAt  *time.Time `json:"started_at"`
	EndedAt    *time.Time `json:"ended_at"`
	CreatedAt  time.Time  `json:"created_at"`
	UpdatedAt  time.Time  `json:"updated_at"`
	Version    int64      `json:"version"`
}

func toMaintenanceJSON(m *incidentsv1.Maintenance) maintenanceJSON {
	return maintenanceJSON{
		ID: m.GetId(), OrgID: m.GetOrgId(), Title: m.GetTitle(), Message: m.GetMessage(),
		ServiceIDs: append([]string{}, m.GetServiceIds()...),
		StartsAt:   m.GetStartsAt().AsTime(), EndsAt: m.GetEndsAt().AsTime(),
		Status:    maintenanceStatusNames[m.GetStatus()],
		StartedAt: optionalTime(m.GetStartedAt()), EndedAt: optionalTime(m.GetEndedAt()),
		CreatedAt: m.GetCreatedAt().AsTime(), UpdatedAt: m.GetUpdatedAt().AsTime(), Version: m.GetVersion(),
	}
}

var maintenanceStatusNames = map[incidentsv1.MaintenanceStatus]string{
	incidentsv1.MaintenanceStatus_MAINTENANCE_STATUS_SCHEDULED:   "scheduled",
	incidentsv1.MaintenanceStatus_MAINTENANCE_STATUS_IN_PROGRESS: "in_progress",
	incidentsv1.MaintenanceStatus_MAINTENANCE_STATUS_COMPLETED:   "completed",
	incidentsv1.MaintenanceStatus_MAINTENANCE_STATUS_CANCELLED:   "cancelled",
}

// parseMaintenanceStatus reads the status query parameter of the
// maintenance window list.
func parseMaintenanceStatus(s string) (incidentsv1.MaintenanceStatus, error) {
	return parseEnum(maintenanceStatusNames, "status", s, "scheduled, in_progress, completed, cancelled")
}

// parseTime reads an RFC 3339 time, answering 422 naming field. Times are
// decoded as strings so that a malformed one is a 422 about the field, not
// encoding/json's 400 about the body.
func parseTime(field, s string) (*timestamppb.Timestamp, error) {
	t, err := parseInstant(field, s)
	if err != nil {
		return nil, err
	}
	return timestamppb.New(t), nil
}

// parseInstant is parseTime to a time.Time.
func parseInstant(field, s string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, httpx.Errorf(http.StatusUnprocessableEntity, httpx.CodeInvalidValue,
			"%s %q is not an RFC 3339 time such as 2026-11-23T10:00:00Z", field, s)
	}
	return t, nil
}

// createMaintenanceBody is the body of POST /maintenances.
type createMaintenanceBody struct {
	Title      string   `json:"title"`
	Message    string   `json:"message"`
	ServiceIDs []string `json:"service_ids"`
	StartsAt   *string  `json:"starts_at"`
	EndsAt     *string  `json:"ends_at"`
}

// request turns the body into a CreateMaintenanceRequest. The edge checks
// only that the times are times; the incidents service checks the rest,
// including that the window ends after it starts.
func (b createMaintenanceBody) request(orgID string) (*incidentsv1.CreateMaintenanceRequest, error) {
	starts, err := requiredTime("starts_at", b.StartsAt)
	if err != nil {
		return nil, err
	}
	ends, err := requiredTime("ends_at", b.EndsAt)
	if err != nil {
		return nil, err
	}
	return &incidentsv1.CreateMaintenanceRequest{
		OrgId: orgID, Title: b.Title, Message: b.Message, ServiceIds: b.ServiceIDs, StartsAt: starts, EndsAt: ends,
	}, nil
}

// requiredTime is parseTime of a field that must be given.
func requiredTime(field string, s *string) (*timestamppb.Timestamp, error) {
	if s == nil {
		return nil, httpx.Errorf(http.StatusUnprocessableEntity, httpx.CodeInvalidValue,
			"%s is required, an RFC 3339 time such as 2026-11-23T10:00:00Z", field)
	}
	return parseTime(field, *s)
}

// updateMaintenanceBody is the body of PATCH /maintenances/:id: the
// fields to change. None can be null.
type updateMaintenanceBody struct {
	Title      optional[string]   `json:"title,omitzero"`
	Message    optional[string]   `json:"message,omitzero"`
	ServiceIDs optional[[]string] `json:"service_ids,omitzero"`
	StartsAt   optional[string]   `json:"starts_at,omitzero"`
	EndsAt     optional[string]   `json:"ends_at,omitzero"`
}

const updatableMaintenanceFields = "title, message, service_ids, starts_at, ends_at"

// request turns the body into an UpdateMaintenanceRequest of window id.
// Which fields a window in progress may change is the incidents service's
// rule.
func (b updateMaintenanceBody) request(orgID, id string) (*incidentsv1.UpdateMaintenanceRequest, error) {
	err := checkChanges(updatableMaintenanceFields, b.Title.field("title"), b.Message.field("message"),
		b.ServiceIDs.field("service_ids"), b.StartsAt.field("starts_at"), b.EndsAt.field("ends_at"))
	if err != nil {
		return nil, err
	}
	req := &incidentsv1.UpdateMaintenanceRequest{OrgId: orgID, MaintenanceId: id}
	if b.Title.set {
		req.Title = &b.Title.value
	}
	if b.Message.set {
		req.Message = &b.Message.value
	}
	if b.ServiceIDs.set {
		req.ServiceIds = &incidentsv1.MaintenanceServiceIDs{Ids: b.ServiceIDs.value}
	}
	if b.StartsAt.set {
		if req.StartsAt, err = parseTime("starts_at", b.StartsAt.value); err != nil {
			return nil, err
		}
	}
	if b.EndsAt.set {
		if req.EndsAt, err = parseTime("ends_at", b.EndsAt.value); err != nil {
			return nil, err
		}
	}
	return req, nil
}
