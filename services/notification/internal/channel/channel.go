// Package channel is the pure part of channels and of what they send:
// the types, their configuration and its validation and masking, a
// notification's content, and the request each type makes of it — a
// Standard Webhooks signed JSON body, a Slack Block Kit message, a
// Discord embed, a Microsoft Teams Adaptive Card, a PagerDuty Events API
// v2 event, a body another upstate's receiver maps, or an email.
package channel

import (
	"errors"
	"net/mail"
	"net/url"
	"strings"
	"text/template"
	"time"
	"unicode/utf8"
)

// Type is how a channel delivers.
type Type string

// The channel types.
const (
	Webhook   Type = "webhook"
	Slack     Type = "slack"
	Discord   Type = "discord"
	MSTeams   Type = "msteams"
	Email     Type = "email"
	PagerDuty Type = "pagerduty"
	Upstate   Type = "upstate"
)

// Types are the valid types, in the order the API lists them.
var Types = []Type{Webhook, Slack, Discord, MSTeams, Email, PagerDuty, Upstate}

// DefaultPagerDutyBaseURL is where PagerDuty's Events API v2 is.
const DefaultPagerDutyBaseURL = "https://events.pagerduty.com"

// Limits of a channel's settings.
const (
	MaxNameLen     = 200
	MaxTemplateLen = 4000
	maxURLLen      = 2000
)

// ErrNotFound means no such channel (or notification) in the caller's
// organisation.
var ErrNotFound = errors.New("not found")

// ValidationError names the field whose value is unacceptable.
type ValidationError struct {
	Field   string
	Message string
}

func (e *ValidationError) Error() string { return e.Field + ": " + e.Message }

func invalid(field, msg string) error { return &ValidationError{Field: field, Message: msg} }

// Config is where and how a channel delivers; which fields apply depends
// on its type. URL, Secret and RoutingKey are credentials: the API shows
// them masked and they are never logged.
type Config struct {
	// URL is the endpoint of webhook, slack, discord, msteams and upstate
	// channels.
	URL string
	// Secret signs a webhook channel's deliveries (made by the service,
	// "whsec_…") or an upstate channel's (given by its owner, optional).
	Secret string
	// To is an email channel's recipient.
	To string
	// RoutingKey is a pagerduty channel's integration key.
	RoutingKey string
	// BaseURL is a pagerduty channel's Events API base.
	BaseURL string
}

// Channel is a destination of notifications.
type Channel struct {
	ID, OrgID, Name string
	Type            Type
	Config          Config
	// Template makes a message's text from its content (text/template);
	// empty: DefaultTemplate.
	Template             string
	CreatedAt, UpdatedAt time.Time
}

// Normalize trims what people type and fills in defaults.
func (c *Channel) Normalize() {
	c.Name = strings.TrimSpace(c.Name)
	c.Type = Type(strings.ToLower(strings.TrimSpace(string(c.Type))))
	c.Config.URL = strings.TrimSpace(c.Config.URL)
	c.Config.To = strings.TrimSpace(c.Config.To)
	c.Config.RoutingKey = strings.TrimSpace(c.Config.RoutingKey)
	c.Config.BaseURL = strings.TrimRight(strings.TrimSpace(c.Config.BaseURL), "/")
	if c.Type == PagerDuty && c.Config.BaseURL == "" {
		c.Config.BaseURL = DefaultPagerDutyBaseURL
	}
}

// Validate checks a normalized channel before it is saved: the fields its
// type needs, no field it does not use, a template that parses.
func Validate(c Channel) error {
	switch {
	case c.Name == "":
		return invalid("name", "is required")
	case utf8.RuneCountInString(c.Name) > MaxNameLen:
		return invalid("name", "must be at most 200 characters")
	case len(c.Template) > MaxTemplateLen:
		return invalid("template", "must be at most 4000 bytes")
	}
	if _, err := parseTemplate(c.Template); err != nil {
		return invalid("template", "does not parse: "+err.Error())
	}
	cfg := c.Config
	switch c.Type {
	case Webhook, Slack, Discord, MSTeams, Upstate:
		if err := ValidateURL("config.url", cfg.URL); err != nil {
			return err
		}
		if c.Type != Upstate && c.Type != Webhook && cfg.Secret != "" {
			return invalid("config.secret", "is not used by "+string(c.Type)+" channels")
		}
		return unused(c.Type, cfg.To == "" && cfg.RoutingKey == "" && cfg.BaseURL == "", "config.to, config.routing_key and config.base_url")
	case Email:
		if cfg.To == "" {
			return invalid("config.to", "is required")
		}
		if a, err := mail.ParseAddress(cfg.To); err != nil || a.Name != "" {
			return invalid("config.to", "must be an email address such as ops@example.com")
		}
		return unused(c.Type, cfg.URL == "" && cfg.Secret == "" && cfg.RoutingKey == "" && cfg.BaseURL == "", "config.url, config.secret, config.routing_key and config.base_url")
	case PagerDuty:
		if n := len(cfg.RoutingKey); n == 0 {
			return invalid("config.routing_key", "is required")
		} else if n > 64 || strings.ContainsAny(cfg.RoutingKey, " \t\r\n") {
			return invalid("config.routing_key", "must be a PagerDuty integration key (32 characters)")
		}
		if err := ValidateURL("config.base_url", cfg.BaseURL); err != nil {
			return err
		}
		return unused(c.Type, cfg.URL == "" && cfg.Secret == "" && cfg.To == "", "config.url, config.secret and config.to")
	case "":
		return invalid("type", "is required; valid types are "+typeList())
	default:
		return invalid("type", "must be one of "+typeList())
	}
}

func unused(t Type, ok bool, fields string) error {
	if ok {
		return nil
	}
	return invalid("config", string(t)+" channels do not use "+fields)
}

func typeList() string {
	s := make([]string, len(Types))
	for i, t := range Types {
		s[i] = string(t)
	}
	return strings.Join(s, ", ")
}

// ValidateURL checks an endpoint: absolute http or https, with a host,
// without user information. Where it points is checked when it is
// dialled (netguard), since a name may resolve elsewhere later.
func ValidateURL(field, raw string) error {
	if raw == "" {
		return invalid(field, "is required")
	}
	if len(raw) > maxURLLen {
		return invalid(field, "must be at most 2000 characters")
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.Hostname() == "" {
		return invalid(field, "must be an http or https URL")
	}
	if u.User != nil {
		return invalid(field, "must not carry a user name or password")
	}
	return nil
}

// Masked returns cfg as the API shows it: URLs with their scheme and host
// only (Slack, Discord and Teams URLs carry their credentials in the
// path), the routing key's first four characters, no secret.
func (cfg Config) Masked() Config {
	out := Config{To: cfg.To, BaseURL: cfg.BaseURL, URL: MaskURL(cfg.URL)}
	if cfg.RoutingKey != "" {
		out.RoutingKey = mask(cfg.RoutingKey, 4)
	}
	return out
}

// MaskURL keeps a URL's scheme and host, so that a person recognises it,
// and hides the rest, where credentials are.
func MaskURL(raw string) string {
	if raw == "" {
		return ""
	}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return "…"
	}
	s := u.Scheme + "://" + u.Host
	if u.Path != "" && u.Path != "/" || u.RawQuery != "" {
		s += "/…"
	}
	return s
}

func mask(s string, keep int) string {
	if len(s) <= keep*2 {
		return "…"
	}
	return s[:keep] + "…"
}

// Merge applies an update: the fields set in upd replace c's, so that a
// masked value need not be sent back.
func (cfg Config) Merge(upd Config) Config {
	set := func(dst *string, v string) {
		if strings.TrimSpace(v) != "" {
			*dst = v
		}
	}
	set(&cfg.URL, upd.URL)
	set(&cfg.Secret, upd.Secret)
	set(&cfg.To, upd.To)
	set(&cfg.RoutingKey, upd.RoutingKey)
	set(&cfg.BaseURL, upd.BaseURL)
	return cfg
}

// parseTemplate parses a channel's template; empty is DefaultTemplate.
func parseTemplate(src string) (*template.Template, error) {
	if src == "" {
		src = DefaultTemplate
	}
	return template.New("message").Option("missingkey=error").Parse(src)
}
