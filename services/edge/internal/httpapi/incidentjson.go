package httpapi

import (
	"net/http"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/upstatehq/upstate/pkg/httpx"
	incidentsv1 "github.com/upstatehq/upstate/proto/gen/upstate/incidents/v1"
	"github.com/upstatehq/upstate/services/edge/internal/auth"
)

// incidentJSON is the REST representation of an incident with its
// timeline.
type incidentJSON struct {
	ID         string               `json:"id"`
	OrgID      string               `json:"org_id"`
	Title      string               `json:"title"`
	Status     string               `json:"status"`
	Severity   string               `json:"severity"`
	ServiceIDs []string             `json:"service_ids"`
	Source     string               `json:"source"`
	ReceiverID *string              `json:"receiver_id"`
	CreatedAt  time.Time            `json:"created_at"`
	UpdatedAt  time.Time            `json:"updated_at"`
	ResolvedAt *time.Time           `json:"resolved_at"`
	Updates    []incidentUpdateJSON `json:"updates"`
	Version    int64                `json:"version"`
}

// incidentUpdateJSON is one entry of an incident's timeline.
type incidentUpdateJSON struct {
	CreatedAt time.Time `json:"created_at"`
	Status    string    `json:"status"`
	Message   string    `json:"message"`
	Author    string    `json:"author"`
}

func toIncidentJSON(in *incidentsv1.Incident) incidentJSON {
	out := incidentJSON{
		ID: in.GetId(), OrgID: in.GetOrgId(), Title: in.GetTitle(),
		Status: incidentStatusNames[in.GetStatus()], Severity: severityName(in.GetSeverity()),
		// Empty lists are [] rather than null, so that clients can range
		// over them without a check.
		ServiceIDs: append([]string{}, in.GetServiceIds()...),
		Source:     incidentSourceNames[in.GetSource()], ReceiverID: nonEmpty(in.GetReceiverId()),
		CreatedAt: in.GetCreatedAt().AsTime(), UpdatedAt: in.GetUpdatedAt().AsTime(),
		ResolvedAt: optionalTime(in.GetResolvedAt()),
		Updates:    make([]incidentUpdateJSON, 0, len(in.GetUpdates())),
		Version:    in.GetVersion(),
	}
	for _, u := range in.GetUpdates() {
		out.Updates = append(out.Updates, incidentUpdateJSON{
			CreatedAt: u.GetCreatedAt().AsTime(), Status: incidentStatusNames[u.GetStatus()],
			Message: u.GetMessage(), Author: u.GetAuthor(),
		})
	}
	return out
}

// optionalTime is nil for an unset timestamp, so that a time that has not
// happened yet is shown as null rather than as 1970.
func optionalTime(ts *timestamppb.Timestamp) *time.Time {
	if ts == nil {
		return nil
	}
	t := ts.AsTime()
	return &t
}

var incidentStatusNames = map[incidentsv1.IncidentStatus]string{
	incidentsv1.IncidentStatus_INCIDENT_STATUS_INVESTIGATING: "investigating",
	incidentsv1.IncidentStatus_INCIDENT_STATUS_IDENTIFIED:    "identified",
	incidentsv1.IncidentStatus_INCIDENT_STATUS_MONITORING:    "monitoring",
	incidentsv1.IncidentStatus_INCIDENT_STATUS_RESOLVED:      "resolved",
}

// openIncidentStatusNames are the statuses an incident can be opened in:
// opening one resolved would make no sense, and the 422 should list only
// what is valid.
var openIncidentStatusNames = map[incidentsv1.IncidentStatus]string{
	incidentsv1.IncidentStatus_INCIDENT_STATUS_INVESTIGATING: "investigating",
	incidentsv1.IncidentStatus_INCIDENT_STATUS_IDENTIFIED:    "identified",
	incidentsv1.IncidentStatus_INCIDENT_STATUS_MONITORING:    "monitoring",
}

var incidentSourceNames = map[incidentsv1.IncidentSource]string{
	incidentsv1.IncidentSource_INCIDENT_SOURCE_MANUAL:   "manual",
	incidentsv1.IncidentSource_INCIDENT_SOURCE_RECEIVER: "receiver",
}

var incidentFilterNames = map[incidentsv1.IncidentFilter]string{
	incidentsv1.IncidentFilter_INCIDENT_FILTER_OPEN:     "open",
	incidentsv1.IncidentFilter_INCIDENT_FILTER_RESOLVED: "resolved",
}

// parseIncidentStatus accepts an incident status name in any case.
func parseIncidentStatus(s string) (incidentsv1.IncidentStatus, error) {
	return parseEnum(incidentStatusNames, "status", s, "investigating, identified, monitoring, resolved")
}

// parseIncidentFilter reads the status query parameter of the incident list.
func parseIncidentFilter(s string) (incidentsv1.IncidentFilter, error) {
	return parseEnum(incidentFilterNames, "status", s, "open, resolved")
}

// createIncidentBody is the body of POST /incidents.
type createIncidentBody struct {
	Title      string   `json:"title"`
	Severity   *string  `json:"severity"`
	ServiceIDs []string `json:"service_ids"`
	Status     *string  `json:"status"`
	Message    string   `json:"message"`
}

// request turns the body into the incidents service's request; the key
// that sends it is the author. The title and message are validated by the
// incidents service.
func (b createIncidentBody) request(p auth.Principal) (*incidentsv1.CreateIncidentRequest, error) {
	// An unspecified severity is not a default here, unlike for receivers:
	// whoever opens an incident by hand says how bad it is.
	if b.Severity == nil {
		return nil, httpx.Errorf(http.StatusUnprocessableEntity, httpx.CodeInvalidValue,
			"severity is required; valid values are minor, major, critical")
	}
	sev, err := parseSeverity("severity", *b.Severity)
	if err != nil {
		return nil, err
	}
	req := &incidentsv1.CreateIncidentRequest{
		OrgId: p.OrgID, Title: b.Title, Severity: sev, ServiceIds: b.ServiceIDs, Message: b.Message, Author: p.KeyID,
	}
	if b.Status != nil {
		st, err := parseEnum(openIncidentStatusNames, "status", *b.Status, "investigating, identified, monitoring")
		if err != nil {
			return nil, err
		}
		req.Status = st
	}
	return req, nil
}

// updateIncidentBody is the body of PATCH /incidents/:id: the fields to
// change. None can be null.
type updateIncidentBody struct {
	Title      optional[string]   `json:"title"`
	Severity   optional[string]   `json:"severity"`
	ServiceIDs optional[[]string] `json:"service_ids"`
	Status     optional[string]   `json:"status"`
	Message    optional[string]   `json:"message"`
}

const updatableIncidentFields = "title, severity, service_ids, status, message"

// request turns the body into an UpdateIncidentRequest of incident id.
func (b updateIncidentBody) request(p auth.Principal, id string) (*incidentsv1.UpdateIncidentRequest, error) {
	err := checkChanges(updatableIncidentFields, b.Title.field("title"), b.Severity.field("severity"),
		b.ServiceIDs.field("service_ids"), b.Status.field("status"), b.Message.field("message"))
	if err != nil {
		return nil, err
	}
	// The incidents service would drop a message without a status change
	// silently: say where it belongs instead.
	if b.Message.set && !b.Status.set {
		return nil, httpx.Errorf(http.StatusUnprocessableEntity, httpx.CodeInvalidValue,
			"message is the text of the timeline entry a status change adds: give it with status, or add an update with POST /api/v1/incidents/%s/updates", id)
	}
	req := &incidentsv1.UpdateIncidentRequest{OrgId: p.OrgID, IncidentId: id, Message: b.Message.value, Author: p.KeyID}
	if b.Title.set {
		req.Title = &b.Title.value
	}
	if b.Severity.set {
		if req.Severity, err = parseSeverity("severity", b.Severity.value); err != nil {
			return nil, err
		}
	}
	if b.ServiceIDs.set {
		// The wrapper tells "no services" ([]) from "unchanged" (absent).
		req.ServiceIds = &incidentsv1.ServiceIDs{Ids: b.ServiceIDs.value}
	}
	if b.Status.set {
		if req.Status, err = parseIncidentStatus(b.Status.value); err != nil {
			return nil, err
		}
	}
	return req, nil
}

// addIncidentUpdateBody is the body of POST /incidents/:id/updates.
type addIncidentUpdateBody struct {
	Message string  `json:"message"`
	Status  *string `json:"status"`
}

// request turns the body into an AddIncidentUpdateRequest of incident id;
// the incidents service requires the message.
func (b addIncidentUpdateBody) request(p auth.Principal, id string) (*incidentsv1.AddIncidentUpdateRequest, error) {
	req := &incidentsv1.AddIncidentUpdateRequest{OrgId: p.OrgID, IncidentId: id, Message: b.Message, Author: p.KeyID}
	if b.Status != nil {
		st, err := parseIncidentStatus(*b.Status)
		if err != nil {
			return nil, err
		}
		req.Status = st
	}
	return req, nil
}

// patchField is what a PATCH body says about one of its fields.
type patchField struct {
	name      string
	set, null bool
}

func (o optional[T]) field(name string) patchField {
	return patchField{name: name, set: o.set, null: o.null}
}

// givenFields collects the fields a POST or PATCH body gives, refusing
// null ones, and the first error converting them.
type givenFields struct {
	names []string
	err   error
}

// set runs apply for a given field, once no error came before.
func (g *givenFields) set(f patchField, apply func() error) {
	if g.err != nil || !f.set {
		return
	}
	if f.null {
		g.err = httpx.Errorf(http.StatusUnprocessableEntity, httpx.CodeInvalidValue, "%s cannot be null", f.name)
		return
	}
	g.names = append(g.names, f.name)
	g.err = apply()
}

// value sets a field that is passed on as it is.
func value[T any](g *givenFields, o optional[T], name string, to *T) {
	g.set(o.field(name), func() error { *to = o.value; return nil })
}

// checkChanges refuses a PATCH body that gives none of its fields (valid
// lists them) or gives one as null: no field of an incident or a
// maintenance window can be null.
func checkChanges(valid string, fields ...patchField) error {
	given := false
	for _, f := range fields {
		if f.null {
			return httpx.Errorf(http.StatusUnprocessableEntity, httpx.CodeInvalidValue, "%s cannot be null", f.name)
		}
		given = given || f.set
	}
	if !given {
		return httpx.Errorf(http.StatusUnprocessableEntity, httpx.CodeInvalidValue, "give at least one field to change: %s", valid)
	}
	return nil
}
