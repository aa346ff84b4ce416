// Package grpcapi serves the incidents service's gRPC API (IncidentService
// and MaintenanceService) over the store and the scheduler.
package grpcapi

import (
	"context"
	"errors"
	"fmt"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/upstatehq/upstate/pkg/grpcx"
	"github.com/upstatehq/upstate/pkg/pgdb"
	statusv1 "github.com/upstatehq/upstate/proto/gen/upstate/status/v1"
	"github.com/upstatehq/upstate/services/incidents/internal/domain"
	"github.com/upstatehq/upstate/services/incidents/internal/store"
)

// toStatus maps domain and context errors to gRPC status errors, once, at
// the transport boundary. what names the record for NOT_FOUND. Messages
// are chosen here, never taken from the error's text, which may hold store
// details or another service's answer: a database that cannot be used
// right now is Unavailable, which callers retry; anything unexpected is
// Internal. The server logs the cause of either with the request id.
func toStatus(err error, what string) error {
	var verr *domain.ValidationError
	var terr *domain.TransitionError
	switch {
	case errors.As(err, &verr):
		return grpcx.InvalidField(verr.Field, verr.Message)
	case errors.As(err, &terr):
		return status.Error(codes.FailedPrecondition, terr.Reason)
	case errors.Is(err, domain.ErrNotFound):
		return status.Error(codes.NotFound, what+" not found")
	case errors.Is(err, store.ErrBusy):
		return grpcx.Unavailable(store.ErrBusy.Error()+"; retry shortly", err)
	}
	// The only statuses inside this service's errors are the answers of
	// the status service, which it calls.
	return grpcx.ServerError(err, "incidents", pgdb.IsUnavailable, fromStatusService)
}

// fromStatusService maps an error of a call to the status service, which
// is never relayed as it is: its message was written for this service,
// not for this service's callers, and may hold details of the status
// service. The cases the callers handle themselves (an unknown service
// id, a conditional report that lost a race) are mapped where they
// happen.
func fromStatusService(code codes.Code, err error) error {
	if st := grpcx.UpstreamUnavailable("status", code, err); st != nil {
		return st
	}
	switch code {
	case codes.Canceled:
		return status.Error(codes.Canceled, "request cancelled")
	case codes.NotFound, codes.FailedPrecondition, codes.Aborted:
		// A service changed or went away while the request was handled.
		return status.Error(codes.Aborted, "a service changed while the request was handled; retry")
	default:
		// InvalidArgument, AlreadyExists, PermissionDenied and the like
		// refuse a request this service built, Internal and Unknown are
		// the status service's faults: the fault is on this side of the
		// caller either way.
		return grpcx.Internal(err)
	}
}

// checkServices makes sure every id is a service of the organisation,
// asking the status service, which owns them.
func checkServices(ctx context.Context, registry statusv1.ServiceRegistryServiceClient, orgID string, ids []string) error {
	for _, id := range ids {
		_, err := registry.GetService(ctx, &statusv1.GetServiceRequest{OrgId: orgID, ServiceId: id})
		switch status.Code(err) {
		case codes.OK:
		case codes.NotFound:
			return domain.UnknownServiceError(id)
		default:
			return fmt.Errorf("check service %s: %w", id, err)
		}
	}
	return nil
}
