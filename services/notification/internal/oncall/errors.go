package oncall

import "errors"

// ErrInvalid is matched (errors.Is) by every ValidationError.
var ErrInvalid = errors.New("invalid schedule")

// ValidationError names the field of a schedule whose value is
// unacceptable, as the REST API spells it (e.g. "layers[0].handoff.every").
type ValidationError struct {
	Field   string
	Message string
}

func (e *ValidationError) Error() string { return e.Field + ": " + e.Message }

// Is makes errors.Is(err, ErrInvalid) hold.
func (e *ValidationError) Is(target error) bool { return target == ErrInvalid }

func invalid(field, msg string) error { return &ValidationError{Field: field, Message: msg} }
