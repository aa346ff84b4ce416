package httpapi

import (
	"net/http"
	"net/url"

	"github.com/labstack/echo/v4"

	incidentsv1 "github.com/upstatehq/upstate/proto/gen/upstate/incidents/v1"
)

// incidentsPage is the incident list (open, resolved or all) and the form
// to open one.
type incidentsPage struct {
	Incidents  []incidentJSON
	Next       string
	Filter     string
	Services   []serviceJSON
	Severities []string
	Statuses   []string
}

var (
	severityChoices     = []string{"minor", "major", "critical"}
	openIncidentChoices = []string{"investigating", "identified", "monitoring"}
	incidentChoices     = []string{"investigating", "identified", "monitoring", "resolved"}
)

func (cn *Console) incidents(c echo.Context) error {
	req, err := pageQuery(c, listIncidentsRequest)
	if err != nil {
		return err
	}
	resp, err := invoke(cn.h, c, cn.h.incidents.ListIncidents, req)
	if err != nil {
		return err
	}
	out := incidentsPage{Next: resp.GetNextPageToken(), Filter: c.QueryParam("status"), Severities: severityChoices, Statuses: openIncidentChoices}
	for _, in := range resp.GetIncidents() {
		out.Incidents = append(out.Incidents, toIncidentJSON(in))
	}
	if out.Services, err = cn.choosableServices(c); err != nil {
		return err
	}
	return cn.render(c, http.StatusOK, "incidents", view{Title: "Incidents", Section: "/console/incidents", Live: true, Data: out})
}

func (cn *Console) createIncident(c echo.Context) error {
	body := createIncidentBody{
		Title: form(c, "title"), Severity: formPtr(c, "severity"), ServiceIDs: formList(c, "service_ids"),
		Status: formPtr(c, "status"), Message: form(c, "message"),
	}
	id, err := cn.submitCreate(c, "/incidents", body)
	if err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/console/incidents/"+id)
}

// incidentPage is an incident with its timeline and the form to post an
// update.
type incidentPage struct {
	Incident incidentJSON
	Statuses []string
}

func (cn *Console) incident(c echo.Context) error {
	resp, err := invoke(cn.h, c, cn.h.incidents.GetIncident, &incidentsv1.GetIncidentRequest{OrgId: principal(c).OrgID, IncidentId: c.Param("id")})
	if err != nil {
		return err
	}
	out := incidentPage{Incident: toIncidentJSON(resp.GetIncident()), Statuses: incidentChoices}
	return cn.render(c, http.StatusOK, "incident", view{Title: out.Incident.Title, Section: "/console/incidents", Live: true, Data: out})
}

func (cn *Console) addIncidentUpdate(c echo.Context) error {
	return cn.postIncidentUpdate(c, addIncidentUpdateBody{Message: form(c, "message"), Status: formPtr(c, "status")})
}

// resolveIncident posts the update that resolves the incident, with the
// form's message or a plain one.
func (cn *Console) resolveIncident(c echo.Context) error {
	msg := form(c, "message")
	if msg == "" {
		msg = "Resolved."
	}
	resolved := "resolved"
	return cn.postIncidentUpdate(c, addIncidentUpdateBody{Message: msg, Status: &resolved})
}

func (cn *Console) postIncidentUpdate(c echo.Context, body addIncidentUpdateBody) error {
	if _, err := cn.submit(c, http.MethodPost, "/incidents/"+url.PathEscape(c.Param("id"))+"/updates", body); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/console/incidents/"+c.Param("id"))
}

// maintenancesPage is the maintenance windows and the form to schedule
// one.
type maintenancesPage struct {
	Maintenances []maintenanceJSON
	Next         string
	Services     []serviceJSON
}

func (cn *Console) maintenances(c echo.Context) error {
	req, err := pageQuery(c, listMaintenancesRequest)
	if err != nil {
		return err
	}
	resp, err := invoke(cn.h, c, cn.h.maintenances.ListMaintenances, req)
	if err != nil {
		return err
	}
	out := maintenancesPage{Next: resp.GetNextPageToken()}
	for _, m := range resp.GetMaintenances() {
		out.Maintenances = append(out.Maintenances, toMaintenanceJSON(m))
	}
	if out.Services, err = cn.choosableServices(c); err != nil {
		return err
	}
	return cn.render(c, http.StatusOK, "maintenances", view{Title: "Maintenance", Section: "/console/maintenances", Data: out})
}

func (cn *Console) createMaintenance(c echo.Context) error {
	starts, err := formTime(c, "starts_at")
	if err != nil {
		return err
	}
	ends, err := formTime(c, "ends_at")
	if err != nil {
		return err
	}
	body := createMaintenanceBody{
		Title: form(c, "title"), Message: form(c, "message"), ServiceIDs: formList(c, "service_ids"), StartsAt: starts, EndsAt: ends,
	}
	id, err := cn.submitCreate(c, "/maintenances", body)
	if err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/console/maintenances/"+id)
}

// maintenancePage is a window and its edit form.
type maintenancePage struct {
	Maintenance maintenanceJSON
	Services    []serviceJSON
}

func (cn *Console) maintenance(c echo.Context) error {
	resp, err := invoke(cn.h, c, cn.h.maintenances.GetMaintenance, &incidentsv1.GetMaintenanceRequest{OrgId: principal(c).OrgID, MaintenanceId: c.Param("id")})
	if err != nil {
		return err
	}
	out := maintenancePage{Maintenance: toMaintenanceJSON(resp.GetMaintenance())}
	if out.Services, err = cn.choosableServices(c); err != nil {
		return err
	}
	return cn.render(c, http.StatusOK, "maintenance", view{Title: out.Maintenance.Title, Section: "/console/maintenances", Data: out})
}

// updateMaintenance changes what the form holds: a window in progress
// may not change its start or services (the incidents service's rule), so
// its form has neither, and they are left out.
func (cn *Console) updateMaintenance(c echo.Context) error {
	body := updateMaintenanceBody{Title: set(form(c, "title")), Message: set(form(c, "message"))}
	if form(c, "services_given") != "" {
		body.ServiceIDs = set(formList(c, "service_ids"))
	}
	for _, f := range []struct {
		field string
		dst   *optional[string]
	}{{"starts_at", &body.StartsAt}, {"ends_at", &body.EndsAt}} {
		t, err := formTime(c, f.field)
		if err != nil {
			return err
		}
		if t != nil {
			*f.dst = set(*t)
		}
	}
	if _, err := cn.submit(c, http.MethodPatch, "/maintenances/"+url.PathEscape(c.Param("id")), body); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/console/maintenances/"+c.Param("id"))
}

func (cn *Console) cancelMaintenance(c echo.Context) error {
	if _, err := cn.submit(c, http.MethodDelete, "/maintenances/"+url.PathEscape(c.Param("id")), nil); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/console/maintenances/"+c.Param("id"))
}
