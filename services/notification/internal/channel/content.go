package channel

import (
	"bytes"
	"strings"
	"time"
	"unicode/utf8"
)

// Kind says what a notification tells.
type Kind string

// The kinds of notifications.
const (
	Trigger     Kind = "trigger"
	Acknowledge Kind = "acknowledge"
	Resolve     Kind = "resolve"
	Info        Kind = "info"
	Test        Kind = "test"
)

// Severity is how urgent a notification is.
type Severity string

// The severities; the zero value reads as SeverityInfo.
const (
	SeverityInfo     Severity = "info"
	SeverityWarning  Severity = "warning"
	SeverityCritical Severity = "critical"
)

// Limits of a notification's content.
const (
	MaxTitleLen  = 250
	MaxTextLen   = 4000
	MaxFields    = 20
	maxFieldName = 100
	maxFieldText = 1000
)

// Field is one named value shown with a message.
type Field struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// Content is what a notification says, whatever the channel.
type Content struct {
	Kind       Kind
	Title      string
	Text       string
	Severity   Severity
	URL        string
	AlertID    string
	IncidentID string
	Fields     []Field
}

// Message is one notification as channels render it.
type Message struct {
	// ID is the notification's id: the webhook-id of its deliveries.
	ID        string
	Content   Content
	CreatedAt time.Time
}

// ValidateContent checks a notification's content when it is enqueued.
func ValidateContent(c Content) error {
	switch c.Kind {
	case Trigger, Acknowledge, Resolve, Info, Test:
	case "":
		return invalid("content.kind", "is required")
	default:
		return invalid("content.kind", "must be trigger, acknowledge, resolve, info or test")
	}
	switch c.Severity {
	case "", SeverityInfo, SeverityWarning, SeverityCritical:
	default:
		return invalid("content.severity", "must be info, warning or critical")
	}
	switch {
	case strings.TrimSpace(c.Title) == "":
		return invalid("content.title", "is required")
	case utf8.RuneCountInString(c.Title) > MaxTitleLen:
		return invalid("content.title", "must be at most 250 characters")
	case utf8.RuneCountInString(c.Text) > MaxTextLen:
		return invalid("content.text", "must be at most 4000 characters")
	case len(c.Fields) > MaxFields:
		return invalid("content.fields", "must be at most 20")
	}
	if c.URL != "" {
		if err := ValidateURL("content.url", c.URL); err != nil {
			return err
		}
	}
	for _, f := range c.Fields {
		if f.Name == "" || utf8.RuneCountInString(f.Name) > maxFieldName || utf8.RuneCountInString(f.Value) > maxFieldText {
			return invalid("content.fields", "need a name of 1–100 characters and a value of at most 1000")
		}
	}
	return nil
}

// severity is c's severity, info when unset.
func (c Content) severity() Severity {
	if c.Severity == "" {
		return SeverityInfo
	}
	return c.Severity
}

// DefaultTemplate makes a message's text from its content when the
// channel has no template of its own: the content's text.
const DefaultTemplate = `{{.Text}}`

// templateData is what a channel's template sees.
type templateData struct {
	Kind, Title, Text, Severity, URL, AlertID, IncidentID string
	Fields                                                []Field
}

// Text renders a message's text with a channel's template. A template that
// fails on this message (it parsed when the channel was saved) gives the
// content's own text: a message is better sent plain than not at all. The
// text is cut to MaxTextLen.
func Text(tmpl string, c Content) string {
	text := c.Text
	if t, err := parseTemplate(tmpl); err == nil {
		var b bytes.Buffer
		data := templateData{Kind: string(c.Kind), Title: c.Title, Text: c.Text, Severity: string(c.severity()),
			URL: c.URL, AlertID: c.AlertID, IncidentID: c.IncidentID, Fields: c.Fields}
		if err := t.Execute(&limitWriter{w: &b, n: MaxTextLen * 4}, data); err == nil {
			text = b.String()
		}
	}
	return truncate(strings.TrimSpace(text), MaxTextLen)
}

// limitWriter fails once more than n bytes are written, so that a
// template cannot make a message of any size.
type limitWriter struct {
	w *bytes.Buffer
	n int
}

func (l *limitWriter) Write(p []byte) (int, error) {
	if l.w.Len()+len(p) > l.n {
		return 0, errTooLong
	}
	return l.w.Write(p)
}

var errTooLong = &ValidationError{Field: "template", Message: "renders too long a message"}

// truncate cuts s to at most n characters, marking the cut with "…".
func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}
