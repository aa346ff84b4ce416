package domain

import "errors"

// Errors the transports map to status codes.
var (
	// ErrNotFound means no such record in the caller's organisation.
	ErrNotFound = errors.New("not found")
	// ErrNameTaken means another service of the organisation has the name.
	ErrNameTaken = errors.New("name taken")
)

// ValidationError names the field whose value is unacceptable.
type ValidationError struct {
	Field   string
	Message string
	err     error
}

func (e *ValidationError) Error() string { return e.Field + ": " + e.Message }

// Unwrap lets errors.Is find a sentinel such as ErrInvalidStatus.
func (e *ValidationError) Unwrap() error { return e.err }
