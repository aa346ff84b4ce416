package httpapi

import (
	"net/http"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/upstatehq/upstate/pkg/httpx"
)

// fromGRPC maps an error from a backing service to the REST error once, at
// the edge: the owning service decided what went wrong, the edge says it in
// HTTP.
func fromGRPC(err error) error {
	st, ok := status.FromError(err)
	if !ok {
		return err
	}
	msg := st.Message()
	switch st.Code() {
	case codes.InvalidArgument, codes.OutOfRange:
		return httpx.Errorf(http.StatusUnprocessableEntity, httpx.CodeInvalidValue, "%s", msg)
	case codes.NotFound:
		return httpx.Errorf(http.StatusNotFound, httpx.CodeNotFound, "%s", msg)
	case codes.AlreadyExists, codes.Aborted, codes.FailedPrecondition:
		return httpx.Errorf(http.StatusConflict, httpx.CodeConflict, "%s", msg)
	case codes.PermissionDenied:
		return httpx.Errorf(http.StatusForbidden, httpx.CodeForbidden, "%s", msg)
	case codes.Unauthenticated:
		return httpx.Errorf(http.StatusUnauthorized, httpx.CodeUnauthorized, "%s", msg)
	case codes.ResourceExhausted:
		e := httpx.Errorf(http.StatusTooManyRequests, httpx.CodeRateLimited, "%s", msg)
		e.RetryAfter = httpx.UnavailableRetryAfter
		return e
	case codes.Unavailable, codes.DeadlineExceeded, codes.Canceled:
		return unavailable(err)
	default:
		return err // logged and answered as 500 by the error handler
	}
}

// unavailable answers 503 with Retry-After, keeping the cause for the log.
func unavailable(cause error) error {
	return httpx.Unavailable("a backing service is unavailable; retry shortly", cause)
}
