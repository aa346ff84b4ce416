// Package httpx holds what every upstate HTTP listener shares: the echo
// set-up (request ids, access log, metrics, body limit), the JSON error
// envelope {"error":{"code","message"}}, strict JSON decoding and the
// /healthz, /readyz and /metrics endpoints.
package httpx

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"
)

// Error is an HTTP error with a stable machine-readable code.
type Error struct {
	Status  int
	Code    string
	Message string
	// RetryAfter, when positive, is sent as the Retry-After header in seconds.
	RetryAfter int
}

func (e *Error) Error() string { return fmt.Sprintf("%d %s: %s", e.Status, e.Code, e.Message) }

// Errorf returns an *Error with a formatted message.
func Errorf(status int, code, format string, args ...any) *Error {
	return &Error{Status: status, Code: code, Message: fmt.Sprintf(format, args...)}
}

// The error codes of the REST contract, one per status.
const (
	CodeBadRequest           = "bad_request"
	CodeUnauthorized         = "unauthorized"
	CodeForbidden            = "forbidden"
	CodeNotFound             = "not_found"
	CodeMethodNotAllowed     = "method_not_allowed"
	CodeConflict             = "conflict"
	CodePayloadTooLarge      = "payload_too_large"
	CodeUnsupportedMediaType = "unsupported_media_type"
	CodeInvalidValue         = "invalid_value"
	CodeRateLimited          = "rate_limited"
	CodeUnavailable          = "unavailable"
	CodeInternal             = "internal"
)

// codeByStatus names echo's own errors (unknown route, body limit, …).
var codeByStatus = map[int]string{
	http.StatusBadRequest:            CodeBadRequest,
	http.StatusUnauthorized:          CodeUnauthorized,
	http.StatusForbidden:             CodeForbidden,
	http.StatusNotFound:              CodeNotFound,
	http.StatusMethodNotAllowed:      CodeMethodNotAllowed,
	http.StatusConflict:              CodeConflict,
	http.StatusRequestEntityTooLarge: CodePayloadTooLarge,
	http.StatusUnsupportedMediaType:  CodeUnsupportedMediaType,
	http.StatusUnprocessableEntity:   CodeInvalidValue,
	http.StatusTooManyRequests:       CodeRateLimited,
	http.StatusServiceUnavailable:    CodeUnavailable,
}

type envelope struct {
	Error body `json:"error"`
}

type body struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// ErrorHandler renders every error as the JSON envelope. Errors that are
// neither *Error nor echo's are internal: logged here, hidden from clients.
func ErrorHandler(logger *slog.Logger) echo.HTTPErrorHandler {
	return func(err error, c echo.Context) {
		if c.Response().Committed {
			return
		}
		e := ToError(err)
		if e.Status >= 500 {
			logger.ErrorContext(c.Request().Context(), "request failed",
				"method", c.Request().Method, "route", c.Path(), "status", e.Status, "err", err)
		}
		if e.RetryAfter > 0 {
			c.Response().Header().Set("Retry-After", strconv.Itoa(e.RetryAfter))
		}
		var werr error
		if c.Request().Method == http.MethodHead {
			werr = c.NoContent(e.Status)
		} else {
			werr = c.JSON(e.Status, envelope{body{Code: e.Code, Message: e.Message}})
		}
		if werr != nil {
			logger.DebugContext(c.Request().Context(), "write error response", "err", werr)
		}
	}
}

// ToError is the *Error a handler's error is answered with: itself, echo's
// errors by their status, anything else 500 "internal error".
func ToError(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	var he *echo.HTTPError
	if errors.As(err, &he) {
		code, ok := codeByStatus[he.Code]
		if !ok {
			return &Error{Status: http.StatusInternalServerError, Code: CodeInternal, Message: "internal error"}
		}
		msg := http.StatusText(he.Code)
		if s, ok := he.Message.(string); ok && s != "" {
			msg = s
		}
		if he.Code == http.StatusNotFound {
			msg = "no such route"
		}
		return &Error{Status: he.Code, Code: code, Message: msg}
	}
	return &Error{Status: http.StatusInternalServerError, Code: CodeInternal, Message: "internal error"}
}

// UnavailableRetryAfter is the Retry-After, in seconds, suggested while a
// dependency is down.
const UnavailableRetryAfter = 5

// Unavailable answers 503 with Retry-After and message, keeping cause
// joined for the error handler's log line (clients never see it).
func Unavailable(message string, cause error) error {
	e := Errorf(http.StatusServiceUnavailable, CodeUnavailable, "%s", message)
	e.RetryAfter = UnavailableRetryAfter
	return errors.Join(e, cause)
}
