// Package grpcapi serves the incidents service's gRPC API (IncidentService
// and MaintenanceService) over the store and the scheduler.
package grpcapi

import (
	"context"
	"errors"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	statusv1 "github.com/upstatehq/upstate/proto/gen/upstate/status/v1"
	"github.com/upstatehq/upstate/services/incidents/internal/domain"
	"github.com/upstatehq/upstate/services/incidents/internal/store"
)

// toStatus maps domain and context errors to gRPC status errors, once, at
// the transport boundary. what names the record for NOT_FOUND.
func toStatus(err error, what string) error {
	var verr *domain.ValidationError
	var terr *domain.TransitionError
	if _, ok := status.FromError(err); ok && err != nil {
		return err // already a status: a call to the status service failed
	}
	switch {
	case errors.As(err, &verr):
		return status.Error(codes.InvalidArgument, verr.Error())
	case errors.As(err, &terr):
		return status.Error(codes.FailedPrecondition, terr.Error())
	case errors.Is(err, domain.ErrNotFound):
		return status.Error(codes.NotFound, what+" not found")
	case errors.Is(err, store.ErrBusy):
		return status.Error(codes.Unavailable, err.Error()+"; retry shortly")
	case errors.Is(err, context.Canceled):
		return status.Error(codes.Canceled, "request cancelled")
	case errors.Is(err, context.DeadlineExceeded):
		return status.Error(codes.DeadlineExceeded, "deadline exceeded")
	default:
		return status.Error(codes.Internal, err.Error())
	}
}

func requireOrg(orgID string) error {
	if orgID == "" {
		return status.Error(codes.InvalidArgument, "org_id is required")
	}
	return nil
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
		case codes.Unavailable, codes.DeadlineExceeded:
			return status.Error(codes.Unavailable, "the status service is unavailable to check service_ids; retry shortly")
		default:
			return err
		}
	}
	return nil
}
