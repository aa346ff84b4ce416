package grpcapi

import (
	"context"
	"encoding/base64"
	"errors"
	"strconv"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/upstatehq/upstate/services/status/internal/domain"
)

// Page sizes.
const (
	defaultPageSize = 50
	maxPageSize     = 200
)

// toStatus maps domain and context errors to gRPC status errors, once, at
// the transport boundary.
func toStatus(err error) error {
	var verr *domain.ValidationError
	switch {
	case errors.As(err, &verr):
		return status.Error(codes.InvalidArgument, verr.Error())
	case errors.Is(err, domain.ErrNotFound):
		return status.Error(codes.NotFound, "service not found")
	case errors.Is(err, domain.ErrNameTaken):
		return status.Error(codes.AlreadyExists, "a service with this name already exists")
	case errors.Is(err, context.Canceled):
		return status.Error(codes.Canceled, "request cancelled")
	case errors.Is(err, context.DeadlineExceeded):
		return status.Error(codes.DeadlineExceeded, "deadline exceeded")
	default:
		return status.Error(codes.Internal, err.Error())
	}
}

func invalidStatus() error {
	return status.Error(codes.InvalidArgument, "status: valid values are "+domain.ValidStatuses())
}

func requireOrg(orgID string) error {
	if orgID == "" {
		return status.Error(codes.InvalidArgument, "org_id is required")
	}
	return nil
}

func pageSize(n int32) (int, error) {
	switch {
	case n == 0:
		return defaultPageSize, nil
	case n < 0 || n > maxPageSize:
		return 0, status.Errorf(codes.InvalidArgument, "page_size must be between 1 and %d", maxPageSize)
	}
	return int(n), nil
}

// idPage validates a request for a page of records listed in id order: the
// organisation, the page size and the id the page starts after.
func idPage(orgID string, size int32, token string) (int, string, error) {
	if err := requireOrg(orgID); err != nil {
		return 0, "", err
	}
	n, err := pageSize(size)
	if err != nil {
		return 0, "", err
	}
	after, err := decodeIDToken(token)
	return n, after, err
}

// cutPage drops the extra row fetched to learn whether another page
// follows, and returns the token that continues after the last row kept
// ("" on the last page).
func cutPage[T any](rows []T, size int, token func(T) string) ([]T, string) {
	if len(rows) <= size {
		return rows, ""
	}
	rows = rows[:size]
	return rows, token(rows[size-1])
}

// Page tokens are opaque to clients: base64 of the last id or version seen.

func encodeIDToken(id string) string { return base64.RawURLEncoding.EncodeToString([]byte(id)) }

func decodeIDToken(tok string) (string, error) {
	b, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil {
		return "", status.Error(codes.InvalidArgument, "page_token is malformed")
	}
	return string(b), nil
}

func encodeVersionToken(v int64) string {
	return base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatInt(v, 10)))
}

func decodeVersionToken(tok string) (int64, error) {
	if tok == "" {
		return 0, nil
	}
	b, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil {
		return 0, status.Error(codes.InvalidArgument, "page_token is malformed")
	}
	v, err := strconv.ParseInt(string(b), 10, 64)
	if err != nil || v <= 0 {
		return 0, status.Error(codes.InvalidArgument, "page_token is malformed")
	}
	return v, nil
}
