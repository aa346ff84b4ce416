package integration

import (
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

// consoleBrowser is a person using the console: a cookie jar, no
// redirects followed, so that each answer can be checked.
type consoleBrowser struct {
	t      *testing.T
	base   string
	client *http.Client
}

var (
	csrfInput = regexp.MustCompile(`name="csrf" value="([^"]+)"`)
	// keySecret is a whole API key (a listing's prefix is shorter).
	keySecret = regexp.MustCompile(`ak_live_[0-9a-zA-Z_-]{32,}`)
)

// signIn opens the sign-in form and signs in with key.
func signIn(t *testing.T, s *stack, key string) *consoleBrowser {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	b := &consoleBrowser{t: t, base: s.baseURL, client: &http.Client{
		Jar:           jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
	if status, page := b.post("/console/login", b.csrf("/console/login"), url.Values{"api_key": {key}}); status != http.StatusSeeOther {
		t.Fatalf("sign in: %d %s", status, page)
	}
	return b
}

// csrf is the CSRF token of the page at path.
func (b *consoleBrowser) csrf(path string) string {
	b.t.Helper()
	res, err := b.client.Get(b.base + path)
	if err != nil {
		b.t.Fatal(err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		b.t.Fatal(err)
	}
	m := csrfInput.FindSubmatch(body)
	if res.StatusCode != http.StatusOK || m == nil {
		b.t.Fatalf("GET %s: %d, no CSRF token in %s", path, res.StatusCode, body)
	}
	return string(m[1])
}

// post submits a form with its CSRF token and returns the answer's
// status and page.
func (b *consoleBrowser) post(path, csrf string, form url.Values) (int, string) {
	b.t.Helper()
	form.Set("csrf", csrf)
	res, err := b.client.PostForm(b.base+path, form)
	if err != nil {
		b.t.Fatal(err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		b.t.Fatal(err)
	}
	return res.StatusCode, string(body)
}

// A change made in the console is in the audit log as one made through
// the API is: once, by the key signed in with, with the object before and
// after, and the secret of a key created there nowhere in it.
func TestAuditLogRecordsConsoleChanges(t *testing.T) {
	t.Parallel()
	s := startStack(t)
	svc := s.createService(bootstrapKey, "API")
	var me map[string]any
	for _, k := range s.mustDo(200, "GET", "/api/v1/api-keys", bootstrapKey, nil)["data"].([]any) {
		if k := k.(map[string]any); strings.HasPrefix(bootstrapKey, k["prefix"].(string)) {
			me = k
		}
	}
	if me == nil {
		t.Fatal("the bootstrap key is not listed")
	}

	b := signIn(t, s, bootstrapKey)
	csrf := b.csrf("/console/services/" + svc)
	if status, page := b.post("/console/services/"+svc+"/status", csrf, url.Values{"status": {"down"}, "description": {"db"}}); status != http.StatusSeeOther {
		t.Fatalf("set status form: %d %s", status, page)
	}
	status, page := b.post("/console/api-keys", csrf, url.Values{"name": {"CI"}, "scopes": {"services"}})
	secret := keySecret.FindString(page)
	if status != http.StatusCreated || secret == "" {
		t.Fatalf("create key form: %d, no key shown in %s", status, page)
	}
	// A refused form leaves nothing.
	if status, page := b.post("/console/services/"+svc+"/status", csrf, url.Values{"status": {"sideways"}}); status != http.StatusUnprocessableEntity {
		t.Fatalf("a bad status: %d %s", status, page)
	}

	set := mustEntries(s, "action=service.set_status&object_id="+svc)
	if len(set) != 1 {
		t.Fatalf("service.set_status: %d entries, want 1: %+v", len(set), set)
	}
	e := set[0]
	if e.Actor.KeyID != me["id"] || e.Actor.KeyName != me["name"] || e.Outcome != "succeeded" || e.Status != 200 ||
		e.Before["status"] != "operational" || e.After["status"] != "down" || e.After["status_description"] != "db" {
		t.Errorf("set status from the console: %+v", e)
	}

	created := mustEntries(s, "action=api_key.create")
	if len(created) != 1 {
		t.Fatalf("api_key.create: %d entries, want 1: %+v", len(created), created)
	}
	e = created[0]
	if e.Actor.KeyID != me["id"] || e.Object.Type != "api_key" || e.Object.ID == "" || e.Before != nil ||
		e.After["name"] != "CI" || e.After["key"] != "[redacted]" {
		t.Errorf("create key from the console: %+v", e)
	}
	_, raw := s.auditLog(bootstrapKey, "limit=200")
	if strings.Contains(raw, secret) || strings.Contains(raw, bootstrapKey) {
		t.Errorf("an API key is in the audit log: %s", raw)
	}
}

// The notification service's write routes are audited like the others,
// and a channel's credentials — a webhook's signing secret, a URL's
// password, query and token path, a PagerDuty routing key — appear in
// neither before nor after.
func TestAuditLogRecordsNotificationChanges(t *testing.T) {
	t.Parallel()
	s := startStack(t)
	k := bootstrapKey
	const (
		routingKey = "R0UT1NGK3Y0123456789abcdefABCDEF"
		hookToken  = "XXXXXXXX1234XXXXXXXXXXXX"
	)
	created := s.mustDo(201, "POST", "/api/v1/channels", k, map[string]any{"name": "ops hook", "type": "webhook",
		"config": map[string]any{"url": "https://hooks.example.com/notify?token=query-secret"}})
	hook, signing := created["id"].(string), created["secret"].(string)
	slack := s.mustDo(201, "POST", "/api/v1/channels", k, map[string]any{"name": "ops chat", "type": "slack",
		"config": map[string]any{"url": "https://hooks.slack.com/services/T0001/B0001/" + hookToken}})["id"].(string)
	pd := s.mustDo(201, "POST", "/api/v1/channels", k, map[string]any{"name": "pager", "type": "pagerduty",
		"config": map[string]any{"routing_key": routingKey}})["id"].(string)
	s.mustDo(200, "PATCH", "/api/v1/channels/"+pd, k, map[string]any{"name": "pager (eu)",
		"config": map[string]any{"routing_key": strings.ToLower(routingKey)}})
	user := s.mustDo(201, "POST", "/api/v1/users", k, map[string]any{"name": "Ada", "email": "ada@example.com"})["id"].(string)

	for _, c := range []struct{ action, id string }{
		{"channel.create", hook}, {"channel.create", slack}, {"channel.create", pd}, {"channel.update", pd}, {"user.create", user},
	} {
		got := mustEntries(s, "action="+c.action+"&object_id="+c.id)
		if len(got) != 1 || got[0].Outcome != "succeeded" || got[0].After == nil {
			t.Errorf("%s %s: %+v, want one succeeded entry", c.action, c.id, got)
		}
	}
	upd := mustEntries(s, "action=channel.update&object_id="+pd)
	if len(upd) == 1 && (upd[0].Before["name"] != "pager" || upd[0].After["name"] != "pager (eu)") {
		t.Errorf("channel.update: before %v after %v", upd[0].Before, upd[0].After)
	}
	_, raw := s.auditLog(k, "limit=200")
	for _, secret := range []string{signing, "whsec_", "query-secret", hookToken, routingKey, strings.ToLower(routingKey)} {
		if strings.Contains(raw, secret) {
			t.Errorf("%q is in the audit log: %s", secret, raw)
		}
	}
}
