package channel_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/upstatehq/upstate/services/notification/internal/channel"
	"github.com/upstatehq/upstate/webhook"
)

var update = flag.Bool("update", false, "rewrite the golden files")

var t0 = time.Date(2026, 12, 3, 14, 0, 0, 0, time.UTC)

func trigger() channel.Message {
	return channel.Message{ID: "ntf_01jdq0000000000000000000aa", CreatedAt: t0, Content: channel.Content{
		Kind: channel.Trigger, Title: "API is down", Text: "Checkout answers 503 <since> 14:00 & rising", Severity: channel.SeverityCritical,
		URL: "https://upstate.example.com/alerts/alt_1", AlertID: "alt_1",
		Fields: []channel.Field{{Name: "Service", Value: "API"}, {Name: "Rule", Value: "API down"}},
	}}
}

// Each channel type's body is compared with a golden file written from the
// type's documented format (Block Kit, Discord embeds, Adaptive Cards,
// PagerDuty Events API v2, Standard Webhooks); go test -update rewrites
// them after a deliberate change, to be read in review.
func TestRenderGolden(t *testing.T) {
	t.Parallel()
	resolved := trigger()
	resolved.Content.Kind = channel.Resolve
	acknowledged := trigger()
	acknowledged.Content.Kind = channel.Acknowledge
	cases := []struct {
		name string
		dest channel.Destination
		msg  channel.Message
		url  string
	}{
		{"webhook_trigger", channel.Destination{Type: channel.Webhook, Config: channel.Config{URL: "https://hooks.example.com/in", Secret: secret}}, trigger(), "https://hooks.example.com/in"},
		{"slack_trigger", channel.Destination{Type: channel.Slack, Config: channel.Config{URL: "https://hooks.slack.com/services/T0/B0/x"}}, trigger(), "https://hooks.slack.com/services/T0/B0/x"},
		{"slack_resolve", channel.Destination{Type: channel.Slack, Config: channel.Config{URL: "https://hooks.slack.com/services/T0/B0/x"}}, resolved, "https://hooks.slack.com/services/T0/B0/x"},
		{"discord_trigger", channel.Destination{Type: channel.Discord, Config: channel.Config{URL: "https://discord.com/api/webhooks/1/x"}}, trigger(), "https://discord.com/api/webhooks/1/x"},
		{"msteams_trigger", channel.Destination{Type: channel.MSTeams, Config: channel.Config{URL: "https://prod.westeurope.logic.azure.com/workflows/x"}}, trigger(), "https://prod.westeurope.logic.azure.com/workflows/x"},
		{"pagerduty_trigger", channel.Destination{Type: channel.PagerDuty, Config: channel.Config{RoutingKey: "R0123456789abcdef0123456789abcde", BaseURL: "https://events.pagerduty.com"}}, trigger(), "https://events.pagerduty.com/v2/enqueue"},
		{"pagerduty_acknowledge", channel.Destination{Type: channel.PagerDuty, Config: channel.Config{RoutingKey: "R0123456789abcdef0123456789abcde", BaseURL: "https://events.pagerduty.com"}}, acknowledged, "https://events.pagerduty.com/v2/enqueue"},
		{"pagerduty_resolve", channel.Destination{Type: channel.PagerDuty, Config: channel.Config{RoutingKey: "R0123456789abcdef0123456789abcde", BaseURL: "https://events.pagerduty.com"}}, resolved, "https://events.pagerduty.com/v2/enqueue"},
		{"upstate_trigger", channel.Destination{Type: channel.Upstate, Config: channel.Config{URL: "https://other.example.com/api/webhooks/incoming/tok"}}, trigger(), "https://other.example.com/api/webhooks/incoming/tok"},
		{"webhook_template", channel.Destination{Type: channel.Webhook, Config: channel.Config{URL: "https://hooks.example.com/in"},
			Template: `{{.Severity}}: {{.Title}}{{range .Fields}} | {{.Name}}={{.Value}}{{end}}`}, trigger(), "https://hooks.example.com/in"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			req, err := channel.Render(c.dest, c.msg, t0)
			if err != nil {
				t.Fatal(err)
			}
			if req.URL != c.url {
				t.Errorf("url %s, want %s", req.URL, c.url)
			}
			if req.Header.Get("Content-Type") != "application/json" || req.Header.Get("webhook-id") != c.msg.ID {
				t.Errorf("headers %v", req.Header)
			}
			var pretty bytes.Buffer
			if err := json.Indent(&pretty, req.Body, "", "  "); err != nil {
				t.Fatal(err)
			}
			pretty.WriteByte('\n')
			golden(t, filepath.Join("testdata", c.name+".json"), pretty.Bytes())
			checkFormat(t, c.dest.Type, req.Body)
		})
	}
}

func golden(t *testing.T, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to write it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file:\n%s", path, got)
	}
}

// checkFormat checks what each documented format requires, so that a
// golden file rewritten by mistake still fails.
func checkFormat(t *testing.T, typ channel.Type, body []byte) {
	t.Helper()
	var v map[string]any
	if err := json.Unmarshal(body, &v); err != nil {
		t.Fatal(err)
	}
	switch typ {
	case channel.Slack:
		blocks, _ := v["blocks"].([]any)
		if v["text"] == "" || len(blocks) == 0 || len(blocks) > 50 {
			t.Fatalf("slack: need fallback text and 1–50 blocks: %s", body)
		}
		for _, b := range blocks {
			bt := b.(map[string]any)["type"]
			switch bt {
			case "header", "section", "actions", "context":
			default:
				t.Errorf("slack: block type %v", bt)
			}
			if fs, ok := b.(map[string]any)["fields"].([]any); ok && len(fs) > 10 {
				t.Errorf("slack: a section holds %d fields, at most 10", len(fs))
			}
		}
	case channel.Discord:
		embeds, _ := v["embeds"].([]any)
		if len(embeds) != 1 {
			t.Fatalf("discord: %d embeds", len(embeds))
		}
		e := embeds[0].(map[string]any)
		if _, ok := e["color"].(float64); !ok || len(e["title"].(string)) > 256 || len(e["fields"].([]any)) > 25 {
			t.Errorf("discord: embed %v", e)
		}
	case channel.MSTeams:
		att := v["attachments"].([]any)[0].(map[string]any)
		card := att["content"].(map[string]any)
		if v["type"] != "message" || att["contentType"] != "application/vnd.microsoft.card.adaptive" || card["type"] != "AdaptiveCard" || card["version"] == "" {
			t.Errorf("msteams: %s", body)
		}
	case channel.PagerDuty:
		action := v["event_action"]
		if v["routing_key"] == "" || v["dedup_key"] != "alt_1" {
			t.Errorf("pagerduty: routing_key and dedup_key (the alert id) are required: %s", body)
		}
		if action == "trigger" {
			p := v["payload"].(map[string]any)
			if p["summary"] == "" || p["source"] == "" || !strings.Contains("critical error warning info", p["severity"].(string)) {
				t.Errorf("pagerduty: payload %v", p)
			}
		} else if action != "acknowledge" && action != "resolve" {
			t.Errorf("pagerduty: event_action %v", action)
		} else if len(v) != 3 {
			// Events API v2: an acknowledge or resolve names the alert by
			// its dedup_key and carries nothing else.
			t.Errorf("pagerduty: %s carries more than routing_key, dedup_key and event_action: %s", action, body)
		}
	}
}

const secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"

// A webhook channel's delivery verifies with the channel's secret under
// Standard Webhooks, as a receiver (upstate's gateway among them) checks it.
func TestWebhookSignatureVerifies(t *testing.T) {
	t.Parallel()
	req, err := channel.Render(channel.Destination{Type: channel.Webhook, Config: channel.Config{URL: "https://x.example", Secret: secret}}, trigger(), t0)
	if err != nil {
		t.Fatal(err)
	}
	sig := webhook.Signature{Secret: secret, Scheme: webhook.SchemeStandardWebhooks}
	if err := webhook.Verify(sig, req.Header, req.Body, t0.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if err := webhook.Verify(sig, req.Header, append(req.Body, ' '), t0); err == nil {
		t.Fatal("a changed body verified")
	}
	// An upstate channel with a plain secret signs in the receivers'
	// default hex scheme.
	req, err = channel.Render(channel.Destination{Type: channel.Upstate, Config: channel.Config{URL: "https://x.example", Secret: "s3cret"}}, trigger(), t0)
	if err != nil {
		t.Fatal(err)
	}
	if err := webhook.Verify(webhook.Signature{Secret: "s3cret"}, req.Header, req.Body, t0); err != nil {
		t.Fatal(err)
	}
}

func TestRenderEmailAndSkips(t *testing.T) {
	t.Parallel()
	m := trigger()
	req, err := channel.Render(channel.Destination{Type: channel.Email, Config: channel.Config{To: "ops@example.com"}, Unsubscribe: "https://u.example/x"}, m, t0)
	if err != nil {
		t.Fatal(err)
	}
	e := req.Email
	if e == nil || e.To != "ops@example.com" || e.Subject != "[CRITICAL] API is down" ||
		!strings.Contains(e.Body, "Service: API\n") || !strings.Contains(e.Body, m.Content.URL) || !strings.HasSuffix(e.Body, "Unsubscribe: https://u.example/x\n") {
		t.Errorf("email %+v", e)
	}
	m.Content.Kind = channel.Info
	req, err = channel.Render(channel.Destination{Type: channel.PagerDuty, Config: channel.Config{RoutingKey: "k", BaseURL: "https://pd.example"}}, m, t0)
	if err != nil || req.Skip == "" || req.Body != nil {
		t.Errorf("pagerduty info: %+v, %v; want skipped", req, err)
	}
	_ = http.MethodPost
}

// An inline webhook with a prepared body (a status page's subscriber)
// gets that body as it is, signed, with the notification's id.
func TestRenderPreparedWebhookBody(t *testing.T) {
	t.Parallel()
	secret := webhook.NewStandardSecret()
	body := []byte(`{"page":{"id":"pag_1"},"component_update":{"new_status":"major_outage"}}`)
	d := channel.Destination{Type: channel.Webhook, Config: channel.Config{URL: "https://hooks.example.com/status", Secret: secret}, Body: body}
	req, err := channel.Render(d, trigger(), t0)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(req.Body, body) || req.URL != d.Config.URL || req.Header.Get("webhook-id") != "ntf_01jdq0000000000000000000aa" {
		t.Fatalf("request %s %s %v", req.URL, req.Body, req.Header)
	}
	if err := webhook.Verify(webhook.Signature{Secret: secret, Scheme: webhook.SchemeStandardWebhooks}, req.Header, req.Body, t0); err != nil {
		t.Fatalf("signature: %v", err)
	}
}
