package notification

import (
	"context"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/upstatehq/upstate/pkg/bus"
	"github.com/upstatehq/upstate/pkg/ids"
	notificationv1 "github.com/upstatehq/upstate/proto/gen/upstate/notification/v1"
	"github.com/upstatehq/upstate/services/notification/internal/notifypb"
)

// EventType is the ce-type of a Notification on the NOTIFY stream.
const EventType = "upstate.notification.v1.Notification"

// Enqueue puts one outbound message on the NOTIFY work queue and returns
// its id; the notification service's workers deliver it (see notify.proto).
//
// n names its organisation, an idempotency key unique to the message
// within the organisation (e.g. "<alert_id>:<step>:<user_id>"), exactly
// one destination (a channel, or an inline webhook or email recipient)
// and its content. Enqueue fills in id ("ntf_…") and created_at when they
// are unset (set created_at from your clock in tests: retries end 24
// hours after it) and source when empty.
//
// Calling Enqueue again with the same key is safe: within 24 hours
// JetStream drops the copy (the message id is "<org_id>:<key>"), and
// after that the workers find the key in their records and deliver
// nothing twice. An invalid n is refused with a
// *channel.ValidationError-shaped error naming the field, before
// anything is published.
func Enqueue(ctx context.Context, js jetstream.JetStream, n *notificationv1.Notification) (string, error) {
	ev, err := Event(n)
	if err != nil {
		return "", err
	}
	return n.Id, bus.Publish(ctx, js, ev)
}

// Event prepares and checks n as Enqueue does and returns the NOTIFY
// event Enqueue would publish, for a producer that writes it to its
// outbox in the transaction of the change it follows from (pkg/outbox):
// the notification then leaves if and only if the change commits.
func Event(n *notificationv1.Notification) (bus.Event, error) {
	if n.GetId() == "" {
		n.Id = ids.New(ids.Notification)
	}
	if n.GetCreatedAt() == nil {
		n.CreatedAt = timestamppb.Now()
	}
	if n.GetSource() == "" {
		n.Source = "upstate"
	}
	if err := notifypb.Validate(n); err != nil {
		return bus.Event{}, fmt.Errorf("enqueue notification: %w", err)
	}
	return event(n, n.GetOrgId()+":"+n.GetIdempotencyKey())
}

// Requeue publishes n again under a message id of its own (a retry by
// hand of a dead notification, which JetStream would otherwise drop as a
// copy of the first).
func Requeue(ctx context.Context, js jetstream.JetStream, n *notificationv1.Notification, retry string) error {
	ev, err := event(n, n.GetOrgId()+":"+n.GetIdempotencyKey()+":retry:"+retry)
	if err != nil {
		return err
	}
	return bus.Publish(ctx, js, ev)
}

func event(n *notificationv1.Notification, msgID string) (bus.Event, error) {
	data, err := proto.Marshal(n)
	if err != nil {
		return bus.Event{}, fmt.Errorf("enqueue notification %s: %w", n.GetId(), err)
	}
	return bus.Event{
		Subject: bus.NotifySubject(n.GetOrgId(), n.GetId()),
		ID:      msgID,
		Type:    EventType,
		Source:  "upstate/" + n.GetSource(),
		Time:    n.GetCreatedAt().AsTime().In(time.UTC),
		Data:    data,
	}, nil
}
