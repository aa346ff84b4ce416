// Package httpapi is the public REST API (/api/v1): authentication, scopes,
// validation of the JSON representation, pagination and error mapping. It
// holds no domain logic: service calls go to the status service over gRPC.
package httpapi

import (
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/upstatehq/upstate/pkg/httpx"
	statusv1 "github.com/upstatehq/upstate/proto/gen/upstate/status/v1"
)

// Handler serves the REST API.
type Handler struct {
	status statusv1.ServiceRegistryServiceClient
	keys   Keys
	auth   *Authenticator
	logger *slog.Logger
	// callTimeout bounds each call to a backing service.
	callTimeout time.Duration
}

// NewHandler returns the REST API over its dependencies.
func NewHandler(status statusv1.ServiceRegistryServiceClient, keys Keys, authn *Authenticator, logger *slog.Logger) *Handler {
	return &Handler{status: status, keys: keys, auth: authn, logger: logger, callTimeout: 10 * time.Second}
}

// Register mounts the API under /api/v1 on e.
func Register(e *echo.Echo, h *Handler) {
	registerRoutes(e.Group("/api/v1"), h)
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
