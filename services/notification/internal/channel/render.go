package channel

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/upstatehq/upstate/webhook"
)

// Destination is where one notification goes: a channel's type, config
// and template, or an inline webhook or email recipient.
type Destination struct {
	Type     Type
	Config   Config
	Template string
	// Unsubscribe is an inline email recipient's unsubscribe link.
	Unsubscribe string
	// Body is an inline webhook recipient's prepared JSON body, posted
	// instead of the generic one when set.
	Body []byte
}

// Destination returns where c's notifications go.
func (c Channel) Destination() Destination {
	return Destination{Type: c.Type, Config: c.Config, Template: c.Template}
}

// Key names the far side for the circuit breaker: the scheme and host of
// an HTTP endpoint (one breaker for every Slack channel, since Slack being
// down fails them all), or the mail server.
func (d Destination) Key() string {
	switch d.Type {
	case Email:
		return "smtp"
	case PagerDuty:
		return MaskURL(d.Config.BaseURL)
	}
	u := MaskURL(d.Config.URL)
	return strings.TrimSuffix(u, "/…")
}

// Request is what one delivery attempt sends: an HTTP POST of a JSON body,
// an email, or nothing (Skip says why).
type Request struct {
	URL    string
	Header http.Header
	Body   []byte
	Email  *EmailMessage
	Skip   string
}

// EmailMessage is an email channel's message.
type EmailMessage struct {
	To, Subject, Body, Unsubscribe string
}

// UserAgent is what upstate's deliveries say they are.
const UserAgent = "upstate-notification"

// Render makes the request that delivers m to d, signed at now where the
// destination signs.
func Render(d Destination, m Message, now time.Time) (Request, error) {
	text := Text(d.Template, m.Content)
	var (
		body any
		url  = d.Config.URL
	)
	switch d.Type {
	case Webhook:
		body = webhookBody(m, text)
	case Slack:
		body = slackBody(m.Content, text)
	case Discord:
		body = discordBody(m, text)
	case MSTeams:
		body = teamsBody(m.Content, text)
	case PagerDuty:
		ev, skip := pagerDutyBody(d.Config.RoutingKey, m, text)
		if skip != "" {
			return Request{Skip: skip}, nil
		}
		body, url = ev, d.Config.BaseURL+"/v2/enqueue"
	case Upstate:
		body = upstateBody(m, text)
	case Email:
		return Request{Email: emailMessage(d, m.Content, text)}, nil
	default:
		return Request{}, fmt.Errorf("render: unknown channel type %q", d.Type)
	}
	b := d.Body
	if b == nil || d.Type != Webhook {
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		// Text is not HTML: "<" stays "<" for the reader of a raw payload.
		enc.SetEscapeHTML(false)
		if err := enc.Encode(body); err != nil {
			return Request{}, fmt.Errorf("render %s: %w", d.Type, err)
		}
		b = bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
	}
	h := http.Header{}
	h.Set("Content-Type", "application/json")
	h.Set("User-Agent", UserAgent)
	// Every receiver gets the id, whether or not it verifies signatures,
	// to de-duplicate on its side.
	h.Set(webhook.HeaderWebhookID, m.ID)
	if err := sign(d, h, b, now); err != nil {
		return Request{}, err
	}
	return Request{URL: url, Header: h, Body: b}, nil
}

// sign signs a webhook channel's body with Standard Webhooks, and an
// upstate channel's with its receiver's scheme: Standard Webhooks for a
// "whsec_" secret, hex HMAC-SHA256 in X-Webhook-Signature otherwise.
func sign(d Destination, h http.Header, body []byte, now time.Time) error {
	secret := d.Config.Secret
	if secret == "" || d.Type != Webhook && d.Type != Upstate {
		return nil
	}
	sig := webhook.Signature{Secret: secret, Scheme: webhook.SchemeHex}
	if strings.HasPrefix(secret, "whsec_") {
		sig.Scheme = webhook.SchemeStandardWebhooks
	}
	if err := webhook.Sign(sig, h, body, now); err != nil {
		return fmt.Errorf("sign: %w", err)
	}
	return nil
}

// webhookBody is upstate's own JSON, in the Standard Webhooks shape
// (type, timestamp, data).
func webhookBody(m Message, text string) any {
	c := m.Content
	fields := c.Fields
	if fields == nil {
		fields = []Field{}
	}
	return map[string]any{
		"id":        m.ID,
		"type":      "notification." + string(c.Kind),
		"timestamp": m.CreatedAt.UTC().Format(time.RFC3339),
		"data": map[string]any{
			"kind": c.Kind, "title": c.Title, "text": text, "severity": c.severity(), "url": c.URL,
			"alert_id": c.AlertID, "incident_id": c.IncidentID, "fields": fields,
		},
	}
}

// headline is the title with a mark of the kind and severity, for chats.
func headline(c Content) string {
	switch c.Kind {
	case Resolve:
		return "✅ Resolved: " + c.Title
	case Acknowledge:
		return "👀 Acknowledged: " + c.Title
	case Test:
		return "🧪 Test: " + c.Title
	case Info:
		return "ℹ️ " + c.Title
	}
	switch c.severity() {
	case SeverityCritical:
		return "🔴 " + c.Title
	case SeverityWarning:
		return "🟠 " + c.Title
	}
	return "🔵 " + c.Title
}

// slackEscape escapes what Slack's mrkdwn reads as markup.
var slackEscape = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")

// slackBody is a Block Kit message for an incoming webhook: a header, the
// text, the fields (at most 10 per section), a button to the URL and a
// context line; "text" is the notification's fallback.
func slackBody(c Content, text string) any {
	title := headline(c)
	blocks := []any{map[string]any{"type": "header", "text": map[string]any{"type": "plain_text", "text": truncate(title, 150), "emoji": true}}}
	if text != "" {
		blocks = append(blocks, map[string]any{"type": "section", "text": map[string]any{"type": "mrkdwn", "text": truncate(slackEscape.Replace(text), 3000)}})
	}
	facts := append([]Field{{Name: "Severity", Value: string(c.severity())}}, c.Fields...)
	for i := 0; i < len(facts); i += 10 {
		var fs []any
		for _, f := range facts[i:min(i+10, len(facts))] {
			fs = append(fs, map[string]any{"type": "mrkdwn", "text": truncate("*"+slackEscape.Replace(f.Name)+"*\n"+slackEscape.Replace(f.Value), 2000)})
		}
		blocks = append(blocks, map[string]any{"type": "section", "fields": fs})
	}
	if c.URL != "" {
		blocks = append(blocks, map[string]any{"type": "actions", "elements": []any{
			map[string]any{"type": "button", "text": map[string]any{"type": "plain_text", "text": "Open in upstate"}, "url": c.URL},
		}})
	}
	blocks = append(blocks, map[string]any{"type": "context", "elements": []any{
		map[string]any{"type": "mrkdwn", "text": contextLine(c)},
	}})
	return map[string]any{"text": title, "blocks": blocks}
}

func contextLine(c Content) string {
	parts := []string{"upstate", string(c.Kind)}
	if c.AlertID != "" {
		parts = append(parts, c.AlertID)
	}
	if c.IncidentID != "" {
		parts = append(parts, c.IncidentID)
	}
	return strings.Join(parts, " · ")
}

// Colours of Discord embeds and Teams text, by what a message tells.
func colour(c Content) int {
	switch {
	case c.Kind == Resolve:
		return 0x2EB67D
	case c.Kind == Acknowledge || c.Kind == Info || c.Kind == Test:
		return 0x1D9BD1
	case c.severity() == SeverityCritical:
		return 0xE01E5A
	case c.severity() == SeverityWarning:
		return 0xECB22E
	}
	return 0x1D9BD1
}

// discordBody is a webhook message with one embed; mentions in the text
// ping nobody.
func discordBody(m Message, text string) any {
	c := m.Content
	embed := map[string]any{
		"title":     truncate(headline(c), 256),
		"color":     colour(c),
		"timestamp": m.CreatedAt.UTC().Format(time.RFC3339),
		"footer":    map[string]any{"text": contextLine(c)},
	}
	if text != "" {
		embed["description"] = truncate(text, 4096)
	}
	if c.URL != "" {
		embed["url"] = c.URL
	}
	fields := []any{map[string]any{"name": "Severity", "value": string(c.severity()), "inline": true}}
	for _, f := range c.Fields[:min(len(c.Fields), 24)] {
		v := f.Value
		if v == "" {
			v = "—"
		}
		fields = append(fields, map[string]any{"name": truncate(f.Name, 256), "value": truncate(v, 1024), "inline": true})
	}
	embed["fields"] = fields
	return map[string]any{"username": "upstate", "embeds": []any{embed}, "allowed_mentions": map[string]any{"parse": []string{}}}
}

// teamsBody is a message with one Adaptive Card (1.4) attachment, what a
// Teams Workflows webhook ("When a Teams webhook request is received")
// posts to a channel.
func teamsBody(c Content, text string) any {
	color := "Accent"
	switch {
	case c.Kind == Resolve:
		color = "Good"
	case c.Kind == Trigger && c.severity() == SeverityCritical:
		color = "Attention"
	case c.Kind == Trigger && c.severity() == SeverityWarning:
		color = "Warning"
	}
	body := []any{map[string]any{"type": "TextBlock", "text": headline(c), "weight": "Bolder", "size": "Medium", "wrap": true, "color": color}}
	if text != "" {
		body = append(body, map[string]any{"type": "TextBlock", "text": text, "wrap": true})
	}
	facts := []any{map[string]any{"title": "Severity", "value": string(c.severity())}}
	for _, f := range c.Fields {
		facts = append(facts, map[string]any{"title": f.Name, "value": f.Value})
	}
	body = append(body, map[string]any{"type": "FactSet", "facts": facts})
	card := map[string]any{
		"$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
		"type":    "AdaptiveCard",
		"version": "1.4",
		"body":    body,
		"msteams": map[string]any{"width": "Full"},
	}
	if c.URL != "" {
		card["actions"] = []any{map[string]any{"type": "Action.OpenUrl", "title": "Open in upstate", "url": c.URL}}
	}
	return map[string]any{"type": "message", "attachments": []any{map[string]any{
		"contentType": "application/vnd.microsoft.card.adaptive", "contentUrl": nil, "content": card,
	}}}
}

// pagerDutyBody is an Events API v2 event: a trigger with its payload, or
// an acknowledge or resolve of the same dedup_key (the alert's id, else the
// incident's, else the notification's). Info messages page nobody and are
// not sent.
func pagerDutyBody(routingKey string, m Message, text string) (any, string) {
	c := m.Content
	dedup := c.AlertID
	if dedup == "" {
		dedup = c.IncidentID
	}
	if dedup == "" || c.Kind == Test {
		dedup = m.ID
	}
	ev := map[string]any{"routing_key": routingKey, "dedup_key": dedup}
	switch c.Kind {
	case Acknowledge:
		ev["event_action"] = "acknowledge"
		return ev, ""
	case Resolve:
		ev["event_action"] = "resolve"
		return ev, ""
	case Info:
		return nil, "pagerduty channels page only for trigger, acknowledge, resolve and test"
	}
	details := map[string]any{}
	if text != "" {
		details["text"] = text
	}
	for _, f := range c.Fields {
		details[f.Name] = f.Value
	}
	if c.AlertID != "" {
		details["alert_id"] = c.AlertID
	}
	if c.IncidentID != "" {
		details["incident_id"] = c.IncidentID
	}
	summary := c.Title
	if c.Kind == Test {
		summary = "Test: " + summary
	}
	ev["event_action"] = "trigger"
	ev["client"] = "upstate"
	ev["payload"] = map[string]any{
		"summary":        truncate(summary, 1024),
		"source":         "upstate",
		"severity":       string(c.severity()),
		"timestamp":      m.CreatedAt.UTC().Format(time.RFC3339),
		"custom_details": details,
	}
	if c.URL != "" {
		ev["client_url"] = c.URL
		ev["links"] = []any{map[string]any{"href": c.URL, "text": "Open in upstate"}}
	}
	return ev, ""
}

// upstateBody is what another upstate's receiver maps with its defaults:
// "status" (down for a critical trigger, degraded for another, operational
// for a resolution; absent otherwise, which the receiver ignores) and
// "message".
func upstateBody(m Message, text string) any {
	c := m.Content
	b := map[string]any{"message": c.Title, "kind": c.Kind, "severity": c.severity(), "id": m.ID}
	if text != "" {
		b["message"] = c.Title + ": " + text
	}
	switch {
	case c.Kind == Trigger && c.severity() == SeverityCritical:
		b["status"] = "down"
	case c.Kind == Trigger:
		b["status"] = "degraded"
	case c.Kind == Resolve:
		b["status"] = "operational"
	}
	for k, v := range map[string]string{"url": c.URL, "alert_id": c.AlertID, "incident_id": c.IncidentID} {
		if v != "" {
			b[k] = v
		}
	}
	return b
}

// emailMessage is a plain-text email: the subject says the kind and the
// title; the body the text, the fields and the link.
func emailMessage(d Destination, c Content, text string) *EmailMessage {
	subject := "[" + strings.ToUpper(string(c.severity())) + "] " + c.Title
	switch c.Kind {
	case Resolve:
		subject = "[RESOLVED] " + c.Title
	case Acknowledge:
		subject = "[ACKNOWLEDGED] " + c.Title
	case Test:
		subject = "[TEST] " + c.Title
	case Info:
		subject = c.Title
	}
	var b strings.Builder
	if text != "" {
		b.WriteString(text + "\n\n")
	}
	for _, f := range append([]Field{{Name: "Severity", Value: string(c.severity())}}, c.Fields...) {
		b.WriteString(f.Name + ": " + f.Value + "\n")
	}
	if c.URL != "" {
		b.WriteString("\n" + c.URL + "\n")
	}
	if d.Unsubscribe != "" {
		b.WriteString("\nUnsubscribe: " + d.Unsubscribe + "\n")
	}
	return &EmailMessage{To: d.Config.To, Subject: strings.ReplaceAll(subject, "\n", " "), Body: b.String(), Unsubscribe: d.Unsubscribe}
}
