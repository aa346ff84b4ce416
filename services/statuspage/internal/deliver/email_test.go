package deliver_test

import (
	"context"
	"crypto/tls"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
	"github.com/labstack/echo/v4"

	"github.com/upstatehq/upstate/pkg/httpx"
	"github.com/upstatehq/upstate/pkg/logging"
	"github.com/upstatehq/upstate/pkg/mail"
	"github.com/upstatehq/upstate/pkg/mail/mailtest"
	"github.com/upstatehq/upstate/pkg/service/servicetest"
	"github.com/upstatehq/upstate/services/statuspage/internal/deliver"
	"github.com/upstatehq/upstate/services/statuspage/internal/domain"
	"github.com/upstatehq/upstate/services/statuspage/internal/public"
	"github.com/upstatehq/upstate/services/statuspage/internal/store"
	"github.com/upstatehq/upstate/services/statuspage/migrations"
)

var confirmLink = regexp.MustCompile(`http://example\.com/status/example/subscriptions/confirm/\S+`)

// Double opt-in: subscribing on the page sends a confirmation link at
// once, through a real SMTP server, and nothing else; a change before the
// click is not sent; after it, a change is enqueued once for the
// subscriber's address, with its unsubscribe link.
func TestEmailSubscriberDoubleOptIn(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	smtpSrv := mailtest.Start(t, "pages", "s3cret")
	m, err := mail.New(smtpSrv.URL, "status@pushmail.example")
	if err != nil {
		t.Fatal(err)
	}
	m.TLS = &tls.Config{RootCAs: smtpSrv.CA}

	st := store.New(servicetest.Postgres(t, migrations.Schema, migrations.FS))
	if err := st.SeedService(ctx, domain.ServiceState{ServiceID: "svc_1", OrgID: "org_a", Name: "API", Status: domain.Operational, Version: 1}, t0); err != nil {
		t.Fatal(err)
	}
	if _, err := st.CreatePage(ctx, domain.Page{OrgID: "org_a", Name: "Example", Slug: "example", CreatedAt: t0,
		Components: []domain.Component{{ServiceID: "svc_1", Name: "Public API"}}}); err != nil {
		t.Fatal(err)
	}
	clock := clockwork.NewFakeClockAt(t0)
	e := echo.New()
	e.HTTPErrorHandler = httpx.ErrorHandler(logging.Discard())
	public.New(st, public.Options{Mailer: m}, clock, nil, logging.Discard()).Register(e)
	q := newQueue(t, 0)
	d := deliver.New(st, q.enqueue, deliver.Config{PublicURL: "http://example.com"}, clock, nil, logging.Discard())
	change := func(version int64, s domain.Status) {
		t.Helper()
		if _, err := st.ApplyServices(ctx, clock.Now(), domain.ServiceEvent{OrgID: "org_a", ServiceID: "svc_1", Version: version, HasStatus: true, Status: s, At: clock.Now(),
			Post: &domain.Post{ServiceID: "svc_1", Version: version, At: clock.Now(), Previous: domain.Operational, Status: s, Description: "Timeouts"}}); err != nil {
			t.Fatal(err)
		}
		if _, err := d.Once(ctx); err != nil {
			t.Fatal(err)
		}
	}

	form := url.Values{"email": {"ops@example.com"}}
	req := httptest.NewRequest(http.MethodPost, "/status/example/subscribe", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	rec := httptest.NewRecorder()
	e.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), "Check your inbox") {
		t.Fatalf("subscribe: %d %s", rec.Code, rec.Body)
	}
	msgs := smtpSrv.Messages()
	if len(msgs) != 1 || !strings.HasPrefix(msgs[0].Parsed.Header.Get("Subject"), "Confirm your subscription") {
		t.Fatalf("%d messages, want the confirmation", len(msgs))
	}
	link := confirmLink.FindString(msgs[0].Body)
	if link == "" {
		t.Fatalf("no confirmation link in %q", msgs[0].Body)
	}

	change(2, domain.Down) // before the click: nothing is sent
	if got := q.take(t, 200*time.Millisecond); len(got) != 0 {
		t.Fatalf("enqueued before confirming: %v", got)
	}
	rec = httptest.NewRecorder()
	e.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, strings.TrimPrefix(link, "http://example.com"), nil))
	if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), "Subscribed") {
		t.Fatalf("confirm: %d %s", rec.Code, rec.Body)
	}
	clock.Advance(time.Minute)
	change(3, domain.Degraded)
	change(3, domain.Degraded) // the event again: nothing more
	n := q.one(t)
	if n := len(smtpSrv.Messages()); n != 1 {
		t.Fatalf("%d messages sent by the status page itself, want only the confirmation", n)
	}
	to := n.GetEmail()
	if to.GetAddress() != "ops@example.com" || !strings.HasPrefix(to.GetUnsubscribe(), "http://example.com/status/example/unsubscribe/") ||
		n.GetContent().GetTitle() != "Example: Public API is degraded performance" || !strings.Contains(n.GetContent().GetText(), "Public API is degraded: Timeouts") {
		t.Errorf("notification %v", n)
	}
}
