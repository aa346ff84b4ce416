// Package grpcapi serves the SLA service's gRPC API (SLAService) over the
// store.
package grpcapi

import (
	"context"
	"errors"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/upstatehq/upstate/pkg/grpcx"
	"github.com/upstatehq/upstate/pkg/pgdb"
	"github.com/upstatehq/upstate/services/sla/internal/domain"
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
	case errors.Is(err, context.Canceled):
		return status.Error(codes.Canceled, "request cancelled")
	case errors.Is(err, context.DeadlineExceeded):
		return status.Error(codes.DeadlineExceeded, "deadline exceeded")
	case pgdb.IsUnavailable(err):
		return grpcx.Unavailable("the SLA service is temporarily unavailable; retry shortly", err)
	}
	// The only statuses inside this service's errors are the status
	// service's answers.
	if st, ok := status.FromError(err); ok {
		switch st.Code() {
		case codes.Unavailable, codes.DeadlineExceeded, codes.ResourceExhausted:
			return grpcx.Unavailable("the status service is unavailable; retry shortly", err)
		case codes.Canceled:
			return status.Error(codes.Canceled, "request cancelled")
		}
	}
	return grpcx.Internal(err)
}
