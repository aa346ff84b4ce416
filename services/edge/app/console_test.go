package app_test

import (
	"context"
	"html"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/upstatehq/upstate/pkg/config"
	"github.com/upstatehq/upstate/services/edge/app"
)

// browser is a person using the console of one edge replica: it keeps the
// cookies it is sent, as a browser does, and reads the CSRF token of the
// last form it was shown.
type browser struct {
	t       *testing.T
	edge    *replica
	cookies map[string]*http.Cookie
	csrf    string
	// proto, when set, is sent as X-Forwarded-Proto by a TLS proxy in
	// front.
	proto string
}

func newBrowser(t *testing.T, edge *replica) *browser {
	return &browser{t: t, edge: edge, cookies: map[string]*http.Cookie{}}
}

var csrfInput = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// do sends a request and returns the response; a form is sent url-encoded.
func (b *browser) do(method, path string, form url.Values) *httptest.ResponseRecorder {
	b.t.Helper()
	var req *http.Request
	if form != nil {
		req = httptest.NewRequest(method, path, strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	} else {
		req = httptest.NewRequest(method, path, nil)
	}
	if b.proto != "" {
		// The header counts only from a proxy on a private address.
		req.RemoteAddr = "10.0.0.2:40000"
		req.Header.Set("X-Forwarded-Proto", b.proto)
	}
	for _, c := range b.cookies {
		req.AddCookie(c)
	}
	rec := httptest.NewRecorder()
	b.edge.e.ServeHTTP(rec, req)
	for _, c := range rec.Result().Cookies() {
		if c.MaxAge < 0 {
			delete(b.cookies, c.Name)
		} else {
			b.cookies[c.Name] = c
		}
	}
	if m := csrfInput.FindStringSubmatch(rec.Body.String()); m != nil {
		b.csrf = html.UnescapeString(m[1])
	}
	return rec
}

// post sends a form with the last CSRF token seen.
func (b *browser) post(path string, form url.Values) *httptest.ResponseRecorder {
	b.t.Helper()
	if form == nil {
		form = url.Values{}
	}
	if form.Get("csrf") == "" {
		form.Set("csrf", b.csrf)
	}
	return b.do(http.MethodPost, path, form)
}

func (b *browser) signIn(secret string) *httptest.ResponseRecorder {
	b.t.Helper()
	if rec := b.do(http.MethodGet, "/console/login", nil); rec.Code != http.StatusOK {
		b.t.Fatalf("GET /console/login: %d %s", rec.Code, rec.Body)
	}
	return b.post("/console/login", url.Values{"api_key": {secret}})
}

func wantRedirect(t *testing.T, rec *httptest.ResponseRecorder, to string) {
	t.Helper()
	if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != to {
		t.Fatalf("answer %d to %q, want 303 to %s; body %s", rec.Code, rec.Header().Get("Location"), to, rec.Body)
	}
}

// consoleEdge is an edge replica with a bootstrap key (every scope) and a
// second organisation's keys made on demand.
func consoleEdge(t *testing.T, clock clockwork.Clock) (*replica, string) {
	t.Helper()
	bootstrap := "ak_live_" + strings.Repeat("c", 40)
	edge := newReplica(t, app.Config{BootstrapAPIKey: config.Secret(bootstrap), ConsoleSessionTTL: time.Hour}, newPool(t), clock)
	return edge, bootstrap
}

// Signing in: the form, a 303 to /console with a session cookie that is
// HttpOnly, SameSite=Strict, Secure behind a TLS proxy, and holds neither
// the key nor its id in clear; a wrong key is answered 401 on the form.
func TestConsoleSignIn(t *testing.T) {
	t.Parallel()
	edge, key := consoleEdge(t, clockwork.NewFakeClockAt(t0))

	b := newBrowser(t, edge)
	b.proto = "https"
	rec := b.signIn(key)
	wantRedirect(t, rec, "/console")
	c := b.cookies["upstate_console"]
	if c == nil {
		t.Fatal("no session cookie after signing in")
	}
	if !c.HttpOnly || !c.Secure || c.SameSite != http.SameSiteStrictMode || c.Path != "/console" {
		t.Errorf("cookie %+v: want HttpOnly, Secure, SameSite=Strict, Path=/console", c)
	}
	if strings.Contains(c.Value, key) || strings.Contains(c.Value, "key_") || strings.Contains(c.Value, "org_") {
		t.Errorf("the cookie shows what it carries: %q", c.Value)
	}
	// Signed in, the console shows the first section the key may read.
	wantRedirect(t, b.do(http.MethodGet, "/console", nil), "/console/services")
	page := b.do(http.MethodGet, "/console/api-keys", nil)
	if page.Code != http.StatusOK || strings.Contains(page.Body.String(), key) {
		t.Fatalf("API keys page: %d, shows the key: %v", page.Code, strings.Contains(page.Body.String(), key))
	}
	for _, h := range []string{"Content-Security-Policy", "X-Frame-Options", "X-Content-Type-Options"} {
		if page.Header().Get(h) == "" {
			t.Errorf("no %s header", h)
		}
	}
	if csp := page.Header().Get("Content-Security-Policy"); strings.Contains(csp, "unsafe-inline") {
		t.Errorf("CSP allows inline code: %s", csp)
	}

	plain := newBrowser(t, edge)
	wantRedirect(t, plain.signIn(key), "/console")
	if c := plain.cookies["upstate_console"]; c == nil || c.Secure {
		t.Errorf("over plain HTTP the cookie is %+v, want one without Secure", c)
	}

	wrong := newBrowser(t, edge)
	rec = wrong.signIn("ak_live_" + strings.Repeat("x", 40))
	if rec.Code != http.StatusUnauthorized || !strings.Contains(rec.Body.String(), "not valid") {
		t.Errorf("a wrong key: %d %s", rec.Code, rec.Body)
	}
	wantRedirect(t, wrong.do(http.MethodGet, "/console/api-keys", nil), "/console/login")

	// Signing out ends the session in this browser.
	wantRedirect(t, b.post("/console/logout", nil), "/console/login")
	wantRedirect(t, b.do(http.MethodGet, "/console/api-keys", nil), "/console/login")
}

// Every POST needs the session's CSRF token: none, another session's or
// the sign-in form's of another browser is refused 403 and changes
// nothing.
func TestConsoleCSRF(t *testing.T) {
	t.Parallel()
	edge, key := consoleEdge(t, clockwork.NewFakeClockAt(t0))
	b := newBrowser(t, edge)
	wantRedirect(t, b.signIn(key), "/console")
	b.do(http.MethodGet, "/console/api-keys", nil)

	other := newBrowser(t, edge)
	wantRedirect(t, other.signIn(key), "/console")
	other.do(http.MethodGet, "/console/api-keys", nil)

	for name, token := range map[string]string{"none": "", "another session's": other.csrf, "made up": "x"} {
		form := url.Values{"name": {"ci"}, "scopes": {"services"}, "csrf": {token}}
		rec := b.do(http.MethodPost, "/console/api-keys", form)
		if rec.Code != http.StatusForbidden {
			t.Errorf("%s token: %d, want 403", name, rec.Code)
		}
	}
	if strings.Contains(b.do(http.MethodGet, "/console/api-keys", nil).Body.String(), ">ci<") {
		t.Error("a refused form created a key")
	}
	// The sign-in form is protected too.
	stranger := newBrowser(t, edge)
	rec := stranger.do(http.MethodPost, "/console/login", url.Values{"api_key": {key}})
	if rec.Code != http.StatusForbidden || stranger.cookies["upstate_console"] != nil {
		t.Errorf("sign-in without the form's token: %d, cookie %v", rec.Code, stranger.cookies["upstate_console"])
	}

	rec = b.post("/console/api-keys", url.Values{"name": {"ci"}, "scopes": {"services"}})
	if rec.Code != http.StatusCreated || !strings.Contains(rec.Body.String(), "ak_live_") {
		t.Fatalf("with the token: %d %s", rec.Code, rec.Body)
	}
}

// The key's scopes apply: a read-only key sees no write form and is
// refused 403 on POST; a key without a resource's read scope cannot open
// its pages.
func TestConsoleScopes(t *testing.T) {
	t.Parallel()
	edge, _ := consoleEdge(t, clockwork.NewFakeClockAt(t0))
	_, readOnly, err := edge.app.CreateOrg(context.Background(), "Acme", []string{"read"})
	if err != nil {
		t.Fatal(err)
	}
	b := newBrowser(t, edge)
	wantRedirect(t, b.signIn(readOnly), "/console")
	page := b.do(http.MethodGet, "/console/api-keys", nil)
	if page.Code != http.StatusOK {
		t.Fatalf("API keys page: %d %s", page.Code, page.Body)
	}
	for _, form := range []string{`action="/console/api-keys"`, `/revoke"`} {
		if strings.Contains(page.Body.String(), form) {
			t.Errorf("a read-only key is shown the form %s", form)
		}
	}
	for path, form := range map[string]url.Values{
		"/console/api-keys":                  {"name": {"x"}, "scopes": {"read"}},
		"/console/services":                  {"name": {"API"}},
		"/console/services/svc_1/status":     {"status": {"down"}},
		"/console/receivers":                 {"name": {"ci"}},
		"/console/incidents":                 {"title": {"x"}},
		"/console/maintenances/mnt_1/cancel": nil,
		"/console/alerts/alt_1/ack":          nil,
		"/console/users":                     {"name": {"x"}, "email": {"x@example.com"}},
		"/console/notifications/ntf_1/retry": nil,
	} {
		if rec := b.post(path, form); rec.Code != http.StatusForbidden {
			t.Errorf("POST %s with a read-only key: %d, want 403", path, rec.Code)
		}
	}

	_, keysOnly, err := edge.app.CreateOrg(context.Background(), "Beta", []string{"api_keys:read"})
	if err != nil {
		t.Fatal(err)
	}
	k := newBrowser(t, edge)
	wantRedirect(t, k.signIn(keysOnly), "/console")
	wantRedirect(t, k.do(http.MethodGet, "/console", nil), "/console/api-keys")
	if rec := k.do(http.MethodGet, "/console/services", nil); rec.Code != http.StatusForbidden {
		t.Errorf("services page without services:read: %d, want 403", rec.Code)
	}
}

// A session ends at its expiry by the edge's clock, and at once when its
// key is revoked or expires.
func TestConsoleSessionExpiry(t *testing.T) {
	t.Parallel()
	clock := clockwork.NewFakeClockAt(t0)
	edge, key := consoleEdge(t, clock)
	b := newBrowser(t, edge)
	wantRedirect(t, b.signIn(key), "/console")

	clock.Advance(time.Hour - time.Second)
	if rec := b.do(http.MethodGet, "/console/api-keys", nil); rec.Code != http.StatusOK {
		t.Fatalf("a second before expiry: %d", rec.Code)
	}
	clock.Advance(time.Second)
	wantRedirect(t, b.do(http.MethodGet, "/console/api-keys", nil), "/console/login")

	// A key that expires ends its session with it.
	wantRedirect(t, b.signIn(key), "/console")
	b.do(http.MethodGet, "/console/api-keys", nil)
	rec := b.post("/console/api-keys", url.Values{
		"name": {"short"}, "scopes": {"api_keys"}, "expires_at": {clock.Now().Add(10 * time.Minute).UTC().Format("2006-01-02T15:04")},
	})
	secret := regexp.MustCompile(`ak_live_[0-9a-f]{40}`).FindString(rec.Body.String())
	if rec.Code != http.StatusCreated || secret == "" {
		t.Fatalf("create a key: %d %s", rec.Code, rec.Body)
	}
	short := newBrowser(t, edge)
	wantRedirect(t, short.signIn(secret), "/console")
	if rec := short.do(http.MethodGet, "/console/api-keys", nil); rec.Code != http.StatusOK {
		t.Fatalf("with the short-lived key: %d", rec.Code)
	}
	clock.Advance(10 * time.Minute)
	wantRedirect(t, short.do(http.MethodGet, "/console/api-keys", nil), "/console/login")

	// Revoking the key ends its sessions.
	wantRedirect(t, short.signIn(key), "/console")
	other := newBrowser(t, edge)
	wantRedirect(t, other.signIn(key), "/console")
	page := other.do(http.MethodGet, "/console/api-keys", nil).Body.String()
	id := regexp.MustCompile(`this session(?s:.*?)/console/api-keys/(key_[^/]+)/revoke`).FindStringSubmatch(page)
	if id == nil {
		t.Fatalf("no revoke form for the session's key on %s", page)
	}
	// Revoking the key both sessions use signs both out.
	wantRedirect(t, other.post("/console/api-keys/"+id[1]+"/revoke", nil), "/console/login")
	wantRedirect(t, short.do(http.MethodGet, "/console/api-keys", nil), "/console/login")
}
