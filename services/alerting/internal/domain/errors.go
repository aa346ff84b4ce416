package domain

import "errors"

// ErrNotFound means no such record in the caller's organisation; the
// transports map it to their "not found".
var ErrNotFound = errors.New("not found")

// ValidationError names the field whose value is unacceptable.
type ValidationError struct {
	Field   string
	Message string
}

func (e *ValidationError) Error() string { return e.Field + ": " + e.Message }

func invalid(field, msg string) error { return &ValidationError{Field: field, Message: msg} }

// UnknownServiceError names a service id that is not a service of the
// caller's organisation. It says "not found" either way, so another
// organisation's ids cannot be probed.
func UnknownServiceError(field, id string) error {
	return &ValidationError{Field: field, Message: "service " + id + " not found"}
}

// TransitionError is a change the record's current state does not allow;
// Reason says why, for the caller.
type TransitionError struct {
	Reason string
}

func (e *TransitionError) Error() string { return e.Reason }
