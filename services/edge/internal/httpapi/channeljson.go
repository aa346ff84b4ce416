package httpapi

import (
	"net/http"
	"strings"
	"time"

	"github.com/upstatehq/upstate/pkg/httpx"
	notificationv1 "github.com/upstatehq/upstate/proto/gen/upstate/notification/v1"
)

// channelTypes are the REST names of channel types.
var channelTypes = map[string]notificationv1.ChannelType{
	"webhook":   notificationv1.ChannelType_CHANNEL_TYPE_WEBHOOK,
	"slack":     notificationv1.ChannelType_CHANNEL_TYPE_SLACK,
	"discord":   notificationv1.ChannelType_CHANNEL_TYPE_DISCORD,
	"msteams":   notificationv1.ChannelType_CHANNEL_TYPE_MSTEAMS,
	"email":     notificationv1.ChannelType_CHANNEL_TYPE_EMAIL,
	"pagerduty": notificationv1.ChannelType_CHANNEL_TYPE_PAGERDUTY,
	"upstate":   notificationv1.ChannelType_CHANNEL_TYPE_UPSTATE,
}

func channelTypeName(t notificationv1.ChannelType) string {
	for k, v := range channelTypes {
		if v == t {
			return k
		}
	}
	return ""
}

// channelConfigJSON is a channel's config; read back, credentials are
// masked and secret is absent.
type channelConfigJSON struct {
	URL        string `json:"url,omitempty"`
	Secret     string `json:"secret,omitempty"`
	To         string `json:"to,omitempty"`
	RoutingKey string `json:"routing_key,omitempty"`
	BaseURL    string `json:"base_url,omitempty"`
}

func (c *channelConfigJSON) proto() *notificationv1.ChannelConfig {
	if c == nil {
		return nil
	}
	return &notificationv1.ChannelConfig{Url: c.URL, Secret: c.Secret, To: c.To, RoutingKey: c.RoutingKey, BaseUrl: c.BaseURL}
}

// channelJSON is the REST representation of a channel.
type channelJSON struct {
	ID        string            `json:"id"`
	OrgID     string            `json:"org_id"`
	Name      string            `json:"name"`
	Type      string            `json:"type"`
	Config    channelConfigJSON `json:"config"`
	Template  string            `json:"template"`
	CreatedAt time.Time         `json:"created_at"`
	UpdatedAt time.Time         `json:"updated_at"`
	// Secret is a webhook channel's signing secret, answered once.
	Secret string `json:"secret,omitempty"`
}

func toChannelJSON(c *notificationv1.Channel) channelJSON {
	cfg := c.GetConfig()
	return channelJSON{
		ID: c.GetId(), OrgID: c.GetOrgId(), Name: c.GetName(), Type: channelTypeName(c.GetType()), Template: c.GetTemplate(),
		Config:    channelConfigJSON{URL: cfg.GetUrl(), To: cfg.GetTo(), RoutingKey: cfg.GetRoutingKey(), BaseURL: cfg.GetBaseUrl()},
		CreatedAt: c.GetCreatedAt().AsTime(), UpdatedAt: c.GetUpdatedAt().AsTime(),
	}
}

// createChannelBody is the body of POST /channels.
type createChannelBody struct {
	Name     string            `json:"name"`
	Type     string            `json:"type"`
	Config   channelConfigJSON `json:"config"`
	Template string            `json:"template"`
}

func (b createChannelBody) request(orgID string) (*notificationv1.CreateChannelRequest, error) {
	t, ok := channelTypes[strings.ToLower(strings.TrimSpace(b.Type))]
	if !ok {
		return nil, httpx.Errorf(http.StatusUnprocessableEntity, httpx.CodeInvalidValue,
			"type must be one of webhook, slack, discord, msteams, email, pagerduty, upstate")
	}
	return &notificationv1.CreateChannelRequest{OrgId: orgID, Name: b.Name, Type: t, Config: b.Config.proto(), Template: b.Template}, nil
}

// updateChannelBody is the body of PATCH /channels/{id}: fields left out
// keep their value, and so do config fields left empty.
type updateChannelBody struct {
	Name     *string            `json:"name"`
	Config   *channelConfigJSON `json:"config"`
	Template *string            `json:"template"`
}

// notificationStatuses are the REST names of notification statuses.
var notificationStatuses = map[string]notificationv1.NotificationStatus{
	"pending":   notificationv1.NotificationStatus_NOTIFICATION_STATUS_PENDING,
	"delivered": notificationv1.NotificationStatus_NOTIFICATION_STATUS_DELIVERED,
	"dead":      notificationv1.NotificationStatus_NOTIFICATION_STATUS_DEAD,
}

var notificationKinds = map[notificationv1.Kind]string{
	notificationv1.Kind_KIND_TRIGGER: "trigger", notificationv1.Kind_KIND_ACKNOWLEDGE: "acknowledge",
	notificationv1.Kind_KIND_RESOLVE: "resolve", notificationv1.Kind_KIND_INFO: "info", notificationv1.Kind_KIND_TEST: "test",
}

// attemptJSON is one delivery attempt.
type attemptJSON struct {
	At         time.Time `json:"at"`
	StatusCode int32     `json:"status_code"`
	LatencyMS  int64     `json:"latency_ms"`
	Error      string    `json:"error"`
}

// notificationJSON is the REST representation of a notification's history.
type notificationJSON struct {
	ID          string        `json:"id"`
	ChannelID   *string       `json:"channel_id"`
	AlertID     *string       `json:"alert_id"`
	IncidentID  *string       `json:"incident_id"`
	Status      string        `json:"status"`
	Kind        string        `json:"kind"`
	Title       string        `json:"title"`
	Destination string        `json:"destination"`
	Attempts    []attemptJSON `json:"attempts"`
	CreatedAt   time.Time     `json:"created_at"`
	DeliveredAt *time.Time    `json:"delivered_at"`
}

func toNotificationJSON(n *notificationv1.NotificationRecord) notificationJSON {
	out := notificationJSON{
		ID: n.GetId(), ChannelID: optionalString(n.GetChannelId()), AlertID: optionalString(n.GetAlertId()), IncidentID: optionalString(n.GetIncidentId()),
		Kind: notificationKinds[n.GetKind()], Title: n.GetTitle(), Destination: n.GetDestination(),
		Attempts: []attemptJSON{}, CreatedAt: n.GetCreatedAt().AsTime(),
	}
	for k, v := range notificationStatuses {
		if v == n.GetStatus() {
			out.Status = k
		}
	}
	if n.GetDeliveredAt() != nil {
		t := n.GetDeliveredAt().AsTime()
		out.DeliveredAt = &t
	}
	for _, a := range n.GetAttempts() {
		out.Attempts = append(out.Attempts, attemptJSON{At: a.GetAt().AsTime(), StatusCode: a.GetStatusCode(), LatencyMS: a.GetLatencyMs(), Error: a.GetError()})
	}
	return out
}
