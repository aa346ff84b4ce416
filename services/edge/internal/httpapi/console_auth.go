package httpapi

import (
	"errors"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/upstatehq/upstate/pkg/httpx"
	"github.com/upstatehq/upstate/services/edge/internal/auth"
	"github.com/upstatehq/upstate/services/edge/internal/session"
)

// loginForm shows the sign-in form, under an anonymous session that
// carries its CSRF token; someone signed in goes to the console.
func (cn *Console) loginForm(c echo.Context) error {
	if cn.codec.Load() == nil {
		return httpx.Errorf(http.StatusServiceUnavailable, httpx.CodeUnavailable, "the console is starting; retry shortly")
	}
	s, ok := cn.session(c)
	if ok && s.SignedIn() {
		if _, err := cn.sessionPrincipal(c.Request().Context(), s); err == nil {
			return c.Redirect(http.StatusSeeOther, "/console")
		}
	}
	if !ok || s.SignedIn() {
		s = session.New("", "", cn.h.clock.Now().Add(anonymousTTL))
		cn.setSession(c, s)
	}
	c.Set("session", s)
	return cn.render(c, http.StatusOK, "login", view{Title: "Sign in"})
}

// login signs in with the form's api_key: the key is checked as the REST
// API checks it, and only its id goes into the (sealed) session cookie.
func (cn *Console) login(c echo.Context) error {
	codec := cn.codec.Load()
	if codec == nil {
		return httpx.Errorf(http.StatusServiceUnavailable, httpx.CodeUnavailable, "the console is starting; retry shortly")
	}
	s, ok := cn.session(c)
	if !ok || !codec.CheckCSRF(s, c.FormValue(csrfField)) {
		return httpx.Errorf(http.StatusForbidden, httpx.CodeForbidden, "the sign-in form expired or did not come from this site; reload it and try again")
	}
	c.Set("session", s)
	secret := strings.TrimSpace(c.FormValue("api_key"))
	if secret == "" {
		return cn.render(c, http.StatusUnprocessableEntity, "login", view{Title: "Sign in", Notice: "Enter an API key."})
	}
	p, err := cn.h.auth.Authenticate(c.Request().Context(), secret)
	var he *httpx.Error
	if errors.As(err, &he) && he.Status == http.StatusUnauthorized {
		return cn.render(c, http.StatusUnauthorized, "login", view{Title: "Sign in", Notice: "That API key is not valid: " + he.Message + "."})
	}
	if err != nil {
		return err
	}
	// A fresh session id on sign-in: a token seen before it is worthless.
	cn.setSession(c, session.New(p.OrgID, p.KeyID, cn.h.clock.Now().Add(cn.ttl)))
	return c.Redirect(http.StatusSeeOther, "/console")
}

// logout ends the session in this browser. The cookie is all there is of
// it, so a copy taken before stays valid until it expires or the key is
// revoked; docs/console.md says so.
func (cn *Console) logout(c echo.Context) error {
	cn.clearSession(c)
	return c.Redirect(http.StatusSeeOther, "/console/login")
}

// home sends the signed-in person to the first section their key may read.
func (cn *Console) home(c echo.Context) error {
	p := principal(c)
	for _, s := range consoleSections {
		if auth.Allows(p.Scopes, s.Resource, auth.Read) {
			return c.Redirect(http.StatusSeeOther, s.Path)
		}
	}
	return cn.render(c, http.StatusOK, "error", view{Title: "Nothing to show", Data: "The API key you signed in with may read none of the console's sections."})
}

// consoleSection is an entry of the navigation.
type consoleSection struct {
	Name, Path, Resource string
}

// consoleSections is the navigation, in order; each is shown to keys that
// may read its resource.
var consoleSections = []consoleSection{
	{"Services", "/console/services", "services"},
	{"Receivers", "/console/receivers", "webhook_receivers"},
	{"Incidents", "/console/incidents", "incidents"},
	{"Maintenance", "/console/maintenances", "maintenances"},
	{"Status pages", "/console/status-pages", "status_pages"},
	{"Uptime & SLOs", "/console/slos", "sla"},
	{"Alerts", "/console/alerts", "alerting"},
	{"On-call", "/console/schedules", "oncall"},
	{"Channels", "/console/channels", "oncall"},
	{"Notifications", "/console/notifications", "oncall"},
	{"API keys", "/console/api-keys", "api_keys"},
}
