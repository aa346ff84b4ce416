package channelapi

import (
	"context"
	"fmt"

	"google.golang.org/protobuf/proto"

	"github.com/upstatehq/upstate/pkg/grpcx"
	"github.com/upstatehq/upstate/pkg/pgdb"
	notificationv1 "github.com/upstatehq/upstate/proto/gen/upstate/notification/v1"
	"github.com/upstatehq/upstate/services/notification"
	"github.com/upstatehq/upstate/services/notification/internal/channelstore"
	"github.com/upstatehq/upstate/services/notification/internal/notifypb"
	"github.com/upstatehq/upstate/webhook"
)

const notificationWord = "notification"

// webhookSecret is a new webhook channel's signing secret.
func webhookSecret() string { return webhook.NewStandardSecret() }

// ListNotifications implements the RPC.
func (s *Server) ListNotifications(ctx context.Context, req *notificationv1.ListNotificationsRequest) (*notificationv1.ListNotificationsResponse, error) {
	size, before, err := grpcx.OrgPage(req)
	if err != nil {
		return nil, err
	}
	f := channelstore.Filter{AlertID: req.GetAlertId(), ChannelID: req.GetChannelId(), Status: notifypb.Status(req.GetStatus())}
	list, err := s.store.ListNotifications(ctx, req.GetOrgId(), f, before, size+1)
	if err != nil {
		return nil, toStatus(err, notificationWord)
	}
	resp := &notificationv1.ListNotificationsResponse{}
	list, resp.NextPageToken = grpcx.CutPage(list, size, func(n channelstore.Notification) string { return grpcx.EncodeToken(n.ID) })
	for _, n := range list {
		resp.Notifications = append(resp.Notifications, notifypb.Record(n))
	}
	return resp, nil
}

// GetNotification implements the RPC.
func (s *Server) GetNotification(ctx context.Context, req *notificationv1.GetNotificationRequest) (*notificationv1.GetNotificationResponse, error) {
	if err := grpcx.RequireOrg(req.GetOrgId()); err != nil {
		return nil, err
	}
	n, err := s.store.GetNotification(ctx, req.GetOrgId(), req.GetNotificationId())
	if err != nil {
		return nil, toStatus(err, notificationWord)
	}
	return &notificationv1.GetNotificationResponse{Notification: notifypb.Record(n)}, nil
}

// RetryNotification implements the RPC: the dead notification is pending
// again and enqueued anew, for another 24 hours of attempts.
func (s *Server) RetryNotification(ctx context.Context, req *notificationv1.RetryNotificationRequest) (*notificationv1.RetryNotificationResponse, error) {
	if err := grpcx.RequireOrg(req.GetOrgId()); err != nil {
		return nil, err
	}
	now := pgdb.Now(s.clock)
	n, err := s.store.Revive(ctx, req.GetOrgId(), req.GetNotificationId(), now)
	if err != nil {
		return nil, toStatus(err, notificationWord)
	}
	var msg notificationv1.Notification
	if err := proto.Unmarshal(n.Message, &msg); err != nil {
		return nil, toStatus(fmt.Errorf("decode notification %s: %w", n.ID, err), notificationWord)
	}
	// The stored notification is the one delivered: its id, whatever id a
	// later copy of its key carried.
	msg.Id = n.ID
	if err := notification.Requeue(ctx, s.js, &msg, fmt.Sprint(now.UnixNano())); err != nil {
		// Not enqueued: dead again, so that it can be retried again
		// rather than wait as pending for a message that does not exist.
		if _, derr := s.store.Finish(context.WithoutCancel(ctx), n.ID, channelstore.Dead, nil, now); derr != nil {
			return nil, toStatus(derr, notificationWord)
		}
		return nil, toStatus(err, notificationWord)
	}
	return &notificationv1.RetryNotificationResponse{Notification: notifypb.Record(n)}, nil
}
