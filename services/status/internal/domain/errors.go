package domain

import (
	"errors"
	"fmt"
)

// Errors the transports map to status codes.
var (
	// ErrNotFound means no such record in the caller's organisation.
	ErrNotFound = errors.New("not found")
	// ErrNameTaken means another service of the organisation has the name.
	ErrNameTaken = errors.New("name taken")
	// ErrUnknownService means a receiver names a service that its
	// organisation does not have.
	ErrUnknownService = errors.New("unknown service")
	// ErrVersionMismatch means a conditional report found the service at
	// another version than it expected.
	ErrVersionMismatch = errors.New("the service's status changed since it was read")
	// ErrForeignReceiver means an ingest event names a receiver of another
	// organisation than the one it was published for: it is forged.
	ErrForeignReceiver = errors.New("receiver of another organisation")
)

// UnknownService is the validation error of a receiver whose service_id is
// not a service of its organisation. It says "not found" either way, so
// another organisation's ids cannot be probed.
func UnknownService(id string) error {
	return &ValidationError{Field: "service_id", Message: fmt.Sprintf("service %s not found", id), err: ErrUnknownService}
}

// ValidationError names the field whose value is unacceptable.
type ValidationError struct {
	Field   string
	Message string
	err     error
}

func (e *ValidationError) Error() string { return e.Field + ": " + e.Message }

// Unwrap lets errors.Is find a sentinel such as ErrInvalidStatus.
func (e *ValidationError) Unwrap() error { return e.err }
