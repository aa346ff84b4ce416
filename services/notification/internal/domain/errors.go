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

// UnknownError names an id that is not a record of the caller's
// organisation. It says "not found" either way, so another
// organisation's ids cannot be probed.
func UnknownError(field, kind, id string) error {
	return &ValidationError{Field: field, Message: kind + " " + id + " not found"}
}

// ConflictError is a change the organisation's other records do not allow
// (a duplicate name, a user still on a schedule); Reason says why, for
// the caller.
type ConflictError struct {
	Reason string
}

func (e *ConflictError) Error() string { return e.Reason }
