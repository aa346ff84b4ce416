package public_test

import (
	"context"
	"encoding/json"
	"encoding/xml"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
	"github.com/labstack/echo/v4"

	"github.com/upstatehq/upstate/pkg/httpx"
	"github.com/upstatehq/upstate/pkg/logging"
	"github.com/upstatehq/upstate/pkg/service/servicetest"
	"github.com/upstatehq/upstate/pkg/testenv"
	"github.com/upstatehq/upstate/services/statuspage/internal/compat"
	"github.com/upstatehq/upstate/services/statuspage/internal/domain"
	"github.com/upstatehq/upstate/services/statuspage/internal/public"
	"github.com/upstatehq/upstate/services/statuspage/internal/store"
	"github.com/upstatehq/upstate/services/statuspage/migrations"
)

func TestMain(m *testing.M) { testenv.Main(m) }

var t0 = time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)

type fixture struct {
	st    *store.Store
	e     *echo.Echo
	h     *public.Handler
	clock *clockwork.FakeClock
	page  domain.Page
}

// setup serves a page of two services, one in a group, on a fresh
// database.
func setup(t testing.TB) *fixture { return setupWith(t, public.Options{}) }

// setupWith is setup with the handler's options.
func setupWith(t testing.TB, opts public.Options) *fixture {
	t.Helper()
	ctx := context.Background()
	st := store.New(servicetest.Postgres(t, migrations.Schema, migrations.FS))
	for _, s := range []domain.ServiceState{
		{ServiceID: "svc_api", OrgID: "org_a", Name: "API", Status: domain.Operational, Version: 1},
		{ServiceID: "svc_mail", OrgID: "org_a", Name: "Email Delivery", Status: domain.Operational, Version: 1},
	} {
		if err := st.SeedService(ctx, s, t0.Add(-time.Hour)); err != nil {
			t.Fatal(err)
		}
	}
	page, err := st.CreatePage(ctx, domain.Page{OrgID: "org_a", Name: "Pushmail", Slug: "pushmail", CustomDomain: "status.pushmail.example",
		CreatedAt: t0.Add(-time.Hour), Components: []domain.Component{
			{ServiceID: "svc_api", Position: 1},
			{ServiceID: "svc_mail", Name: "Pushmail Email Delivery", Group: "Email", Position: 2},
		}})
	if err != nil {
		t.Fatal(err)
	}
	clock := clockwork.NewFakeClockAt(t0)
	h := public.New(st, opts, clock, nil, logging.Discard())
	e := echo.New()
	e.HTTPErrorHandler = httpx.ErrorHandler(logging.Discard())
	h.Register(e)
	if err := h.RefreshDomains(ctx); err != nil {
		t.Fatal(err)
	}
	return &fixture{st: st, e: e, h: h, clock: clock, page: page}
}

func (f *fixture) do(t *testing.T, method, target string, header http.Header, body string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(method, target, strings.NewReader(body))
	for k, v := range header {
		req.Header[k] = v
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	rec := httptest.NewRecorder()
	f.e.ServeHTTP(rec, req)
	return rec
}

// change applies a status change of a service as STATUS would.
func (f *fixture) change(t *testing.T, serviceID string, version int64, prev, s domain.Status, desc string) {
	t.Helper()
	at := f.clock.Now()
	if _, err := f.st.ApplyServices(context.Background(), at, domain.ServiceEvent{
		OrgID: "org_a", ServiceID: serviceID, Version: version, HasStatus: true, Status: s, StatusDescription: desc, At: at,
		Post: &domain.Post{ServiceID: serviceID, Version: version, At: at, ServiceName: serviceID, Previous: prev, Status: s, Description: desc},
	}); err != nil {
		t.Fatal(err)
	}
}

func summary(t *testing.T, rec *httptest.ResponseRecorder) compat.Summary {
	t.Helper()
	var s compat.Summary
	dec := json.NewDecoder(rec.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&s); err != nil {
		t.Fatalf("decode summary: %v", err)
	}
	return s
}

// summary.json follows a status change at once, carries CORS and
// validators, and answers 304 to a client that has the current version.
func TestSummaryFollowsChangesWithETag(t *testing.T) {
	t.Parallel()
	f := setup(t)
	rec := f.do(t, http.MethodGet, "/status/pushmail/api/v2/summary.json", nil, "")
	if rec.Code != http.StatusOK {
		t.Fatalf("GET summary.json: %d %s", rec.Code, rec.Body)
	}
	if got := rec.Header().Get("Access-Control-Allow-Origin"); got != "*" {
		t.Errorf("Access-Control-Allow-Origin = %q, want *", got)
	}
	if !strings.Contains(rec.Header().Get("Cache-Control"), "max-age") {
		t.Errorf("Cache-Control = %q", rec.Header().Get("Cache-Control"))
	}
	etag := rec.Header().Get("ETag")
	s := summary(t, rec)
	if s.Status.Indicator != "none" || len(s.Components) != 3 || s.Page.URL != "http://example.com/status/pushmail" {
		t.Fatalf("summary %+v, want indicator none, 3 components (a group), the page's URL", s)
	}

	if rec := f.do(t, http.MethodGet, "/status/pushmail/api/v2/summary.json", http.Header{"If-None-Match": {etag}}, ""); rec.Code != http.StatusNotModified {
		t.Fatalf("GET with If-None-Match of the current version: %d, want 304", rec.Code)
	}
	f.change(t, "svc_mail", 2, domain.Operational, domain.Down, "Email delivery delays in US-East region")
	rec = f.do(t, http.MethodGet, "/status/pushmail/api/v2/summary.json", http.Header{"If-None-Match": {etag}}, "")
	if rec.Code != http.StatusOK || rec.Header().Get("ETag") == etag {
		t.Fatalf("after a change: %d, ETag %s (was %s); want 200 and a new ETag", rec.Code, rec.Header().Get("ETag"), etag)
	}
	s = summary(t, rec)
	if s.Status.Indicator != "major" || s.Components[2].Status != "major_outage" || s.Components[1].Status != "major_outage" {
		t.Errorf("after svc_mail went down: %+v; want indicator major, the component and its group major_outage", s)
	}
}

// The HTML page shows the banner, the components with 90 bars and the
// post of a change; an unknown slug is a 404 page, an unknown document a
// JSON 404; a deleted page is gone at once.
func TestPageHistoryAndNotFound(t *testing.T) {
	t.Parallel()
	f := setup(t)
	f.change(t, "svc_mail", 2, domain.Operational, domain.Degraded, "Email delivery delays in US-East region")
	rec := f.do(t, http.MethodGet, "/status/pushmail", nil, "")
	body := rec.Body.String()
	for _, want := range []string{
		`<div class="banner minor" role="status" id="overall">Minor Service Outage</div>`,
		`<main id="main">`,
		`Pushmail Email Delivery is degraded: Email delivery delays in US-East region`,
		`prefers-color-scheme:dark`,
		`aria-label="API: no uptime data yet for the past 90 days"`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("the page lacks %q", want)
		}
	}
	if n := strings.Count(body, "<rect x="); n != 180 {
		t.Errorf("%d bars, want 90 per component", n)
	}
	if strings.Contains(body, "http://") && strings.Contains(body, `src="http`) {
		t.Error("the page loads an asset from another site")
	}
	if rec := f.do(t, http.MethodGet, "/status/nope", nil, ""); rec.Code != http.StatusNotFound || !strings.Contains(rec.Body.String(), "<html") {
		t.Errorf("unknown slug: %d %s, want an HTML 404", rec.Code, rec.Body)
	}
	rec = f.do(t, http.MethodGet, "/status/nope/api/v2/status.json", nil, "")
	if rec.Code != http.StatusNotFound || !strings.Contains(rec.Body.String(), `"code":"not_found"`) {
		t.Errorf("unknown slug's JSON: %d %s, want a JSON 404", rec.Code, rec.Body)
	}
	if rec := f.do(t, http.MethodGet, "/status/pushmail/api/v2/nothing.json", nil, ""); rec.Code != http.StatusNotFound {
		t.Errorf("unknown document: %d, want 404", rec.Code)
	}
	if err := f.st.DeletePage(context.Background(), "org_a", f.page.ID); err != nil {
		t.Fatal(err)
	}
	if rec := f.do(t, http.MethodGet, "/status/pushmail/api/v2/summary.json", nil, ""); rec.Code != http.StatusNotFound {
		t.Errorf("a deleted page's summary: %d, want 404 at once", rec.Code)
	}
}

// A request whose Host is the page's custom domain gets the page at /.
func TestCustomDomain(t *testing.T) {
	t.Parallel()
	f := setup(t)
	req := httptest.NewRequest(http.MethodGet, "/api/v2/status.json", nil)
	req.Host = "Status.Pushmail.Example:443"
	rec := httptest.NewRecorder()
	f.e.ServeHTTP(rec, req)
	var doc compat.StatusDoc
	if err := json.Unmarshal(rec.Body.Bytes(), &doc); err != nil || rec.Code != http.StatusOK {
		t.Fatalf("custom domain status.json: %d %s", rec.Code, rec.Body)
	}
	if doc.Page.URL != "http://status.pushmail.example" || doc.Page.ID != f.page.ID {
		t.Errorf("page %+v, want the page at its custom domain", doc.Page)
	}
	// Another host is not rewritten.
	if rec := f.do(t, http.MethodGet, "/api/v2/status.json", nil, ""); rec.Code != http.StatusNotFound {
		t.Errorf("another host's /api/v2/status.json: %d, want 404", rec.Code)
	}
}

// The feeds are well-formed and carry the posts; badges are SVG.
func TestFeedsAndBadges(t *testing.T) {
	t.Parallel()
	f := setup(t)
	f.change(t, "svc_api", 2, domain.Operational, domain.Down, "Timeouts")
	var atom struct {
		XMLName xml.Name `xml:"http://www.w3.org/2005/Atom feed"`
		Entries []struct {
			Title string `xml:"title"`
		} `xml:"entry"`
	}
	rec := f.do(t, http.MethodGet, "/status/pushmail/history.atom", nil, "")
	if err := xml.Unmarshal(rec.Body.Bytes(), &atom); err != nil || len(atom.Entries) != 1 || atom.Entries[0].Title != "API is down: Timeouts" {
		t.Errorf("atom: %v %+v", err, atom)
	}
	var rss struct {
		Channel struct {
			Items []struct {
				Title string `xml:"title"`
			} `xml:"item"`
		} `xml:"channel"`
	}
	rec = f.do(t, http.MethodGet, "/status/pushmail/history.rss", nil, "")
	if err := xml.Unmarshal(rec.Body.Bytes(), &rss); err != nil || len(rss.Channel.Items) != 1 {
		t.Errorf("rss: %v %+v", err, rss)
	}
	for target, want := range map[string]string{
		"/status/pushmail/badge.svg": "Partial System Outage",
		"/status/pushmail/components/" + f.page.Components[0].ID + "/badge.svg":                          "major outage",
		"/status/pushmail/components/" + f.page.Components[0].ID + "/badge.svg?metric=uptime&window=30d": "no data",
	} {
		rec := f.do(t, http.MethodGet, target, nil, "")
		if rec.Code != http.StatusOK || rec.Header().Get("Content-Type") != "image/svg+xml" || !strings.Contains(rec.Body.String(), want) {
			t.Errorf("%s: %d %s %s, want an SVG saying %q", target, rec.Code, rec.Header().Get("Content-Type"), rec.Body, want)
		}
		var svg struct{}
		if err := xml.Unmarshal(rec.Body.Bytes(), &svg); err != nil {
			t.Errorf("%s is not XML: %v", target, err)
		}
	}
	if rec := f.do(t, http.MethodGet, "/status/pushmail/components/cmp_nope/badge.svg", nil, ""); rec.Code != http.StatusNotFound {
		t.Errorf("unknown component's badge: %d, want 404", rec.Code)
	}
	if rec := f.do(t, http.MethodGet, "/status/pushmail/components/x/badge.svg?metric=uptime&window=1y", nil, ""); rec.Code != http.StatusUnprocessableEntity {
		t.Errorf("bad window: %d, want 422", rec.Code)
	}
}

// A webhook subscriber is confirmed at once and shown its secret once; an
// email one needs a mail server; the token unsubscribes.
func TestSubscribe(t *testing.T) {
	t.Parallel()
	f := setup(t)
	rec := f.do(t, http.MethodPost, "/status/pushmail/api/v2/subscribers.json", nil, `{"endpoint":"https://hooks.example.com/up","components":["`+f.page.Components[1].ID+`"]}`)
	if rec.Code != http.StatusCreated {
		t.Fatalf("subscribe: %d %s", rec.Code, rec.Body)
	}
	var raw map[string]map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &raw); err != nil {
		t.Fatal(err)
	}
	sub := raw["subscriber"]
	secret, _ := sub["secret"].(string)
	unsubscribe, _ := sub["unsubscribe_url"].(string)
	if !strings.HasPrefix(secret, "whsec_") || sub["confirmed"] != true || !strings.HasPrefix(unsubscribe, "http://example.com/status/pushmail/unsubscribe/") {
		t.Fatalf("subscriber %v, want confirmed with a whsec_ secret and an unsubscribe URL", sub)
	}
	list, err := f.st.ListSubscribers(context.Background(), "org_a", f.page.ID, "", 10)
	if err != nil || len(list) != 1 || list[0].ComponentIDs[0] != f.page.Components[1].ID {
		t.Fatalf("subscribers %+v, %v", list, err)
	}
	for _, body := range []string{`{"email":"ops@example.com"}`, `{"endpoint":"ftp://x"}`, `{"endpoint":"https://x.example","components":["cmp_other"]}`} {
		if rec := f.do(t, http.MethodPost, "/status/pushmail/api/v2/subscribers.json", nil, body); rec.Code != http.StatusUnprocessableEntity {
			t.Errorf("subscribe %s: %d %s, want 422", body, rec.Code, rec.Body)
		}
	}
	token := unsubscribe[strings.LastIndexByte(unsubscribe, '/')+1:]
	if rec := f.do(t, http.MethodDelete, "/status/pushmail/api/v2/subscribers/"+token+".json", nil, ""); rec.Code != http.StatusNoContent {
		t.Fatalf("unsubscribe: %d %s", rec.Code, rec.Body)
	}
	if rec := f.do(t, http.MethodDelete, "/status/pushmail/api/v2/subscribers/"+token+".json", nil, ""); rec.Code != http.StatusNotFound {
		t.Errorf("unsubscribe again: %d, want 404", rec.Code)
	}
}

// With a lookup TTL, a page's revision is trusted for that long: a change
// committed elsewhere shows once it passes, one this process committed as
// soon as it forgets them.
func TestLookupTTLAndForget(t *testing.T) {
	t.Parallel()
	f := setupWith(t, public.Options{LookupTTL: time.Hour})
	status := func() string {
		t.Helper()
		rec := f.do(t, http.MethodGet, "/status/pushmail/api/v2/status.json", nil, "")
		var doc compat.StatusDoc
		if err := json.Unmarshal(rec.Body.Bytes(), &doc); err != nil {
			t.Fatalf("%d %s", rec.Code, rec.Body)
		}
		return doc.Status.Indicator
	}
	if got := status(); got != "none" {
		t.Fatalf("indicator %s", got)
	}
	f.change(t, "svc_api", 2, domain.Operational, domain.Down, "")
	if got := status(); got != "none" {
		t.Errorf("within the TTL: indicator %s, want the cached none", got)
	}
	f.h.Forget()
	if got := status(); got != "major" {
		t.Errorf("after Forget: indicator %s, want major", got)
	}
}
