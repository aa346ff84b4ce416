// Package domain holds the edge's records and their rules: the API keys
// an organisation holds, and the errors its store answers with. What a
// key may do (scopes) and how secrets are made and hashed are access
// rules, in package auth. It does no I/O.
package domain

import (
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/upstatehq/upstate/services/edge/internal/auth"
)

// ErrNotFound means no such record in the caller's organisation.
var ErrNotFound = errors.New("not found")

// APIKey is a stored key, without its secret.
type APIKey struct {
	ID         string
	OrgID      string
	Name       string
	Prefix     string
	Scopes     []auth.Scope
	CreatedAt  time.Time
	LastUsedAt *time.Time
	RevokedAt  *time.Time
	// ExpiresAt, when set, is when the key stops working.
	ExpiresAt *time.Time
}

// Expired reports whether the key no longer works at now.
func (k APIKey) Expired(now time.Time) bool { return k.ExpiresAt != nil && !now.Before(*k.ExpiresAt) }

// KeyExpiry checks the expiry of a key created at now: a key that would
// be expired before it is used is a mistake.
func KeyExpiry(expires, now time.Time) error {
	if !expires.After(now) {
		return errors.New("expires_at must be in the future")
	}
	return nil
}

// MaxKeyNameLen bounds a key's name, like a service's.
const MaxKeyNameLen = 100

// KeyName returns a key's name without surrounding spaces, or why it is
// not acceptable.
func KeyName(name string) (string, error) {
	name = strings.TrimSpace(name)
	if name == "" || utf8.RuneCountInString(name) > MaxKeyNameLen {
		return "", fmt.Errorf("name is required, at most %d characters", MaxKeyNameLen)
	}
	return name, nil
}
