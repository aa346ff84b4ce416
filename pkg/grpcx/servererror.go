package grpcx

import (
	"context"
	"errors"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// ServerError maps what a service's error mapper leaves once it has
// mapped the errors of its domain, the same in every service: a request
// its caller cancelled or let time out; the service's own infrastructure
// that cannot be used right now (unavailable reports it), Unavailable
// naming the service; a failed call to another service, the only
// statuses inside a service's errors, which upstream maps by code (nil
// from it, or no upstream: Internal); and anything else, a fault:
// Internal. Messages are chosen here, never taken from err's text.
func ServerError(err error, service string, unavailable func(error) bool, upstream func(codes.Code, error) error) error {
	switch {
	case errors.Is(err, context.Canceled):
		return status.Error(codes.Canceled, "request cancelled")
	case errors.Is(err, context.DeadlineExceeded):
		return status.Error(codes.DeadlineExceeded, "deadline exceeded")
	case unavailable(err):
		return Unavailable("the "+service+" service is temporarily unavailable; retry shortly", err)
	}
	if upstream != nil {
		if st, ok := status.FromError(err); ok {
			if mapped := upstream(st.Code(), err); mapped != nil {
				return mapped
			}
		}
	}
	return Internal(err)
}

// UpstreamUnavailable maps an answer of the service name, called by
// another, that says it could not be reached, did not answer in time or
// was overloaded: Unavailable, which the caller may retry. It returns nil
// for any other code, for the caller's mapping to decide.
func UpstreamUnavailable(name string, code codes.Code, err error) error {
	switch code {
	case codes.Unavailable, codes.DeadlineExceeded, codes.ResourceExhausted:
		return Unavailable("the "+name+" service is unavailable; retry shortly", err)
	}
	return nil
}
