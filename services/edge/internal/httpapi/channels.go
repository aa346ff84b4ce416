package httpapi

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/upstatehq/upstate/pkg/httpx"
	notificationv1 "github.com/upstatehq/upstate/proto/gen/upstate/notification/v1"
)

func (h *Handler) listChannels(c echo.Context) error {
	return listPage(h, c, h.channels.ListChannels, func(c echo.Context, size int32, token string) (*notificationv1.ListChannelsRequest, error) {
		return &notificationv1.ListChannelsRequest{OrgId: principal(c).OrgID, PageSize: size, PageToken: token}, nil
	}, (*notificationv1.ListChannelsResponse).GetChannels, toChannelJSON)
}

func (h *Handler) createChannel(c echo.Context) error {
	req, err := decodeRequest(c, func(b createChannelBody) (*notificationv1.CreateChannelRequest, error) {
		return b.request(principal(c).OrgID)
	})
	if err != nil {
		return err
	}
	resp, err := invoke(h, c, h.channels.CreateChannel, req)
	if err != nil {
		return err
	}
	out := toChannelJSON(resp.GetChannel())
	out.Secret = resp.GetSecret()
	return created(c, "/api/v1/channels/"+out.ID, out)
}

func (h *Handler) getChannel(c echo.Context) error {
	req := &notificationv1.GetChannelRequest{OrgId: principal(c).OrgID, ChannelId: c.Param("id")}
	return reply(h, c, http.StatusOK, h.channels.GetChannel, req, (*notificationv1.GetChannelResponse).GetChannel, toChannelJSON)
}

func (h *Handler) updateChannel(c echo.Context) error {
	return apply(h, c, http.StatusOK, h.channels.UpdateChannel, func(b updateChannelBody) (*notificationv1.UpdateChannelRequest, error) {
		return &notificationv1.UpdateChannelRequest{
			OrgId: principal(c).OrgID, ChannelId: c.Param("id"), Name: b.Name, Template: b.Template, Config: b.Config.proto(),
		}, nil
	}, (*notificationv1.UpdateChannelResponse).GetChannel, toChannelJSON)
}

func (h *Handler) deleteChannel(c echo.Context) error {
	return replyEmpty(h, c, h.channels.DeleteChannel, &notificationv1.DeleteChannelRequest{OrgId: principal(c).OrgID, ChannelId: c.Param("id")})
}

// testChannel enqueues a test message and answers 202 with its id: the
// notification's history says how the delivery went.
func (h *Handler) testChannel(c echo.Context) error {
	resp, err := invoke(h, c, h.channels.TestChannel, &notificationv1.TestChannelRequest{OrgId: principal(c).OrgID, ChannelId: c.Param("id")})
	if err != nil {
		return err
	}
	c.Response().Header().Set(echo.HeaderLocation, "/api/v1/notifications/"+resp.GetNotificationId())
	return c.JSON(http.StatusAccepted, map[string]string{"notification_id": resp.GetNotificationId()})
}

// errNotificationStatus refuses a history filter by an unknown status.
var errNotificationStatus = httpx.Errorf(http.StatusUnprocessableEntity, httpx.CodeInvalidValue, "status must be pending, delivered or dead")

// listNotificationsRequest reads the query of GET /notifications (a
// listQuery): alert_id, channel_id and status (absent lists all).
func listNotificationsRequest(c echo.Context, size int32, token string) (*notificationv1.ListNotificationsRequest, error) {
	req := &notificationv1.ListNotificationsRequest{
		OrgId: principal(c).OrgID, PageSize: size, PageToken: token,
		AlertId: c.QueryParam("alert_id"), ChannelId: c.QueryParam("channel_id"),
	}
	if s := c.QueryParam("status"); s != "" {
		st, ok := notificationStatuses[s]
		if !ok {
			return nil, errNotificationStatus
		}
		req.Status = st
	}
	return req, nil
}

func (h *Handler) listNotifications(c echo.Context) error {
	return listPage(h, c, h.notes.ListNotifications, listNotificationsRequest,
		(*notificationv1.ListNotificationsResponse).GetNotifications, toNotificationJSON)
}

func (h *Handler) getNotification(c echo.Context) error {
	req := &notificationv1.GetNotificationRequest{OrgId: principal(c).OrgID, NotificationId: c.Param("id")}
	return reply(h, c, http.StatusOK, h.notes.GetNotification, req, (*notificationv1.GetNotificationResponse).GetNotification, toNotificationJSON)
}

// retryNotification enqueues a dead notification again: 202 with it,
// pending; 409 if it is not dead.
func (h *Handler) retryNotification(c echo.Context) error {
	req := &notificationv1.RetryNotificationRequest{OrgId: principal(c).OrgID, NotificationId: c.Param("id")}
	return reply(h, c, http.StatusAccepted, h.notes.RetryNotification, req, (*notificationv1.RetryNotificationResponse).GetNotification, toNotificationJSON)
}
