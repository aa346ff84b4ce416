package httpapi

import (
	"net/http"
	"net/url"

	"github.com/labstack/echo/v4"

	notificationv1 "github.com/upstatehq/upstate/proto/gen/upstate/notification/v1"
)

// channelTypeChoices are the channel types the form offers, in the order
// docs/notifications.md lists them.
var channelTypeChoices = []string{"webhook", "slack", "discord", "msteams", "email", "pagerduty", "upstate"}

// channelsPage is the channels, as the REST API shows them (credentials
// masked), and the form to add one; Created is a new channel, whose
// webhook secret it shows once.
type channelsPage struct {
	Channels []channelJSON
	Next     string
	Types    []string
	Created  *channelJSON
}

func (cn *Console) channelsPage(c echo.Context, created *channelJSON) (channelsPage, error) {
	resp, err := invoke(cn.h, c, cn.h.channels.ListChannels, &notificationv1.ListChannelsRequest{OrgId: principal(c).OrgID, PageSize: consoleListSize, PageToken: c.QueryParam("cursor")})
	if err != nil {
		return channelsPage{}, err
	}
	out := channelsPage{Next: resp.GetNextPageToken(), Types: channelTypeChoices, Created: created}
	for _, ch := range resp.GetChannels() {
		out.Channels = append(out.Channels, toChannelJSON(ch))
	}
	return out, nil
}

func (cn *Console) channels(c echo.Context) error {
	out, err := cn.channelsPage(c, nil)
	if err != nil {
		return err
	}
	return cn.render(c, http.StatusOK, "channels", view{Title: "Channels", Section: "/console/channels", Data: out})
}

// createChannel shows a webhook channel's secret in the answer to the
// form, once. The form has every type's fields; the notification service
// refuses those a type does not take, by name.
func (cn *Console) createChannel(c echo.Context) error {
	body := createChannelBody{Name: form(c, "name"), Type: form(c, "type"), Template: form(c, "template"), Config: channelConfigJSON{
		URL: form(c, "url"), Secret: form(c, "secret"), To: form(c, "to"), RoutingKey: form(c, "routing_key"), BaseURL: form(c, "base_url"),
	}}
	var ch channelJSON
	if err := cn.submitDecode(c, http.MethodPost, "/channels", body, &ch); err != nil {
		return err
	}
	out, err := cn.channelsPage(c, &ch)
	if err != nil {
		return err
	}
	return cn.render(c, http.StatusCreated, "channels", view{Title: "Channels", Section: "/console/channels", Data: out})
}

// testChannel sends a test message and shows the channel's history, where
// the test's delivery appears.
func (cn *Console) testChannel(c echo.Context) error {
	if _, err := cn.submit(c, http.MethodPost, "/channels/"+url.PathEscape(c.Param("id"))+"/test", nil); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/console/notifications?channel_id="+url.QueryEscape(c.Param("id")))
}

// notificationsPage is the delivery history, filtered by status and
// channel, with each notification's attempts.
type notificationsPage struct {
	Notifications []notificationJSON
	Next          string
	Status        string
	ChannelID     string
	Statuses      []string
	Channels      map[string]string
}

var notificationStatusChoices = []string{"pending", "delivered", "dead"}

func (cn *Console) notifications(c echo.Context) error {
	out := notificationsPage{Status: c.QueryParam("status"), ChannelID: c.QueryParam("channel_id"), Statuses: notificationStatusChoices, Channels: map[string]string{}}
	req := &notificationv1.ListNotificationsRequest{OrgId: principal(c).OrgID, PageSize: consoleListSize, PageToken: c.QueryParam("cursor"), ChannelId: out.ChannelID}
	if out.Status != "" {
		st, ok := notificationStatuses[out.Status]
		if !ok {
			return errNotificationStatus
		}
		req.Status = st
	}
	ctx, cancel := cn.h.call(c)
	defer cancel()
	chans, err := cn.h.channels.ListChannels(ctx, &notificationv1.ListChannelsRequest{OrgId: principal(c).OrgID, PageSize: consoleListSize})
	if err != nil {
		return fromGRPC(err)
	}
	for _, ch := range chans.GetChannels() {
		out.Channels[ch.GetId()] = ch.GetName()
	}
	resp, err := cn.h.notes.ListNotifications(ctx, req)
	if err != nil {
		return fromGRPC(err)
	}
	out.Next = resp.GetNextPageToken()
	for _, n := range resp.GetNotifications() {
		out.Notifications = append(out.Notifications, toNotificationJSON(n))
	}
	return cn.render(c, http.StatusOK, "notifications", view{Title: "Notifications", Section: "/console/notifications", Data: out})
}

func (cn *Console) retryNotification(c echo.Context) error {
	if _, err := cn.submit(c, http.MethodPost, "/notifications/"+url.PathEscape(c.Param("id"))+"/retry", nil); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/console/notifications?status=pending")
}
