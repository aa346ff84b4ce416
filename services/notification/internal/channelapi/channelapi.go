// Package channelapi serves the ChannelService and NotificationService
// gRPC APIs (channels, and the delivery history with retries by hand)
// over the channel store and the NOTIFY work queue.
package channelapi

import (
	"context"
	"errors"

	"github.com/jonboulle/clockwork"
	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/upstatehq/upstate/pkg/bus"
	"github.com/upstatehq/upstate/pkg/grpcx"
	"github.com/upstatehq/upstate/pkg/ids"
	"github.com/upstatehq/upstate/pkg/pgdb"
	notificationv1 "github.com/upstatehq/upstate/proto/gen/upstate/notification/v1"
	"github.com/upstatehq/upstate/services/notification"
	"github.com/upstatehq/upstate/services/notification/internal/channel"
	"github.com/upstatehq/upstate/services/notification/internal/channelstore"
)

// Server implements notificationv1.ChannelServiceServer and
// notificationv1.NotificationServiceServer.
type Server struct {
	notificationv1.UnimplementedChannelServiceServer
	notificationv1.UnimplementedNotificationServiceServer
	store *channelstore.Store
	js    jetstream.JetStream
	clock clockwork.Clock
}

// New returns the server; js is where test notifications and retries are
// enqueued.
func New(st *channelstore.Store, js jetstream.JetStream, clock clockwork.Clock) *Server {
	return &Server{store: st, js: js, clock: clock}
}

// toStatus maps domain and store errors to gRPC status errors; what names
// the record for NOT_FOUND.
func toStatus(err error, what string) error {
	var verr *channel.ValidationError
	switch {
	case errors.As(err, &verr):
		return grpcx.InvalidField(verr.Field, verr.Message)
	case errors.Is(err, channel.ErrNotFound):
		return status.Error(codes.NotFound, what+" not found")
	case errors.Is(err, channelstore.ErrNameTaken):
		return status.Error(codes.AlreadyExists, "a channel with this name exists")
	case errors.Is(err, channelstore.ErrNotDead):
		return status.Error(codes.FailedPrecondition, "only a dead notification can be retried")
	}
	return grpcx.ServerError(err, "notification", unavailable, nil)
}

// unavailable reports whether err says the database or NATS cannot be
// used right now.
func unavailable(err error) bool { return pgdb.IsUnavailable(err) || bus.IsUnavailable(err) }

var channelTypes = map[notificationv1.ChannelType]channel.Type{
	notificationv1.ChannelType_CHANNEL_TYPE_WEBHOOK:   channel.Webhook,
	notificationv1.ChannelType_CHANNEL_TYPE_SLACK:     channel.Slack,
	notificationv1.ChannelType_CHANNEL_TYPE_DISCORD:   channel.Discord,
	notificationv1.ChannelType_CHANNEL_TYPE_MSTEAMS:   channel.MSTeams,
	notificationv1.ChannelType_CHANNEL_TYPE_EMAIL:     channel.Email,
	notificationv1.ChannelType_CHANNEL_TYPE_PAGERDUTY: channel.PagerDuty,
	notificationv1.ChannelType_CHANNEL_TYPE_UPSTATE:   channel.Upstate,
}

func config(c *notificationv1.ChannelConfig) channel.Config {
	return channel.Config{URL: c.GetUrl(), Secret: c.GetSecret(), To: c.GetTo(), RoutingKey: c.GetRoutingKey(), BaseURL: c.GetBaseUrl()}
}

// channelPB is c as the API answers it, credentials masked.
func channelPB(c channel.Channel) *notificationv1.Channel {
	var t notificationv1.ChannelType
	for k, v := range channelTypes {
		if v == c.Type {
			t = k
		}
	}
	m := c.Config.Masked()
	return &notificationv1.Channel{
		Id: c.ID, OrgId: c.OrgID, Name: c.Name, Type: t, Template: c.Template,
		Config:    &notificationv1.ChannelConfig{Url: m.URL, To: m.To, RoutingKey: m.RoutingKey, BaseUrl: m.BaseURL},
		CreatedAt: timestamppb.New(c.CreatedAt), UpdatedAt: timestamppb.New(c.UpdatedAt),
	}
}

const channelWord = "channel"

// CreateChannel implements the RPC.
func (s *Server) CreateChannel(ctx context.Context, req *notificationv1.CreateChannelRequest) (*notificationv1.CreateChannelResponse, error) {
	if err := grpcx.RequireOrg(req.GetOrgId()); err != nil {
		return nil, err
	}
	now := pgdb.Now(s.clock)
	c := channel.Channel{ID: ids.New(ids.Channel), OrgID: req.GetOrgId(), Name: req.GetName(), Type: channelTypes[req.GetType()],
		Config: config(req.GetConfig()), Template: req.GetTemplate(), CreatedAt: now, UpdatedAt: now}
	if req.GetType() != notificationv1.ChannelType_CHANNEL_TYPE_UNSPECIFIED && c.Type == "" {
		return nil, grpcx.InvalidField("type", "is unknown")
	}
	c.Normalize()
	if c.Type == channel.Webhook && c.Config.Secret != "" {
		return nil, grpcx.InvalidField("config.secret", "is made by upstate for webhook channels and answered once")
	}
	if err := channel.Validate(c); err != nil {
		return nil, toStatus(err, channelWord)
	}
	resp := &notificationv1.CreateChannelResponse{}
	if c.Type == channel.Webhook {
		c.Config.Secret = webhookSecret()
		resp.Secret = c.Config.Secret
	}
	if err := s.store.CreateChannel(ctx, c); err != nil {
		return nil, toStatus(err, channelWord)
	}
	resp.Channel = channelPB(c)
	return resp, nil
}

// GetChannel implements the RPC.
func (s *Server) GetChannel(ctx context.Context, req *notificationv1.GetChannelRequest) (*notificationv1.GetChannelResponse, error) {
	if err := grpcx.RequireOrg(req.GetOrgId()); err != nil {
		return nil, err
	}
	c, err := s.store.GetChannel(ctx, req.GetOrgId(), req.GetChannelId())
	if err != nil {
		return nil, toStatus(err, channelWord)
	}
	return &notificationv1.GetChannelResponse{Channel: channelPB(c)}, nil
}

// ListChannels implements the RPC.
func (s *Server) ListChannels(ctx context.Context, req *notificationv1.ListChannelsRequest) (*notificationv1.ListChannelsResponse, error) {
	size, before, err := grpcx.OrgPage(req)
	if err != nil {
		return nil, err
	}
	list, err := s.store.ListChannels(ctx, req.GetOrgId(), before, size+1)
	if err != nil {
		return nil, toStatus(err, channelWord)
	}
	resp := &notificationv1.ListChannelsResponse{}
	list, resp.NextPageToken = grpcx.CutPage(list, size, func(c channel.Channel) string { return grpcx.EncodeToken(c.ID) })
	for _, c := range list {
		resp.Channels = append(resp.Channels, channelPB(c))
	}
	return resp, nil
}

// UpdateChannel implements the RPC.
func (s *Server) UpdateChannel(ctx context.Context, req *notificationv1.UpdateChannelRequest) (*notificationv1.UpdateChannelResponse, error) {
	if err := grpcx.RequireOrg(req.GetOrgId()); err != nil {
		return nil, err
	}
	c, err := s.store.UpdateChannel(ctx, req.GetOrgId(), req.GetChannelId(), pgdb.Now(s.clock), func(c *channel.Channel) error {
		if req.Name != nil {
			c.Name = req.GetName()
		}
		if req.Template != nil {
			c.Template = req.GetTemplate()
		}
		if req.GetConfig() != nil {
			upd := config(req.GetConfig())
			if c.Type == channel.Webhook && upd.Secret != "" {
				return &channel.ValidationError{Field: "config.secret", Message: "is made by upstate for webhook channels"}
			}
			c.Config = c.Config.Merge(upd)
		}
		c.Normalize()
		return channel.Validate(*c)
	})
	if err != nil {
		return nil, toStatus(err, channelWord)
	}
	return &notificationv1.UpdateChannelResponse{Channel: channelPB(c)}, nil
}

// DeleteChannel implements the RPC.
func (s *Server) DeleteChannel(ctx context.Context, req *notificationv1.DeleteChannelRequest) (*notificationv1.DeleteChannelResponse, error) {
	if err := grpcx.RequireOrg(req.GetOrgId()); err != nil {
		return nil, err
	}
	if err := s.store.DeleteChannel(ctx, req.GetOrgId(), req.GetChannelId()); err != nil {
		return nil, toStatus(err, channelWord)
	}
	return &notificationv1.DeleteChannelResponse{}, nil
}

// TestChannel implements the RPC: a test notification, enqueued like any
// other, whose history says how it went.
func (s *Server) TestChannel(ctx context.Context, req *notificationv1.TestChannelRequest) (*notificationv1.TestChannelResponse, error) {
	if err := grpcx.RequireOrg(req.GetOrgId()); err != nil {
		return nil, err
	}
	c, err := s.store.GetChannel(ctx, req.GetOrgId(), req.GetChannelId())
	if err != nil {
		return nil, toStatus(err, channelWord)
	}
	id := ids.New(ids.Notification)
	n := &notificationv1.Notification{
		Id: id, OrgId: c.OrgID, IdempotencyKey: "test:" + id, Destination: &notificationv1.Notification_ChannelId{ChannelId: c.ID},
		CreatedAt: timestamppb.New(s.clock.Now()), Source: "channel-test",
		Content: &notificationv1.Content{
			Kind: notificationv1.Kind_KIND_TEST, Title: "Test notification from upstate", Severity: notificationv1.Severity_SEVERITY_INFO,
			Text: "This is a test of the channel " + c.Name + ". If you read it, notifications reach you here.",
		},
	}
	if _, err := notification.Enqueue(ctx, s.js, n); err != nil {
		return nil, toStatus(err, channelWord)
	}
	return &notificationv1.TestChannelResponse{NotificationId: id}, nil
}
