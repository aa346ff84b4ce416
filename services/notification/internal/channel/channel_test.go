package channel_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/upstatehq/upstate/services/notification/internal/channel"
)

func TestValidate(t *testing.T) {
	t.Parallel()
	ok := func(typ channel.Type, cfg channel.Config) channel.Channel {
		return channel.Channel{Name: "ops", Type: typ, Config: cfg}
	}
	cases := []struct {
		name  string
		ch    channel.Channel
		field string // "" when valid
	}{
		{"webhook", ok(channel.Webhook, channel.Config{URL: "https://hooks.example.com/x"}), ""},
		{"slack", ok(channel.Slack, channel.Config{URL: "https://hooks.slack.com/services/T/B/x"}), ""},
		{"upstate with secret", ok(channel.Upstate, channel.Config{URL: "http://up.example/api/webhooks/incoming/t", Secret: "s"}), ""},
		{"email", ok(channel.Email, channel.Config{To: "ops@example.com"}), ""},
		{"pagerduty default base", ok(channel.PagerDuty, channel.Config{RoutingKey: "R0123456789abcdef0123456789abcde"}), ""},
		{"no name", channel.Channel{Type: channel.Slack, Config: channel.Config{URL: "https://x.example"}}, "name"},
		{"no type", channel.Channel{Name: "x"}, "type"},
		{"unknown type", ok("sms", channel.Config{}), "type"},
		{"no url", ok(channel.Discord, channel.Config{}), "config.url"},
		{"ftp url", ok(channel.Slack, channel.Config{URL: "ftp://x.example/a"}), "config.url"},
		{"url with password", ok(channel.Webhook, channel.Config{URL: "https://u:p@x.example/a"}), "config.url"},
		{"slack with secret", ok(channel.Slack, channel.Config{URL: "https://x.example", Secret: "s"}), "config.secret"},
		{"slack with to", ok(channel.Slack, channel.Config{URL: "https://x.example", To: "a@b.example"}), "config"},
		{"email without to", ok(channel.Email, channel.Config{}), "config.to"},
		{"email with a name", ok(channel.Email, channel.Config{To: "Ops <ops@example.com>"}), "config.to"},
		{"email with url", ok(channel.Email, channel.Config{To: "ops@example.com", URL: "https://x.example"}), "config"},
		{"pagerduty without key", ok(channel.PagerDuty, channel.Config{}), "config.routing_key"},
		{"pagerduty bad base", ok(channel.PagerDuty, channel.Config{RoutingKey: "k", BaseURL: "events"}), "config.base_url"},
		{"bad template", channel.Channel{Name: "x", Type: channel.Slack, Config: channel.Config{URL: "https://x.example"}, Template: "{{.Title"}, "template"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ch := c.ch
			ch.Normalize()
			err := channel.Validate(ch)
			var verr *channel.ValidationError
			switch {
			case c.field == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case c.field == "":
			case !errors.As(err, &verr):
				t.Fatalf("err = %v, want a ValidationError of %s", err, c.field)
			case verr.Field != c.field:
				t.Fatalf("field %s (%s), want %s", verr.Field, verr.Message, c.field)
			}
		})
	}
}

// Credentials never come back: URLs keep scheme and host, routing keys
// four characters, secrets nothing.
func TestMasked(t *testing.T) {
	t.Parallel()
	m := channel.Config{URL: "https://hooks.slack.com/services/T000/B000/XXXXSECRET", Secret: "whsec_abc", RoutingKey: "R0123456789abcdef0123456789abcde", To: "ops@example.com"}.Masked()
	if m.URL != "https://hooks.slack.com/…" || m.Secret != "" || m.RoutingKey != "R012…" || m.To != "ops@example.com" {
		t.Errorf("masked %+v", m)
	}
	for _, s := range []string{m.URL, m.RoutingKey} {
		if strings.Contains(s, "SECRET") || strings.Contains(s, "abcde") {
			t.Errorf("%q leaks a credential", s)
		}
	}
	if got := channel.MaskURL("https://x.example/?token=abc"); got != "https://x.example/…" {
		t.Errorf("MaskURL with a query = %q", got)
	}
}

// A template runs over the content; one that fails on a message, or makes
// too long a text, gives the content's own text.
func TestText(t *testing.T) {
	t.Parallel()
	c := channel.Content{Kind: channel.Trigger, Title: "API is down", Text: "plain", Severity: channel.SeverityWarning, Fields: []channel.Field{{Name: "a", Value: "1"}}}
	cases := map[string]string{
		"":                                   "plain",
		"{{.Kind}} {{.Severity}} {{.Title}}": "trigger warning API is down",
		"{{range .Fields}}{{.Name}}={{.Value}}{{end}}": "a=1",
		"{{.Nope}}": "plain",
	}
	for tmpl, want := range cases {
		if got := channel.Text(tmpl, c); got != want {
			t.Errorf("Text(%.40q) = %.60q, want %q", tmpl, got, want)
		}
	}
	// Five times the longest text is more than a template may write.
	c.Text = strings.Repeat("x", channel.MaxTextLen)
	if got := channel.Text("{{.Text}}{{.Text}}{{.Text}}{{.Text}}{{.Text}}", c); got != c.Text {
		t.Errorf("an oversized rendering gave %d characters, want the text's own %d", len(got), len(c.Text))
	}
}
