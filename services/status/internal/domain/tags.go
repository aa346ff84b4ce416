package domain

import (
	"fmt"
	"maps"
	"regexp"
	"unicode/utf8"
)

// Limits on a service's tags.
const (
	MaxTags        = 32
	MaxTagKeyLen   = 63
	MaxTagValueLen = 255
)

// tagKey is what a tag key may be made of: letters, digits, "_", "-", "."
// and "/", starting with a letter or digit, so that keys read the same in
// a selector, a label and a URL.
var tagKey = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_./-]*$`)

// ValidateTags checks a service's tags.
func ValidateTags(tags map[string]string) error {
	if len(tags) > MaxTags {
		return &ValidationError{Field: "tags", Message: fmt.Sprintf("must hold at most %d tags", MaxTags)}
	}
	for k, v := range tags {
		if len(k) > MaxTagKeyLen || !tagKey.MatchString(k) {
			return &ValidationError{Field: "tags", Message: fmt.Sprintf("key %q must be 1–%d letters, digits, _, -, . or /, starting with a letter or digit", k, MaxTagKeyLen)}
		}
		if utf8.RuneCountInString(v) > MaxTagValueLen {
			return &ValidationError{Field: "tags", Message: fmt.Sprintf("value of %q must be at most %d characters", k, MaxTagValueLen)}
		}
	}
	return nil
}

// ServiceEdit is an edit of a service: the fields that are set change.
type ServiceEdit struct {
	Name, Description *string
	// Tags, when non-nil, replaces the tags (an empty map removes them).
	Tags *map[string]string
}

// equalTags reports whether two tag sets are the same, nil and empty alike.
func equalTags(a, b map[string]string) bool { return maps.Equal(a, b) }
