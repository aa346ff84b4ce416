// Package grpcapi serves the alerting service's gRPC API (RuleService,
// AlertService, SilenceService, DependencyService) over the store.
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
	"github.com/upstatehq/upstate/services/alerting/internal/domain"
)

// toStatus maps domain and context errors to gRPC status errors, once, at
// the transport boundary; what names the record for NOT_FOUND. Messages
// are chosen here, never taken from a store error's text.
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
	}
	// The only statuses inside this service's errors are the status
	// service's answers.
	return grpcx.ServerError(err, "alerting", pgdb.IsUnavailable, fromStatusService)
}

// fromStatusService maps the status service's answers that callers may
// retry; the others are faults of this side.
func fromStatusService(code codes.Code, err error) error {
	return grpcx.UpstreamUnavailable("status", code, err)
}

// checkServices makes sure every id is a service of the organisation,
// asking the status service, which owns them; field names the request
// field for an unknown one.
func checkServices(ctx context.Context, registry statusv1.ServiceRegistryServiceClient, orgID, field string, ids []string) error {
	seen := map[string]bool{}
	for _, id := range ids {
		if seen[id] {
			continue
		}
		seen[id] = true
		_, err := registry.GetService(ctx, &statusv1.GetServiceRequest{OrgId: orgID, ServiceId: id})
		switch status.Code(err) {
		case codes.OK:
		case codes.NotFound:
			return domain.UnknownServiceError(field, id)
		default:
			return fmt.Errorf("check service %s: %w", id, err)
		}
	}
	return nil
}
