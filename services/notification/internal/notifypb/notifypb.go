// Package notifypb converts between the delivery queue's protobuf
// messages (upstate.notification.v1) and the channel package's types, and
// validates a Notification as Enqueue and the workers read it.
package notifypb

import (
	"encoding/json"
	"net/mail"
	"strings"
	"unicode"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/upstatehq/upstate/pkg/ids"
	notificationv1 "github.com/upstatehq/upstate/proto/gen/upstate/notification/v1"
	"github.com/upstatehq/upstate/services/notification/internal/channel"
	"github.com/upstatehq/upstate/services/notification/internal/channelstore"
)

// Limits of a notification: its idempotency key, an inline webhook's
// prepared body.
const (
	MaxKeyLen  = 200
	MaxBodyLen = 256 << 10
)

var kinds = map[notificationv1.Kind]channel.Kind{
	notificationv1.Kind_KIND_TRIGGER:     channel.Trigger,
	notificationv1.Kind_KIND_ACKNOWLEDGE: channel.Acknowledge,
	notificationv1.Kind_KIND_RESOLVE:     channel.Resolve,
	notificationv1.Kind_KIND_INFO:        channel.Info,
	notificationv1.Kind_KIND_TEST:        channel.Test,
}

var severities = map[notificationv1.Severity]channel.Severity{
	notificationv1.Severity_SEVERITY_UNSPECIFIED: channel.SeverityInfo,
	notificationv1.Severity_SEVERITY_INFO:        channel.SeverityInfo,
	notificationv1.Severity_SEVERITY_WARNING:     channel.SeverityWarning,
	notificationv1.Severity_SEVERITY_CRITICAL:    channel.SeverityCritical,
}

// Content returns c as the channel package reads it; an unknown kind is
// left empty, which ValidateContent refuses.
func Content(c *notificationv1.Content) channel.Content {
	out := channel.Content{
		Kind: kinds[c.GetKind()], Title: c.GetTitle(), Text: c.GetText(), Severity: severities[c.GetSeverity()],
		URL: c.GetUrl(), AlertID: c.GetAlertId(), IncidentID: c.GetIncidentId(),
	}
	if out.Severity == "" {
		out.Severity = "unknown"
	}
	for _, f := range c.GetFields() {
		out.Fields = append(out.Fields, channel.Field{Name: f.GetName(), Value: f.GetValue()})
	}
	return out
}

// Validate checks n as it is enqueued: an organisation, a key, exactly
// one valid destination, valid content.
func Validate(n *notificationv1.Notification) error {
	key := n.GetIdempotencyKey()
	switch {
	case n.GetOrgId() == "":
		return &channel.ValidationError{Field: "org_id", Message: "is required"}
	case key == "" || len(key) > MaxKeyLen || strings.IndexFunc(key, func(r rune) bool { return !unicode.IsPrint(r) || r == ' ' }) >= 0:
		return &channel.ValidationError{Field: "idempotency_key", Message: "must be 1–200 printable characters without spaces"}
	}
	switch d := n.GetDestination().(type) {
	case *notificationv1.Notification_ChannelId:
		if !ids.HasPrefix(d.ChannelId, ids.Channel) {
			return &channel.ValidationError{Field: "channel_id", Message: "must be a channel id (chn_…)"}
		}
	case *notificationv1.Notification_Webhook:
		if err := channel.ValidateURL("webhook.url", d.Webhook.GetUrl()); err != nil {
			return err
		}
		if s := d.Webhook.GetSecret(); s != "" && !strings.HasPrefix(s, "whsec_") {
			return &channel.ValidationError{Field: "webhook.secret", Message: "must be a Standard Webhooks secret (whsec_…)"}
		}
		if b := d.Webhook.GetBody(); b != nil && (len(b) > MaxBodyLen || !json.Valid(b)) {
			return &channel.ValidationError{Field: "webhook.body", Message: "must be a JSON value of at most 256 KiB"}
		}
	case *notificationv1.Notification_Email:
		if a, err := mail.ParseAddress(d.Email.GetAddress()); err != nil || a.Name != "" {
			return &channel.ValidationError{Field: "email.address", Message: "must be an email address"}
		}
	default:
		return &channel.ValidationError{Field: "destination", Message: "one of channel_id, webhook or email is required"}
	}
	return channel.ValidateContent(Content(n.GetContent()))
}

// Inline returns the destination of a notification that names no channel.
func Inline(n *notificationv1.Notification) (channel.Destination, bool) {
	switch d := n.GetDestination().(type) {
	case *notificationv1.Notification_Webhook:
		return channel.Destination{Type: channel.Webhook, Config: channel.Config{URL: d.Webhook.GetUrl(), Secret: d.Webhook.GetSecret()}, Body: d.Webhook.GetBody()}, true
	case *notificationv1.Notification_Email:
		return channel.Destination{Type: channel.Email, Config: channel.Config{To: d.Email.GetAddress()}, Unsubscribe: d.Email.GetUnsubscribe()}, true
	}
	return channel.Destination{}, false
}

var statuses = map[channelstore.Status]notificationv1.NotificationStatus{
	channelstore.Pending:   notificationv1.NotificationStatus_NOTIFICATION_STATUS_PENDING,
	channelstore.Delivered: notificationv1.NotificationStatus_NOTIFICATION_STATUS_DELIVERED,
	channelstore.Dead:      notificationv1.NotificationStatus_NOTIFICATION_STATUS_DEAD,
}

// Status returns the store's status of a filter's status ("" for any).
func Status(s notificationv1.NotificationStatus) channelstore.Status {
	for k, v := range statuses {
		if v == s {
			return k
		}
	}
	return ""
}

// Record returns a notification's history.
func Record(n channelstore.Notification) *notificationv1.NotificationRecord {
	r := &notificationv1.NotificationRecord{
		Id: n.ID, ChannelId: n.ChannelID, AlertId: n.AlertID, IncidentId: n.IncidentID, Status: statuses[n.Status],
		Title: n.Title, Destination: n.Destination, CreatedAt: timestamppb.New(n.CreatedAt),
	}
	for k, v := range kinds {
		if string(v) == n.Kind {
			r.Kind = k
		}
	}
	if n.DeliveredAt != nil {
		r.DeliveredAt = timestamppb.New(*n.DeliveredAt)
	}
	for _, a := range n.Attempts {
		r.Attempts = append(r.Attempts, &notificationv1.Attempt{At: timestamppb.New(a.At), StatusCode: int32(a.StatusCode), LatencyMs: a.Latency.Milliseconds(), Error: a.Error})
	}
	return r
}
