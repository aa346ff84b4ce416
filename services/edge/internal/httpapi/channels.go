package httpapi

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/upstatehq/upstate/pkg/httpx"
	notificationv1 "github.com/upstatehq/upstate/proto/gen/upstate/notification/v1"
)

func (h *Handler) listChannels(c echo.Context) error {
	limit, cursor, err := pageParams(c)
	if err != nil {
		return err
	}
	ctx, cancel := h.call(c)
	defer cancel()
	resp, err := h.channels.ListChannels(ctx, &notificationv1.ListChannelsRequest{OrgId: principal(c).OrgID, PageSize: int32(limit), PageToken: cursor})
	if err != nil {
		return fromGRPC(err)
	}
	out := list[channelJSON]{Data: []channelJSON{}, NextCursor: resp.GetNextPageToken()}
	for _, ch := range resp.GetChannels() {
		out.Data = append(out.Data, toChannelJSON(ch))
	}
	return c.JSON(http.StatusOK, out)
}

func (h *Handler) createChannel(c echo.Context) error {
	var body createChannelBody
	if err := httpx.DecodeJSON(c, &body); err != nil {
		return err
	}
	req, err := body.request(principal(c).OrgID)
	if err != nil {
		return err
	}
	ctx, cancel := h.call(c)
	defer cancel()
	resp, err := h.channels.CreateChannel(ctx, req)
	if err != nil {
		return fromGRPC(err)
	}
	out := toChannelJSON(resp.GetChannel())
	out.Secret = resp.GetSecret()
	c.Response().Header().Set(echo.HeaderLocation, "/api/v1/channels/"+out.ID)
	return c.JSON(http.StatusCreated, out)
}

func (h *Handler) getChannel(c echo.Context) error {
	ctx, cancel := h.call(c)
	defer cancel()
	resp, err := h.channels.GetChannel(ctx, &notificationv1.GetChannelRequest{OrgId: principal(c).OrgID, ChannelId: c.Param("id")})
	if err != nil {
		return fromGRPC(err)
	}
	return c.JSON(http.StatusOK, toChannelJSON(resp.GetChannel()))
}

func (h *Handler) updateChannel(c echo.Context) error {
	var body updateChannelBody
	if err := httpx.DecodeJSON(c, &body); err != nil {
		return err
	}
	ctx, cancel := h.call(c)
	defer cancel()
	resp, err := h.channels.UpdateChannel(ctx, &notificationv1.UpdateChannelRequest{
		OrgId: principal(c).OrgID, ChannelId: c.Param("id"), Name: body.Name, Template: body.Template, Config: body.Config.proto(),
	})
	if err != nil {
		return fromGRPC(err)
	}
	return c.JSON(http.StatusOK, toChannelJSON(resp.GetChannel()))
}

func (h *Handler) deleteChannel(c echo.Context) error {
	ctx, cancel := h.call(c)
	defer cancel()
	if _, err := h.channels.DeleteChannel(ctx, &notificationv1.DeleteChannelRequest{OrgId: principal(c).OrgID, ChannelId: c.Param("id")}); err != nil {
		return fromGRPC(err)
	}
	return c.NoContent(http.StatusNoContent)
}

// testChannel enqueues a test message and answers 202 with its id: the
// notification's history says how the delivery went.
func (h *Handler) testChannel(c echo.Context) error {
	ctx, cancel := h.call(c)
	defer cancel()
	resp, err := h.channels.TestChannel(ctx, &notificationv1.TestChannelRequest{OrgId: principal(c).OrgID, ChannelId: c.Param("id")})
	if err != nil {
		return fromGRPC(err)
	}
	c.Response().Header().Set(echo.HeaderLocation, "/api/v1/notifications/"+resp.GetNotificationId())
	return c.JSON(http.StatusAccepted, map[string]string{"notification_id": resp.GetNotificationId()})
}

// errNotificationStatus refuses a history filter by an unknown status.
var errNotificationStatus = httpx.Errorf(http.StatusUnprocessableEntity, httpx.CodeInvalidValue, "status must be pending, delivered or dead")

func (h *Handler) listNotifications(c echo.Context) error {
	limit, cursor, err := pageParams(c)
	if err != nil {
		return err
	}
	req := &notificationv1.ListNotificationsRequest{
		OrgId: principal(c).OrgID, PageSize: int32(limit), PageToken: cursor,
		AlertId: c.QueryParam("alert_id"), ChannelId: c.QueryParam("channel_id"),
	}
	if s := c.QueryParam("status"); s != "" {
		st, ok := notificationStatuses[s]
		if !ok {
			return errNotificationStatus
		}
		req.Status = st
	}
	ctx, cancel := h.call(c)
	defer cancel()
	resp, err := h.notes.ListNotifications(ctx, req)
	if err != nil {
		return fromGRPC(err)
	}
	out := list[notificationJSON]{Data: []notificationJSON{}, NextCursor: resp.GetNextPageToken()}
	for _, n := range resp.GetNotifications() {
		out.Data = append(out.Data, toNotificationJSON(n))
	}
	return c.JSON(http.StatusOK, out)
}

func (h *Handler) getNotification(c echo.Context) error {
	ctx, cancel := h.call(c)
	defer cancel()
	resp, err := h.notes.GetNotification(ctx, &notificationv1.GetNotificationRequest{OrgId: principal(c).OrgID, NotificationId: c.Param("id")})
	if err != nil {
		return fromGRPC(err)
	}
	return c.JSON(http.StatusOK, toNotificationJSON(resp.GetNotification()))
}

// retryNotification enqueues a dead notification again: 202 with it,
// pending; 409 if it is not dead.
func (h *Handler) retryNotification(c echo.Context) error {
	ctx, cancel := h.call(c)
	defer cancel()
	resp, err := h.notes.RetryNotification(ctx, &notificationv1.RetryNotificationRequest{OrgId: principal(c).OrgID, NotificationId: c.Param("id")})
	if err != nil {
		return fromGRPC(err)
	}
	return c.JSON(http.StatusAccepted, toNotificationJSON(resp.GetNotification()))
}
