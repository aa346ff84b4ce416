package domain

import (
	"net/mail"
	"net/url"
	"slices"
	"strings"
	"time"
)

// Subscriber kinds.
const (
	KindEmail   = "email"
	KindWebhook = "webhook"
)

// Subscriber is someone notified of a page's changes.
type Subscriber struct {
	ID     string
	PageID string
	Kind   string
	Email  string
	URL    string
	// ComponentIDs are the components subscribed to; none: all.
	ComponentIDs []string
	ConfirmedAt  *time.Time
	CreatedAt    time.Time
}

// Wants reports whether a change of the component concerns the
// subscriber; an empty component concerns every subscriber.
func (s Subscriber) Wants(componentIDs ...string) bool {
	if len(s.ComponentIDs) == 0 || len(componentIDs) == 0 {
		return true
	}
	for _, id := range componentIDs {
		if slices.Contains(s.ComponentIDs, id) {
			return true
		}
	}
	return false
}

// ValidateSubscriber checks a new subscriber: exactly one of an email
// address and an http(s) URL, and components of the page.
func ValidateSubscriber(s Subscriber, page Page) error {
	switch {
	case s.Email != "" && s.URL != "":
		return invalid("subscriber", "give an email or a webhook URL, not both")
	case s.Email != "":
		a, err := mail.ParseAddress(s.Email)
		if err != nil || a.Address != s.Email || len(s.Email) > 254 {
			return invalid("email", "%q is not an email address", s.Email)
		}
	case s.URL != "":
		u, err := url.Parse(s.URL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil || len(s.URL) > 2000 {
			return invalid("endpoint", "must be an http(s) URL")
		}
	default:
		return invalid("subscriber", "an email or a webhook endpoint is required")
	}
	for _, id := range s.ComponentIDs {
		found := slices.ContainsFunc(page.Components, func(c Component) bool { return c.ID == id })
		if !found {
			return invalid("components", "%s is not a component of the page", id)
		}
	}
	return nil
}

// KindOf is the kind of a subscriber with an email or a URL.
func KindOf(email string) string {
	if strings.TrimSpace(email) != "" {
		return KindEmail
	}
	return KindWebhook
}
