package domain

import (
	"errors"
	"fmt"
)

// ErrNotFound means no such record in the caller's organisation.
var ErrNotFound = errors.New("not found")

// ValidationError is a request value the domain refuses, naming its field.
type ValidationError struct {
	Field   string
	Message string
}

func (e *ValidationError) Error() string { return fmt.Sprintf("%s: %s", e.Field, e.Message) }

func invalid(field, format string, args ...any) error {
	return &ValidationError{Field: field, Message: fmt.Sprintf(format, args...)}
}
