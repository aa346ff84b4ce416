package grpcapi

import (
	"errors"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/upstatehq/upstate/pkg/grpcx"
	"github.com/upstatehq/upstate/pkg/pgdb"
	"github.com/upstatehq/upstate/services/statuspage/internal/domain"
)

// toStatus maps domain and context errors to gRPC status errors, once, at
// the transport boundary; what names the record for NOT_FOUND. Messages
// are chosen here, never taken from the error's text.
func toStatus(err error, what string) error {
	var verr *domain.ValidationError
	switch {
	case errors.As(err, &verr):
		return grpcx.InvalidField(verr.Field, verr.Message)
	case errors.Is(err, domain.ErrNotFound):
		return status.Error(codes.NotFound, what+" not found")
	case errors.Is(err, domain.ErrSlugTaken):
		return status.Error(codes.AlreadyExists, "another status page has this slug")
	case errors.Is(err, domain.ErrDomainTaken):
		return status.Error(codes.AlreadyExists, "another status page has this custom domain")
	}
	// The only statuses inside this service's errors are the status
	// service's answers.
	return grpcx.ServerError(err, "status page", pgdb.IsUnavailable, fromStatusService)
}

// fromStatusService maps the status service's answers: those callers may
// retry, and a call cancelled with the request; the others are faults of
// this side.
func fromStatusService(code codes.Code, err error) error {
	if code == codes.Canceled {
		return status.Error(codes.Canceled, "request cancelled")
	}
	return grpcx.UpstreamUnavailable("status", code, err)
}
