package grpcapi

import (
	"errors"
	"strconv"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/upstatehq/upstate/pkg/grpcx"
	"github.com/upstatehq/upstate/pkg/pgdb"
	"github.com/upstatehq/upstate/services/status/internal/domain"
)

// toStatus maps domain and context errors to gRPC status errors, once, at
// the transport boundary. Messages are chosen here, never taken from the
// error's text, which may hold store details: a database that cannot be
// used right now is Unavailable, which callers retry; anything unexpected
// is Internal. The server logs the cause of either with the request id.
func toStatus(err error) error {
	var verr *domain.ValidationError
	switch {
	case errors.As(err, &verr):
		return grpcx.InvalidField(verr.Field, verr.Message)
	case errors.Is(err, domain.ErrNotFound):
		return status.Error(codes.NotFound, "service not found")
	case errors.Is(err, domain.ErrVersionMismatch):
		return status.Error(codes.FailedPrecondition, domain.ErrVersionMismatch.Error())
	case errors.Is(err, domain.ErrNameTaken):
		return status.Error(codes.AlreadyExists, "a service with this name already exists")
	}
	return grpcx.ServerError(err, "status", pgdb.IsUnavailable, nil)
}

func invalidStatus() error {
	return grpcx.InvalidField("status", "valid values are "+domain.ValidStatuses())
}

func encodeVersionToken(v int64) string { return grpcx.EncodeToken(strconv.FormatInt(v, 10)) }

func decodeVersionToken(tok string) (int64, error) {
	if tok == "" {
		return 0, nil
	}
	s, err := grpcx.DecodeToken(tok)
	if err != nil {
		return 0, err
	}
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil || v <= 0 {
		return 0, grpcx.ErrMalformedToken
	}
	return v, nil
}
