// Package httpapi is the public REST API (/api/v1): authentication, scopes,
// validation of the JSON representation, pagination and error mapping;
// and the operator console (/console, console*.go), HTML pages over the
// same calls, validation and representations. It holds no domain logic:
// calls go to the status, incidents, SLA, alerting, status page and
// notification services over gRPC. Every write, the console's included,
// is recorded in the audit log, written ahead of the change (audit.go).
package httpapi

import (
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/jonboulle/clockwork"
	"github.com/labstack/echo/v4"

	"github.com/upstatehq/upstate/pkg/httpx"
	alertingv1 "github.com/upstatehq/upstate/proto/gen/upstate/alerting/v1"
	incidentsv1 "github.com/upstatehq/upstate/proto/gen/upstate/incidents/v1"
	notificationv1 "github.com/upstatehq/upstate/proto/gen/upstate/notification/v1"
	slav1 "github.com/upstatehq/upstate/proto/gen/upstate/sla/v1"
	statusv1 "github.com/upstatehq/upstate/proto/gen/upstate/status/v1"
	statuspagev1 "github.com/upstatehq/upstate/proto/gen/upstate/statuspage/v1"
)

// Handler serves the REST API.
type Handler struct {
	status       statusv1.ServiceRegistryServiceClient
	receivers    statusv1.ReceiverServiceClient
	incidents    incidentsv1.IncidentServiceClient
	maintenances incidentsv1.MaintenanceServiceClient
	sla          slav1.SLAServiceClient
	rules        alertingv1.RuleServiceClient
	alerts       alertingv1.AlertServiceClient
	silences     alertingv1.SilenceServiceClient
	dependencies alertingv1.DependencyServiceClient
	pages        statuspagev1.StatusPageServiceClient
	users        notificationv1.UserServiceClient
	teams        notificationv1.TeamServiceClient
	schedules    notificationv1.ScheduleServiceClient
	policies     notificationv1.EscalationPolicyServiceClient
	routes       notificationv1.RouteServiceClient
	channels     notificationv1.ChannelServiceClient
	notes        notificationv1.NotificationServiceClient
	keys         Keys
	audits       AuditLog
	auth         *Authenticator
	clock        clockwork.Clock
	logger       *slog.Logger
	// publicURL is where webhook senders reach upstate, without a trailing
	// slash; empty means the scheme and host of each request.
	publicURL string
	// callTimeout bounds each call to a backing service.
	callTimeout time.Duration
	// getRoutes are the patterns of the API's GET routes, where the audit
	// log reads an object before a write changes it.
	getRoutes map[string]bool
}

// Backends are the APIs of the status, incidents, SLA, alerting, status
// page and notification services the REST API calls.
type Backends struct {
	Services     statusv1.ServiceRegistryServiceClient
	Receivers    statusv1.ReceiverServiceClient
	Incidents    incidentsv1.IncidentServiceClient
	Maintenances incidentsv1.MaintenanceServiceClient
	SLA          slav1.SLAServiceClient
	Rules        alertingv1.RuleServiceClient
	Alerts       alertingv1.AlertServiceClient
	Silences     alertingv1.SilenceServiceClient
	Dependencies alertingv1.DependencyServiceClient
	StatusPages  statuspagev1.StatusPageServiceClient
	Users        notificationv1.UserServiceClient
	Teams        notificationv1.TeamServiceClient
	Schedules    notificationv1.ScheduleServiceClient
	Policies     notificationv1.EscalationPolicyServiceClient
	Routes       notificationv1.RouteServiceClient
	// Channels and Notifications are the notification service's channels
	// and delivery history.
	Channels      notificationv1.ChannelServiceClient
	Notifications notificationv1.NotificationServiceClient
}

// NewHandler returns the REST API over its dependencies. publicURL is the
// base of the webhook URLs it shows (e.g. https://status.example.com); empty
// means the scheme and host the request came to. clock dates API keys'
// creation and revocation.
func NewHandler(b Backends, keys Keys, audits AuditLog, authn *Authenticator, publicURL string, clock clockwork.Clock, logger *slog.Logger) *Handler {
	return &Handler{
		status: b.Services, receivers: b.Receivers, incidents: b.Incidents, maintenances: b.Maintenances, sla: b.SLA,
		rules: b.Rules, alerts: b.Alerts, silences: b.Silences, dependencies: b.Dependencies, pages: b.StatusPages,
		users: b.Users, teams: b.Teams, schedules: b.Schedules, policies: b.Policies, routes: b.Routes,
		channels: b.Channels, notes: b.Notifications,
		keys: keys, audits: audits, auth: authn, clock: clock, logger: logger,
		publicURL: strings.TrimRight(publicURL, "/"), callTimeout: 10 * time.Second,
	}
}

// Register mounts the API under /api/v1, and the Statuspage-compatible
// management API under /v1, on e.
func Register(e *echo.Echo, h *Handler) {
	registerRoutes(e.Group("/api/v1"), h)
	registerCompatRoutes(e.Group(compatPrefix, h.spErrors), h)
	h.getRoutes = map[string]bool{}
	for _, r := range e.Routes() {
		if r.Method == http.MethodGet {
			h.getRoutes[r.Path] = true
		}
	}
}

// list is the envelope of every list response.
type list[T any] struct {
	Data       []T    `json:"data"`
	NextCursor string `json:"next_cursor"`
}

// Page sizes of list endpoints.
const (
	defaultLimit = 50
	maxLimit     = 200
)

// pageParams reads ?limit= and ?cursor=.
func pageParams(c echo.Context) (limit int, cursor string, err error) {
	limit = defaultLimit
	if s := c.QueryParam("limit"); s != "" {
		n, convErr := strconv.Atoi(s)
		if convErr != nil || n < 1 || n > maxLimit {
			return 0, "", httpx.Errorf(http.StatusUnprocessableEntity, httpx.CodeInvalidValue,
				"limit must be an integer between 1 and %d", maxLimit)
		}
		limit = n
	}
	return limit, c.QueryParam("cursor"), nil
}
