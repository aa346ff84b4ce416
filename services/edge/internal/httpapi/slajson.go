package httpapi

import (
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/upstatehq/upstate/pkg/httpx"
	slav1 "github.com/upstatehq/upstate/proto/gen/upstate/sla/v1"
)

// uptimeJSON is the REST representation of a service's uptime over a
// range; uptime is null when the range holds no counted time.
type uptimeJSON struct {
	ServiceID          string    `json:"service_id"`
	ServiceName        string    `json:"service_name,omitempty"`
	From               time.Time `json:"from"`
	To                 time.Time `json:"to"`
	Uptime             *float64  `json:"uptime"`
	DownSeconds        float64   `json:"down_seconds"`
	DegradedSeconds    float64   `json:"degraded_seconds"`
	MaintenanceSeconds float64   `json:"maintenance_seconds"`
	CountedSeconds     float64   `json:"counted_seconds"`
	Outages            int64     `json:"outages"`
}

func toUptimeJSON(u *slav1.Uptime, withName bool) uptimeJSON {
	out := uptimeJSON{
		ServiceID: u.GetServiceId(), From: u.GetFrom().AsTime(), To: u.GetTo().AsTime(), Uptime: u.Uptime,
		DownSeconds: u.GetDownSeconds(), DegradedSeconds: u.GetDegradedSeconds(),
		MaintenanceSeconds: u.GetMaintenanceSeconds(), CountedSeconds: u.GetCountedSeconds(), Outages: u.GetOutages(),
	}
	if withName {
		out.ServiceName = u.GetServiceName()
	}
	return out
}

// dailyJSON is one day of a service's daily history.
type dailyJSON struct {
	Date               string   `json:"date"`
	Uptime             *float64 `json:"uptime"`
	DownSeconds        float64  `json:"down_seconds"`
	DegradedSeconds    float64  `json:"degraded_seconds"`
	MaintenanceSeconds float64  `json:"maintenance_seconds"`
	WorstStatus        *string  `json:"worst_status"`
}

func toDailyJSON(d *slav1.DailyUptime) dailyJSON {
	out := dailyJSON{
		Date: d.GetDate(), Uptime: d.Uptime, DownSeconds: d.GetDownSeconds(), DegradedSeconds: d.GetDegradedSeconds(),
		MaintenanceSeconds: d.GetMaintenanceSeconds(),
	}
	if s := statusName(d.GetWorstStatus()); s != "" {
		out.WorstStatus = &s
	}
	return out
}

// sloJSON is the REST representation of an SLO with its state.
type sloJSON struct {
	ID                 string    `json:"id"`
	OrgID              string    `json:"org_id"`
	ServiceID          string    `json:"service_id"`
	Name               string    `json:"name"`
	Target             float64   `json:"target"`
	Window             string    `json:"window"`
	ErrorBudgetSeconds float64   `json:"error_budget_seconds"`
	ConsumedSeconds    float64   `json:"consumed_seconds"`
	RemainingSeconds   float64   `json:"remaining_seconds"`
	RemainingFraction  float64   `json:"remaining_fraction"`
	BurnRate1h         float64   `json:"burn_rate_1h"`
	BurnRate6h         float64   `json:"burn_rate_6h"`
	Status             string    `json:"status"`
	EvaluatedAt        time.Time `json:"evaluated_at"`
	CreatedAt          time.Time `json:"created_at"`
	UpdatedAt          time.Time `json:"updated_at"`
	Version            int64     `json:"version"`
}

var sloStatusNames = map[slav1.SLOStatus]string{
	slav1.SLOStatus_SLO_STATUS_OK:        "ok",
	slav1.SLOStatus_SLO_STATUS_BURNING:   "burning",
	slav1.SLOStatus_SLO_STATUS_EXHAUSTED: "exhausted",
}

func toSLOJSON(s *slav1.SLO) sloJSON {
	st := s.GetState()
	return sloJSON{
		ID: s.GetId(), OrgID: s.GetOrgId(), ServiceID: s.GetServiceId(), Name: s.GetName(), Target: s.GetTarget(),
		Window: s.GetWindow(), ErrorBudgetSeconds: st.GetErrorBudgetSeconds(), ConsumedSeconds: st.GetConsumedSeconds(),
		RemainingSeconds: st.GetRemainingSeconds(), RemainingFraction: st.GetRemainingFraction(),
		BurnRate1h: st.GetBurnRate_1H(), BurnRate6h: st.GetBurnRate_6H(), Status: sloStatusNames[st.GetStatus()],
		EvaluatedAt: st.GetEvaluatedAt().AsTime(), CreatedAt: s.GetCreatedAt().AsTime(), UpdatedAt: s.GetUpdatedAt().AsTime(),
		Version: s.GetVersion(),
	}
}

// createSLOBody is the body of POST /slos.
type createSLOBody struct {
	ServiceID string   `json:"service_id"`
	Name      string   `json:"name"`
	Target    *float64 `json:"target"`
	Window    string   `json:"window"`
}

// request turns the body into a CreateSLORequest; the SLA service checks
// the values.
func (b createSLOBody) request(orgID string) (*slav1.CreateSLORequest, error) {
	if b.Target == nil {
		return nil, httpx.Errorf(http.StatusUnprocessableEntity, httpx.CodeInvalidValue,
			"target is required, a number strictly between 0 and 1 such as 0.999")
	}
	return &slav1.CreateSLORequest{OrgId: orgID, ServiceId: b.ServiceID, Name: b.Name, Target: *b.Target, Window: b.Window}, nil
}

// updateSLOBody is the body of PATCH /slos/:id: the fields to change.
type updateSLOBody struct {
	Name   optional[string]  `json:"name"`
	Target optional[float64] `json:"target"`
	Window optional[string]  `json:"window"`
}

const updatableSLOFields = "name, target, window"

func (b updateSLOBody) request(orgID, id string) (*slav1.UpdateSLORequest, error) {
	if err := checkChanges(updatableSLOFields, b.Name.field("name"), b.Target.field("target"), b.Window.field("window")); err != nil {
		return nil, err
	}
	req := &slav1.UpdateSLORequest{OrgId: orgID, SloId: id}
	if b.Name.set {
		req.Name = &b.Name.value
	}
	if b.Target.set {
		req.Target = &b.Target.value
	}
	if b.Window.set {
		req.Window = &b.Window.value
	}
	return req, nil
}

// rangeParams reads ?window= or ?from=&to= (RFC 3339); the SLA service
// checks that exactly one was given and the range.
func rangeParams(c echo.Context) (window string, from, to *time.Time, err error) {
	window = c.QueryParam("window")
	for _, p := range []struct {
		name string
		dst  **time.Time
	}{{"from", &from}, {"to", &to}} {
		if s := c.QueryParam(p.name); s != "" {
			t, err := parseInstant(p.name, s)
			if err != nil {
				return "", nil, nil, err
			}
			*p.dst = &t
		}
	}
	return window, from, to, nil
}

// intParam reads an optional integer query parameter (0 when absent).
func intParam(c echo.Context, name string) (int32, error) {
	s := c.QueryParam(name)
	if s == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(s, 10, 32)
	if err != nil {
		return 0, httpx.Errorf(http.StatusUnprocessableEntity, httpx.CodeInvalidValue, "%s must be an integer", name)
	}
	return int32(n), nil
}
