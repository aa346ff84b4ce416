package httpapi

import (
	"net/http"
	"net/url"

	"github.com/labstack/echo/v4"

	slav1 "github.com/upstatehq/upstate/proto/gen/upstate/sla/v1"
	statuspagev1 "github.com/upstatehq/upstate/proto/gen/upstate/statuspage/v1"
	"github.com/upstatehq/upstate/services/edge/internal/auth"
)

// keysPage is the keys the signed-in key may see and manage, and the form
// to create one; Created is a new key, whose secret it shows once.
type keysPage struct {
	Keys      []apiKeyJSON
	Grantable []auth.Scope
	Created   *apiKeyJSON
}

func (cn *Console) keysPage(c echo.Context, created *apiKeyJSON) (keysPage, error) {
	p := principal(c)
	keys, err := cn.h.visibleKeys(c.Request().Context(), p, "", consoleListSize)
	if err != nil {
		return keysPage{}, err
	}
	out := keysPage{Grantable: auth.Grantable(p.Scopes), Created: created}
	for _, k := range keys {
		out.Keys = append(out.Keys, toAPIKeyJSON(k))
	}
	return out, nil
}

func (cn *Console) apiKeys(c echo.Context) error {
	out, err := cn.keysPage(c, nil)
	if err != nil {
		return err
	}
	return cn.render(c, http.StatusOK, "apikeys", view{Title: "API keys", Section: "/console/api-keys", Data: out})
}

// createAPIKey shows the new key's secret in the answer to the form, once:
// it is never in a URL and not stored.
func (cn *Console) createAPIKey(c echo.Context) error {
	expires, err := formTime(c, "expires_at")
	if err != nil {
		return err
	}
	var k apiKeyJSON
	if err := cn.submitDecode(c, http.MethodPost, "/api-keys", createKeyBody{
		Name: form(c, "name"), Scopes: formList(c, "scopes"), ExpiresAt: expires,
	}, &k); err != nil {
		return err
	}
	out, err := cn.keysPage(c, &k)
	if err != nil {
		return err
	}
	return cn.render(c, http.StatusCreated, "apikeys", view{Title: "API keys", Section: "/console/api-keys", Data: out})
}

func (cn *Console) revokeAPIKey(c echo.Context) error {
	p := principal(c)
	if _, err := cn.submit(c, http.MethodDelete, "/api-keys/"+url.PathEscape(c.Param("id")), nil); err != nil {
		return err
	}
	if c.Param("id") == p.KeyID {
		// Revoking one's own key ends the session; say so at once.
		cn.clearSession(c)
		return c.Redirect(http.StatusSeeOther, "/console/login")
	}
	return c.Redirect(http.StatusSeeOther, "/console/api-keys")
}

func (cn *Console) statusPages(c echo.Context) error {
	resp, err := invoke(cn.h, c, cn.h.pages.ListPages, &statuspagev1.ListPagesRequest{
		OrgId: principal(c).OrgID, PageSize: consoleListSize, PageToken: c.QueryParam("cursor"),
	})
	if err != nil {
		return err
	}
	out := list[statusPageJSON]{NextCursor: resp.GetNextPageToken()}
	for _, p := range resp.GetPages() {
		out.Data = append(out.Data, toStatusPageJSON(p, cn.h.pagesBase(c)))
	}
	return cn.render(c, http.StatusOK, "statuspages", view{Title: "Status pages", Section: "/console/status-pages", Data: out})
}

// slosPage is every service's uptime over a window and the SLOs.
type slosPage struct {
	Window  string
	Windows []string
	Uptime  []uptimeJSON
	SLOs    []sloJSON
}

func (cn *Console) slos(c echo.Context) error {
	p := principal(c)
	out := slosPage{Window: c.QueryParam("window"), Windows: []string{"24h", "7d", "30d", "90d"}}
	if out.Window == "" {
		out.Window = "30d"
	}
	ctx, cancel := cn.h.call(c)
	defer cancel()
	up, err := cn.h.sla.ListUptime(ctx, &slav1.ListUptimeRequest{OrgId: p.OrgID, Window: out.Window, PageSize: consoleListSize})
	if err != nil {
		return fromGRPC(err)
	}
	for _, u := range up.GetUptimes() {
		out.Uptime = append(out.Uptime, toUptimeJSON(u, true))
	}
	slos, err := cn.h.sla.ListSLOs(ctx, &slav1.ListSLOsRequest{OrgId: p.OrgID, PageSize: consoleListSize})
	if err != nil {
		return fromGRPC(err)
	}
	for _, s := range slos.GetSlos() {
		out.SLOs = append(out.SLOs, toSLOJSON(s))
	}
	return cn.render(c, http.StatusOK, "slos", view{Title: "Uptime & SLOs", Section: "/console/slos", Data: out})
}

// alertsPage is the alerts, filtered by state.
type alertsPage struct {
	Alerts []alertJSON
	Next   string
	State  string
}

func (cn *Console) alerts(c echo.Context) error {
	req, err := pageQuery(c, listAlertsRequest)
	if err != nil {
		return err
	}
	resp, err := invoke(cn.h, c, cn.h.alerts.ListAlerts, req)
	if err != nil {
		return err
	}
	out := alertsPage{Next: resp.GetNextPageToken(), State: c.QueryParam("state")}
	for _, a := range resp.GetAlerts() {
		out.Alerts = append(out.Alerts, toAlertJSON(a))
	}
	return cn.render(c, http.StatusOK, "alerts", view{Title: "Alerts", Section: "/console/alerts", Data: out})
}

func (cn *Console) ackAlert(c echo.Context) error {
	if _, err := cn.submit(c, http.MethodPost, "/alerts/"+url.PathEscape(c.Param("id"))+"/ack", ackBody{Note: form(c, "note")}); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/console/alerts")
}
