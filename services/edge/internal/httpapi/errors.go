package httpapi

import (
	"net/http"
	"strings"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/upstatehq/upstate/pkg/grpcx"
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
		return invalidArgument(err, msg)
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

// invalidArgument maps a request the owning service refused, by the field
// violations it names (errdetails.BadRequest), never by its wording: a bad
// page token is a cursor the client did not get from a listing (400), any
// other field an invalid value (422), named in the message.
func invalidArgument(err error, msg string) error {
	violations := grpcx.FieldViolations(err)
	named := make([]string, 0, len(violations))
	for _, v := range violations {
		if v.Field == grpcx.PageTokenField {
			return errMalformedCursor()
		}
		named = append(named, v.String())
	}
	if len(named) > 0 {
		msg = strings.Join(named, "; ")
	}
	return httpx.Errorf(http.StatusUnprocessableEntity, httpx.CodeInvalidValue, "%s", msg)
}

// errMalformedCursor is the answer to a cursor that no listing handed out.
func errMalformedCursor() error {
	return httpx.Errorf(http.StatusBadRequest, httpx.CodeBadRequest, "cursor is malformed; pass next_cursor from the previous page")
}

// unavailable answers 503 with Retry-After, keeping the cause for the log.
func unavailable(cause error) error {
	return httpx.Unavailable("a backing service is unavailable; retry shortly", cause)
}
