package httpapi

import (
	"bytes"
	"context"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/upstatehq/upstate/pkg/httpx"
	"github.com/upstatehq/upstate/services/edge/internal/auth"
	"github.com/upstatehq/upstate/services/edge/internal/domain"
	"github.com/upstatehq/upstate/services/edge/internal/live"
	"github.com/upstatehq/upstate/services/edge/internal/session"
)

// The console's templates and static files (CSS, a little JavaScript),
// embedded so that the edge binary is all a deployment needs.
//
//go:embed console
var consoleFS embed.FS

// consoleCookie is the session cookie, scoped to /console.
const consoleCookie = "upstate_console"

// anonymousTTL is how long the sign-in form's session (and so its CSRF
// token) lasts.
const anonymousTTL = time.Hour

// csrfField is the form field every console form carries its token in.
const csrfField = "csrf"

// Console is the operator console (/console): server-rendered pages over
// the same gRPC calls, validation and representations as the REST API,
// for a person signed in with an API key whose scopes apply to every page
// and form.
type Console struct {
	h *Handler
	// codec seals sessions; it is set by SetCodec once the edge has read
	// its secret, and the console answers 503 until then.
	codec atomic.Pointer[session.Codec]
	// hub feeds /console/events; nil: pages do not update live.
	hub   *live.Hub
	ttl   time.Duration
	pages map[string]*template.Template
}

// NewConsole returns the console over the REST API's handler. Sessions last
// ttl; hub, when not nil, feeds the pages' live updates.
func NewConsole(h *Handler, hub *live.Hub, ttl time.Duration) (*Console, error) {
	pages, err := parsePages()
	if err != nil {
		return nil, err
	}
	return &Console{h: h, hub: hub, ttl: ttl, pages: pages}, nil
}

// SetCodec sets what seals sessions: from then on, people can sign in.
func (cn *Console) SetCodec(c *session.Codec) { cn.codec.Store(c) }

// parsePages parses each page template with the layout.
func parsePages() (map[string]*template.Template, error) {
	// The layout and the partials (part*.html) go with every page.
	layout, err := template.New("layout.html").Funcs(viewFuncs).ParseFS(consoleFS, "console/templates/layout.html", "console/templates/part*.html")
	if err != nil {
		return nil, err
	}
	names, err := fs.Glob(consoleFS, "console/templates/*.html")
	if err != nil {
		return nil, err
	}
	pages := map[string]*template.Template{}
	for _, name := range names {
		base := strings.TrimSuffix(name[strings.LastIndexByte(name, '/')+1:], ".html")
		if base == "layout" || strings.HasPrefix(base, "part") {
			continue
		}
		clone, err := layout.Clone()
		if err != nil {
			return nil, err
		}
		t, err := clone.ParseFS(consoleFS, name)
		if err != nil {
			return nil, err
		}
		pages[base] = t
	}
	return pages, nil
}

// RegisterConsole mounts the console under /console on e, where Register
// has mounted the REST API: the console's forms make their changes
// through its routes (submit).
func RegisterConsole(e *echo.Echo, cn *Console) {
	g := e.Group("/console", cn.headers)
	static, _ := fs.Sub(consoleFS, "console/static") // the directory is embedded
	g.GET("/static/*", echo.WrapHandler(http.StripPrefix("/console/static/", http.FileServer(http.FS(static)))))
	g.GET("/login", cn.wrap(cn.loginForm))
	g.POST("/login", cn.wrap(cn.login))
	g.POST("/logout", cn.wrap(cn.logout), cn.signedIn("", auth.Read))
	g.GET("", cn.wrap(cn.home), cn.signedIn("", auth.Read))
	g.GET("/", cn.wrap(cn.home), cn.signedIn("", auth.Read))
	g.GET("/events", cn.wrap(cn.events), cn.signedIn("", auth.Read))
	registerConsoleRoutes(g, cn)
}

// headers are the security headers of every console response: no script,
// style or frame from elsewhere, nor inline; nothing cached.
func (cn *Console) headers(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		h := c.Response().Header()
		h.Set("Content-Security-Policy", "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "+
			"connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("Cache-Control", "no-store")
		return next(c)
	}
}

// view is what every page template gets.
type view struct {
	Title string
	// Section is the navigation entry to mark as current.
	Section string
	CSRF    string
	P       auth.Principal
	// Live pages fetch themselves again when /console/events says so.
	Live bool
	// Notice is a one-line message above the page (an error, say).
	Notice string
	Data   any
}

// Can reports whether the signed-in key may do action ("read" or "write")
// on resource; pages show only the links and forms it may use.
func (v view) Can(resource, action string) bool {
	a := auth.Read
	if action == "write" {
		a = auth.Write
	}
	return auth.Allows(v.P.Scopes, resource, a)
}

// render writes page with data, for the signed-in principal.
func (cn *Console) render(c echo.Context, status int, page string, v view) error {
	t, ok := cn.pages[page]
	if !ok {
		return errors.New("no console page " + page)
	}
	if s, ok := c.Get("session").(session.Session); ok {
		v.CSRF = cn.codec.Load().CSRF(s)
	}
	v.P = principal(c)
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout.html", v); err != nil {
		return err
	}
	return c.HTMLBlob(status, buf.Bytes())
}

// wrap renders the errors of a console handler as a page: the REST API's
// status and message, in HTML. Internal errors are logged and hidden.
func (cn *Console) wrap(fn echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		err := fn(c)
		if err == nil || c.Response().Committed {
			return err
		}
		var he *httpx.Error
		if !errors.As(err, &he) {
			var ee *echo.HTTPError
			if errors.As(err, &ee) {
				return err
			}
			cn.h.logger.ErrorContext(c.Request().Context(), "console request failed", "method", c.Request().Method, "route", c.Path(), "err", err)
			he = httpx.Errorf(http.StatusInternalServerError, httpx.CodeInternal, "internal error (request %s)", c.Response().Header().Get(echo.HeaderXRequestID))
		} else if he.Status >= 500 {
			cn.h.logger.ErrorContext(c.Request().Context(), "console request failed", "method", c.Request().Method, "route", c.Path(), "err", err)
		}
		return cn.render(c, he.Status, "error", view{Title: http.StatusText(he.Status), Data: he.Message})
	}
}

// session returns the request's session, if its cookie is valid.
func (cn *Console) session(c echo.Context) (session.Session, bool) {
	codec := cn.codec.Load()
	ck, err := c.Cookie(consoleCookie)
	if codec == nil || err != nil {
		return session.Session{}, false
	}
	s, err := codec.Open(ck.Value, cn.h.clock.Now())
	return s, err == nil
}

// setSession sends the cookie of s: HttpOnly, SameSite=Strict, Secure when
// the request came over TLS (directly or, per X-Forwarded-Proto, to a
// proxy in front).
func (cn *Console) setSession(c echo.Context, s session.Session) {
	c.SetCookie(&http.Cookie{
		Name: consoleCookie, Value: cn.codec.Load().Seal(s), Path: "/console", Expires: s.Expires,
		HttpOnly: true, Secure: c.Scheme() == "https", SameSite: http.SameSiteStrictMode,
	})
}

func (cn *Console) clearSession(c echo.Context) {
	c.SetCookie(&http.Cookie{
		Name: consoleCookie, Value: "", Path: "/console", MaxAge: -1,
		HttpOnly: true, Secure: c.Scheme() == "https", SameSite: http.SameSiteStrictMode,
	})
}

// signedIn lets through a request with a valid session whose key is still
// active, a valid CSRF token on every POST, and the scope to do action on
// resource ("" needs no scope). Without a session, a page redirects to the
// sign-in form.
func (cn *Console) signedIn(resource string, action auth.Action) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return cn.wrap(func(c echo.Context) error {
			if cn.codec.Load() == nil {
				return httpx.Errorf(http.StatusServiceUnavailable, httpx.CodeUnavailable, "the console is starting; retry shortly")
			}
			s, ok := cn.session(c)
			if !ok || !s.SignedIn() {
				return c.Redirect(http.StatusSeeOther, "/console/login")
			}
			p, err := cn.sessionPrincipal(c.Request().Context(), s)
			if errors.Is(err, errSessionEnded) {
				cn.clearSession(c)
				return c.Redirect(http.StatusSeeOther, "/console/login")
			}
			if err != nil {
				return err
			}
			c.Set("principal", p)
			c.Set("session", s)
			if c.Request().Method == http.MethodPost && !cn.codec.Load().CheckCSRF(s, c.FormValue(csrfField)) {
				return httpx.Errorf(http.StatusForbidden, httpx.CodeForbidden, "the form's security token is missing or stale; reload the page and try again")
			}
			if resource != "" && !auth.Allows(p.Scopes, resource, action) {
				return httpx.Errorf(http.StatusForbidden, httpx.CodeForbidden, "the API key you signed in with may not do this (it lacks the %q scope)", scopeName(resource, action))
			}
			return next(c)
		})
	}
}

func scopeName(resource string, action auth.Action) string {
	if action == auth.Read {
		return resource + ":read"
	}
	return resource
}

var errSessionEnded = errors.New("the session's key was revoked or expired")

// sessionPrincipal looks the session's key up on every request, so that a
// revoked or expired key ends its sessions on every replica at once.
func (cn *Console) sessionPrincipal(ctx context.Context, s session.Session) (auth.Principal, error) {
	k, err := cn.h.keys.GetKey(ctx, s.OrgID, s.KeyID)
	if errors.Is(err, domain.ErrNotFound) {
		return auth.Principal{}, errSessionEnded
	}
	if err != nil {
		return auth.Principal{}, unavailable(err)
	}
	if k.Expired(cn.h.clock.Now()) {
		return auth.Principal{}, errSessionEnded
	}
	return auth.Principal{OrgID: k.OrgID, KeyID: k.ID, KeyName: k.Name, Scopes: k.Scopes}, nil
}

// consoleAs marks the internal request a console form makes, holding the
// signed-in principal, which require takes for a bearer key.
const consoleAs = "console_as"

// submit makes a form's change through the REST API's route for it
// (method, path under /api/v1, body as JSON; nil for none), as the
// signed-in key: the same scopes, validation, call and audit entry as a
// client of the API gets, so that no change made in the console escapes
// the audit log. It returns the route's answer, or its error for wrap to
// show.
func (cn *Console) submit(c echo.Context, method, path string, body any) ([]byte, error) {
	var raw []byte
	if body != nil {
		var err error
		if raw, err = json.Marshal(body); err != nil {
			return nil, fmt.Errorf("encode the body of %s %s: %w", method, path, err)
		}
	}
	p := principal(c)
	status, answer, err := serveInternal(c, method, "/api/v1"+path, raw, func(in echo.Context) { in.Set(consoleAs, p) })
	if err != nil {
		return nil, err
	}
	if status >= http.StatusMultipleChoices {
		return nil, fmt.Errorf("%s %s answered %d", method, path, status)
	}
	return answer, nil
}

// submitCreate is submit for a form that creates an object, returning
// the created object's id.
func (cn *Console) submitCreate(c echo.Context, path string, body any) (string, error) {
	answer, err := cn.submit(c, http.MethodPost, path, body)
	if err != nil {
		return "", err
	}
	return objectID(answer), nil
}

// submitDecode is submit for a form whose page shows the answer (a
// secret shown once), decoded into out.
func (cn *Console) submitDecode(c echo.Context, method, path string, body, out any) error {
	answer, err := cn.submit(c, method, path, body)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(answer, out); err != nil {
		return fmt.Errorf("decode the answer of %s %s: %w", method, path, err)
	}
	return nil
}
