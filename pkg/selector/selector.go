// Package selector picks services by id or by tags, as alert rules and
// notification routes name the services they watch: exactly one of a
// list of service ids, a set of tags every picked service carries, or
// all services. It knows services only as an id and their tags.
package selector

import (
	"fmt"
	"regexp"
	"slices"
	"unicode/utf8"
)

// Limits of a selector.
const (
	MaxServiceIDs = 100
	MaxPairs      = 32
	MaxValueLen   = 255
)

// Selector picks services: exactly one of ServiceIDs, Tags or All.
type Selector struct {
	ServiceIDs []string          `json:"service_ids,omitempty"`
	Tags       map[string]string `json:"tags,omitempty"`
	All        bool              `json:"all,omitempty"`
}

// Selects reports whether the selector picks the service.
func (s Selector) Selects(serviceID string, tags map[string]string) bool {
	switch {
	case s.All:
		return true
	case len(s.ServiceIDs) > 0:
		return slices.Contains(s.ServiceIDs, serviceID)
	case len(s.Tags) > 0:
		return HasTags(tags, s.Tags)
	}
	return false
}

// HasTags reports whether tags carries every pair of want.
func HasTags(tags, want map[string]string) bool {
	for k, v := range want {
		if got, ok := tags[k]; !ok || got != v {
			return false
		}
	}
	return true
}

// Normalize returns the selector with its service ids de-duplicated,
// order kept.
func (s Selector) Normalize() Selector {
	if s.ServiceIDs != nil {
		out := make([]string, 0, len(s.ServiceIDs))
		for _, id := range s.ServiceIDs {
			if !slices.Contains(out, id) {
				out = append(out, id)
			}
		}
		s.ServiceIDs = out
	}
	return s
}

// Error names the field of a selector whose value is unacceptable, under
// the name the caller gave the selector ("selector.tags").
type Error struct {
	Field   string
	Message string
}

func (e *Error) Error() string { return e.Field + ": " + e.Message }

// Validate checks the selector, named field in errors (an *Error).
// Whether the services exist is the caller's to check.
func (s Selector) Validate(field string) error {
	kinds := 0
	if s.All {
		kinds++
	}
	if len(s.ServiceIDs) > 0 {
		kinds++
	}
	if len(s.Tags) > 0 {
		kinds++
	}
	if kinds != 1 {
		return &Error{field, "give exactly one of service_ids, tags or all"}
	}
	if len(s.ServiceIDs) > MaxServiceIDs {
		return &Error{field + ".service_ids", fmt.Sprintf("must hold at most %d services", MaxServiceIDs)}
	}
	return ValidatePairs(field+".tags", s.Tags)
}

// pairKey is what tag (and label) keys are made of.
var pairKey = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_./-]{0,62}$`)

// ValidatePairs checks a map of tags, or of labels made like them, named
// field in errors (an *Error).
func ValidatePairs(field string, m map[string]string) error {
	if len(m) > MaxPairs {
		return &Error{field, fmt.Sprintf("must hold at most %d pairs", MaxPairs)}
	}
	for k, v := range m {
		if !pairKey.MatchString(k) {
			return &Error{field, fmt.Sprintf("key %q must be 1–63 letters, digits, _, -, . or /, starting with a letter or digit", k)}
		}
		if utf8.RuneCountInString(v) > MaxValueLen {
			return &Error{field, fmt.Sprintf("value of %q must be at most %d characters", k, MaxValueLen)}
		}
	}
	return nil
}

// IsKey reports whether k is a valid tag or label key.
func IsKey(k string) bool { return pairKey.MatchString(k) }
