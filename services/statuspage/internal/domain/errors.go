package domain

import (
	"errors"
	"fmt"
)

// Errors the store and the APIs translate.
var (
	// ErrNotFound means no such record in the caller's organisation.
	ErrNotFound = errors.New("not found")
	// ErrSlugTaken means another page has the slug.
	ErrSlugTaken = errors.New("slug taken")
	// ErrDomainTaken means another page has the custom domain.
	ErrDomainTaken = errors.New("custom domain taken")
)

// ValidationError is a request value the domain refuses, naming its field.
type ValidationError struct {
	Field   string
	Message string
}

func (e *ValidationError) Error() string { return fmt.Sprintf("%s: %s", e.Field, e.Message) }

func invalid(field, format string, args ...any) error {
	return &ValidationError{Field: field, Message: fmt.Sprintf(format, args...)}
}
