package engine

import (
	"fmt"
	"strings"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/upstatehq/upstate/pkg/ids"
	notificationv1 "github.com/upstatehq/upstate/proto/gen/upstate/notification/v1"
	"github.com/upstatehq/upstate/services/notification/internal/escalation"
)

// Source names the escalation engine as a notification's producer.
const Source = "escalation"

var severities = map[string]notificationv1.Severity{
	"info":     notificationv1.Severity_SEVERITY_INFO,
	"warning":  notificationv1.Severity_SEVERITY_WARNING,
	"critical": notificationv1.Severity_SEVERITY_CRITICAL,
}

// Message is the notification of n about e's alert, at now. Its title
// names the rule and service; its kind (trigger, acknowledge, resolve)
// says what happened, which each channel marks its own way. The recipient
// is a channel, or a user reached by email at the address email.
func Message(e Escalation, n escalation.Notification, email string, now time.Time) *notificationv1.Notification {
	a := e.Alert
	what := a.RuleName
	if a.ServiceName != "" {
		what += " on " + a.ServiceName
	}
	c := &notificationv1.Content{
		Title:    what,
		Severity: severities[a.Severity],
		AlertId:  a.ID,
		Fields: []*notificationv1.Field{
			{Name: "Rule", Value: a.RuleName},
			{Name: "Service", Value: a.ServiceName},
			{Name: "Alert", Value: a.ID},
		},
	}
	switch n.Kind {
	case escalation.Resolution:
		c.Kind = notificationv1.Kind_KIND_RESOLVE
		c.Text = fmt.Sprintf("The alert %s fired at %s is resolved.", a.ID, a.FiredAt.UTC().Format(time.RFC3339))
	case escalation.Acknowledgement:
		c.Kind = notificationv1.Kind_KIND_ACKNOWLEDGE
		c.Text = fmt.Sprintf("The alert %s fired at %s is acknowledged.", a.ID, a.FiredAt.UTC().Format(time.RFC3339))
	default:
		c.Kind = notificationv1.Kind_KIND_TRIGGER
		c.Text = fmt.Sprintf("The alert %s has been firing since %s and nobody has acknowledged it (escalation step %d).",
			a.ID, a.FiredAt.UTC().Format(time.RFC3339), n.Step+1)
		if n.Round > 0 {
			c.Text = strings.TrimSuffix(c.Text, ").") + fmt.Sprintf(", repeat %d).", n.Round)
		}
	}
	msg := &notificationv1.Notification{
		OrgId: a.OrgID, IdempotencyKey: n.Key, Content: c, CreatedAt: timestamppb.New(now), Source: Source,
	}
	if ids.HasPrefix(n.Recipient, ids.Channel) {
		msg.Destination = &notificationv1.Notification_ChannelId{ChannelId: n.Recipient}
	} else {
		msg.Destination = &notificationv1.Notification_Email{Email: &notificationv1.EmailDestination{Address: email}}
	}
	return msg
}
